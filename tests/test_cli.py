"""The `wirebeam` command's edges: unknown options and runners, unreadable feeds files, an --output that is a
file, Beam's import-time noise, and the per-feed reason in the summary."""

from __future__ import annotations

import datetime as dt
import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.cli import drop_import_noise, main
from pipeline.options import parse_args
from schemas.story import FeedCounts, Manifest
from tests.conftest import ROOT, SAMPLES
from tests.test_parse import BILLION_LAUGHS


def exit_code(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """(exit code, stderr) of a command that argparse refuses."""
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    code = stopped.value.code
    assert isinstance(code, int)
    return code, capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "named", "nearest"),
    [
        (["run", "--fedds", "x"], "--fedds", "--feeds"),
        (["run", "--no-dedupe"], "--no-dedupe", "--no-dedup"),
        (["run", "--direct_num_worker=2"], "--direct_num_worker", "--direct_num_workers"),  # one of Beam's
        (["stream", "--duration", "5", "--intervall", "9"], "--intervall", "--interval"),
        (["enrich", "--input", str(ROOT / "README.md"), "--dedupe"], "--dedupe", "--dedup"),
        # A required flag mistyped: named as such, not as "--input is required".
        (["enrich", "--inptu", str(ROOT / "README.md")], "--inptu", "--input"),
        # Before a value wirebeam would refuse: the typo is what explains it.
        (["run", "--dedup-retention-days", "0", "--fedds", "x"], "--fedds", "--feeds"),
    ],
)
def test_an_option_neither_wirebeam_nor_beam_knows_is_refused(
    argv: list[str], named: str, nearest: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = exit_code(argv, capsys)
    assert code == 2
    assert err.splitlines()[-1] == (
        f"wirebeam: error: unrecognized option {named} (neither wirebeam nor Beam knows it); did you mean {nearest}?"
    )


def test_a_stray_argument_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    code, err = exit_code(["run", "feeds.xml"], capsys)
    assert code == 2 and err.splitlines()[-1] == "wirebeam: error: unexpected argument 'feeds.xml'"
    # Two feeds after one --feeds (a flag that takes one value and is repeated).
    code, err = exit_code(["run", "--feeds", "a.xml", "b.xml"], capsys)
    assert code == 2 and err.splitlines()[-1] == (
        "wirebeam: error: unexpected argument 'b.xml': --feeds takes one value; repeat it for each "
        "(--feeds A --feeds B)"
    )
    # A usage line's optional part copied with its brackets.
    code, err = exit_code(["enrich", "--input", str(ROOT / "README.md"), "[--dedup]"], capsys)
    assert code == 2 and err.splitlines()[-1] == (
        "wirebeam: error: unexpected argument '[--dedup]': the brackets mark an optional part, write --dedup without "
        "them"
    )


def test_enrich_without_input_says_what_input_is(capsys: pytest.CaptureFixture[str]) -> None:
    code, err = exit_code(["enrich", "--output", "out"], capsys)
    assert code == 2
    assert err.splitlines()[-1] == "wirebeam: error: --input is required: the JSONL file of stories to enrich"


def test_beam_options_still_pass_through() -> None:
    beam = [
        "--direct_num_workers=2", "--direct_running_mode", "multi_threading", "--project", "p",
        "--dry_run=True", "--experiments=a", "--experiments=b", "--labels", "team=news",
    ]  # fmt: skip
    _, beam_args = parse_args(["run", *beam, "--runner=direct"])
    assert beam_args == [*beam, "--runner=direct"]


def test_an_unknown_runner_is_refused_with_the_list_beam_accepts(capsys: pytest.CaptureFixture[str]) -> None:
    code, err = exit_code(["run", "--runner", "NoSuchRunner"], capsys)
    assert code == 2 and "Traceback" not in err
    message = err.splitlines()[-1]
    assert message.startswith("wirebeam: error: --runner 'NoSuchRunner' is not a Beam runner; Beam accepts ")
    accepted = set(message.split(" accepts ")[1].split(", "))
    assert {"DataflowRunner", "DirectRunner", "FnApiRunner", "PrismRunner"} <= accepted


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"\x7fELF\x02\x01\x01\x00\x00\x00", "is a binary file, not a list of feeds"),
        (b"https://wire.example/caf\xe9.xml\n", "is not UTF-8 text (byte 24: invalid continuation byte)"),
    ],
)
def test_a_feeds_file_that_is_not_text_is_one_line_error(
    tmp_path: Path, content: bytes, reason: str, capsys: pytest.CaptureFixture[str]
) -> None:
    feeds = tmp_path / "feeds.txt"
    feeds.write_bytes(content)
    code, err = exit_code(["run", "--feeds-file", str(feeds)], capsys)
    assert code == 2 and "Traceback" not in err
    assert err.splitlines()[-1] == f"wirebeam: error: --feeds-file {str(feeds)!r} {reason}"


