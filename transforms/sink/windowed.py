"""WriteWindows, the sink of `wirebeam stream`: each fixed window of event time → one file set per kind, and (with
a state folder) a commit record of what the window emitted.

One step per window writes everything (the window's records grouped under one key), in this order:
  1. with a state folder, the commit record `STATE/stream/<window>--<run-id>.jsonl`: a header naming the files
     the window is about to publish and the feed validators of its polls, then one dedup index line
     (transforms/dedup/index.py index_line) per story it emits;
  2. `dead_letter`, `duplicates`, `polls`, and `stories` last, each written whole or not at all (temporary name,
     then rename) as `<kind>-<start>--<end>-00000-of-00001.jsonl`.
A commit record counts only once the last file it names exists (pipeline/state.py folds such records into
feeds.json and dedup_index.jsonl): a crash before the stories file leaves the window unrecorded — its feeds are
polled again from the recorded validators and its stories emitted by the next run, never twice since they were
never published — and a crash after it leaves the window recorded. Retries rewrite the same names.

Hand-written rather than `WriteToText`, whose shard template can only put the window in the name as
`[start, end)` (brackets and a space), and which finalizes each kind's files on its own, so no step knows when a
window's stories are published.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import apache_beam as beam
import orjson
from apache_beam.transforms.window import FixedWindows, IntervalWindow

from schemas.story import EnrichedStory
from transforms.common import counter
from transforms.dedup.index import index_line
from transforms.dedup.members import member_of
from transforms.dedup.neardup import DedupConfig
from transforms.dedup.versions import story_info
from transforms.faults import crash_point
from transforms.sink.files import join, write_atomic
from transforms.sink.stage import json_line

# The kinds, in the order their files are written: stories last, since a window counts as emitted once they are.
WINDOW_KINDS = ("dead_letter", "duplicates", "polls", "stories")
SHARD_SUFFIX = "-00000-of-00001.jsonl"
_LABELS = {"dead_letter": "DeadLetters", "duplicates": "Duplicates", "polls": "Polls", "stories": "Stories"}
STREAM_DIR = "stream"  # in the state folder: one commit record per window
COMMIT_FORMAT = "wirebeam-stream-commit"
COMMIT_VERSION = 1


def window_name(window: IntervalWindow) -> str:
    """`2026-12-02T03-45-00--2026-12-02T03-50-00`: the window as UTC times, sortable and free of shell metacharacters
    (milliseconds are added only for windows that do not start or end on a whole second)."""

    def stamp(micros: int) -> str:
        at = dt.datetime(1970, 1, 1) + dt.timedelta(microseconds=micros)
        text = at.strftime("%Y-%m-%dT%H-%M-%S")
        return text if micros % 1_000_000 == 0 else f"{text}.{micros % 1_000_000 // 1000:03d}"

    return f"{stamp(int(window.start.micros))}--{stamp(int(window.end.micros))}"


def window_file(run_dir: str, kind: str, name: str) -> str:
    return join(run_dir, f"{kind}-{name}{SHARD_SUFFIX}")


def commit_path(state: str, name: str, run_dir: str) -> str:
    return join(state, STREAM_DIR, f"{name}--{os.path.basename(run_dir.rstrip('/'))}.jsonl")


def poll_line(report: dict[str, Any], timestamp: Any = beam.DoFn.TimestampParam) -> dict[str, Any]:
    """A feed report with the poll it belongs to, for the `polls` files."""
    return {"poll": timestamp.to_utc_datetime(has_tz=True).isoformat(), **report}


def feed_states(polls: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """The validators each feed's last poll left (as a batch run records them in feeds.json); failed polls leave
    none."""
    states: dict[str, dict[str, Any]] = {}
    for poll in sorted(polls, key=lambda p: p["poll"]):
        if poll.get("state") is not None:
            states[poll["feed"]] = {**poll["state"], "http_status": poll.get("http_status"), "updated_at": poll["poll"]}
    return states


def story_index_line(line: str, seen: dt.datetime, cfg: DedupConfig | None) -> str:
    """The dedup index line of an emitted story (its exact keys and MinHash signature, as the stream keyed it)."""
    story = EnrichedStory.model_validate_json(line)
    member = member_of(story, cfg)
    info = story_info(story, story.version)  # what tells its next version from a copy (README, Story versions)
    return index_line(story.id, member.keys, seen, member.signature, member.n_shingles, info)


def commit_record(
    window: str, run_dir: str, files: Sequence[str], feeds: Mapping[str, Any], index: Iterable[str]
) -> Iterator[str]:
    header = {
        "format": COMMIT_FORMAT,
        "version": COMMIT_VERSION,
        "window": window,
        "run": run_dir,
        "files": list(files),
        "feeds": feeds,
    }
    yield orjson.dumps(header).decode() + "\n"
    for line in index:
        yield line + "\n"


def parse_commit(text: str) -> tuple[dict[str, Any], list[str]]:
    """A commit record → (header, index lines). Raises ValueError when it is not one."""
    first, _, rest = text.partition("\n")
    header = orjson.loads(first)
    if not isinstance(header, dict) or header.get("format") != COMMIT_FORMAT:
        raise ValueError("not a wirebeam stream commit record")
    if not isinstance(header.get("version"), int) or header["version"] > COMMIT_VERSION:
        raise ValueError(f"stream commit record version {header.get('version')!r} is newer than this wirebeam reads")
    return header, [line for line in rest.splitlines() if line.strip()]


class CommitWindowFn(beam.DoFn):
    """(key, [(kind, record)…]) of one window → its files, after its commit record (see the module docstring)."""

    def __init__(
        self,
        run_dir: str,
        state: str | None,
        cfg: DedupConfig | None,
        record_index: bool,
        failpoints: Mapping[str, str] | None = None,
    ) -> None:
        self._run_dir = run_dir
        self._state = state
        self._cfg = cfg
        self._record_index = record_index
        self._failpoints = dict(failpoints or {})

    def process(self, element: tuple[Any, Iterable[tuple[str, Any]]], window: Any = beam.DoFn.WindowParam) -> None:
        _, records = element
        lines: dict[str, list[str]] = {kind: [] for kind in WINDOW_KINDS}
        polls: list[dict[str, Any]] = []
        for kind, record in records:
            if kind == "polls":
                polls.append(record)
            lines[kind].append(record if isinstance(record, str) else json_line(record))
        name = window_name(window)
        files = [window_file(self._run_dir, kind, name) for kind in WINDOW_KINDS if lines[kind]]
        if self._state is not None:
            if not self._state.startswith("gs://"):
                os.makedirs(join(self._state, STREAM_DIR), exist_ok=True)
            seen = window.start.to_utc_datetime(has_tz=True)
            index = [story_index_line(line, seen, self._cfg) for line in lines["stories"]] if self._record_index else []
            write_atomic(
                commit_path(self._state, name, self._run_dir),
                commit_record(name, self._run_dir, files, feed_states(polls), index),
            )
            crash_point("window_recorded", self._failpoints)
        for kind in WINDOW_KINDS:
            if not lines[kind]:
                continue
            if kind == "stories":
                crash_point("before_window_stories", self._failpoints)
            write_atomic(window_file(self._run_dir, kind, name), (line + "\n" for line in sorted(lines[kind])))
        counter("stream.windows_committed").inc()
        crash_point("window_committed", self._failpoints)


class WriteWindows(beam.PTransform):
    """{kind: PCollection} (kinds of WINDOW_KINDS: stories as JSON lines, the others as records) → one file set per
    window and kind, `<kind>-<start>--<end>-00000-of-00001.jsonl`, and with `state` a commit record per window.

    `cfg` is the dedup configuration the stream keys stories with (None: exact keys only); `record_index=False`
    (no dedup) records feed validators only.
    """

    def __init__(
        self,
        run_dir: str,
        window_seconds: float,
        state: str | None = None,
        cfg: DedupConfig | None = None,
        record_index: bool = True,
        failpoints: Mapping[str, str] | None = None,
        label: str | None = None,
    ) -> None:
        super().__init__(label)
        if window_seconds <= 0:
            raise ValueError(f"window_seconds must be positive, got {window_seconds}")
        self._window = window_seconds
        self._commit = CommitWindowFn(run_dir, state, cfg, record_index, failpoints)

    def expand(self, kinds: Mapping[str, beam.PCollection]) -> beam.PCollection:
        unknown = set(kinds) - set(WINDOW_KINDS)
        if unknown:
            raise ValueError(f"WriteWindows: unknown kinds {sorted(unknown)}; expected some of {WINDOW_KINDS}")
        tagged = [
            records
            | f"Window{_LABELS[kind]}" >> beam.WindowInto(FixedWindows(self._window))
            | f"Tag{_LABELS[kind]}" >> beam.Map(lambda r, k=kind: (0, (k, r)))
            for kind, records in kinds.items()
        ]
        return (
            tagged
            | "AllRecords" >> beam.Flatten()
            | "ByWindow" >> beam.GroupByKey()
            | "CommitWindow" >> beam.ParDo(self._commit)
        )
