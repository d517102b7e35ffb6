"""Runs one batch job end to end: lock the state, run the graph, commit output, then state.

Order of commitment (what makes a crash at any point safe):
  1. the pipeline writes stories/duplicates/dead letters and internal `_counts`, `_feed_reports`, `_index`
     files into a fresh run folder — no manifest yet, so the folder is recognizably incomplete (a chunked run,
     pipeline/chunks.py, runs one job per chunk into hidden folders of the run folder, then moves their files
     into it: still step 1);
  2. `pending.json` in the state folder names the run folder;
  3. `manifest.json` is written (atomically): the run's output is now committed;
  4. the state (feed validators, dedup index) is replaced atomically and `pending.json` removed;
  5. the internal files are deleted.
A run that dies before 3 leaves the state as it was, so the next run redoes its work; one that dies between 3 and
4 is rolled forward by the next run from the files of step 1, so nothing is emitted twice.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import secrets
from collections import defaultdict
from collections.abc import Iterator
from importlib import metadata
from typing import Any

import apache_beam as beam
import orjson
from apache_beam.io.filesystems import FileSystems
from apache_beam.options.pipeline_options import PipelineOptions, TestOptions

from pipeline import startup_gc
from pipeline.build import ENTRIES, build_fetch_pipeline, build_pipeline
from pipeline.chunks import (
    FETCH_FOLDER,
    chunk_folder,
    chunk_inputs,
    count_lines,
    index_glob,
    merge_chunks,
    runs_in_chunks,
)
from pipeline.options import ConfigError, RunConfig
from pipeline.progress import ProgressDisplay, progress_display
from pipeline.state import StateError, StateStore, failure_note, join, write_atomic
from schemas.story import FeedCounts, Manifest
from transforms.dedup.neardup import DedupConfig
from transforms.faults import crash_point
from transforms.sink.stage import INTERNAL_PREFIXES, OUTPUT_PREFIXES

LOGGER = logging.getLogger(__name__)

MANIFEST = "manifest.json"


class RunFailed(RuntimeError):
    """The Beam job failed; nothing was committed."""


class DryRun(Exception):
    """`--dry_run=True`: the job was built, not run."""



# Beam logs each element that fails with its traceback on this logger, then fails the job; RunFailed says the
# same in one line, so the traceback shows only at --log-level INFO or DEBUG.
ELEMENT_ERRORS_LOGGER = "apache_beam.runners.common"


@contextlib.contextmanager
def element_tracebacks_muted(log_level: str) -> Iterator[None]:
    logger = logging.getLogger(ELEMENT_ERRORS_LOGGER)
    if logging.getLevelName(log_level) <= logging.INFO:
        yield
        return
    previous = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(previous)


def wirebeam_version() -> str:
    try:
        return metadata.version("wirebeam")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def new_run_id(now: dt.datetime) -> str:
    return f"{now.strftime('%Y%m%dT%H%M%SZ')}-{secrets.token_hex(3)}"


def create_run_dir(output: str, run_id: str) -> str:
    """A fresh folder for this run; refuses to reuse one (a run never overwrites an earlier run)."""
    run_dir = join(output, run_id)
    if output.startswith("gs://"):
        if FileSystems.match([run_dir + "/*"])[0].metadata_list:
            raise ConfigError(f"run folder {run_dir} already exists; a run never overwrites an earlier one")
        return run_dir
    if os.path.exists(output) and not os.path.isdir(output):
        raise ConfigError(f"--output {output!r} is a file; it must be a folder (runs are written into it)")
    try:
        os.makedirs(output, exist_ok=True)
        os.mkdir(run_dir)
    except FileExistsError as exc:
        raise ConfigError(
            f"run folder {run_dir} already exists; a run never overwrites an earlier one"
        ) from exc
    except OSError as exc:
        raise ConfigError(f"--output {output!r} is not writable: {exc}") from exc
    return run_dir


def files_with_prefix(run_dir: str, prefix: str) -> list[str]:
    matches = FileSystems.match([join(run_dir, prefix) + "-*"])[0].metadata_list
    return sorted(m.path for m in matches if not m.path.endswith(".tmp"))


def read_lines(paths: list[str]) -> Iterator[str]:
    for path in paths:
        with FileSystems.open(path) as handle:
            for raw in handle:
                line = raw.decode("utf-8").rstrip("\n")
                if line:
                    yield line


def tally(run_dir: str, config: RunConfig) -> dict[str, FeedCounts]:
    """Per-feed counts, from the run's internal files."""
    known = [f.url for f in config.feeds] if config.command == "run" else [config.input or ""]
    numbers: dict[str, dict[str, int]] = {feed: defaultdict(int) for feed in known}
    for line in read_lines(files_with_prefix(run_dir, "_counts")):
        row = orjson.loads(line)
        numbers.setdefault(row["feed"], defaultdict(int))[row["name"]] += row["value"]
    statuses: dict[str, int | None] = {}
    reasons: dict[str, str] = {}
    for line in read_lines(files_with_prefix(run_dir, "_feed_reports")):
        report = orjson.loads(line)
        feed = report["feed"]
        counts = numbers.setdefault(feed, defaultdict(int))
        for name in ("not_modified", "bozo"):
            counts[name] += int(report.get(name) or 0)
        if report.get("http_status") is not None:
            statuses[feed] = report["http_status"]
        if report.get("error_type"):
            reasons[feed] = report["error_type"]
    return {
        feed: FeedCounts(
            **{k: v for k, v in counts.items() if k in FeedCounts.model_fields},
            http_status=statuses.get(feed),
            feed_error=reasons.get(feed),
        )
        for feed, counts in numbers.items()
    }


