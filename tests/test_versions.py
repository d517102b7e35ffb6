"""Story versions (README, Story versions): wire updates and corrections come through as new versions.

Pure functions of transforms/dedup/versions.py with literal expectations, the version rule of resolve_cluster
against earlier runs' index lines (version 2 and version 1), and a scripted wire sequence through the CLI:
consecutive `wirebeam run --state` jobs over a local feed file rewritten between runs.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from schemas.story import Changes, EnrichedStory, FeedSource, Story
from tests.test_schedule import RunCli, blank_ner, read_jsonl  # noqa: F401  (blank_ner is a fixture)
from transforms.dedup.index import check_index_header, index_line, parse_index_line, version_info
from transforms.dedup.members import member_of, prior_member, resolve_cluster
from transforms.dedup.neardup import canonical_url, content_hash
from transforms.dedup.versions import changes, correction_note, paragraph_hashes, revision_marker, short_hash

NOW = dt.datetime(2026, 11, 27, 12, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("UPDATE 1-UK factory output falls for third month", ("UPDATE 1", 1)),
        ("UPDATE 12: Quake toll rises", ("UPDATE 12", 12)),
        ("REFILE-Oil steadies", ("REFILE", 0)),
        ("CORRECTED-Bank of Japan holds rates", ("CORRECTED", 0)),
        ("WRAPUP 2-Storm hits coast", ("WRAPUP 2", 2)),
        ("Update on the port strike", (None, 0)),  # a word of the headline, not a marker
        ("UK factory output falls", (None, 0)),
    ],
)
def test_revision_marker(title: str, expected: tuple[str | None, int]) -> None:
    assert revision_marker(title) == expected


NOTES = [
    "CORRECTION: An earlier version misstated the fall.",
    "(Corrects name of minister in paragraph 3)",
    "This story has been corrected to show the fall was 0.2%.",
    "An earlier version of this story misstated the month.",
]


@pytest.mark.parametrize(
    ("body", "note"),
    [
        (f"Output fell.\n\n{NOTES[0]}", NOTES[0]),
        (f"{NOTES[1]}\n\nLONDON - Output fell.", NOTES[1]),
        (f"Output fell.\n\n{NOTES[2]}", NOTES[2]),
        (f"Output fell.\n\n{NOTES[3]}", NOTES[3]),
        ("Output fell.\n\nThe correction in prices continued.", None),
        ("Output fell.", None),
    ],
)
def test_correction_note(body: str, note: str | None) -> None:
    assert correction_note(body) == note


OLD = ["Output fell.", "Sterling slipped.", "Economists expected a rise."]


def counts(headline: bool, added: int = 0, removed: int = 0, edited: int = 0) -> Changes:
    return Changes(
        headline_changed=headline, paragraphs_added=added, paragraphs_removed=removed, paragraphs_edited=edited
    )


@pytest.mark.parametrize(
    ("title", "new", "expected"),
    [
        ("Same", OLD, counts(False)),
        ("New", ["Lead.", *OLD, "More."], counts(True, added=2)),
        ("Same", ["Output fell 0.2%.", *OLD[1:]], counts(False, edited=1)),
        ("Same", OLD[:1], counts(False, removed=2)),
    ],
)
def test_changes_count_paragraphs(title: str, new: list[str], expected: Changes) -> None:
    old = paragraph_hashes("\n\n".join(OLD))
    assert changes(short_hash("Same"), old, title, paragraph_hashes("\n\n".join(new))) == expected
    assert changes(None, None, title, ()) is None  # a version-1 index line: unknown


BODY = "\n\n".join(
    [
        "LONDON (Wire) - British factory output fell for a third month in October, official figures showed.",
        "Sterling slipped against the dollar after the data, which economists had expected to show a rise.",
    ]
)


def story(
    sid: str, title: str, body: str = BODY, host: str = "wire.example", hours: int = 0, guid: str = "g1"
) -> Story:
    url = f"https://{host}/uk-output"
    return Story(
        id=sid,
        url=url,
        canonical_url=canonical_url(url),
        guid=guid,
        title=title,
        body=body,
        published_at=NOW + dt.timedelta(hours=hours),
        source=FeedSource(url=f"https://{host}/rss"),
        content_hash=content_hash(body),
        fetched_at=NOW,
    )


def resolve(new: list[Story], index: list[str]) -> tuple[list[EnrichedStory], list[Any], list[dict[str, Any]]]:
    items: list[tuple[Any, Story | None]] = [(member_of(s), s) for s in new]
    items += [(prior_member(obj), None) for obj in map(parse_index_line, index) if obj]
    stories, dups, lines = [], [], []
    for out in resolve_cluster(items, NOW):
        if isinstance(out, EnrichedStory):
            stories.append(out)
        elif out.tag == "duplicates":
            dups.append(out.value)
        else:
            lines.append(json.loads(out.value))
    return stories, dups, lines


def test_within_a_run_the_newest_version_is_kept_and_earlier_ones_listed() -> None:
    v1 = story("a1", "UK factory output falls", guid="a1")
    v2 = story("a2", "UPDATE 1-UK factory output falls, sterling slips", BODY + "\n\nMore detail.", hours=1, guid="a2")
    copy = story("b1", "Factory output falls", host="outlet.example", hours=2, guid="b1")
    stories, dups, lines = resolve([v1, v2, copy], [])
    (kept,) = stories
    assert (kept.id, kept.version, kept.revision) == ("a2", 1, "UPDATE 1")
    assert [c.id for c in kept.cluster.versions] == ["a1"]
    assert sorted(c.id for c in kept.cluster.copies) == ["a2", "b1"]
    assert sorted((d.id, d.duplicate_of, d.reason) for d in dups) == [("a1", "a2", "superseded"), ("b1", "a2", "near")]
    assert lines[0]["v"] == 1 and lines[0]["id"] == "a2"


def test_against_the_index_a_changed_item_is_the_next_version_an_unchanged_one_a_duplicate() -> None:
    _, _, (entry,) = resolve([story("s", "UK factory output falls")], [])
    index = [json.dumps(entry)]
    again, dups, _ = resolve([story("s", "UK factory output falls")], index)
    assert again == [] and [(d.duplicate_of, d.reason, d.cross_run) for d in dups] == [("s", "index", True)]
    (v2,), _, (line,) = resolve([story("s", "UPDATE 1-UK factory output falls", hours=1)], index)
    assert (v2.id, v2.version, v2.supersedes and v2.supersedes.model_dump()) == ("s", 2, {"id": "s", "version": 1})
    assert v2.changes == Changes(headline_changed=True, paragraphs_added=0, paragraphs_removed=0, paragraphs_edited=0)
    assert version_info(line).version == 2
    # Reissued under a new GUID and URL by the same outlet: its own id, superseding the record.
    reissued = story("t", "UK factory output falls", BODY + "\n\nNew paragraph.", hours=2, guid="t")
    reissued = reissued.model_copy(update={"url": "https://wire.example/uk-output-2", "canonical_url": None})
    # (no shared exact key: joined to the record by a near-duplicate band in a real run)
    (v3,), _, _ = resolve([reissued], [json.dumps(line)])
    assert (v3.id, v3.version, v3.supersedes and v3.supersedes.id) == ("t", 3, "s")
    # Another outlet's changed copy stays a copy; an older text resurfacing is no revision.
    other = story("o", "Output falls", BODY + "\n\nTheir own line.", host="outlet.example", hours=3, guid="o")
    assert resolve([other], [json.dumps(line)])[0] == []
    assert resolve([story("s", "Old headline", hours=-5)], [json.dumps(line)])[0] == []


def test_a_version_1_index_line_counts_as_version_1_with_unknown_content() -> None:
    check_index_header('{"format": "wirebeam-dedup-index", "version": 1}')  # still read
    s = story("s", "UK factory output falls")
    old = index_line("s", member_of(s).keys, NOW - dt.timedelta(hours=1))  # as wirebeam 1 wrote it
    assert "fp" not in old and version_info(json.loads(old)).version == 1
    # Unchanged-looking: same body hash (a retitled item cannot be told from an unchanged one): a duplicate.
    assert resolve([story("s", "UPDATE 1-UK factory output falls")], [old])[0] == []
    # A body hash the line does not hold proves a change: version 2, what changed unknown.
    (v2,), _, (line,) = resolve([story("s", "UK factory output falls", BODY + "\n\nMore.")], [old])
    assert (v2.version, v2.changes) == (2, None)
    assert "fp" in line  # from now on the line remembers its content


# --- the scripted wire sequence, through the CLI ----------------------------------------------------------

PARAGRAPHS = [
    "LONDON (Wire) - British factory output fell for a third month in October, official figures showed on Friday.",
    "The Office for National Statistics said manufacturing output dropped 0.4% from September.",
    "Economists polled by the agency had expected a small rise after two months of declines.",
]
UPDATE = [
    "Sterling slipped a third of a cent against the dollar after the data were published.",
    "The figures add to signs that the economy stalled in the final quarter of the year.",
]
CORRECTION = "CORRECTION: An earlier version of this story misstated the fall in September's output."


def rss(items: list[dict[str, Any]], poll: int = 0) -> str:
    """An RSS document; `poll` changes its bytes (lastBuildDate), so a poll is never answered "not modified"."""
    def item(i: dict[str, Any]) -> str:
        body = "".join(f"<p>{p}</p>" for p in i["paragraphs"])
        return (
            f"<item><guid isPermaLink=\"false\">{i['guid']}</guid><link>{i['link']}</link><title>{i['title']}</title>"
            f"<pubDate>{i['date']}</pubDate><description><![CDATA[{body}]]></description></item>"
        )

    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Wire</title>'
        f"<link>https://wire.example/</link><description>wire</description><lastBuildDate>{poll}</lastBuildDate>"
        + "".join(item(i) for i in items)
        + "</channel></rss>"
    )


def wire_item(title: str, paragraphs: list[str], date: str) -> dict[str, Any]:
    return {"guid": "UK-OUTPUT-1", "link": "https://wire.example/uk-output", "title": title, "paragraphs": paragraphs,
            "date": date}  # fmt: skip


V1 = wire_item("UK factory output falls", PARAGRAPHS, "Fri, 27 Nov 2026 08:00:00 GMT")
V2 = wire_item("UPDATE 1-UK factory output falls for third month, sterling slips", PARAGRAPHS + UPDATE,
               "Fri, 27 Nov 2026 09:00:00 GMT")  # fmt: skip
V3 = wire_item("UPDATE 1-UK factory output falls for third month, sterling slips",
               [*PARAGRAPHS, *UPDATE, CORRECTION], "Fri, 27 Nov 2026 10:00:00 GMT")  # fmt: skip
COPY_OF_V2 = {"guid": "outlet-77", "link": "https://outlet.example/business/uk-output",
              "paragraphs": PARAGRAPHS + UPDATE, "title": "UK factory output falls again",
              "date": "Fri, 27 Nov 2026 11:00:00 GMT"}  # fmt: skip


def scripted_runs(
    tmp_path: Path, run_cli: RunCli, ner: str, *flags: str
) -> list[tuple[dict[str, Any], list, list, list[str]]]:
    """The wire sequence, one run each; per run: totals, stories, duplicates, the summary table's TOTAL row."""
    wire, outlet = tmp_path / "wire.xml", tmp_path / "outlet.xml"
    outlet.write_text(rss([]))
    steps = [([V1], []), ([V2], []), ([V3], []), ([V3], []), ([V3], [COPY_OF_V2])]
    results = []
    for n, (wire_items, outlet_items) in enumerate(steps):
        wire.write_text(rss(wire_items, n))
        outlet.write_text(rss(outlet_items, n))
        code, printed = run_cli(
            "run", "--feeds", str(wire), "--feeds", str(outlet), "--output", str(tmp_path / "out"),
            "--state", str(tmp_path / "state"), "--run-id", f"r{n}", "--ner-model", ner, *flags,
        )  # fmt: skip
        assert code == 0
        (total,) = [line.split() for line in printed.splitlines() if line.startswith("TOTAL")]
        folder = tmp_path / "out" / f"r{n}"
        manifest = json.loads((folder / "manifest.json").read_text())
        assert manifest["reconciled"]
        results.append(
            (manifest["totals"], read_jsonl(folder, "stories"), read_jsonl(folder, "duplicates"), total)
        )
    return results