def test_an_output_that_is_a_file_is_named_as_such(tmp_path: Path, run_cli, capsys) -> None:
    blocker = tmp_path / "out"
    blocker.write_text("x")
    code, _ = run_cli("run", "--feeds", str(SAMPLES / "coastal-times.atom"), "--output", str(blocker))
    assert code == 3
    assert capsys.readouterr().err == f"wirebeam: --output {str(blocker)!r} is a file; it must be a folder " \
        "(runs are written into it)\n"
    assert blocker.read_text() == "x"


@pytest.mark.parametrize(
    ("entries", "feeds", "line"),
    [(0, 0, ""), (1, 0, "1 entry failed"), (2, 1, "2 entries and 1 feed failed"), (0, 2, "2 feeds failed")],
)
def test_the_last_line_says_where_to_read_why_entries_or_feeds_failed(entries: int, feeds: int, line: str) -> None:
    from pipeline.cli import failures_line

    t = FeedCounts(dead_letters=entries, feed_errors=feeds)
    at = dt.datetime(2026, 12, 3, tzinfo=dt.UTC)
    manifest = Manifest(run_id="r", command="run", started_at=at, finished_at=at, wirebeam_version="0", options={},
                        feeds={}, totals=t, reconciled=True, files={})  # fmt: skip
    expected = f"{line}: why is in out/r/dead_letter-*.jsonl (`wirebeam report out/r` groups them)" if line else ""
    assert failures_line(manifest, "out/r") == expected


def test_beams_apitools_warning_is_filtered_and_other_warnings_are_not() -> None:
    def record(name: str, msg: str) -> logging.LogRecord:
        return logging.LogRecord(name, logging.WARNING, __file__, 1, msg, None, None)

    assert not drop_import_noise(record("root", "apitools not found, and bigquery client libraries are not …"))
    assert drop_import_noise(record("root", "something else"))
    assert drop_import_noise(record("pipeline.driver", "apitools not found"))


