"""The state folder kept between runs: feed validators, the dedup index, the run lock.

Layout (local path or gs:// through Beam's FileSystems):
    feeds.json          {"format": "wirebeam-feed-state", "version": 1, "feeds": {url: {etag, last_modified,
                         body_sha256, http_status, updated_at}}}
    dedup_index.jsonl   header line + one line per emitted cluster (see transforms/dedup/index.py)
    pending.json        written just before a run's manifest; names the run folder whose results must be folded
                        into the state. Present at startup = the last run died between its manifest and its state
                        commit, so the state is rolled forward from that run's files first.
    stream/<window>--<run-id>.jsonl
                        a stream's commit record of one window (transforms/sink/windowed.py): the validators of
                        its polls and the index lines of the stories it emitted. Folded into feeds.json and
                        dedup_index.jsonl by the next run or stream (and by a local stream when it ends), only if
                        the window's stories file exists.
    LOCK                who holds the folder (pid, host, start time; a Dataflow stream: its output folder and
                        how long after its last window commit the lock lapses)

Every file is written to a temporary name and renamed into place, so a crash leaves either the old or the new
file, never half of one.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import socket
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from apache_beam.io.filesystems import FileSystems

from transforms.dedup.index import (
    IndexFormatError,
    IndexParameterMismatch,
    IndexTooNew,
    check_index_header,
    expired,
    index_header,
    parse_index_line,
)
from transforms.dedup.neardup import DedupConfig
from transforms.faults import crash_point
from transforms.sink.files import join, read_text, write_atomic
from transforms.sink.windowed import STREAM_DIR, parse_commit

LOGGER = logging.getLogger(__name__)

FEEDS_FILE = "feeds.json"
INDEX_FILE = "dedup_index.jsonl"
PENDING_FILE = "pending.json"
LOCK_FILE = "LOCK"
FEED_STATE_FORMAT = "wirebeam-feed-state"
FEED_STATE_VERSION = 1
# A lock older than this is taken to be left by a run that died without cleaning up (no run takes this long).
STALE_LOCK_AFTER = dt.timedelta(hours=6)


class StateError(RuntimeError):
    """The state folder cannot be used as it is; the message says what to do."""


class StateLocked(StateError):
    """Another run holds the state folder."""


# The DedupConfig fields a user sets on the command line, and the flag that sets each.
INDEX_PARAMETER_FLAGS = {"shingle_size": "--dedup-shingle-size"}


def index_advice(exc: IndexFormatError) -> str:
    """What a user can do about an unusable dedup index, in the CLI's flags."""
    if isinstance(exc, IndexTooNew):
        return "upgrade wirebeam or rerun with --reset-state"
    if isinstance(exc, IndexParameterMismatch):
        flag = INDEX_PARAMETER_FLAGS.get(exc.parameter)
        if flag is not None:
            return f"rerun with {flag} {exc.indexed} (the index's), or with --reset-state to start a new index"
        return "rerun with --reset-state to start a new index"
    return "fix it or rerun with --reset-state"


def unusable_index(path: str, exc: IndexFormatError) -> StateError:
    return StateError(f"{path}: {exc}; {index_advice(exc)}")