@pytest.mark.e2e
def test_scripted_wire_sequence_through_the_cli(tmp_path: Path, run_cli: RunCli, blank_ner: str) -> None:  # noqa: F811
    runs = scripted_runs(tmp_path, run_cli, blank_ner)
    emitted = [stories for _, stories, _, _ in runs]
    assert [[s["version"] for s in stories] for stories in emitted] == [[1], [2], [3], [], []]
    assert [t["versions"] for t, _, _, _ in runs] == [0, 1, 1, 0, 0]
    # The summary table: TOTAL, read, new, versions, dups, … (read = new + versions + dups + dead).
    assert [row[1:5] for _, _, _, row in runs] == [
        ["1", "1", "0", "0"], ["1", "0", "1", "0"], ["1", "0", "1", "0"], ["1", "0", "0", "1"], ["2", "0", "0", "2"]
    ]
    (v1,), (v2,), (v3,) = emitted[:3]
    assert v1["id"] == v2["id"] == v3["id"]  # one item: a consumer upserts by id
    assert v2["supersedes"] == {"id": v1["id"], "version": 1} and v3["supersedes"] == {"id": v1["id"], "version": 2}
    assert v2["title"].startswith("UPDATE 1-") and v2["revision"] == "UPDATE 1"
    assert v2["changes"] == {"headline_changed": True, "paragraphs_added": 2, "paragraphs_removed": 0,
                             "paragraphs_edited": 0}  # fmt: skip
    assert v3["changes"]["paragraphs_added"] == 1 and not v3["changes"]["headline_changed"]
    assert v1["correction"] is None and v2["correction"] is None and v3["correction"] == CORRECTION
    # The same again: nothing new, a duplicate of the record already emitted.
    assert [(d["duplicate_of"], d["reason"], d["cross_run"]) for d in runs[3][2]] == [(v1["id"], "index", True)]
    # The HTML report of the correction's run shows the version, what it supersedes and the correction.
    from pipeline.report import write_report

    page = Path(write_report(str(tmp_path / "out" / "r2"))).read_text(encoding="utf-8")
    section = page[page.index('<section id="versions">') :]
    section = section[: section.index("</section>")]
    assert "1 of 1 stories are a new version" in section
    assert f"{v1['id']} v2" in section and "CORRECTION: An earlier version" in section
    # Another outlet's copy of v2: a duplicate of the latest version's record (its id), not a story.
    dups = runs[4][2]
    assert sorted(d["url"] for d in dups) == ["https://outlet.example/business/uk-output", "https://wire.example/uk-output"]
    assert {d["duplicate_of"] for d in dups} == {v3["id"]}