def test_a_command_prints_no_apitools_warning_when_apitools_is_missing(tmp_path: Path) -> None:
    """The dev extra installs apitools; block it to be where a user of the plain install is."""
    script = (
        "import sys; sys.modules['apitools'] = None\n"
        "from pipeline.cli import main\n"
        f"sys.exit(main(['validate', {str(tmp_path / 'x.txt')!r}]))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr == f"wirebeam validate: {tmp_path / 'x.txt'}: No such file\n"
    # the block works: importing Beam's BigQuery clients without apitools is what logs the warning
    probe = "import sys; sys.modules['apitools'] = None\nimport apache_beam.io.gcp.internal.clients.bigquery\n"
    shown = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert "apitools not found" in shown.stderr


NOT_A_FEED = b"<html><head><title>Sign in</title></head><body><form>Password</form></body></html>"


@pytest.mark.e2e
def test_the_summary_names_why_each_failed_feed_failed(tmp_path: Path, run_cli) -> None:
    page, laughs = tmp_path / "login.html", tmp_path / "laughs.xml"
    page.write_bytes(NOT_A_FEED)
    laughs.write_bytes(BILLION_LAUGHS)
    refused = "http://127.0.0.1:9/feed.xml"  # loopback: the SSRF guard refuses it before any connection
    good = str(SAMPLES / "coastal-times.atom")
    code, printed = run_cli(
        "run", "--feeds", refused, "--feeds", str(page), "--feeds", str(laughs), "--feeds", good,
        "--output", str(tmp_path / "out"), "--run-id", "r1",
    )  # fmt: skip
    assert code == 0, printed

    def row(feed: str) -> list[str]:
        """The feed's summary row (a long name is shown as `…` and its last 59 characters)."""
        (cells,) = [c for c in map(str.split, printed.splitlines()) if c and feed.endswith(c[0].lstrip("…"))]
        return cells

    # feed, read, new, versions, dups, dead, errors, 304, status, feed error
    assert row(refused)[6:] == ["1", "0", "-", "ssrf_blocked"]
    assert row(str(page))[6:] == ["1", "0", "-", "not_a_feed"]
    assert row(str(laughs))[6:] == ["1", "0", "-", "dtd_entities"]
    assert row(good)[6:] == ["0", "0", "-"] and int(row(good)[2]) > 0
    run = tmp_path / "out" / "r1"
    assert printed.splitlines()[-1] == (
        f"3 feeds failed: why is in {run}/dead_letter-*.jsonl (`wirebeam report {run}` groups them)"
    )
    manifest = Manifest.model_validate_json((tmp_path / "out" / "r1" / "manifest.json").read_text())
    assert {feed: c.feed_error for feed, c in manifest.feeds.items()} == {
        refused: "ssrf_blocked",
        str(page): "not_a_feed",
        str(laughs): "dtd_entities",
        good: None,
    }
    letters = [json.loads(line) for f in (tmp_path / "out" / "r1").glob("dead_letter-*") for line in f.open()]
    assert sorted(d["error_type"] for d in letters) == ["dtd_entities", "not_a_feed", "ssrf_blocked"]


@pytest.mark.parametrize(
    ("header", "flags", "advice"),
    [
        ('{"format": "wirebeam-dedup-index", "version": 2, "shingle_size": 3}', [],
         "dedup index was built with shingle_size=3, this run uses 4: their signatures cannot be compared; "
         "rerun with --dedup-shingle-size 3 (the index's), or with --reset-state to start a new index"),
        ('{"format": "wirebeam-dedup-index", "version": 2, "shingle_size": 4}', ["--dedup-shingle-size", "5"],
         "dedup index was built with shingle_size=4, this run uses 5: their signatures cannot be compared; "
         "rerun with --dedup-shingle-size 4 (the index's), or with --reset-state to start a new index"),
        ('{"format": "wirebeam-dedup-index", "version": 2, "num_perm": 64}', [],
         "dedup index was built with num_perm=64, this run uses 128: their signatures cannot be compared; "
         "rerun with --reset-state to start a new index"),
        ('{"format": "wirebeam-dedup-index", "version": 99}', [],
         "dedup index version 99 is newer than this wirebeam reads (2); upgrade wirebeam or rerun with --reset-state"),
        ('{"format": "other"}', [], "dedup index has no wirebeam header; fix it or rerun with --reset-state"),
    ],
)  # fmt: skip
def test_an_unusable_dedup_index_is_refused_with_what_to_do(
    tmp_path: Path, run_cli, capsys: pytest.CaptureFixture[str], header: str, flags: list[str], advice: str
) -> None:
    """The dedup index states what is wrong (transforms/dedup/index.py); the CLI adds which of its flags help."""
    state = tmp_path / "state"
    state.mkdir()
    (state / "dedup_index.jsonl").write_text(header + "\n")
    code, _ = run_cli(
        "run", "--feeds", str(SAMPLES / "coastal-times.atom"), "--output", str(tmp_path / "out"), "--state",
        str(state), *flags,
    )  # fmt: skip
    err = capsys.readouterr().err
    assert code == 3 and "Traceback" not in err
    assert err == f"wirebeam: {state / 'dedup_index.jsonl'}: {advice}\n"
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())  # refused before the run


