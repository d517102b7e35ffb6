"""Streaming mode: the keyed dedup rules, the TestStream-driven graph, polling with validators, the CLI."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import pickle
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import apache_beam as beam
import pytest
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.testing.test_stream import TestStream
from apache_beam.testing.util import assert_that, equal_to
from apache_beam.transforms.window import IntervalWindow, TimestampedValue

from pipeline.options import FAILPOINTS_ENV
from pipeline.state import StateStore
from schemas.story import FeedSource, Story
from tests.httpserver import Reply, Request, ScriptedServer, conditional
from transforms.dedup.index import index_header, index_line, parse_index_line
from transforms.dedup.members import member_of
from transforms.dedup.neardup import DedupConfig
from transforms.dedup.streaming import (
    PriorRunsFn,
    Sighting,
    StreamingDedup,
    Vote,
    decide,
    same_id_reason,
    sighting_of,
    stored_form,
    vote_at_key,
)
from transforms.fetch.http import FetchSettings
from transforms.fetch.poll import PollFeedFn
from transforms.fetch.stage import FEED_REPORT, FetchedFeed
from transforms.sink.windowed import STREAM_DIR, WriteWindows, feed_states, parse_commit, window_name

ROOT = Path(__file__).resolve().parents[1]
CFG = DedupConfig()
RunCli = Callable[..., tuple[int, str]]
WIRE = (
    "Rescue teams searched through the night for survivors after a landslide buried part of the mountain "
    "village of Santa Rosa on Tuesday, the regional governor said, adding that at least twelve people were "
    "still missing and that heavy rain was hampering the effort. Army helicopters dropped food and water to "
    "families cut off by the collapsed road, and engineers were assessing whether the river dam downstream "
    "was at risk. The governor asked residents of three nearby towns to leave their homes until the slope "
    "had been inspected."
)
OTHER = (
    "The central bank left its benchmark interest rate unchanged on Thursday, as expected by most "
    "economists, "
    "and said inflation was easing more slowly than it had forecast in the spring. The bank's governor told "
    "reporters that the board was ready to act if wage growth kept outpacing productivity, and that a cut "
    "before the end of the year was unlikely. Bond yields rose slightly after the announcement while the "
    "currency was little changed against the dollar."
)
THIRD = (
    "A new footbridge over the harbour opened to the public on Saturday after four years of construction and "
    "two delays caused by supply problems, the city council said. The bridge links the ferry terminal with "
    "the "
    "old market district and is expected to carry about ten thousand pedestrians and cyclists a day. Its "
    "designers said the deck can be raised to let tall ships pass in under three minutes."
)


def story(story_id: str, body: str, feed: str = "https://wire.example/feed", **fields: Any) -> Story:
    return Story(
        id=story_id,
        title=fields.pop("title", f"Story {story_id}"),
        body=body,
        source=FeedSource(url=feed),
        content_hash=hashlib.sha256(body.encode()).hexdigest()[:20],
        fetched_at=dt.datetime(2026, 11, 27, tzinfo=dt.UTC),
        **fields,
    )


def at(record: Story, seconds: float) -> TimestampedValue:
    return TimestampedValue(record, seconds)


def streaming_pipeline() -> beam.Pipeline:
    # TestStream runs on the DirectRunner's bundle-based streaming executor.
    return beam.Pipeline(options=PipelineOptions(["--runner=DirectRunner", "--streaming"]))


# --- the rules, without Beam -------------------------------------------------------------------------------


def test_sighting_has_exact_keys_and_band_keys_only_for_real_text() -> None:
    long = sighting_of(
        story("a", WIRE, url="https://x.example/a", canonical_url="https://x.example/a"), 5, CFG
    )
    assert long.keys[0] == "u:https://x.example/a"
    assert sum(k.startswith("b:") for k in long.keys) == CFG.bands
    assert long.n_shingles > 50 and len(long.signature) == 4 * CFG.num_perm
    # A stub has no body hash (too short to be distinctive) but is still sketched, as in batch dedup.
    short = sighting_of(story("b", "Live: latest updates"), 5, CFG)
    assert not any(k.startswith("h:") for k in short.keys) and short.n_shingles == 1
    assert sighting_of(story("c", WIRE), 5, None).keys == (f"h:{story('c', WIRE).content_hash}",)


def _stored(story_id: str, ts: int, body: str = WIRE) -> Sighting:
    return sighting_of(story(story_id, body), ts, CFG)


@pytest.mark.parametrize(
    ("key", "stored", "incoming", "expected"),
    [
        ("h:x", [("a", 10)], ("b", 20), Vote("b", "a", "content_hash", 10)),
        ("u:x", [("a", 10), ("c", 5)], ("b", 20), Vote("b", "c", "url", 5)),
        # Same poll: the smaller id is the original, whatever the arrival order.
        ("g:x", [("b", 20)], ("a", 20), Vote("a")),
        ("g:x", [("a", 20)], ("b", 20), Vote("b", "a", "guid", 20)),
        # Only earlier copies count: a later one already judged is not this story's original.
        ("h:x", [("z", 30)], ("b", 20), Vote("b")),
        ("h:x", [("b", 10)], ("b", 20), Vote("b")),
    ],
)
def test_vote_at_exact_key(
    key: str, stored: list[tuple[str, int]], incoming: tuple[str, int], expected: Vote
) -> None:
    entries = [Sighting(i, ts, ()) for i, ts in stored]
    assert vote_at_key(key, Sighting(incoming[0], incoming[1], ()), entries, CFG) == expected


def test_keyed_state_written_by_an_earlier_wirebeam_still_reads() -> None:
    """A Dataflow `--update` keeps the keyed state: Sightings and Votes pickled without the version fields."""
    entry = Sighting.__new__(Sighting)
    entry.__setstate__(["a", 10, (), b"", 0])  # the five fields of wirebeam before versions in the stream
    assert (entry.info, entry.title) == (None, None)
    assert vote_at_key("h:x", Sighting("b", 20, ()), [entry], CFG) == Vote("b", "a", "content_hash", 10)
    vote = Vote.__new__(Vote)
    vote.__setstate__(["b", "a", "content_hash", 10])
    assert (vote.key, vote.original_info) == ("", None)
    assert pickle.loads(pickle.dumps(_stored("c", 5))).info is not None  # today's records round-trip whole


def test_vote_at_band_key_is_verified_on_signatures() -> None:
    original = _stored("a", 10)
    edited = sighting_of(story("b", WIRE.replace("Tuesday", "Wednesday") + " More to follow."), 20, CFG)
    unrelated = sighting_of(story("c", OTHER), 20, CFG)
    assert vote_at_key("b:00:x", edited, [original], CFG) == Vote("b", "a", "near", 10)
    assert vote_at_key("b:00:x", unrelated, [original], CFG) == Vote("c")


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Photos of the week, May 17", Vote("b")),  # the next edition of a series: another story
        ("Photos of the week, May 10", Vote("b", "a", "near", 10)),  # the same edition again
    ],
)
def test_vote_at_band_key_tells_editions_of_a_series_apart(title: str, expected: Vote) -> None:
    """The batch check of a candidate pair (members.near_duplicates → editions_of_a_series) in the stream too."""
    template = "The week in pictures, as chosen by our photo desk and our readers."
    original = sighting_of(story("a", template, title="Photos of the week, May 10"), 10, CFG)
    edition = sighting_of(story("b", template, feed="https://b.example/rss", title=title), 20, CFG)
    (band, *_) = [k for k in edition.keys if k.startswith("b:") and k in original.keys]
    assert vote_at_key(band, edition, [stored_form(band, original)], CFG) == expected


@pytest.mark.parametrize(
    ("votes", "expected"),
    [
        ([Vote("s"), Vote("s")], None),
        ([Vote("s", "n1", "near", 5), Vote("s", "u1", "url", 9)], Vote("s", "u1", "url", 9)),
        (
            [Vote("s", "h2", "content_hash", 9), Vote("s", "h1", "content_hash", 3)],
            Vote("s", "h1", "content_hash", 3),
        ),
    ],
)
def test_decide_prefers_the_most_specific_reason(votes: list[Vote], expected: Vote | None) -> None:
    assert decide(votes) == expected


@pytest.mark.parametrize(
    ("fields", "reason"),
    [({"guid": "g1", "url": "https://x/1"}, "guid"), ({"url": "https://x/1"}, "url"), ({}, "content_hash")],
)
def test_same_id_reason_follows_how_the_id_was_made(fields: dict[str, str], reason: str) -> None:
    assert same_id_reason(story("a", WIRE, **fields)) == reason


# --- the graph under TestStream ----------------------------------------------------------------------------


def _check_dedup(
    events: TestStream, retention_s: float, stories: list[str], duplicates: list[tuple[str, str, str, bool]]
) -> None:
    with streaming_pipeline() as p:
        out = p | events | StreamingDedup(dt.timedelta(seconds=retention_s))
        assert_that(out["stories"] | "Ids" >> beam.Map(lambda s: s.id), equal_to(stories), label="Stories")
        assert_that(
            out["duplicates"] | "Dups" >> beam.Map(lambda d: (d.id, d.duplicate_of, d.reason, d.cross_run)),
            equal_to(duplicates),
            label="Duplicates",
        )


def test_out_of_order_and_late_entries() -> None:
    edited = WIRE.replace("Tuesday", "Wednesday") + " More to follow."
    events = (
        TestStream()
        # Out of order: the copy fetched at t=120 arrives before its original fetched at t=110.
        .add_elements(
            [at(story("x2", edited, feed="https://b.example/rss"), 120), at(story("x1", WIRE), 110)]
        )
        .add_elements([at(story("o1", OTHER), 115)])
        .advance_watermark_to(200)
        # Late (behind the watermark): a copy of x1 is still recognised; a new story is not dropped.
        .add_elements([at(story("x3", WIRE, feed="https://c.example/rss"), 150), at(story("t1", THIRD), 150)])
        .advance_watermark_to(400)
        .advance_watermark_to_infinity()
    )
    _check_dedup(
        events,
        retention_s=3600,
        stories=["o1", "t1", "x1"],
        duplicates=[("x2", "x1", "near", True), ("x3", "x1", "content_hash", True)],
    )


def test_duplicate_after_original_expiry_and_same_poll_copies() -> None:
    events = (
        TestStream()
        .add_elements([at(story("b", WIRE, feed="https://b.example/rss"), 10), at(story("a", WIRE), 10)])
        .advance_watermark_to(50)
        # The same entry at the next poll, and a copy from a third outlet: both duplicates of "a".
        .add_elements([at(story("a", WIRE), 70), at(story("c", WIRE, feed="https://c.example/rss"), 70)])
        .advance_watermark_to(100)
        # An empty poll: nothing arrives, the watermark moves on past the retention window (100 s).
        .advance_watermark_to(500)
        # Everything was forgotten: the story is new again.
        .add_elements([at(story("d", WIRE, feed="https://d.example/rss"), 600)])
        .advance_watermark_to(700)
        .advance_watermark_to_infinity()
    )
    _check_dedup(
        events,
        retention_s=100,
        stories=["a", "d"],
        duplicates=[
            ("a", "a", "content_hash", True),
            ("b", "a", "content_hash", False),
            ("c", "a", "content_hash", True),
        ],
    )


def test_windowed_output_writes_one_file_set_per_window(tmp_path: Path) -> None:
    events = (
        TestStream()
        .add_elements([at(story("a", WIRE), 10), at(story("o", OTHER), 20)])
        .advance_watermark_to(100)
        .advance_watermark_to(250)  # an empty window [100, 200): no file
        .add_elements([at(story("a", WIRE), 260), at(story("t", THIRD), 270)])
        .advance_watermark_to(280)
        .advance_watermark_to(400)
        .advance_watermark_to_infinity()
    )
    run, state = tmp_path / "run", tmp_path / "state"
    run.mkdir()
    with streaming_pipeline() as p:
        out = p | events | StreamingDedup(dt.timedelta(hours=1))
        lines = out["stories"] | "Lines" >> beam.Map(lambda s: s.model_dump_json())
        _ = {"stories": lines, "duplicates": out["duplicates"]} | WriteWindows(str(run), 100, state=str(state))
    names = sorted(f.name for f in run.iterdir())
    assert names == [
        "duplicates-1970-01-01T00-03-20--1970-01-01T00-05-00-00000-of-00001.jsonl",
        "stories-1970-01-01T00-00-00--1970-01-01T00-01-40-00000-of-00001.jsonl",
        "stories-1970-01-01T00-03-20--1970-01-01T00-05-00-00000-of-00001.jsonl",
    ]
    first, second = (
        sorted(json.loads(line)["id"] for line in (run / n).read_text().splitlines()) for n in names[1:]
    )
    assert (first, second) == (["a", "o"], ["t"])
    # One commit record per window, naming its files (stories last) and the index lines of its stories.
    records = sorted((state / STREAM_DIR).iterdir())
    assert [r.name for r in records] == [
        "1970-01-01T00-00-00--1970-01-01T00-01-40--run.jsonl",
        "1970-01-01T00-03-20--1970-01-01T00-05-00--run.jsonl",
    ]
    header, index = parse_commit(records[1].read_text())
    assert [Path(f).name for f in header["files"]] == names[::2]
    assert [parse_index_line(line)["id"] for line in index] == ["t"]  # type: ignore[index]
    assert header["feeds"] == {}


@pytest.mark.parametrize(
    ("start", "end", "name"),
    [
        (0, 300, "1970-01-01T00-00-00--1970-01-01T00-05-00"),
        (1_796_183_100, 1_796_183_400, "2026-12-02T03-45-00--2026-12-02T03-50-00"),
        (0.5, 1.25, "1970-01-01T00-00-00.500--1970-01-01T00-00-01.250"),
    ],
)
def test_window_names_have_no_shell_metacharacters(start: float, end: float, name: str) -> None:
    assert window_name(IntervalWindow(start, end)) == name
    assert not set(name) & set(" []()*?'\"$&;|<>")


def test_feed_states_keep_each_feeds_last_successful_poll() -> None:
    polls = [
        {"poll": "2026-11-27T09:05:00+00:00", "feed": "f", "http_status": 200, "state": {"etag": '"v2"'}},
        {"poll": "2026-11-27T09:00:00+00:00", "feed": "f", "http_status": 200, "state": {"etag": '"v1"'}},
        {"poll": "2026-11-27T09:10:00+00:00", "feed": "f", "http_status": 500, "state": None},
        {"poll": "2026-11-27T09:00:00+00:00", "feed": "g", "not_modified": 1},
    ]
    assert feed_states(polls) == {
        "f": {"etag": '"v2"', "http_status": 200, "updated_at": "2026-11-27T09:05:00+00:00"}
    }


def test_streaming_dedup_rejects_a_nonpositive_retention() -> None:
    with pytest.raises(ValueError, match="retention must be positive"):
        StreamingDedup(dt.timedelta(0))


# --- polling: validators in keyed state --------------------------------------------------------------------


class FakeState:
    def __init__(self) -> None:
        self.value: Any = None

    def read(self) -> Any:
        return self.value

    def write(self, value: Any) -> None:
        self.value = value


RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><link>https://w.example/</link>
<description>d</description><item><title>One</title><link>https://w.example/1</link><guid>g1</guid></item>
</channel></rss>"""


