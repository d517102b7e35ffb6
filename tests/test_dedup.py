"""DedupStories, the Beam batch path: keys → GroupByKey → pairs → components → one story per cluster."""

from __future__ import annotations

import datetime as dt
import json
import pickle
from pathlib import Path

import apache_beam as beam
import pytest
from apache_beam.testing.test_pipeline import TestPipeline

from schemas.story import FeedSource, Story
from transforms.dedup.index import (
    IndexFormatError,
    IndexParameterMismatch,
    check_index_header,
    index_header,
    index_line,
)
from transforms.dedup.keys import BAND, CONTENT_HASH, GUID, REASON_RANK, URL, kind_of
from transforms.dedup.members import Member, duplicate_reason, exact_keys, member_of, rank
from transforms.dedup.neardup import DedupConfig, canonical_url, content_hash
from transforms.dedup.stage import DedupStories

NOW = dt.datetime(2026, 11, 27, 12, tzinfo=dt.UTC)
BODY = "The port strike entered its third day on Tuesday after talks broke up without agreement, the union said."


def story(
    sid: str, url: str | None, body: str = BODY, feed: str = "wire", hours: int = 0, guid: str | None = None
) -> Story:
    return Story(
        id=sid,
        url=url,
        canonical_url=canonical_url(url) if url else None,
        guid=guid,
        title=f"title {sid}",
        body=body,
        published_at=NOW - dt.timedelta(hours=hours),
        source=FeedSource(url=f"https://{feed}/rss"),
        content_hash=content_hash(body),
        fetched_at=NOW,
    )


STORIES = [
    story("a", "https://wire.example/strike", hours=3),
    story("b", "https://outlet.example/strike?utm_source=rss#top", body=BODY + " More.", feed="outlet", hours=2),
    story(
        "c",
        "https://outlet.example/strike",
        body="Different body of a different length entirely, long enough to be hashed as a story of its own.",
        feed="outlet2",
        hours=5,
    ),
    story("d", "https://third.example/copy", feed="third", hours=1),
    story(
        "e",
        "https://wire.example/other",
        body="Another story about fishing quotas agreed in Brussels on "
        "Thursday after talks that ran through the night.",
        hours=4,
    ),
]


def test_representative_is_earliest_then_longest() -> None:
    early_short = Member(id="x", source="s", keys=(), published_at=NOW, body_len=10)
    early_long = Member(id="y", source="s", keys=(), published_at=NOW, body_len=99)
    late = Member(id="a", source="s", keys=(), published_at=NOW + dt.timedelta(seconds=1), body_len=999)
    prior = Member(id="z", source="s", keys=(), prior=True)
    assert sorted([early_short, late, early_long], key=rank)[0].id == "y"
    assert sorted([early_short, prior], key=rank)[0].id == "z"


def test_exact_keys_name_their_kind() -> None:
    keys = exact_keys(story("k", "https://www.wire.example/strike?utm_source=rss", guid="7"))
    assert keys == (
        "u:https://wire.example/strike",
        "g:https://wire/rss\x1f7",
        f"h:{content_hash(BODY)}",
    )
    assert [kind_of(k) for k in keys] == [URL, GUID, CONTENT_HASH]
    assert kind_of(BAND.key("00:ab")).reason == "near"


@pytest.mark.parametrize(
    ("shared", "reason"),
    [
        (["u:x", "g:y", "h:z", "b:w"], "url"),
        (["g:y", "h:z"], "guid"),
        (["h:z", "b:w"], "content_hash"),
        (["b:w"], "near"),
        ([], "near"),  # joined through other copies
    ],
)
def test_duplicate_reason_is_the_most_specific_shared_kind(shared: list[str], reason: str) -> None:
    kept = Member(id="a", source="s", keys=(*shared, "u:kept-only"))
    copy = Member(id="b", source="s", keys=(*shared, "h:copy-only"))
    assert duplicate_reason(copy, kept) == reason
    assert duplicate_reason(copy, Member(id="a", source="s", keys=tuple(shared), prior=True)) == "index"
    assert sorted(REASON_RANK, key=REASON_RANK.__getitem__) == ["url", "guid", "content_hash", "near"]


def test_short_bodies_are_not_hashed() -> None:
    assert member_of(story("s", None, body="Live updates")).keys == ()


def run_dedup(
    tmp: Path, stories: list[Story], index: list[str] | None = None, near: bool = False
) -> tuple[list, list, list]:
    """Run the composite; its three outputs are written to files and read back (as the sink does)."""
    with TestPipeline(runner="FnApiRunner") as p:
        lines = p | "Index" >> beam.Create(index) if index is not None else None
        out = p | beam.Create(stories) | DedupStories(lines, now=NOW, near=near)
        kept = out.stories | "S" >> beam.Map(
            lambda s: json.dumps([s.id, s.cluster.size, sorted(c.id for c in s.cluster.copies)])
        )
        dups = out.duplicates | "D" >> beam.Map(lambda d: json.dumps([d.id, d.duplicate_of, d.reason, d.cross_run]))
        index = (out.index_entries, out.carried_index_entries) | "NewIndex" >> beam.Flatten()
        for name, pcoll in (("stories", kept), ("duplicates", dups), ("index", index)):
            pcoll | f"Write{name}" >> beam.io.WriteToText(str(tmp / name), shard_name_template="")

    def read(name: str, decode: bool = True) -> list:
        rows = (tmp / name).read_text().splitlines()
        return sorted(tuple(json.loads(r)) if decode else r for r in rows)

    return read("stories"), read("duplicates"), read("index", decode=False)


