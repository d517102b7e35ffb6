"""The state folder kept between runs: feed validators, the dedup index, the run lock.

Layout (local path or gs:// through Beam's FileSystems):
    feeds.json          {"format": "wirebeam-feed-state", "version": 1, "feeds": {url: {etag, last_modified,
                         body_sha256, http_status, updated_at}}}
    dedup_index.jsonl   header line + one line per emitted cluster (see transforms/dedup/stage.py)
    pending.json        written just before a run's manifest; names the run folder whose results must be folded
                        into the state. Present at startup = the last run died between its manifest and its state
                        commit, so the state is rolled forward from that run's files first.
    LOCK                who holds the folder (pid, host, start time)

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

from transforms.dedup.index import IndexFormatError, check_index_header, index_header
from transforms.dedup.neardup import DedupConfig
from transforms.faults import crash_point

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


def join(base: str, *parts: str) -> str:
    return FileSystems.join(base, *parts) if base.startswith("gs://") else os.path.join(base, *parts)


def read_text(path: str) -> str | None:
    """A file's text, or None when it does not exist."""
    if not FileSystems.exists(path):
        return None
    with FileSystems.open(path) as handle:
        return handle.read().decode("utf-8")


def write_atomic(path: str, data: str | Iterable[str]) -> None:
    """Write to `path.tmp`, then rename over `path` (os.replace locally: atomic on POSIX)."""
    tmp = path + ".tmp"
    chunks = [data] if isinstance(data, str) else data
    if path.startswith("gs://"):
        with FileSystems.create(tmp) as handle:
            for chunk in chunks:
                handle.write(chunk.encode("utf-8"))
        if FileSystems.exists(path):
            FileSystems.delete([path])
        FileSystems.rename([tmp], [path])
        return
    with open(tmp, "w", encoding="utf-8") as handle:
        for chunk in chunks:
            handle.write(chunk)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


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
    def locked(self) -> Iterator[None]:
        lock = join(self.path, LOCK_FILE)
        self._acquire(lock)
        try:
            yield
        finally:
            with contextlib.suppress(OSError):
                FileSystems.delete([lock])

    def _acquire(self, lock: str) -> None:
        mine = json.dumps(
            {
                "pid": os.getpid(),
                "host": socket.gethostname(),
                "started_at": dt.datetime.now(dt.UTC).isoformat(),
            }
        )
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

    def _refuse_or_break(self, lock: str) -> None:
        text = read_text(lock) or "{}"
        try:
            holder = json.loads(text)
            started = dt.datetime.fromisoformat(holder["started_at"])
        except (ValueError, KeyError, TypeError):
            holder, started = {}, dt.datetime.min.replace(tzinfo=dt.UTC)
        same_host = holder.get("host") == socket.gethostname()
        dead = same_host and isinstance(holder.get("pid"), int) and not _pid_alive(holder["pid"])
        stale = dt.datetime.now(dt.UTC) - started > STALE_LOCK_AFTER
        if dead or stale:
            LOGGER.warning("breaking stale lock %s (holder %s)", lock, holder or text[:200])
            FileSystems.delete([lock])
            return
        raise StateLocked(
            f"state folder {self.path} is in use by another wirebeam run (pid {holder.get('pid')} on "
            f"{holder.get('host')}, since {holder.get('started_at')}); wait for it to finish. A lock older than "
            f"{STALE_LOCK_AFTER} or from a dead process on this host is broken automatically."
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
            raise StateError(f"{self.index_path}: {exc}") from exc
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
        for name in (FEEDS_FILE, INDEX_FILE, PENDING_FILE):
            path = join(self.path, name)
            if FileSystems.exists(path):
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