def test_poll_feed_keeps_validators_and_sends_a_conditional_get() -> None:
    with ScriptedServer() as server:
        server.route("/feed", handler=conditional(RSS, etag='"v1"'))
        fn = PollFeedFn(FetchSettings(allow_private_hosts=True, retries=0))
        fn.setup()
        state = FakeState()
        source = FeedSource(url=server.url("/feed"))
        try:
            first = list(fn.process((source.url, source), validators=state))
            second = list(fn.process((source.url, source), validators=state))
        finally:
            fn.teardown()
        sent = [r.headers.get("if-none-match") for r in server.requests]
    assert [type(o).__name__ for o in first] == ["TaggedOutput", "FetchedFeed"]
    assert isinstance(first[1], FetchedFeed) and first[1].body == RSS
    assert state.value["etag"] == '"v1"'
    assert sent == [None, '"v1"']
    assert len(second) == 1 and second[0].tag == FEED_REPORT
    assert second[0].value["not_modified"] == 1 and second[0].value["http_status"] == 304


def test_poll_feed_starts_from_the_state_folders_validators() -> None:
    with ScriptedServer() as server:
        server.route("/feed", handler=conditional(RSS, etag='"v1"'))
        source = FeedSource(url=server.url("/feed"))
        fn = PollFeedFn(FetchSettings(allow_private_hosts=True, retries=0), {source.url: {"etag": '"v1"'}})
        fn.setup()
        try:
            out = list(fn.process((source.url, source), validators=FakeState()))
        finally:
            fn.teardown()
        sent = [r.headers.get("if-none-match") for r in server.requests]
    assert sent == ['"v1"']  # a restarted stream's first poll is conditional too
    assert len(out) == 1 and out[0].value["not_modified"] == 1