def totals_of(feeds: dict[str, FeedCounts]) -> FeedCounts:
    names = ("entries_read", "stories", "versions", "duplicates", "dead_letters", "feed_errors", "not_modified", "bozo")
    return FeedCounts(**{n: sum(getattr(c, n) for c in feeds.values()) for n in names})


def commit_state(store: StateStore, run_dir: str, dedup: bool, cfg: DedupConfig | None = None) -> None:
    """Fold a finished run's internal files into the state folder (step 4)."""
    old_feeds = store.load_feeds()
    new_state: dict[str, dict[str, Any]] = {}
    for line in read_lines(files_with_prefix(run_dir, "_feed_reports")):
        report = orjson.loads(line)
        if report.get("state") is not None:
            new_state[report["feed"]] = {
                **report["state"],
                "http_status": report.get("http_status"),
                "updated_at": dt.datetime.now(dt.UTC).isoformat(),
            }
    index = read_lines(files_with_prefix(run_dir, "_index")) if dedup else None
    store.commit({**old_feeds, **new_state}, index, cfg)


def remove_internal(run_dir: str) -> None:
    paths = [p for prefix in INTERNAL_PREFIXES for p in files_with_prefix(run_dir, prefix)]
    if paths:
        FileSystems.delete(paths)


def roll_forward(store: StateStore) -> None:
    """Finish the state commit of a run that died after its manifest (step 3) but before step 4."""
    pending = store.pending_run()
    if pending is None:
        return
    if FileSystems.exists(join(pending, MANIFEST)):
        manifest = Manifest.model_validate_json(FileSystems.open(join(pending, MANIFEST)).read())
        LOGGER.warning("rolling the state forward from committed run %s", pending)
        options = manifest.options
        cfg = DedupConfig(
            threshold=float(options.get("dedup_threshold", DedupConfig.threshold)),  # type: ignore[arg-type]
            shingle_size=int(options.get("dedup_shingle_size", DedupConfig.shingle_size)),  # type: ignore[call-overload]
        )
        commit_state(store, pending, bool(options.get("dedup")), cfg)
        remove_internal(pending)
    else:
        LOGGER.warning("run %s died before committing its output; its folder has no manifest", pending)
        store.commit(store.load_feeds(), None)


def run_job(pipeline: beam.Pipeline) -> None:
    startup_gc.resume()  # the first job: start-up is over
    result = pipeline.run()
    result.wait_until_finish()


def chunked_run(config: RunConfig, beam_args: list[str]) -> bool:
    """Whether this run goes in chunks (pipeline/chunks.py): on a local runner, an `enrich` input of more than
    `--chunk-size` lines; `run` always does on a local runner (how many entries its feeds hold is known only once
    they are fetched: the first job fetches and parses, the chunks follow)."""
    if not runs_in_chunks(beam_args):
        return False
    if config.command == "run":
        return True
    assert config.input is not None
    return count_lines([config.input]) > config.chunk_size


