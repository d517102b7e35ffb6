"""WriteRunFiles: every kind's lines land once in `<kind>-SSSSS-of-NNNNN.jsonl`, and the per-feed counts in
`_counts`, whatever the bundles did."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import apache_beam as beam
import pytest
from apache_beam.options.pipeline_options import PipelineOptions

from transforms.sink.stage import TEMP_PREFIX, FileKind, WriteRunFiles, _WriteLinesFn, finalize_run_files


def lines_of(folder: Path, kind: str) -> list[str]:
    return [line for f in sorted(folder.glob(f"{kind}-*.jsonl")) for line in f.read_text().splitlines()]


def counts_of(folder: Path) -> dict[tuple[str, str], int]:
    rows = [json.loads(line) for line in lines_of(folder, "_counts")]
    return {(row["feed"], row["name"]): row["value"] for row in rows}


def by_feed(element: Any) -> tuple[str, str]:
    return json.loads(element)["feed"], "stories"


def attempt(kind: str, temp: Path, lines: list[str], finish: bool = True) -> list[Any]:
    """One bundle of the writer; `finish=False` is an attempt that died before its bundle committed."""
    fn = _WriteLinesFn(kind, FileKind(count=by_feed), str(temp))
    fn.start_bundle()
    for line in lines:
        fn.process(line)
    if not finish:
        return []
    return [wv.value for wv in fn.finish_bundle()]


A, B, C = '{"feed":"f1","id":"a"}', '{"feed":"f1","id":"b"}', '{"feed":"f2","id":"c"}'


def test_only_committed_bundles_are_renamed_and_counted_and_the_temporary_folder_goes(tmp_path: Path) -> None:
    temp = tmp_path / f"{TEMP_PREFIX}x"
    attempt("stories", temp, [A, B], finish=False)  # died: its file is an orphan, its counts never seen
    written = attempt("stories", temp, [A, B]) + attempt("stories", temp, [C]) + attempt("_index", temp, [A])
    assert len(list(temp.iterdir())) == 4
    kinds = ("stories", "dead_letter", "_index")
    final = finalize_run_files(None, written, str(tmp_path), str(temp), kinds)
    assert sorted(Path(f).name for f in final) == [
        "_counts-00000-of-00001.jsonl",
        "_index-00000-of-00001.jsonl",
        "dead_letter-00000-of-00001.jsonl",
        "stories-00000-of-00002.jsonl",
        "stories-00001-of-00002.jsonl",
    ]
    assert sorted(lines_of(tmp_path, "stories")) == [A, B, C]
    assert counts_of(tmp_path) == {("f1", "stories"): 3, ("f2", "stories"): 1}  # _index counted as written
    assert (tmp_path / "dead_letter-00000-of-00001.jsonl").read_text() == ""  # an empty kind still has its file
    assert not temp.exists()
    # A retried finalize (its first attempt died after renaming) leaves the same files and counts.
    assert finalize_run_files(None, written, str(tmp_path), str(temp), kinds) == final
    assert sorted(lines_of(tmp_path, "stories")) == [A, B, C]
    assert counts_of(tmp_path) == {("f1", "stories"): 3, ("f2", "stories"): 1}


@pytest.mark.parametrize("runner", ["FnApiRunner", "BundleBasedDirectRunner"])
def test_every_kind_written_once_and_counted_through_a_pipeline(tmp_path: Path, runner: str) -> None:
    out = tmp_path / "run"
    stories = [json.dumps({"feed": f"f{i % 3}", "text": f"caf\u00e9 {i}"}) for i in range(500)]
    kinds = {"stories": FileKind(count=by_feed), "entries_read": FileKind(None, lambda feed: (feed, "entries_read"))}
    with beam.Pipeline(options=PipelineOptions([f"--runner={runner}"])) as p:
        _ = {
            "stories": p | "Stories" >> beam.Create(stories) | "Spread" >> beam.Reshuffle(),
            "duplicates": p | "Duplicates" >> beam.Create([{"id": "d1"}, {"id": "d2"}]),
            "dead_letter": p | "None" >> beam.Create([]),
            "entries_read": p | "Entries" >> beam.Create(["f0", "f0", "f9"]),
        } | WriteRunFiles(str(out), kinds)
    assert sorted(lines_of(out, "stories")) == sorted(stories)
    assert sorted(lines_of(out, "duplicates")) == ['{"id":"d1"}', '{"id":"d2"}']
    assert [f.name for f in out.glob("dead_letter-*")] == ["dead_letter-00000-of-00001.jsonl"]
    assert not list(out.glob("entries_read-*"))  # counted only
    assert counts_of(out) == {
        ("f0", "stories"): 167, ("f1", "stories"): 167, ("f2", "stories"): 166,
        ("f0", "entries_read"): 2, ("f9", "entries_read"): 1,
    }
    names = sorted(f.name for f in out.iterdir())
    assert not [n for n in names if n.startswith(TEMP_PREFIX)]
    shards = [n for n in names if n.startswith("stories-")]
    assert all(n.endswith(f"-of-{len(shards):05d}.jsonl") for n in shards)


def enriched_story(**fields: Any) -> Any:
    import datetime as dt

    from schemas.story import Cluster, EnrichedStory, FeedSource

    when = dt.datetime(2026, 3, 14, 9, 30, tzinfo=dt.UTC)
    defaults: dict[str, Any] = {"id": "s1", "title": "Kerry meets Lavrov", "body": "John Kerry met Sergei Lavrov.",
                                "source": FeedSource(url="feed.xml"), "content_hash": "h", "fetched_at": when,
                                "cluster": Cluster(id="s1", size=1, copies=[]), "processed_at": when}
    return EnrichedStory(**{**defaults, **fields})


def test_validate_writes_the_line_it_checked_and_routes_a_story_the_schema_rejects() -> None:
    from apache_beam.pvalue import TaggedOutput

    from schemas.story import STORY_ADAPTER, Entity, Mention
    from transforms.sink.stage import ValidateStoryFn, json_line

    kerry = Entity(text="John Kerry", label="PERSON", start=0, end=10, canonical="John Kerry", count=1,
                   mentions=[Mention(start=0, end=10, text="John Kerry")])
    story = enriched_story(entities=[kerry], version=2, body="John Kerry met Sergei Lavrov in London.\u2028")
    versions, (feed, line) = list(ValidateStoryFn().process(story))
    assert versions.tag == "versions" and versions.value == feed == "feed.xml"
    assert line == json_line(story) and "\u2028" not in line  # one line, as written
    assert STORY_ADAPTER.validate_json(line) == story

    # model_copy does not validate: a mention that no longer indexes the body is caught at the sink.
    shifted = story.model_copy(update={"body": "Yesterday John Kerry met Sergei Lavrov."})
    (letter,) = list(ValidateStoryFn().process(shifted))
    assert isinstance(letter, TaggedOutput) and letter.tag == "dead_letter"
    assert letter.value.error_type == "schema_error" and letter.value.entry_id == "s1"
    assert "does not match body[0:10]" in letter.value.message
