"""Streaming mode (`wirebeam stream`): poll feeds every `--interval`, dedup in keyed state, write per window.

The graph reuses the batch stages, ProcessStories among them; only the source, dedup and sink differ:

    PeriodicImpulse ─ FeedsPerTick ─ PollFeeds ─ ParseEntries
        ─ StreamStories (ProcessStories: [FetchArticles] ─ CleanStories ─ StreamingDedup ─ Window
                         ─ ExtractEntities ─ ExtractDates)
        ─ Validate ─ WriteWindowed (stories, duplicates, dead letters, polls)

Event time is the time of the poll that fetched a record: every element carries its tick's timestamp, so a
window's files hold what was fetched during that window, and dedup retention counts from when a story was
seen.

- PollFeeds (transforms/fetch/poll.py) keeps each feed's HTTP validators in keyed state, so every poll after the
  first is a conditional GET, exactly as a batch run with `--state`.
- StreamingDedup (transforms/dedup/streaming.py) replaces the batch dedup index with keyed state, each entry
  expired by an event-time timer after the retention window.
- WriteWindowed (transforms/sink/windowed.py) writes one file set per window.

Locally the FnApiRunner finishes windows only when the source stops, so a local run is bounded by
`--duration` (PeriodicImpulse with an explicit start and stop timestamp); on Dataflow the job runs unbounded.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
import time
from collections.abc import Sequence
from typing import Any, TextIO

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions
from apache_beam.transforms.periodicsequence import PeriodicImpulse
from apache_beam.transforms.window import FixedWindows
from apache_beam.utils.timestamp import MAX_TIMESTAMP, Timestamp

from pipeline.build import process_stories
from pipeline.options import ConfigError, RunConfig
from pipeline.state import join, write_atomic
from schemas.story import FeedSource
from transforms.common import DEAD_LETTER
from transforms.dedup.singleton import NoDedup
from transforms.dedup.streaming import StreamingDedup
from transforms.fetch.poll import PollFeedFn, feeds_for_tick
from transforms.fetch.stage import FEED_REPORT
from transforms.parse.stage import ParseEntries
from transforms.sink.stage import ValidateStoryFn
from transforms.sink.windowed import WriteWindowed, poll_line

LOGGER = logging.getLogger(__name__)

STREAM_FILE = "stream.json"
# Runners that execute in this process: their windows are written only when the source stops.
LOCAL_RUNNERS = ("FnApiRunner", "DirectRunner", "BundleBasedDirectRunner", "SwitchingDirectRunner")


def build_stream_pipeline(
    config: RunConfig, options: PipelineOptions, run_dir: str, start: float | None = None
) -> beam.Pipeline:
    """The streaming graph for `wirebeam stream`, writing windowed files into `run_dir`.

    Polls at `start` (default now) and every `config.interval` seconds after; stops after `config.duration`
    seconds, or never when it is None (Dataflow).
    """
    start = time.time() if start is None else start
    stop: float | Timestamp = start + config.duration if config.duration else MAX_TIMESTAMP
    window = config.window
    p = beam.Pipeline(options=options)
    polled = (
        p
        | "Poll"
        >> PeriodicImpulse(
            start_timestamp=start, stop_timestamp=stop, fire_interval=config.interval, apply_windowing=False
        )
        | "FeedsPerTick" >> beam.FlatMap(feeds_for_tick, list(config.feeds))
        | "TypeFeeds" >> beam.Map(lambda kv: kv).with_output_types(tuple[str, FeedSource])
        | "PollFeeds"
        >> beam.ParDo(PollFeedFn(config.fetch)).with_outputs(FEED_REPORT, DEAD_LETTER, main="feeds")
    )
    parsed = polled.feeds | "ParseEntries" >> ParseEntries()
    if config.dedup:
        dedup = "StreamingDedup" >> StreamingDedup(
            config.retention, config=config.dedup_config, versions=config.versions
        )
    else:
        dedup = "NoDedup" >> NoDedup()
    # Labelled StreamStories, as the streaming graph's middle always was: the stateful dedup steps keep their
    # names, which a Dataflow job update matches state by.
    processed = parsed.entries | "StreamStories" >> process_stories(config, dedup, window=FixedWindows(window))
    validated = processed["stories"] | "Validate" >> beam.ParDo(ValidateStoryFn()).with_outputs(
        DEAD_LETTER, main="lines"
    )
    early_dead = (
        (polled[DEAD_LETTER], parsed[DEAD_LETTER])
        | "EarlyDeadLetters" >> beam.Flatten()
        | "WindowDeadLetters" >> beam.WindowInto(FixedWindows(window))
    )
    dead = (early_dead, *processed["dead_letters"], validated[DEAD_LETTER]) | "AllDeadLetters" >> beam.Flatten()
    reports = (polled[FEED_REPORT], parsed[FEED_REPORT]) | "AllFeedReports" >> beam.Flatten()
    (
        validated.lines
        | "StoryLine" >> beam.Map(lambda fl: fl[1])
        | "WriteStories" >> WriteWindowed(join(run_dir, "stories"), window)
    )
    processed["duplicates"] | "WriteDuplicates" >> WriteWindowed(join(run_dir, "duplicates"), window)
    dead | "WriteDeadLetters" >> WriteWindowed(join(run_dir, "dead_letter"), window)
    (
        reports
        | "PollLine" >> beam.Map(poll_line)
        | "WritePolls" >> WriteWindowed(join(run_dir, "polls"), window)
    )
    return p


def is_local_runner(beam_args: Sequence[str]) -> bool:
    options = PipelineOptions(list(beam_args))
    runner = options.view_as(StandardOptions).runner or "DirectRunner"
    return runner in LOCAL_RUNNERS


def check_stream_config(config: RunConfig, beam_args: Sequence[str]) -> None:
    """Raise ConfigError (naming the flag) for a stream that could never write anything."""
    if config.duration is None and is_local_runner(beam_args):
        raise ConfigError(
            "--duration is required with a local runner: it writes a window's files only when the stream "
            "stops. Omit it on --runner DataflowRunner to run unbounded."
        )


def run_stream(config: RunConfig, beam_args: Sequence[str], start: float | None = None) -> tuple[str, Any]:
    """Start `wirebeam stream`; returns (run folder, Beam result). Waits on local runners."""
    from pipeline.driver import create_run_dir, new_run_id

    check_stream_config(config, beam_args)
    args = list(beam_args)
    if "--streaming" not in args and not any(a.startswith("--streaming=") for a in args):
        args.append("--streaming")
    now = dt.datetime.now(dt.UTC)
    run_dir = create_run_dir(config.output, config.run_id or new_run_id(now))
    write_atomic(
        join(run_dir, STREAM_FILE),
        json.dumps({"started_at": now.isoformat(), "options": config.describe(), "beam_args": args}, indent=2)
        + "\n",
    )
    pipeline = build_stream_pipeline(config, PipelineOptions(args), run_dir, start=start)
    result = pipeline.run()
    if is_local_runner(args):
        result.wait_until_finish()
    return run_dir, result


def main_stream(config: RunConfig, beam_args: Sequence[str], out: TextIO) -> int:
    """`wirebeam stream` for the CLI: exit 0 when started (Dataflow) or finished (local), 2 bad arguments,
    3 unusable output folder."""
    try:
        check_stream_config(config, beam_args)
    except ConfigError as exc:
        print(f"wirebeam stream: {exc}", file=sys.stderr)
        return 2
    try:
        run_dir, result = run_stream(config, beam_args)
    except ConfigError as exc:
        print(f"wirebeam stream: {exc}", file=sys.stderr)
        return 3
    if config.quiet:
        return 0
    if is_local_runner(beam_args):
        counts = {prefix: window_records(run_dir, prefix) for prefix in WINDOWED_PREFIXES}
        print(f"stream finished; records written to {run_dir}: {counts}", file=out)
    else:
        job_id = getattr(result, "job_id", lambda: None)()
        print(f"streaming job {job_id or ''} started; windows are written to {run_dir}", file=out)
    return 0


WINDOWED_PREFIXES = ("stories", "duplicates", "dead_letter", "polls")


def window_files(run_dir: str, prefix: str) -> list[str]:
    """The files one prefix has written so far, in window order."""
    from apache_beam.io.filesystems import FileSystems

    pattern = join(run_dir, prefix) + "-*.jsonl"
    return sorted(m.path for m in FileSystems.match([pattern])[0].metadata_list)


def window_records(run_dir: str, prefix: str) -> int:
    """Records (lines) one prefix has written so far, over all its window files."""
    from pipeline.driver import read_lines

    return sum(1 for _ in read_lines(window_files(run_dir, prefix)))
