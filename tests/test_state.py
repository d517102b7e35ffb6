"""The state folder: atomic writes, the lock, version checks, rolling a committed run forward."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest

from pipeline.driver import MANIFEST, roll_forward
from pipeline.state import (
    FEEDS_FILE,
    INDEX_FILE,
    LOCK_FILE,
    PENDING_FILE,
    StateError,
    StateLocked,
    StateStore,
    write_atomic,
)
from transforms.dedup.index import index_header, index_line
from transforms.dedup.neardup import DedupConfig


def test_write_atomic_replaces_whole_files(tmp_path: Path) -> None:
    target = tmp_path / "f.json"
    write_atomic(str(target), "old")
    write_atomic(str(target), (part for part in ["n", "ew"]))
    assert target.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["f.json"]


def test_lock_is_exclusive_and_released(tmp_path: Path) -> None:
    store = StateStore(str(tmp_path))
    with store.locked():
        holder = json.loads((tmp_path / LOCK_FILE).read_text())
        assert holder["pid"] == os.getpid() and holder["host"] == socket.gethostname()
        with pytest.raises(StateLocked, match="in use by another wirebeam run"), StateStore(str(tmp_path)).locked():
            pass
    assert not (tmp_path / LOCK_FILE).exists()


def test_stale_lock_by_age_is_broken(tmp_path: Path) -> None:
    (tmp_path / LOCK_FILE).write_text(
        json.dumps({"pid": 1, "host": "elsewhere", "started_at": "2000-01-01T00:00:00+00:00"})
    )
    with StateStore(str(tmp_path)).locked():
        assert json.loads((tmp_path / LOCK_FILE).read_text())["pid"] == os.getpid()


def test_live_lock_on_another_host_is_respected(tmp_path: Path) -> None:
    (tmp_path / LOCK_FILE).write_text(
        json.dumps({"pid": 1, "host": "elsewhere", "started_at": "2999-01-01T00:00:00+00:00"})
    )
    with pytest.raises(StateLocked, match="elsewhere"), StateStore(str(tmp_path)).locked():
        pass


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{nope", "corrupt"),
        ('{"feeds": {}}', "not a wirebeam feed state"),
        ('{"format": "wirebeam-feed-state", "version": 9, "feeds": {}}', "newer than this wirebeam"),
    ],
)
def test_unusable_feed_state_is_refused(tmp_path: Path, content: str, message: str) -> None:
    (tmp_path / FEEDS_FILE).write_text(content)
    with pytest.raises(StateError, match=message):
        StateStore(str(tmp_path)).load_feeds()


def test_index_built_with_other_shingles_is_refused(tmp_path: Path) -> None:
    (tmp_path / INDEX_FILE).write_text(index_header(DedupConfig(shingle_size=5)) + "\n")
    store = StateStore(str(tmp_path))
    assert store.has_index(DedupConfig(shingle_size=5))
    with pytest.raises(StateError, match="shingle_size=5"):
        store.has_index(DedupConfig(shingle_size=4))


def test_reset_sets_files_aside(tmp_path: Path) -> None:
    (tmp_path / FEEDS_FILE).write_text("{broken")
    moved = StateStore(str(tmp_path)).reset()
    assert len(moved) == 1 and not (tmp_path / FEEDS_FILE).exists()
    assert StateStore(str(tmp_path)).load_feeds() == {}


def test_committed_run_is_rolled_forward(tmp_path: Path) -> None:
    """A run that died between its manifest and its state commit: the next run finishes the commit."""
    state, run = tmp_path / "state", tmp_path / "out" / "r1"
    run.mkdir(parents=True)
    store = StateStore(str(state))
    import datetime as dt

    line = index_line("story-1", ["u:https://example.org/a"], dt.datetime(2026, 11, 27, tzinfo=dt.UTC))
    (run / "_index-00000-of-00001.jsonl").write_text(line + "\n")
    (run / "_feed_reports-00000-of-00001.jsonl").write_text(
        json.dumps({"feed": "https://example.org/rss", "state": {"etag": '"v1"'}, "http_status": 200}) + "\n"
    )
    (run / MANIFEST).write_text(
        json.dumps(
            {
                "run_id": "r1",
                "command": "run",
                "started_at": "2026-11-27T00:00:00Z",
                "finished_at": "2026-11-27T00:01:00Z",
                "wirebeam_version": "0",
                "options": {"dedup": True},
                "feeds": {},
                "totals": {},
                "reconciled": True,
                "files": {},
            }
        )
    )
    store.mark_pending(str(run))
    roll_forward(store)
    assert not (state / PENDING_FILE).exists()
    assert store.load_feeds()["https://example.org/rss"]["etag"] == '"v1"'
    assert "story-1" in (state / INDEX_FILE).read_text()
    assert not list(run.glob("_*"))


def test_uncommitted_run_is_not_rolled_forward(tmp_path: Path) -> None:
    state, run = tmp_path / "state", tmp_path / "out" / "r1"
    run.mkdir(parents=True)
    (run / "_index-00000-of-00001.jsonl").write_text(index_line("x", [], __import__("datetime").datetime.now()) + "\n")
    store = StateStore(str(state))
    store.mark_pending(str(run))
    roll_forward(store)
    assert not (state / PENDING_FILE).exists() and not (state / INDEX_FILE).exists()