@pytest.mark.e2e
def test_one_record_per_story_keeps_the_first_version_only(tmp_path: Path, run_cli: RunCli, blank_ner: str) -> None:  # noqa: F811
    runs = scripted_runs(tmp_path, run_cli, blank_ner, "--one-record-per-story")
    assert [[s["version"] for s in stories] for _, stories, _, _ in runs] == [[1], [], [], [], []]
    assert all(d["reason"] == "index" for _, _, dups, _ in runs[1:] for d in dups)


# --- streaming: the same item changed at a later poll is its next version ---------------------------------


def test_stream_emits_a_changed_item_as_its_next_version() -> None:
    import apache_beam as beam
    from apache_beam.testing.test_stream import TestStream
    from apache_beam.testing.util import assert_that, equal_to

    from tests.test_streaming import WIRE, at, streaming_pipeline
    from tests.test_streaming import story as stream_story
    from transforms.dedup.streaming import StreamingDedup

    updated = WIRE + " Rescuers reached the village on Wednesday and found four survivors."
    v1 = stream_story("a", WIRE, title="Landslide buries village")
    v2 = stream_story("a", updated, title="UPDATE 1-Landslide buries village, four found alive")
    copy = stream_story("c", updated, feed="https://c.example/rss", title="Four found alive after landslide")
    events = (
        TestStream()
        .add_elements([at(v1, 10)])
        .advance_watermark_to(50)
        .add_elements([at(v1, 70)])  # the same again: a duplicate of itself
        .advance_watermark_to(100)
        .add_elements([at(v2, 130)])  # changed: version 2, same id
        .advance_watermark_to(160)
        .add_elements([at(v2, 190), at(copy, 200)])  # v2 again, and another outlet's copy: duplicates
        .advance_watermark_to(300)
        .advance_watermark_to_infinity()
    )
    with streaming_pipeline() as p:
        out = p | events | StreamingDedup(dt.timedelta(hours=1))
        assert_that(
            out["stories"] | "Versions" >> beam.Map(lambda s: (s.id, s.version, s.revision, s.supersedes is not None)),
            equal_to([("a", 1, None, False), ("a", 2, "UPDATE 1", True)]),
            label="Stories",
        )
        assert_that(
            out["duplicates"] | "Dups" >> beam.Map(lambda d: (d.id, d.duplicate_of)),
            equal_to([("a", "a"), ("a", "a"), ("c", "a")]),
            label="Duplicates",
        )