def run_chunks(
    config: RunConfig,
    options: PipelineOptions,
    run_dir: str,
    feed_state: dict[str, dict[str, Any]],
    index_path: str | None,
    started: dt.datetime,
    display: ProgressDisplay,
) -> None:
    """One job per chunk into hidden folders of `run_dir`, each chunk reading the dedup index the one before it
    wrote; then the chunks' files are moved into `run_dir` as one job names them. Commits nothing."""
    folders: list[str] = []
    if config.command == "run":
        fetch_dir = chunk_folder(run_dir, FETCH_FOLDER)
        folders.append(fetch_dir)
        display.set_phase("fetching")
        run_job(build_fetch_pipeline(config, options, fetch_dir, feed_state=feed_state, progress=display.enabled))
        sources = files_with_prefix(fetch_dir, ENTRIES)
    else:
        assert config.input is not None
        sources = [config.input]
    total = -(-count_lines(sources) // config.chunk_size) or 1
    for number, chunk_input in enumerate(chunk_inputs(sources, config.chunk_size, run_dir)):
        display.set_phase(f"chunk {number + 1}/{total}" if total > 1 else "")
        LOGGER.info("chunk %d of %d", number + 1, total)
        folder = chunk_folder(run_dir, number)
        folders.append(folder)
        run_job(
            build_pipeline(
                config, options, folder, feed_state=feed_state, index_path=index_path, now=started,
                progress=display.enabled, input_path=chunk_input,
            )
        )
        crash_point("between_chunks", config.failpoints)
        if config.dedup:
            index_path = index_glob(folder)
    merge_chunks(run_dir, folders)


def execute(config: RunConfig, beam_args: list[str]) -> tuple[Manifest, str]:
    """Run one batch job; returns its manifest and run folder. Raises ConfigError / StateError."""
    started = dt.datetime.now(dt.UTC)
    if PipelineOptions(beam_args).view_as(TestOptions).dry_run:
        _dry_run(config, beam_args, started)
    store = StateStore(config.state, config.failpoints) if config.state else None
    if store is None:
        return _execute(config, beam_args, started, None)
    with store.locked():
        if config.reset_state:
            for moved in store.reset():
                LOGGER.warning("state file set aside as %s", moved)
        roll_forward(store)
        store.fold_stream_commits(config.retention, config.dedup_config)  # windows a stream recorded
        return _execute(config, beam_args, started, store)


def _dry_run(config: RunConfig, beam_args: list[str], started: dt.datetime) -> None:
    """`--dry_run=True`: build and check the job without touching the output or state folders (which may be
    gs:// paths that need credentials), so the graph is the one of a first run: no dedup index is read."""
    run_dir = join(config.output, config.run_id or new_run_id(started))
    pipeline = build_pipeline(config, PipelineOptions(beam_args), run_dir, now=started, progress=False)
    try:
        pipeline.run().wait_until_finish()
    except Exception as exc:
        raise RunFailed(f"the dry run failed: {type(exc).__name__}: {str(exc)[:2000]}") from exc
    raise DryRun(f"dry run: the {config.command} job graph was built and checked; nothing ran or was written")


def _execute(
    config: RunConfig, beam_args: list[str], started: dt.datetime, store: StateStore | None
) -> tuple[Manifest, str]:
    feed_state = store.load_feeds() if store else {}
    index_path = store.index_path if store and config.dedup and store.has_index(config.dedup_config) else None
    run_dir = create_run_dir(config.output, config.run_id or new_run_id(started))
    options = PipelineOptions(beam_args)
    # The live progress line (a TTY only, never with --quiet); see pipeline/progress.py.
    display = progress_display(config)
    chunked = chunked_run(config, beam_args)
    LOGGER.info("running %s into %s%s", config.command, run_dir, " in chunks" if chunked else "")
    try:
        with display, element_tracebacks_muted(config.log_level):
            if chunked:
                run_chunks(config, options, run_dir, feed_state, index_path, started, display)
            else:
                pipeline = build_pipeline(
                    config, options, run_dir, feed_state=feed_state, index_path=index_path, now=started,
                    progress=display.enabled,
                )
                run_job(pipeline)
    except Exception as exc:  # whatever killed the job: report it plainly, leave state and run folder as they are
        raise RunFailed(
            f"the pipeline failed: {type(exc).__name__}: {str(exc)[:2000]}{failure_note(exc)}\n"
            f"{run_dir} has no manifest (incomplete run); the state was not advanced"
        ) from exc
    feeds = tally(run_dir, config)
    totals = totals_of(feeds)
    manifest = Manifest(
        run_id=os.path.basename(run_dir.rstrip("/")),
        command=config.command,  # type: ignore[arg-type]
        started_at=started,
        finished_at=dt.datetime.now(dt.UTC),
        wirebeam_version=wirebeam_version(),
        options={**config.describe(), "beam_args": beam_args},
        feeds=feeds,
        totals=totals,
        reconciled=all(c.reconciled for c in feeds.values()),
        files={p: [os.path.basename(f) for f in files_with_prefix(run_dir, p)] for p in OUTPUT_PREFIXES},
    )
    if not manifest.reconciled:
        LOGGER.error("counts do not reconcile: %s", {f: c for f, c in feeds.items() if not c.reconciled})
    if store is not None:
        crash_point("before_pending", config.failpoints)
        store.mark_pending(run_dir)
        crash_point("before_manifest", config.failpoints)
    try:
        write_atomic(join(run_dir, MANIFEST), manifest.model_dump_json(indent=2) + "\n")
    except OSError as exc:
        raise StateError(
            f"cannot write {join(run_dir, MANIFEST)}: {exc}; the state was not advanced"
        ) from exc
    if store is not None:
        crash_point("before_state", config.failpoints)
        commit_state(store, run_dir, config.dedup, config.dedup_config)
        crash_point("before_cleanup", config.failpoints)
    remove_internal(run_dir)
    return manifest, run_dir
