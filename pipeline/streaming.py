"""Streaming mode (`wirebeam stream`): poll feeds every `--interval`, dedup in keyed state, write per window.

The graph reuses the batch stages, ProcessStories among them; only the source, dedup and sink differ:

    PeriodicImpulse ─ FeedsPerTick ─ PollFeeds ─ ParseEntries
        ─ StreamStories (ProcessStories: [FetchArticles] ─ CleanStories ─ StreamingDedup ─ Window
                         ─ ExtractEntities ─ ExtractDates)
        ─ Validate ─ WriteWindows (stories, duplicates, dead letters, polls; a commit record per window)

Event time is the time of the poll that fetched a record: every element carries its tick's timestamp, so a
window's files hold what was fetched during that window, and dedup retention counts from when a story was
seen.

- PollFeeds (transforms/fetch/poll.py) keeps each feed's HTTP validators in keyed state, so every poll after the
  first is a conditional GET, exactly as a batch run with `--state`.
- StreamingDedup (transforms/dedup/streaming.py) remembers what the stream emitted in keyed state, each entry
  expired by an event-time timer after the retention window.
- WriteWindows (transforms/sink/windowed.py) writes one file set per window.

With `--state DIR` (the batch runs' state folder, local or gs://) the stream starts from what the folder
remembers — the validators seed PollFeeds, the dedup index is consulted by StreamingDedup's PriorRuns step — and
records every window there as it is written (a commit record per window, folded into feeds.json and
dedup_index.jsonl by the next run or stream, and by a local stream when it ends). The folder's lock is held for
the stream: by this process on a local runner, for the job on Dataflow (see stream_lock_lifetime).

Locally the FnApiRunner finishes windows only when the source stops, so a local run is bounded by
`--duration` (PeriodicImpulse with an explicit start and stop timestamp); on Dataflow the job runs unbounded.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, TextIO

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions, TestOptions
from apache_beam.transforms.periodicsequence import PeriodicImpulse
from apache_beam.transforms.window import FixedWindows
from apache_beam.utils.timestamp import MAX_TIMESTAMP, Timestamp

from pipeline.build import process_stories
from pipeline.cli import EXIT_FAILED, EXIT_LOCKED, EXIT_STATE
from pipeline.options import ConfigError, RunConfig
from pipeline.state import (
    INDEX_FILE,
    LOCK_FILE,
    STALE_LOCK_AFTER,
    StateError,
    StateLocked,
    StateStore,
    failure_note,
    join,
    write_atomic,
)
from schemas.story import FeedSource
from transforms.common import DEAD_LETTER
from transforms.dedup.singleton import NoDedup
from transforms.dedup.streaming import StreamingDedup
from transforms.fetch.poll import PollFeedFn, feeds_for_tick
from transforms.fetch.stage import FEED_REPORT
from transforms.parse.stage import ParseEntries
from transforms.sink.stage import ValidateStoryFn
from transforms.sink.windowed import WriteWindows, poll_line

LOGGER = logging.getLogger(__name__)

STREAM_FILE = "stream.json"
# A Dataflow stream's lock lapses after this many windows (or intervals) without a window commit record, and
# never sooner than JOB_LOCK_MIN_IDLE (a job takes minutes to start and to write its first window).
JOB_LOCK_IDLE_WINDOWS = 3
JOB_LOCK_MIN_IDLE = dt.timedelta(hours=1)

# Runners that execute in this process: their windows are written only when the source stops.
LOCAL_RUNNERS = ("FnApiRunner", "DirectRunner", "BundleBasedDirectRunner", "SwitchingDirectRunner")


def build_stream_pipeline(
    config: RunConfig,
    options: PipelineOptions,
    run_dir: str,
    start: float | None = None,
    feed_state: Mapping[str, Mapping[str, Any]] | None = None,
) -> beam.Pipeline:
    """The streaming graph for `wirebeam stream`, writing windowed files into `run_dir`.

    Polls at `start` (default now) and every `config.interval` seconds after; stops after `config.duration`
    seconds, or never when it is None (Dataflow). With `config.state`, the first polls start from `feed_state`
    (the folder's validators), dedup consults the folder's index, and every window is recorded there.
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
        >> beam.ParDo(PollFeedFn(config.fetch, feed_state)).with_outputs(FEED_REPORT, DEAD_LETTER, main="feeds")
    )
    parsed = polled.feeds | "ParseEntries" >> ParseEntries()
    if config.dedup:
        index_path = join(config.state, INDEX_FILE) if config.state else None
        dedup = "StreamingDedup" >> StreamingDedup(
            config.retention,
            config=config.dedup_config,
            index_path=index_path,
            now=dt.datetime.fromtimestamp(start, dt.UTC),
            versions=config.versions,
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
    _ = {
        "stories": validated.lines | "StoryLine" >> beam.Map(lambda fl: fl[1]),
        "duplicates": processed["duplicates"],
        "dead_letter": dead,
        "polls": reports | "PollLine" >> beam.Map(poll_line),
    } | "WriteWindows" >> WriteWindows(
        run_dir,
        window,
        state=config.state,
        cfg=config.dedup_config,
        record_index=config.dedup,
        failpoints=config.failpoints,
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


def stream_lock_lifetime(config: RunConfig, local: bool) -> dt.timedelta:
    """How long the state folder's lock holds without news from its stream: a local stream holds it for its
    duration plus the batch runs' allowance (its process is checked too); a Dataflow stream, whose launcher exits,
    holds it until `JOB_LOCK_IDLE_WINDOWS` windows (at least JOB_LOCK_MIN_IDLE) have passed without a window
    commit record."""
    if local:
        return dt.timedelta(seconds=config.duration or 0) + STALE_LOCK_AFTER
    idle = JOB_LOCK_IDLE_WINDOWS * max(config.window, config.interval)
    return max(dt.timedelta(seconds=idle), JOB_LOCK_MIN_IDLE)


def open_state(store: StateStore, config: RunConfig) -> dict[str, dict[str, Any]]:
    """Bring the state folder up to date under its lock — set aside (--reset-state), roll a batch run's commit
    forward, fold the windows an earlier stream recorded — and return its feed validators."""
    from pipeline.driver import roll_forward

    if config.reset_state:
        for moved in store.reset():
            LOGGER.warning("state file set aside as %s", moved)
    roll_forward(store)
    store.fold_stream_commits(config.retention, config.dedup_config)
    if config.dedup:
        store.has_index(config.dedup_config)  # an index this configuration cannot read is refused before the job
    return store.load_feeds()


@contextlib.contextmanager
def stream_state(config: RunConfig, run_dir: str, local: bool, dry_run: bool) -> Iterator[dict[str, dict[str, Any]]]:
    """The state folder for one stream: yields its feed validators. A local stream holds the lock while it runs
    and folds its own windows when it ends; a Dataflow stream takes the lock for the job (it outlives this
    process). A dry run touches nothing (no GCS access offline)."""
    if config.state is None or dry_run:
        yield {}
        return
    store = StateStore(config.state, config.failpoints)
    lifetime = stream_lock_lifetime(config, local)
    if local:
        with store.locked(lifetime):
            yield open_state(store, config)
            store.fold_stream_commits(config.retention, config.dedup_config)
        return
    store.hold_for_job(run_dir, lifetime)
    try:
        yield open_state(store, config)
    except BaseException:  # the job was not submitted: nothing will hold the folder
        FileSystems.delete([join(store.path, LOCK_FILE)])
        raise


def run_stream(config: RunConfig, beam_args: Sequence[str], start: float | None = None) -> tuple[str, Any]:
    """Start `wirebeam stream`; returns (run folder, Beam result). Waits on local runners.
    Raises ConfigError (options, output folder), StateError / StateLocked (the state folder), RunFailed (the job).
    """
    from pipeline.driver import RunFailed, create_run_dir, element_tracebacks_muted, new_run_id

    check_stream_config(config, beam_args)
    args = list(beam_args)
    if "--streaming" not in args and not any(a.startswith("--streaming=") for a in args):
        args.append("--streaming")
    options = PipelineOptions(args)
    local = is_local_runner(args)
    dry_run = bool(options.view_as(TestOptions).dry_run)  # builds and checks the job: nothing is written
    now = dt.datetime.now(dt.UTC)
    run_id = config.run_id or new_run_id(now)
    run_dir = join(config.output, run_id)
    with stream_state(config, run_dir, local, dry_run) as feed_state:  # a refused stream leaves no run folder
        if not dry_run:
            create_run_dir(config.output, run_id)
            write_atomic(
                join(run_dir, STREAM_FILE),
                json.dumps({"started_at": now.isoformat(), "options": config.describe(), "beam_args": args}, indent=2)
                + "\n",
            )
        pipeline = build_stream_pipeline(config, options, run_dir, start=start, feed_state=feed_state)
        try:
            with element_tracebacks_muted(config.log_level):
                result = pipeline.run()
                if local:
                    result.wait_until_finish()
        except Exception as exc:  # whatever killed the job: said in one line (the traceback at --log-level INFO)
            raise RunFailed(
                f"the stream failed: {type(exc).__name__}: {str(exc)[:2000]}{failure_note(exc)}\n"
                f"the windows written to {run_dir} before it failed are complete"
            ) from exc
    return run_dir, result


def main_stream(config: RunConfig, beam_args: Sequence[str], out: TextIO) -> int:
    """`wirebeam stream` for the CLI: exit 0 when started (Dataflow) or finished (local), 1 the job failed,
    2 bad arguments, 3 unusable output or state folder, 75 another run holds the state folder."""
    from pipeline.driver import RunFailed

    try:
        check_stream_config(config, beam_args)
    except ConfigError as exc:
        print(f"wirebeam stream: {exc}", file=sys.stderr)
        return 2
    try:
        run_dir, result = run_stream(config, beam_args)
    except StateLocked as exc:
        print(f"wirebeam stream: {exc}", file=sys.stderr)
        return EXIT_LOCKED
    except (ConfigError, StateError) as exc:
        print(f"wirebeam stream: {exc}", file=sys.stderr)
        return EXIT_STATE
    except RunFailed as exc:
        print(f"wirebeam stream: {exc}", file=sys.stderr)
        return EXIT_FAILED
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
    pattern = join(run_dir, prefix) + "-*.jsonl"
    return sorted(m.path for m in FileSystems.match([pattern])[0].metadata_list)


def window_records(run_dir: str, prefix: str) -> int:
    """Records (lines) one prefix has written so far, over all its window files."""
    from pipeline.driver import read_lines

    return sum(1 for _ in read_lines(window_files(run_dir, prefix)))