def test_stream_on_a_state_folder_emits_what_changed_since_an_earlier_run(tmp_path: Path) -> None:
    import apache_beam as beam
    from apache_beam.testing.test_stream import TestStream
    from apache_beam.testing.util import assert_that, equal_to

    from tests.test_streaming import at, streaming_pipeline
    from transforms.dedup.index import index_header
    from transforms.dedup.streaming import StreamingDedup

    _, _, (entry,) = resolve([story("s", "UK factory output falls")], [])  # what a batch run emitted
    index = tmp_path / "dedup_index.jsonl"
    index.write_text(index_header() + "\n" + json.dumps(entry) + "\n")
    unchanged = story("s", "UK factory output falls")
    updated = story("s", "UPDATE 1-UK factory output falls", BODY + "\n\nSterling slipped.", hours=1)
    events = (
        TestStream()
        .add_elements([at(unchanged, 10)])
        .advance_watermark_to(50)
        .add_elements([at(updated, 70)])
        .advance_watermark_to(100)
        .add_elements([at(updated, 130)])  # the update again: now a duplicate of itself
        .advance_watermark_to_infinity()
    )
    with streaming_pipeline() as p:
        out = p | events | StreamingDedup(dt.timedelta(days=1), index_path=str(index), now=NOW)
        assert_that(
            out["stories"] | "Versions" >> beam.Map(lambda s: (s.id, s.version, s.supersedes and s.supersedes.version)),
            equal_to([("s", 2, 1)]),
            label="Stories",
        )
        assert_that(
            out["duplicates"] | "Dups" >> beam.Map(lambda d: (d.id, d.duplicate_of, d.reason)),
            equal_to([("s", "s", "index"), ("s", "s", "guid")]),
            label="Duplicates",
        )


