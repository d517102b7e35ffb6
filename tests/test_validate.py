"""`wirebeam validate`: valid files pass; the first bad line is reported with its number and reason."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import pytest

from pipeline.cli import main as cli_main
from pipeline.validate import Problem, check_file, first_problem, kind_for_path
from schemas.story import Cluster, ClusterCopy, DeadLetter, Duplicate, EnrichedStory, Entity, FeedSource, Mention

AT = dt.datetime(2026, 11, 24, 9, 12, tzinfo=dt.UTC)
BODY = "Pieter de Graaf spoke in Rotterdam on Tuesday."


def story(story_id: str = "s1") -> EnrichedStory:
    source = FeedSource(url="https://wire.example.org/feed.xml")
    return EnrichedStory(
        id=story_id,
        title="Port strike",
        body=BODY,
        source=source,
        content_hash="abc",
        fetched_at=AT,
        entities=[
            Entity(
                text="Rotterdam",
                label="GPE",
                start=25,
                end=34,
                canonical="Rotterdam",
                mentions=[Mention(start=25, end=34, text="Rotterdam")],
                count=1,
            )
        ],
        cluster=Cluster(id=story_id, size=1, copies=[ClusterCopy(id=story_id, source=source.url)]),
        processed_at=AT,
    )


def line(record: EnrichedStory | Duplicate | DeadLetter) -> bytes:
    return record.model_dump_json().encode() + b"\n"


def bad_offsets() -> bytes:
    data = json.loads(story("s2").model_dump_json())
    data["entities"][0]["mentions"][0]["start"] = 24
    return json.dumps(data).encode() + b"\n"


def missing_title() -> bytes:
    data = json.loads(story("s2").model_dump_json())
    del data["title"]
    return json.dumps(data).encode() + b"\n"


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("stories-00000-of-00001.jsonl", "story"),
        ("/x/run/duplicates-00003-of-00004.jsonl", "duplicate"),
        ("dead_letter-00000-of-00001.jsonl", "dead_letter"),
        ("out/run/manifest.json", "manifest"),
        ("mystories.jsonl", None),
        ("stories.jsonl", "story"),
    ],
)
def test_kind_for_path(name: str, kind: str | None) -> None:
    assert kind_for_path(name) == kind


@pytest.mark.parametrize(
    ("lines", "checked", "line_no", "reason_start"),
    [
        ([line(story("a")), line(story("b"))], 2, None, None),
        ([line(story("a")), b"{not json\n"], 1, 2, "not JSON: "),
        ([line(story("a")), b"\n", line(story("b"))], 1, 2, "empty line"),
        ([b"[1, 2]\n"], 0, 1, "not a JSON object but list"),
        ([b'{"id": "\xff"}\n'], 0, 1, "not UTF-8 at byte 8"),
        (
            [line(story("a")), bad_offsets()],
            1,
            2,
            "record: Value error, entity mention 'Rotterdam' does not match body[24:34]",
        ),
        ([missing_title()], 0, 1, "title: Field required"),
        ([line(story("a")), line(story("b")), line(story("a"))], 2, 3, "id 'a' repeats line 1"),
    ],
)
def test_first_problem(lines: list[bytes], checked: int, line_no: int | None, reason_start: str | None) -> None:
    count, problem = first_problem(lines, "story")
    assert count == checked
    if line_no is None:
        assert problem is None
    else:
        assert isinstance(problem, Problem)
        assert problem.line_no == line_no
        assert problem.reason.startswith(reason_start or "")


def test_dead_letters_and_duplicates_validate(tmp_path: Path) -> None:
    dead = DeadLetter(stage="parse", error_type="not_a_feed", message="x", source="f", at=AT)
    dup = Duplicate(id="d1", duplicate_of="s1", reason="url", source="f")
    (tmp_path / "dead_letter-00000-of-00001.jsonl").write_bytes(line(dead) * 3)
    (tmp_path / "duplicates-00000-of-00001.jsonl").write_bytes(line(dup))
    assert check_file(str(tmp_path / "dead_letter-00000-of-00001.jsonl")).records == 3
    assert check_file(str(tmp_path / "duplicates-00000-of-00001.jsonl")).ok


def test_a_trailing_empty_line_is_bad(tmp_path: Path) -> None:
    path = tmp_path / "stories-00000-of-00001.jsonl"
    path.write_bytes(line(story("a")) + b"\n")
    out = io.StringIO()
    assert cli_main(["validate", str(path)], out=out) == 1
    assert out.getvalue().splitlines()[0] == f"{path}:2: empty line"


def test_an_entity_whose_own_offsets_miss_the_body_is_bad(tmp_path: Path) -> None:
    data = json.loads(story("a").model_dump_json())
    data["entities"][0]["start"] = 0  # its mentions still index the body; the entity's own start/end do not
    path = tmp_path / "stories-00000-of-00001.jsonl"
    path.write_bytes(json.dumps(data).encode() + b"\n")
    out = io.StringIO()
    assert cli_main(["validate", str(path)], out=out) == 1
    reason = "record: Value error, entity 'Rotterdam' does not match body[0:34]"
    assert out.getvalue().splitlines()[0] == f"{path}:1: {reason}"


def test_cli_reports_the_first_bad_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "stories-00000-of-00002.jsonl"
    bad = tmp_path / "stories-00001-of-00002.jsonl"
    good.write_bytes(line(story("a")))
    bad.write_bytes(line(story("b")) + missing_title() + b"{oops\n")
    out = io.StringIO()
    assert cli_main(["validate", str(good), str(bad)], out=out) == 1
    assert out.getvalue().splitlines()[:2] == [
        f"{good}: OK, 1 record (story)",
        f"{bad}:2: title: Field required",
    ]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["notes.jsonl"], 2, "cannot tell the record kind from the name; pass --kind"),
        (["missing/stories-1.jsonl"], 2, "missing/stories-1.jsonl: No such file"),
        (["missing.jsonl"], 2, "missing.jsonl: No such file"),  # not "cannot tell the record kind"
        # A shell glob that matched nothing arrives as typed (README: wirebeam validate out/<run-id>/*.jsonl).
        (["out/*/*.jsonl"], 2, "out/*/*.jsonl: no file matches this pattern (the shell passed it on unexpanded)"),
        ([""], 2, ": is a folder; pass its files, e.g. "),
    ],
)
def test_cli_usage_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], code: int, message: str
) -> None:
    (tmp_path / "notes.jsonl").write_bytes(line(story("a")))
    paths = [str(tmp_path / a) for a in args]
    assert cli_main(["validate", *paths], out=io.StringIO()) == code
    assert message in capsys.readouterr().err


def test_cli_kind_flag(tmp_path: Path) -> None:
    path = tmp_path / "notes.jsonl"
    path.write_bytes(line(story("a")))
    out = io.StringIO()
    assert cli_main(["validate", "--kind", "story", str(path)], out=out) == 0
    assert out.getvalue() == f"{path}: OK, 1 record (story)\n"


def test_manifest_is_checked_whole(tmp_path: Path) -> None:
    path = tmp_path / "manifest.json"
    path.write_text('{"run_id": "r"}')
    check = check_file(str(path))
    assert check.problem is not None and check.problem.reason.startswith("command: Field required")