# --- earlier runs' memory: the state folder's dedup index ------------------------------------------------------

NOW = dt.datetime(2026, 11, 27, 12, tzinfo=dt.UTC)


def _index_file(tmp_path: Path, entries: list[tuple[Story, dt.datetime]]) -> str:
    lines = [index_header(CFG)]
    for emitted, seen in entries:
        member = member_of(emitted, CFG)
        lines.append(index_line(emitted.id, member.keys, seen, member.signature, member.n_shingles))
    path = tmp_path / "dedup_index.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def test_prior_runs_turn_copies_of_what_was_emitted_into_duplicates(tmp_path: Path) -> None:
    emitted = story("a", WIRE, url="https://x.example/a", canonical_url="https://x.example/a")
    old = story("old", THIRD)
    path = _index_file(tmp_path, [(emitted, NOW - dt.timedelta(days=1)), (old, NOW - dt.timedelta(days=30))])
    fn = PriorRunsFn(path, CFG, dt.timedelta(days=7), NOW)
    fn.setup()
    incoming = [
        emitted,  # the same entry again
        story("b", WIRE, feed="https://b.example/rss"),  # the same text from another outlet
        story("c", WIRE.replace("Tuesday", "Wednesday") + " More to follow.", feed="https://c.example/rss"),
        story("o", OTHER),  # new
        story("t", THIRD, feed="https://t.example/rss"),  # a copy of an entry past the retention window: new
    ]
    out = [o for s in incoming for o in fn.process(s)]
    passed = [o.id for o in out if isinstance(o, Story)]
    records = [o.value for o in out if not isinstance(o, Story)]
    dups = [(d.id, d.duplicate_of, d.reason, d.cross_run) for d in records]
    assert passed == ["o", "t"]
    assert dups == [("a", "a", "index", True), ("b", "a", "index", True), ("c", "a", "index", True)]