@pytest.mark.parametrize(
    ("versions", "stories", "dups"),
    [
        (True, [("s", 1, None), ("t", 2, "s")], [("o", "s", "near"), ("u", "s", "content_hash")]),
        # --one-record-per-story: the reissue is a duplicate, as in batch.
        (False, [("s", 1, None)], [("o", "s", "near"), ("t", "s", "near"), ("u", "s", "content_hash")]),
    ],
)
def test_stream_emits_the_same_outlets_changed_story_under_a_new_id_as_its_next_version(
    versions: bool, stories: list[tuple[str, int, str | None]], dups: list[tuple[str, str, str]]
) -> None:
    """The batch rule (members.is_version) in the stream's Decide step: a wire's own reissue with changed text is
    a version even under a new GUID and URL; another outlet's changed copy and the same outlet's unchanged text
    under a new id are duplicates."""
    import apache_beam as beam
    from apache_beam.testing.test_stream import TestStream
    from apache_beam.testing.util import assert_that, equal_to

    from tests.test_streaming import at, streaming_pipeline
    from transforms.dedup.streaming import StreamingDedup

    def reissued(sid: str, title: str, body: str, host: str = "wire.example", hours: int = 0) -> Story:
        s = story(sid, title, body, host=host, hours=hours, guid=sid)
        return s.model_copy(update={"url": f"https://{host}/uk-output-{sid}", "canonical_url": None})

    first = story("s", "UK factory output falls")
    update = reissued("t", "UK factory output falls", BODY + "\n\nNew paragraph.", hours=2)
    other = reissued("o", "Output falls", BODY + "\n\nTheir own line.", host="outlet.example", hours=3)
    again = reissued("u", "UK factory output falls", BODY, hours=4)
    events = (
        TestStream()
        .add_elements([at(first, 10)])
        .advance_watermark_to(50)
        .add_elements([at(update, 70)])
        .advance_watermark_to(100)
        .add_elements([at(other, 130), at(again, 190)])
        .advance_watermark_to(300)
        .advance_watermark_to_infinity()
    )
    with streaming_pipeline() as p:
        out = p | events | StreamingDedup(dt.timedelta(hours=1), versions=versions)
        assert_that(
            out["stories"] | "Versions" >> beam.Map(lambda s: (s.id, s.version, s.supersedes and s.supersedes.id)),
            equal_to(stories),
            label="Stories",
        )
        assert_that(
            out["duplicates"] | "Dups" >> beam.Map(lambda d: (d.id, d.duplicate_of, d.reason)),
            equal_to(dups),
            label="Duplicates",
        )
