"""The live progress line: tap files, their sum, the display, and a real Beam run in one and two processes."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import apache_beam as beam
import pytest
from apache_beam.options.pipeline_options import PipelineOptions

from pipeline.options import RunConfig
from pipeline.progress import Progress, ProgressDisplay, format_line, progress_display, read_progress
from transforms.progress import PROGRESS_ENV, ProgressTallyFn, ProgressTap, write_count


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("progress", "total", "elapsed", "expected"),
    [
        (Progress(3, 120, 4, 2), 15, 12.0, "feeds 3/15 · stories 120 (10.0/s) · dups 4 · errors 2 · 12s"),
        (Progress(), None, 0.0, "feeds 0 · stories 0 (-/s) · dups 0 · errors 0 · 0s"),
        (Progress(stories=7), 0, 2.0, "feeds 0 · stories 7 (3.5/s) · dups 0 · errors 0 · 2s"),
    ],
)
def test_format_line(progress: Progress, total: int | None, elapsed: float, expected: str) -> None:
    assert format_line(progress, total, elapsed) == expected


def test_read_progress_sums_files_and_ignores_junk(tmp_path: Path) -> None:
    write_count(str(tmp_path / "stories-1-a.json"), "stories", 5)
    write_count(str(tmp_path / "stories-2-b.json"), "stories", 7)
    write_count(str(tmp_path / "errors-2-c.json"), "errors", 1)
    (tmp_path / "broken.json").write_text("{not json")
    (tmp_path / "other.json").write_text('{"kind": "planets", "count": 9}')
    (tmp_path / "stories-3-d.json.tmp").write_text('{"kind": "stories", "count": 100}')
    assert read_progress(tmp_path) == Progress(feeds=0, stories=12, duplicates=0, errors=1)


def test_read_progress_of_missing_folder_is_zero(tmp_path: Path) -> None:
    assert read_progress(tmp_path / "gone") == Progress()


def test_tally_writes_its_count_when_the_folder_is_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PROGRESS_ENV, str(tmp_path))
    fn = ProgressTallyFn("duplicates")
    fn.setup()
    for i in range(25):
        assert list(fn.process(i)) == []
    fn.finish_bundle()
    assert read_progress(tmp_path) == Progress(duplicates=25)
    assert len(os.listdir(tmp_path)) == 1


def test_tally_is_silent_without_the_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PROGRESS_ENV, raising=False)
    fn = ProgressTallyFn("stories")
    fn.setup()
    list(fn.process("x"))
    fn.finish_bundle()
    fn.teardown()
    assert os.listdir(tmp_path) == []


def test_tally_survives_its_folder_vanishing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "p"
    folder.mkdir()
    monkeypatch.setenv(PROGRESS_ENV, str(folder))
    fn = ProgressTallyFn("stories")
    fn.setup()
    list(fn.process("x"))
    fn.finish_bundle()
    for name in os.listdir(folder):
        os.remove(folder / name)
    folder.rmdir()
    list(fn.process("y"))
    fn.teardown()  # must not raise
    assert not folder.exists()


@pytest.mark.parametrize("kind", ["story", "", "Feeds"])
def test_unknown_kind_is_refused_at_construction(kind: str) -> None:
    with pytest.raises(ValueError, match="progress kind"):
        ProgressTap(kind)


def test_display_is_off_when_not_a_terminal() -> None:
    stream = io.StringIO()
    before = os.environ.get(PROGRESS_ENV)
    with ProgressDisplay(total_feeds=3, stream=stream) as display:
        assert display.directory is None
        assert os.environ.get(PROGRESS_ENV) == before
    assert stream.getvalue() == ""


def test_display_on_a_terminal_draws_and_cleans_up() -> None:
    stream = FakeTerminal()
    with ProgressDisplay(total_feeds=2, stream=stream, interval=0.01) as display:
        folder = display.directory
        assert folder is not None and os.environ[PROGRESS_ENV] == folder
        write_count(os.path.join(folder, "feeds-1-x.json"), "feeds", 2)
        write_count(os.path.join(folder, "stories-1-y.json"), "stories", 9)
    out = stream.getvalue()
    assert out.startswith("\r") and out.endswith("\n")
    assert out.rstrip("\n").rsplit("\r", 1)[1].startswith("feeds 2/2 · stories 9 (")
    assert not os.path.exists(folder)
    assert PROGRESS_ENV not in os.environ


@pytest.mark.parametrize(("quiet", "command", "expected"), [(True, "run", None), (False, "enrich", None)])
def test_progress_display_follows_quiet_and_command(quiet: bool, command: str, expected: None) -> None:
    config = RunConfig(command=command, output="out", quiet=quiet, input="x.jsonl" if command == "enrich" else None)
    stream = FakeTerminal()
    with progress_display(config, stream) as display:
        enabled = display.directory is not None
    assert enabled is (not quiet)
    assert (stream.getvalue() != "") is (not quiet)
    if not quiet:
        assert stream.getvalue().lstrip("\r").startswith("feeds 0 ·")  # no total for enrich


def _run_tapped(n: int, beam_args: list[str]) -> str:
    stream = FakeTerminal()
    with ProgressDisplay(total_feeds=4, stream=stream, interval=0.05):
        p = beam.Pipeline(options=PipelineOptions(["--runner=FnApiRunner", *beam_args]))
        items = p | beam.Create(list(range(n)))
        _ = items | "Feeds" >> beam.Filter(lambda i: i < 4) | "TapFeeds" >> ProgressTap("feeds")
        _ = items | "TapStories" >> ProgressTap("stories")
        _ = items | "Errors" >> beam.Filter(lambda i: i % 10 == 0) | "TapErrors" >> ProgressTap("errors")
        p.run().wait_until_finish()
    return stream.getvalue().rstrip("\n").rsplit("\r", 1)[1]


def test_taps_in_an_in_process_run() -> None:
    line = _run_tapped(200, [])
    assert line.startswith("feeds 4/4 · stories 200 (")
    assert " · errors 20 · " in line


@pytest.mark.slow
def test_taps_across_worker_processes() -> None:
    line = _run_tapped(300, ["--direct_running_mode=multi_processing", "--direct_num_workers=2"])
    assert line.startswith("feeds 4/4 · stories 300 (")
    assert " · errors 30 · " in line


def test_driver_draws_the_line_around_a_real_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.driver import execute
    from pipeline.options import parse_args

    terminal = FakeTerminal()
    monkeypatch.setattr("sys.stderr", terminal)
    config, beam_args = parse_args(["run", "--output", str(tmp_path), "--run-id", "r1"])
    manifest, _ = execute(config, beam_args)
    assert manifest.reconciled
    out = terminal.getvalue()
    last = out.rstrip("\n").rsplit("\r", 1)[1]
    assert re.fullmatch(r"feeds 3/3 · stories 11 \([\d.]+/s\) · dups 3 · errors 0 · \d+s", last), last
    assert out.endswith("\n")
    assert PROGRESS_ENV not in os.environ


@pytest.mark.parametrize("progress", [True, False])
def test_graph_has_taps_only_when_the_line_is_drawn(tmp_path: Path, progress: bool) -> None:
    from apache_beam.options.pipeline_options import PipelineOptions as Options

    from pipeline.build import build_pipeline
    from pipeline.options import parse_args

    config, _ = parse_args(["run", "--output", str(tmp_path), "--quiet"])
    assert progress_display(config).enabled is False  # --quiet: the driver builds without taps
    pipeline = build_pipeline(config, Options(["--runner=FnApiRunner"]), str(tmp_path / "r"), progress=progress)
    labels = {t.unique_name for t in pipeline.to_runner_api().components.transforms.values()}
    taps = {label for label in labels if label.startswith("Progress")}
    assert bool(taps) is progress
    if progress:
        assert {"ProgressFeeds", "ProgressStories", "ProgressDuplicates", "ProgressErrors"} <= taps