def test_exact_duplicates_by_url_and_body_hash(tmp_path: Path) -> None:
    stories, duplicates, index = run_dedup(tmp_path, STORIES)
    # c shares b's canonical URL with another body: an earlier version of b (README, Story versions), listed in
    # b's cluster as a version. d has a's body, from another outlet: a copy, the earliest kept.
    assert stories == [("a", 2, ["a", "d"]), ("b", 1, ["b"]), ("e", 1, ["e"])]
    assert duplicates == [("c", "b", "superseded", False), ("d", "a", "content_hash", False)]
    assert len(index) == 3


WIRE = (
    "ROTTERDAM (Harbor Wire) - A strike by crane operators at the port of Rotterdam entered its third day on "
    "Tuesday after talks between the union and terminal operators broke up without agreement, leaving more than "
    "forty container ships waiting at anchor in the North Sea. The union said its members would stay out until at "
    "least Friday unless employers improved an offer of a four percent wage rise over two years. The port "
    "authority said cargo volumes had fallen by roughly a third since the walkout began on Sunday."
)
OTHER = (
    "BRUSSELS (Harbor Wire) - European Union fisheries ministers agreed catch limits for next year early on "
    "Thursday after talks that ran through the night, cutting the North Sea cod quota by twelve percent while "
    "raising limits for herring. The Commission had proposed a twenty percent cut for cod. Ireland and France "
    "pushed for a smaller reduction, saying coastal communities had already lost boats."
)


def test_near_duplicates_trimmed_and_edited_copies_join_one_cluster(tmp_path: Path) -> None:
    trimmed = WIRE.rsplit(". The port", 1)[0] + ". Read more at Coastal Times."
    edited = WIRE.replace("forty", "40").replace("Tuesday", "Tuesday morning")
    stories = [
        story("wire", "https://wire.example/a", body=WIRE, hours=5),
        story("trim", "https://coastal.example/b", body=trimmed, feed="coastal", hours=4),
        story("edit", "https://metro.example/c", body=edited, feed="metro", hours=3),
        story("other", "https://wire.example/d", body=OTHER, hours=2),
    ]
    kept, duplicates, index = run_dedup(tmp_path, stories, near=True)
    assert kept == [("other", 1, ["other"]), ("wire", 3, ["edit", "trim", "wire"])]
    assert duplicates == [("edit", "wire", "near", False), ("trim", "wire", "near", False)]
    assert all('"sig"' in line for line in index)  # signatures go to the index for the next run


def test_near_duplicate_of_an_earlier_run_is_found_by_signature(tmp_path: Path) -> None:
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    _, _, index = run_dedup(tmp_path / "one", [story("wire", "https://wire.example/a", body=WIRE)], near=True)
    edited = WIRE.replace("forty", "40")
    kept, duplicates, _ = run_dedup(
        tmp_path / "two",
        [story("late", "https://late.example/x", body=edited, feed="late")],
        [index_header(), *index],
        near=True,
    )
    assert kept == [] and duplicates == [("late", "wire", "index", True)]


def test_earlier_runs_index_turns_copies_into_cross_run_duplicates(tmp_path: Path) -> None:
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    _, _, index = run_dedup(tmp_path / "one", STORIES[:2])
    expired = index_line("old", ["u:https://gone.example/x"], NOW - dt.timedelta(days=30))
    stories, duplicates, new_index = run_dedup(tmp_path / "two", STORIES, [index_header(), *index, expired])
    assert stories == [("e", 1, ["e"])]
    assert duplicates == [
        ("a", "a", "index", True),
        ("b", "b", "index", True),
        ("c", "b", "index", True),
        ("d", "a", "index", True),
    ]
    # The expired entry is gone from the new index; the earlier entries carry forward.
    assert not any("gone.example" in line for line in new_index)


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("{oops", "not JSON"),
        ('{"format": "other"}', "no wirebeam header"),
        ('{"format": "wirebeam-dedup-index", "version": 99}', "newer than this wirebeam reads"),
    ],
)
def test_unusable_index_is_refused(header: str, message: str) -> None:
    with pytest.raises(IndexFormatError, match=message) as refused:
        check_index_header(header)
    assert "--" not in str(refused.value)  # the facts only: what to do is the CLI's to say (test_cli.py)
    check_index_header(index_header())


def test_an_index_of_other_minhash_parameters_is_refused_with_the_facts() -> None:
    with pytest.raises(IndexParameterMismatch) as refused:
        check_index_header(index_header(DedupConfig(shingle_size=3)), DedupConfig(shingle_size=5))
    assert (refused.value.parameter, refused.value.indexed, refused.value.current) == ("shingle_size", 3, 5)
    assert str(refused.value) == (
        "dedup index was built with shingle_size=3, this run uses 5: their signatures cannot be compared"
    )
    assert pickle.loads(pickle.dumps(refused.value)).parameter == "shingle_size"  # crosses Beam's processes


@pytest.mark.parametrize("near", [False, True])
def test_index_entries_no_story_touches_pass_through_unchanged(tmp_path: Path, near: bool) -> None:
    """An earlier entry sharing no key or id with this run's stories streams to the new index as it was (it never
    enters the shuffle: a chunk's dedup holds only what its own stories can touch); one that does is merged."""
    untouched = index_line("far", ["u:https://far.example/x", "h:0123"], NOW - dt.timedelta(hours=1), b"\x01" * 512, 9)
    # As an earlier run wrote it: the exact keys of the story it emitted (its body hash too, so the same story
    # again is no new version: README, Story versions).
    touched = index_line("a", exact_keys(STORIES[0]), NOW - dt.timedelta(hours=2))
    stories, duplicates, new_index = run_dedup(tmp_path, STORIES[:1], [index_header(), untouched, touched], near=near)
    assert stories == [] and duplicates == [("a", "a", "index", True)]
    assert untouched in new_index
    assert len(new_index) == 2 and any(json.loads(line)["id"] == "a" for line in new_index)