def test_prior_runs_read_the_index_once_per_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The DoFn instances of one PriorRunsFn (a worker's threads each deserialize their own) share one copy of the
    index (apache_beam.utils.shared); another PriorRunsFn (another stream in the same process) reads its own."""
    from apache_beam.internal import pickler

    from transforms.dedup import streaming

    emitted = story("a", WIRE, url="https://x.example/a", canonical_url="https://x.example/a")
    path = _index_file(tmp_path, [(emitted, NOW - dt.timedelta(days=1))])
    reads: list[str] = []
    parse = streaming.parse_index_line
    monkeypatch.setattr(streaming, "parse_index_line", lambda line: reads.append(line) or parse(line))
    fn = PriorRunsFn(path, CFG, dt.timedelta(days=7), NOW)
    instances = [pickler.loads(pickler.dumps(fn)) for _ in range(3)]
    for instance in instances:
        instance.setup()
    assert len(reads) == 2  # header and entry, once for the three instances
    copy = story("b", WIRE, feed="https://b.example/rss")
    for instance in instances:
        (dup,) = instance.process(copy)
        assert (dup.value.duplicate_of, dup.value.reason) == ("a", "index")
    other = PriorRunsFn(path, CFG, dt.timedelta(days=7), NOW)
    other.setup()
    assert len(reads) == 4


def test_prior_runs_without_an_index_pass_everything(tmp_path: Path) -> None:
    fn = PriorRunsFn(str(tmp_path / "absent.jsonl"), CFG, dt.timedelta(days=7), NOW)
    fn.setup()
    assert [o.id for o in fn.process(story("a", WIRE))] == ["a"]


# --- the CLI -----------------------------------------------------------------------------------------------


def _rss(numbers: list[int]) -> bytes:
    items = "".join(
        f"<item><title>Harbour story {n}</title><link>https://news.example/{n}</link><guid>g{n}</guid>"
        f"<description>{f'Paragraph {n} of a story about the harbour. ' * 12}</description>"
        "<pubDate>Fri, 27 Nov 2026 08:00:00 GMT</pubDate></item>"
        for n in numbers
    )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title><link>https://news.example/</link>'
        f"<description>d</description>{items}</channel></rss>"
    ).encode()


@pytest.mark.e2e
def test_stream_cli_polls_a_changing_feed(tmp_path: Path, run_cli: RunCli) -> None:
    served: list[int] = []

    def feed(request: Request) -> Reply:
        if request.headers.get("if-none-match") == '"v2"':
            return Reply(status=304, headers={"ETag": '"v2"'})
        served.append(1)
        if len(served) == 1:
            return Reply(body=_rss([1, 2]), headers={"ETag": '"v1"'})
        return Reply(body=_rss([1, 2, 3]), headers={"ETag": '"v2"'})

    with ScriptedServer() as server:
        server.route("/feed", handler=feed)
        code, printed = run_cli(
            "stream", "--feeds", server.url("/feed"), "--allow-private-hosts",
            "--interval", "2", "--duration", "5", "--window", "3600",
            "--output", str(tmp_path), "--run-id", "s1",
        )  # fmt: skip
        validators = [r.headers.get("if-none-match") for r in server.requests]
    assert code == 0, printed
    assert validators == [None, '"v1"', '"v2"']  # three polls, each conditional on the last
    run = tmp_path / "s1"

    def records(prefix: str) -> list[dict[str, Any]]:
        return [
            json.loads(line)
            for f in sorted(run.glob(f"{prefix}-*.jsonl"))
            for line in f.read_text().splitlines()
        ]

    stories = records("stories")
    assert sorted(s["url"] for s in stories) == [f"https://news.example/{n}" for n in (1, 2, 3)]
    assert all(s["cluster"]["size"] == 1 and s["schema_version"] for s in stories)
    assert sorted((d["title"], d["reason"], d["cross_run"]) for d in records("duplicates")) == [
        ("Harbour story 1", "guid", True),
        ("Harbour story 2", "guid", True),
    ]
    assert records("dead_letter") == []
    polls = records("polls")
    assert sorted(p["http_status"] for p in polls if "http_status" in p) == [200, 200, 304]
    assert json.loads((run / "stream.json").read_text())["options"]["interval"] == 2.0
    counts = {"stories": 3, "duplicates": 2, "dead_letter": 0, "polls": len(polls)}
    assert printed.splitlines()[-1] == f"stream finished; records written to {run}: {counts}"


def test_stream_without_duration_on_a_local_runner_is_refused(
    tmp_path: Path, run_cli: RunCli, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = run_cli("stream", "--output", str(tmp_path), "--interval", "5")
    assert code == 2
    assert "--duration is required" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--interval", "0", "--duration", "5"], "--interval must be positive"),
        (["--window", "-1", "--duration", "5"], "--window must be positive"),
        (["--reset-state", "--duration", "5"], "--reset-state needs --state"),
    ],
)
def test_stream_options_are_validated(
    tmp_path: Path, run_cli: RunCli, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    with pytest.raises(SystemExit) as exc:
        run_cli("stream", "--output", str(tmp_path), *args)
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


# --- durable memory: --state across restarts, kills and batch runs ----------------------------------------------


class GrowingFeed:
    """A feed that lists stories 1..n, n set by the test or grown by one on every full fetch; answers 304 while
    the client's ETag is current."""

    def __init__(self, n: int = 2, grow: bool = False) -> None:
        self.n, self.grow, self.listed = n, grow, 0

    def __call__(self, request: Request) -> Reply:
        if request.headers.get("if-none-match") == f'"{self.n}"':
            return Reply(status=304, headers={"ETag": f'"{self.n}"'})
        reply = Reply(body=_rss(list(range(1, self.n + 1))), headers={"ETag": f'"{self.n}"'})
        self.listed = max(self.listed, self.n)
        if self.grow:
            self.n += 1
        return reply


def emitted_urls(out: Path) -> list[str]:
    """Every story url in every run folder's stories files (a killed run's published windows included)."""
    return [
        json.loads(line)["url"]
        for f in sorted(out.glob("*/stories-*.jsonl"))
        for line in f.read_text().splitlines()
    ]


def _urls(numbers: range | list[int]) -> list[str]:
    return [f"https://news.example/{n}" for n in numbers]


@pytest.mark.e2e
def test_stream_and_batch_hand_over_on_one_state(tmp_path: Path, run_cli: RunCli) -> None:
    """A stream after a batch run emits nothing the batch run emitted, a batch run after a stream neither."""
    out, state = tmp_path / "out", tmp_path / "state"
    feed = GrowingFeed(3)
    with ScriptedServer() as server:
        server.route("/feed", handler=feed)
        common = ("--feeds", server.url("/feed"), "--allow-private-hosts", "--output", str(out), "--state", str(state))
        stream = ("stream", *common, "--interval", "2", "--duration", "3", "--window", "3600")

        def new_urls(run_id: str, *argv: str) -> list[str]:
            code, printed = run_cli(*argv, "--run-id", run_id)
            assert code == 0, printed
            return sorted(json.loads(line)["url"] for f in (out / run_id).glob("stories-*") for line in f.open())

        assert new_urls("batch-1", "run", *common) == _urls(range(1, 4))
        feed.n = 5
        assert new_urls("stream-1", *stream) == _urls([4, 5])
        feed.n = 6
        assert new_urls("batch-2", "run", *common) == _urls([6])
        assert new_urls("stream-2", *stream) == []  # unchanged feed: a 304 from the batch run's validators
        feed.n = 7
        assert new_urls("stream-3", *stream) == _urls([7])
        etags = [r.headers.get("if-none-match") for r in server.requests]
    assert etags[:3] == [None, '"3"', '"5"']  # each run's first request is conditional on the last one's
    index = [parse_index_line(line) for line in (state / "dedup_index.jsonl").read_text().splitlines()]
    assert len([e for e in index if e]) == 7
    assert not list((state / STREAM_DIR).iterdir())  # every window folded when the stream ended
    dups = [
        json.loads(line)
        for f in (out / "stream-1").glob("duplicates-*")
        for line in f.read_text().splitlines()
    ]
    assert sorted((d["url"], d["reason"], d["cross_run"]) for d in dups) == [
        (u, "index", True) for u in _urls(range(1, 4))
    ]


def test_a_state_folder_held_by_a_stream_refuses_runs_and_streams(
    tmp_path: Path, run_cli: RunCli, capsys: pytest.CaptureFixture[str]
) -> None:
    state = tmp_path / "state"
    StateStore(str(state)).hold_for_job("gs://b/out/s1", dt.timedelta(hours=1))
    feed = str(ROOT / "pipeline" / "samples" / "harbor-wire.xml")
    common = ("--feeds", feed, "--output", str(tmp_path / "out"), "--state", str(state))
    assert run_cli("run", *common)[0] == 75
    assert run_cli("stream", *common, "--duration", "5")[0] == 75
    assert capsys.readouterr().err.count("in use by the streaming job writing gs://b/out/s1") == 2
    assert not list((tmp_path / "out").glob("*"))


@pytest.mark.e2e
def test_a_corrupt_dedup_index_line_fails_runs_and_streams_in_one_message(
    tmp_path: Path, run_cli: RunCli, capsys: pytest.CaptureFixture[str]
) -> None:
    """The header is checked before the job; a corrupt line is met by the job (PriorRuns, or the batch index read):
    the failure is said in a few lines with what to do, no traceback (that is for --log-level INFO)."""
    state = tmp_path / "state"
    state.mkdir()
    (state / "dedup_index.jsonl").write_text(index_header(CFG) + '\n{"id": broken\n')
    feed = str(ROOT / "pipeline" / "samples" / "harbor-wire.xml")
    common = ("--feeds", feed, "--output", str(tmp_path / "out"), "--state", str(state))
    assert run_cli("stream", *common, "--duration", "2", "--interval", "1")[0] == 1
    assert run_cli("run", *common)[0] == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    (stream, run) = [line for line in err.splitlines() if "failed: IndexFormatError: corrupt dedup index line" in line]
    assert stream.startswith("wirebeam stream: the stream failed: ") and run.startswith("wirebeam: the pipeline failed")
    assert err.count("the state folder's dedup index is unusable: fix it or rerun with --reset-state") == 2


def stream_command(url: str, out: Path, state: Path) -> list[str]:
    return [
        sys.executable, "-m", "pipeline", "stream", "--quiet", "--feeds", url, "--allow-private-hosts",
        "--interval", "1", "--window", "2", "--duration", "5", "--output", str(out), "--state", str(state),
    ]  # fmt: skip


def restart(command: list[str]) -> None:
    """The restart after a kill, in this process (the same command, without Beam's and spaCy's start-up again);
    the killed streams stay processes of their own."""
    from pipeline.cli import main

    assert command[1:3] == ["-m", "pipeline"]
    assert main(command[3:], out=io.StringIO()) == 0


def check_restart(out: Path, feed: GrowingFeed) -> None:
    """Across every run: each story the feed listed emitted once, none twice, none lost."""
    got = emitted_urls(out)
    assert sorted(got) == sorted(set(got)), f"emitted twice: {sorted(u for u in set(got) if got.count(u) > 1)}"
    assert sorted(got) == sorted(_urls(range(1, feed.listed + 1)))


@pytest.mark.e2e
@pytest.mark.parametrize(
    "point",
    [
        "window_committed",  # a window published and recorded, the rest not
        pytest.param("before_window_stories", marks=pytest.mark.slow),  # recorded, its stories not published
        pytest.param("window_recorded", marks=pytest.mark.slow),  # recorded, none of its files published
    ],
)
def test_stream_killed_in_a_window_commit_then_restarted(tmp_path: Path, point: str) -> None:
    out, state = tmp_path / "out", tmp_path / "state"
    feed = GrowingFeed(2, grow=True)
    with ScriptedServer() as server:
        server.route("/feed", handler=feed)
        command = stream_command(server.url("/feed"), out, state)
        env = {**os.environ, FAILPOINTS_ENV: f"crash={point}"}
        killed = subprocess.run(command, cwd=ROOT, env=env, timeout=300)
        assert killed.returncode == -signal.SIGKILL
        published = emitted_urls(out)
        assert bool(published) == (point == "window_committed")
        restart(command)
    check_restart(out, feed)
    assert len(list(out.iterdir())) == 2 and not list((state / STREAM_DIR).iterdir())


def _first_window_file(out: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not list(out.glob("*/*--*.jsonl")) and time.monotonic() < deadline:
        time.sleep(0.005)


@pytest.mark.slow
@pytest.mark.e2e
@pytest.mark.timeout(1800)
def test_stream_kill_9_at_random_points_then_restarted(tmp_path: Path) -> None:
    """kill -9 at random points: odd trials anywhere in the run (mostly while it polls, before any window is
    written), even trials within 50 ms of its first window file (while its windows are being written)."""
    rng = random.Random(21)
    published: list[int] = []  # stories files written before the kill
    unfolded: list[int] = []  # window commit records left for the restart to fold (or drop)
    for trial in range(6):
        out, state = tmp_path / f"out-{trial}", tmp_path / f"state-{trial}"
        feed = GrowingFeed(2, grow=True)
        with ScriptedServer() as server:
            server.route("/feed", handler=feed)
            command = stream_command(server.url("/feed"), out, state)
            proc = subprocess.Popen(command, cwd=ROOT)
            if trial % 2:
                time.sleep(rng.uniform(1.0, 18.0))
            else:
                _first_window_file(out, timeout=120)
                time.sleep(rng.uniform(0.0, 0.05))
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            published.append(len(list(out.glob("*/stories-*.jsonl"))))
            unfolded.append(len(list((state / STREAM_DIR).glob("*.jsonl"))))
            restart(command)
        check_restart(out, feed)
    print("stream kill trials: stories files published before each kill:", published, "records left:", unfolded)
