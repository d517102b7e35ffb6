"""The state folder: atomic writes, the lock, version checks, rolling a committed run forward."""

from __future__ import annotations

import datetime as dt
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
from transforms.dedup.index import index_header, index_line, parse_index_line
from transforms.dedup.neardup import DedupConfig
from transforms.sink.windowed import STREAM_DIR, commit_record


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


# --- a stream's window commit records -----------------------------------------------------------------------


def _window(state: Path, run: Path, name: str, ids: list[str], etag: str, published: bool) -> None:
    """A commit record as WriteWindows leaves it: the window's stories file exists only if it was published."""
    stories = run / f"stories-{name}-00000-of-00001.jsonl"
    if published:
        stories.write_text("".join(json.dumps({"id": i}) + "\n" for i in ids))
    seen = dt.datetime(2026, 11, 27, tzinfo=dt.UTC)
    lines = [index_line(i, [f"u:https://example.org/{i}"], seen) for i in ids]
    feeds = {"https://example.org/rss": {"etag": etag, "http_status": 200}}
    (state / STREAM_DIR).mkdir(parents=True, exist_ok=True)
    (state / STREAM_DIR / f"{name}--{run.name}.jsonl").write_text(
        "".join(commit_record(name, str(run), [str(stories)], feeds, lines))
    )


def _index_ids(state: Path) -> list[str]:
    return [e["id"] for e in map(parse_index_line, (state / INDEX_FILE).read_text().splitlines()) if e]


def test_fold_keeps_published_windows_and_drops_expired_entries(tmp_path: Path) -> None:
    state, run = tmp_path / "state", tmp_path / "out" / "s1"
    run.mkdir(parents=True)
    store = StateStore(str(state))
    now = dt.datetime(2026, 11, 28, tzinfo=dt.UTC)
    (state / INDEX_FILE).write_text(
        "\n".join(
            [
                index_header(),
                index_line("old", ["u:https://example.org/old"], now - dt.timedelta(days=30)),
                index_line("live", ["u:https://example.org/live"], now - dt.timedelta(days=1)),
            ]
        )
        + "\n"
    )
    _window(state, run, "2026-11-27T00-00-00--2026-11-27T00-05-00", ["a", "b"], '"v1"', published=True)
    # Cut short before its stories were written: neither its index lines nor its validators count.
    _window(state, run, "2026-11-27T00-05-00--2026-11-27T00-10-00", ["c"], '"v2"', published=False)
    assert store.fold_stream_commits(dt.timedelta(days=7), now=now) == 1
    assert _index_ids(state) == ["live", "a", "b"]
    assert store.load_feeds()["https://example.org/rss"]["etag"] == '"v1"'
    assert store.stream_commits() == []
    assert store.fold_stream_commits(dt.timedelta(days=7), now=now) == 0


def test_fold_twice_after_a_crash_adds_nothing_twice(tmp_path: Path) -> None:
    state, run = tmp_path / "state", tmp_path / "out" / "s1"
    run.mkdir(parents=True)
    store = StateStore(str(state))
    name = "2026-11-27T00-00-00--2026-11-27T00-05-00"
    _window(state, run, name, ["a"], '"v1"', published=True)
    kept = (state / STREAM_DIR / f"{name}--s1.jsonl").read_text()
    store.fold_stream_commits(dt.timedelta(days=7))
    (state / STREAM_DIR / f"{name}--s1.jsonl").write_text(kept)  # died before removing the record
    store.fold_stream_commits(dt.timedelta(days=7))
    assert _index_ids(state) == ["a"]


def test_reset_sets_stream_commits_aside(tmp_path: Path) -> None:
    state, run = tmp_path / "state", tmp_path / "out" / "s1"
    run.mkdir(parents=True)
    _window(state, run, "2026-11-27T00-00-00--2026-11-27T00-05-00", ["a"], '"v1"', published=True)
    store = StateStore(str(state))
    assert len(store.reset()) == 1
    assert store.fold_stream_commits(dt.timedelta(days=7)) == 0 and not (state / INDEX_FILE).exists()


def test_a_dataflow_streams_lock_holds_while_it_commits_windows(tmp_path: Path) -> None:
    state, run = tmp_path / "state", tmp_path / "out" / "s1"
    run.mkdir(parents=True)
    StateStore(str(state)).hold_for_job("gs://b/out/s1", dt.timedelta(hours=1))
    holder = json.loads((state / LOCK_FILE).read_text())
    assert holder["pid"] is None and holder["job"] == "gs://b/out/s1"
    with pytest.raises(StateLocked, match="streaming job writing gs://b/out/s1"), StateStore(str(state)).locked():
        pass
    # Launched two hours ago: it still holds the folder while its windows keep coming ...
    holder["started_at"] = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)).isoformat()
    (state / LOCK_FILE).write_text(json.dumps(holder))
    _window(state, run, "2026-11-27T00-00-00--2026-11-27T00-05-00", ["a"], '"v1"', published=True)
    with pytest.raises(StateLocked), StateStore(str(state)).locked():
        pass
    # ... and lapses an hour after its last one (a drained or failed job).
    old = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)).timestamp()
    for record in (state / STREAM_DIR).iterdir():
        os.utime(record, (old, old))
    with StateStore(str(state)).locked():
        assert json.loads((state / LOCK_FILE).read_text())["pid"] == os.getpid()
