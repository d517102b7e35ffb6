"""Streaming mode: the keyed dedup rules, the TestStream-driven graph, polling with validators, the CLI."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import apache_beam as beam
import pytest
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.testing.test_stream import TestStream
from apache_beam.testing.util import assert_that, equal_to
from apache_beam.transforms.window import TimestampedValue

from schemas.story import FeedSource, Story
from tests.httpserver import Reply, Request, ScriptedServer, conditional
from transforms.dedup.neardup import DedupConfig
from transforms.dedup.streaming import Sighting, StreamingDedup, Vote, decide, same_id_reason, sighting_of, vote_at_key
from transforms.fetch.http import FetchSettings
from transforms.fetch.poll import PollFeedFn
from transforms.fetch.stage import FEED_REPORT, FetchedFeed
from transforms.sink.windowed import WriteWindowed

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


def test_vote_at_band_key_is_verified_on_signatures() -> None:
    original = _stored("a", 10)
    edited = sighting_of(story("b", WIRE.replace("Tuesday", "Wednesday") + " More to follow."), 20, CFG)
    unrelated = sighting_of(story("c", OTHER), 20, CFG)
    assert vote_at_key("b:00:x", edited, [original], CFG) == Vote("b", "a", "near", 10)
    assert vote_at_key("b:00:x", unrelated, [original], CFG) == Vote("c")


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
    with streaming_pipeline() as p:
        out = p | events | StreamingDedup(dt.timedelta(hours=1))
        out["stories"] | "WriteStories" >> WriteWindowed(str(tmp_path / "stories"), 100)
        out["duplicates"] | "WriteDuplicates" >> WriteWindowed(str(tmp_path / "duplicates"), 100)
    names = sorted(f.name for f in tmp_path.iterdir() if f.suffix == ".jsonl")
    assert names == [
        "duplicates-[1970-01-01T00-03-20, 1970-01-01T00-05-00)-00000-of-00001.jsonl",
        "stories-[1970-01-01T00-00-00, 1970-01-01T00-01-40)-00000-of-00001.jsonl",
        "stories-[1970-01-01T00-03-20, 1970-01-01T00-05-00)-00000-of-00001.jsonl",
    ]
    first, second = (
        sorted(json.loads(line)["id"] for line in (tmp_path / n).read_text().splitlines()) for n in names[1:]
    )
    assert (first, second) == (["a", "o"], ["t"])


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
        (["--state", "st", "--duration", "5"], "--state is for scheduled"),
    ],
)
def test_stream_options_are_validated(
    tmp_path: Path, run_cli: RunCli, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    with pytest.raises(SystemExit) as exc:
        run_cli("stream", "--output", str(tmp_path), *args)
    assert exc.value.code == 2
    assert message in capsys.readouterr().err