def failure_note(exc: BaseException) -> str:
    """For a job that failed on the dedup index (a corrupt line is only met when the job reads it): what to do."""
    if isinstance(exc, IndexFormatError):
        return f"\nthe state folder's dedup index is unusable: {index_advice(exc)}"
    return ""


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class StateStore:
    """One state folder. Use `with store.locked(): ...` around a run; `failpoints` may name a crash point
    (transforms/faults.py) inside `commit`."""

    def __init__(self, path: str, failpoints: Mapping[str, str] | None = None) -> None:
        self._failpoints = dict(failpoints or {})
        if not path:
            raise StateError("--state must name a folder")
        self.path = path.rstrip("/")
        if not self.path.startswith("gs://"):
            try:
                os.makedirs(self.path, exist_ok=True)
            except OSError as exc:
                raise StateError(f"--state {path!r} cannot be created: {exc}") from exc
            if not os.access(self.path, os.W_OK):
                raise StateError(f"--state {path!r} is not writable")

    # --- the lock ------------------------------------------------------------------------------------------

    @contextlib.contextmanager
    def locked(self, lifetime: dt.timedelta | None = None) -> Iterator[None]:
        """Hold the lock while the block runs. `lifetime` replaces the default staleness (STALE_LOCK_AFTER since
        the start) for a holder that may rightly run longer, such as a local stream."""
        lock = join(self.path, LOCK_FILE)
        self._acquire(lock, self._holder(os.getpid(), lifetime))
        try:
            yield
        finally:
            with contextlib.suppress(OSError):
                FileSystems.delete([lock])

    def hold_for_job(self, job: str, lifetime: dt.timedelta) -> None:
        """Take the lock for a job that outlives this process (a Dataflow stream) and keep it: it names no
        process, and lapses `lifetime` after the job's last window commit record (or its start)."""
        self._acquire(join(self.path, LOCK_FILE), self._holder(None, lifetime, job))

    @staticmethod
    def _holder(pid: int | None, lifetime: dt.timedelta | None, job: str | None = None) -> str:
        holder: dict[str, Any] = {
            "pid": pid,
            "host": socket.gethostname(),
            "started_at": dt.datetime.now(dt.UTC).isoformat(),
        }
        if job is not None:
            holder["job"] = job
        if lifetime is not None:
            holder["lifetime_s"] = lifetime.total_seconds()
        return json.dumps(holder)

    def _acquire(self, lock: str, mine: str) -> None:
        if lock.startswith("gs://"):
            # GCS has no O_EXCL through FileSystems: check-then-create leaves a small race, documented in README.
            if FileSystems.exists(lock):
                self._refuse_or_break(lock)
            write_atomic(lock, mine)
            return
        for _ in range(2):
            try:
                fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                self._refuse_or_break(lock)
                continue
            with os.fdopen(fd, "w") as handle:
                handle.write(mine)
            return
        raise StateLocked(f"state folder {self.path} is locked by another run ({lock})")

    def _last_commit(self) -> dt.datetime | None:
        """When a stream last recorded a window here (its newest commit record)."""
        found = FileSystems.match([join(self.path, STREAM_DIR, "*.jsonl")])[0].metadata_list
        newest = max((m.last_updated_in_seconds for m in found), default=None)
        return None if newest is None else dt.datetime.fromtimestamp(newest, dt.UTC)

    def _refuse_or_break(self, lock: str) -> None:
        text = read_text(lock) or "{}"
        try:
            holder = json.loads(text)
            started = dt.datetime.fromisoformat(holder["started_at"])
        except (ValueError, KeyError, TypeError):
            holder, started = {}, dt.datetime.min.replace(tzinfo=dt.UTC)
        same_host = holder.get("host") == socket.gethostname()
        dead = same_host and isinstance(holder.get("pid"), int) and not _pid_alive(holder["pid"])
        lifetime = holder.get("lifetime_s")
        if isinstance(lifetime, int | float):
            allowed = dt.timedelta(seconds=lifetime)
            last = max(started, self._last_commit() or started) if holder.get("job") else started
        else:
            allowed, last = STALE_LOCK_AFTER, started
        stale = dt.datetime.now(dt.UTC) - last > allowed
        if dead or stale:
            LOGGER.warning("breaking stale lock %s (holder %s)", lock, holder or text[:200])
            FileSystems.delete([lock])
            return
        if holder.get("job"):
            raise StateLocked(
                f"state folder {self.path} is in use by the streaming job writing {holder['job']} (launched from "
                f"{holder.get('host')} at {holder.get('started_at')}); its lock lapses {allowed} after its last "
                f"window commit. After draining the job, delete {lock} to hand over at once."
            )
        raise StateLocked(
            f"state folder {self.path} is in use by another wirebeam run (pid {holder.get('pid')} on "
            f"{holder.get('host')}, since {holder.get('started_at')}); wait for it to finish. A lock older than "
            f"{allowed} or from a dead process on this host is broken automatically."
        )

    # --- reading -------------------------------------------------------------------------------------------

    @property
    def index_path(self) -> str:
        return join(self.path, INDEX_FILE)

    def load_feeds(self) -> dict[str, dict[str, Any]]:
        text = read_text(join(self.path, FEEDS_FILE))
        if text is None:
            return {}
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise StateError(
                f"{join(self.path, FEEDS_FILE)} is corrupt ({exc}); rerun with --reset-state to start over"
            ) from exc
        if not isinstance(data, dict) or data.get("format") != FEED_STATE_FORMAT:
            raise StateError(f"{join(self.path, FEEDS_FILE)} is not a wirebeam feed state; use --reset-state")
        if data.get("version", 0) > FEED_STATE_VERSION:
            raise StateError(
                f"{join(self.path, FEEDS_FILE)} has version {data.get('version')}, newer than this wirebeam "
                f"reads ({FEED_STATE_VERSION}); upgrade wirebeam or use --reset-state"
            )
        feeds = data.get("feeds")
        if not isinstance(feeds, dict):
            raise StateError(f"{join(self.path, FEEDS_FILE)} has no 'feeds' mapping; use --reset-state")
        return feeds

    def has_index(self, cfg: DedupConfig | None = None) -> bool:
        """True when an index exists; raises StateError when its header is unusable."""
        if not FileSystems.exists(self.index_path):
            return False
        with FileSystems.open(self.index_path) as handle:
            first = handle.readline().decode("utf-8", errors="replace")
        try:
            check_index_header(first, cfg)
        except IndexFormatError as exc:
            raise unusable_index(self.index_path, exc) from exc
        return True

    def pending_run(self) -> str | None:
        text = read_text(join(self.path, PENDING_FILE))
        if text is None:
            return None
        try:
            return str(json.loads(text)["run_dir"])
        except (ValueError, KeyError, TypeError) as exc:
            raise StateError(f"{join(self.path, PENDING_FILE)} is corrupt; use --reset-state") from exc

    # --- writing -------------------------------------------------------------------------------------------

    def reset(self) -> list[str]:
        """Set the state files aside (renamed with a timestamp), so the next run starts empty."""
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        moved = []
        paths = [join(self.path, name) for name in (FEEDS_FILE, INDEX_FILE, PENDING_FILE)]
        for path in [p for p in paths if FileSystems.exists(p)] + self.stream_commits():
            FileSystems.rename([path], [f"{path}.reset-{stamp}"])
            moved.append(f"{path}.reset-{stamp}")
        return moved

    def mark_pending(self, run_dir: str) -> None:
        write_atomic(join(self.path, PENDING_FILE), json.dumps({"run_dir": run_dir}))

    def commit(
        self, feeds: dict[str, dict[str, Any]], index_lines: Iterable[str] | None, cfg: DedupConfig | None = None
    ) -> None:
        """Replace feed state and (when given) the dedup index, then clear the pending mark."""
        write_atomic(
            join(self.path, FEEDS_FILE),
            json.dumps(
                {"format": FEED_STATE_FORMAT, "version": FEED_STATE_VERSION, "feeds": feeds},
                indent=1,
                sort_keys=True,
            ),
        )
        crash_point("between_state_files", self._failpoints)
        if index_lines is not None:

            def lines() -> Iterator[str]:
                yield index_header(cfg) + "\n"
                for line in index_lines:
                    yield line.rstrip("\n") + "\n"

            write_atomic(self.index_path, lines())
        pending = join(self.path, PENDING_FILE)
        if FileSystems.exists(pending):
            FileSystems.delete([pending])

    # --- a stream's window commits ---------------------------------------------------------------------------

    def stream_commits(self) -> list[str]:
        found = FileSystems.match([join(self.path, STREAM_DIR, "*.jsonl")])[0].metadata_list
        return sorted(m.path for m in found)

    def fold_stream_commits(
        self, retention: dt.timedelta, cfg: DedupConfig | None = None, now: dt.datetime | None = None
    ) -> int:
        """Fold the window commit records a stream left (transforms/sink/windowed.py) into feeds.json and the
        dedup index, then remove them; returns the number of windows folded. A record counts only when the
        last file it names (its stories) exists; one without it is a window cut short, whose polls and stories
        the next run does again. Index entries older than `retention` are dropped on the way; folding twice
        (a crash before the records are removed) adds nothing twice. Call it holding the lock."""
        records = self.stream_commits()
        if not records:
            return 0
        now = now or dt.datetime.now(dt.UTC)
        feeds = self.load_feeds()
        new_lines: list[str] = []
        folded = 0
        for path in records:
            try:
                header, lines = parse_commit(read_text(path) or "")
            except ValueError as exc:
                raise StateError(f"{path} is not a readable stream commit record ({exc}); delete it") from exc
            files = header.get("files") or []
            if not files or not FileSystems.exists(files[-1]):
                LOGGER.warning("window %s was cut short before its stories were written; it is done again", path)
                continue
            feeds.update(header.get("feeds") or {})
            new_lines.extend(lines)
            folded += 1
        index: list[str] | None = None
        if new_lines:
            self.has_index(cfg)  # refuses an index this configuration cannot extend
            index = []
            for line in self._index_lines():
                try:
                    entry = parse_index_line(line)
                except IndexFormatError as exc:
                    raise unusable_index(self.index_path, exc) from exc
                if entry is not None and not expired(entry, now, retention):
                    index.append(line)
            known = set(index)
            index += [line for line in dict.fromkeys(new_lines) if line not in known]
        self.commit(feeds, index, cfg)
        FileSystems.delete(records)
        return folded

    def _index_lines(self) -> Iterator[str]:
        if not FileSystems.exists(self.index_path):
            return
        with FileSystems.open(self.index_path) as handle:
            for raw in handle:
                line = raw.decode("utf-8").strip()
                if line:
                    yield line