@pytest.mark.parametrize(("encoding", "name"), [("utf-16", "UTF-16"), ("utf-16-be", "UTF-16"), ("utf-32", "UTF-32")])
@pytest.mark.parametrize("flag", ["--feeds-file", "--input"])
def test_a_utf16_or_utf32_file_is_refused_with_the_command_that_converts_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], encoding: str, name: str, flag: str
) -> None:
    """Saved by a Windows editor or PowerShell's `>`: each line would be a dead letter (or a "binary" feeds file)."""
    path = tmp_path / "in put.txt"
    text = "https://wire.example/rss\n" if flag == "--feeds-file" else '{"id": "a", "text": "Café"}\n'
    path.write_text(text, encoding=encoding)  # utf-16-be: no byte-order mark
    command = "run" if flag == "--feeds-file" else "enrich"
    code, err = exit_code([command, flag, str(path)], capsys)
    assert code == 2 and "Traceback" not in err
    assert err.splitlines()[-1] == (
        f"wirebeam: error: {flag} {str(path)!r} is {name} text; wirebeam reads UTF-8: convert it first, e.g. "
        f"iconv -f {name} -t UTF-8 '{path}' > '{path}.utf8'"
    )


def test_an_input_with_latin1_lines_is_read_with_a_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Its lines that are not UTF-8 are dead letters (tests/test_enrich_cli.py); the user hears why before the job."""
    path = tmp_path / "in.jsonl"
    path.write_bytes(b'{"id": "a", "text": "plain"}\n' + '{"id": "b", "text": "Café"}\n'.encode("latin-1"))
    with caplog.at_level(logging.WARNING, logger="pipeline.textfiles"):
        config, _ = parse_args(["enrich", "--input", str(path)])
    assert config.input == str(path)
    (warning,) = caplog.messages
    assert warning == (
        f"--input {str(path)!r} is not all UTF-8 (line 2 has byte 0xe9): such lines become dead letters (not_utf8); "
        f"a file in Latin-1 or Windows-1252 reads whole once converted: iconv -f WINDOWS-1252 -t UTF-8 {path} > "
        f"{path}.utf8"
    )
    caplog.clear()
    path.write_text('{"id": "a", "text": "Café"}\n', encoding="utf-8")
    parse_args(["enrich", "--input", str(path)])
    assert caplog.messages == []


@pytest.mark.parametrize(
    ("flag", "content", "message"),
    [
        ("--feeds", "# wires\nhttps://a.example/rss\n\nhttps://b.example/rss Bee\n",
         "is a list of feeds, not a feed: pass it with --feeds-file"),
        ("--feeds", '{"feeds": [{"url": "https://a.example/rss"}]}',
         "is a list of feeds, not a feed: pass it with --feeds-file"),
        ("--feeds-file", (SAMPLES / "coastal-times.atom").read_text(encoding="utf-8"),
         "is a feed (XML), not a list of feeds: pass it with --feeds"),
        ("--feeds-file", (SAMPLES / "metro-daily.json").read_text(encoding="utf-8"),
         "is a feed (JSON Feed), not a list of feeds: pass it with --feeds"),
    ],
)  # fmt: skip
def test_a_feed_and_a_list_of_feeds_swapped_are_named_as_such(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], flag: str, content: str, message: str
) -> None:
    """Otherwise a list given as a feed is one `not_a_feed` dead letter, a feed given as the list a missing path."""
    path = tmp_path / "given"
    path.write_text(content, encoding="utf-8")
    code, err = exit_code(["run", flag, str(path)], capsys)
    assert code == 2 and err.splitlines()[-1] == f"wirebeam: error: {flag} {str(path)!r} {message}"


def test_the_bundled_feeds_are_feeds() -> None:
    from pipeline.options import is_feeds_list

    assert not any(is_feeds_list(str(p)) for p in SAMPLES.iterdir() if p.name != "feeds.json")
    assert is_feeds_list(str(SAMPLES / "feeds.json"))
