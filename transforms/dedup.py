"""Stage 5 — DedupStories: one story per cluster of copies, with every copy's provenance.

Batch shape (no step holds the whole input): each story and each entry of the cross-run index becomes a
`Member` with a few keys — canonical URL, GUID (scoped to its feed), body hash, and near-duplicate band keys —
then key → GroupByKey → candidate pairs (verified for band keys) → connected components over the pairs only
→ group by component → one representative per component, the rest `Duplicate` records.

Representative policy: a copy already emitted by an earlier run wins (nothing new is emitted); otherwise the
earliest published copy, ties to the longest body, then the smallest id.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import apache_beam as beam
import orjson

from schemas.story import Cluster, ClusterCopy, Duplicate, EnrichedStory, Story
from transforms.common import counter, utcnow
from transforms.neardup import connected_components

LOGGER = logging.getLogger(__name__)

STAGE = "dedup"
DUPLICATES = "duplicates"
INDEX_ENTRIES = "index_entries"

INDEX_FORMAT = "wirebeam-dedup-index"
INDEX_VERSION = 1
# A story with a body shorter than this is keyed by URL/GUID only: short bodies (a headline, "Live updates")
# hash alike across unrelated stories.
MIN_HASHED_BODY = 80
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_FAR_FUTURE = dt.datetime(9999, 1, 1, tzinfo=dt.UTC)


class IndexError_(ValueError):
    """The dedup index in the state dir cannot be used."""


@dataclasses.dataclass(frozen=True, slots=True)
class Member:
    """What dedup needs to know of a story (or of an earlier run's emitted story)."""

    id: str
    source: str
    keys: tuple[str, ...]
    url: str | None = None
    title: str | None = None
    published_at: dt.datetime | None = None
    body_len: int = 0
    prior: bool = False
    first_seen: dt.datetime | None = None


def exact_keys(story: Story) -> tuple[str, ...]:
    keys = []
    if story.canonical_url:
        keys.append(f"u:{story.canonical_url}")
    if story.guid:
        # GUIDs are only unique within a feed ("1", "2", … exist in the wild).
        keys.append(f"g:{story.source.url}\x1f{story.guid}")
    if len(story.body) >= MIN_HASHED_BODY:
        keys.append(f"h:{story.content_hash}")
    return tuple(keys)


def member_of(story: Story) -> Member:
    return Member(
        id=story.id,
        source=story.source.url,
        keys=exact_keys(story),
        url=story.url,
        title=story.title,
        published_at=story.published_at,
        body_len=len(story.body),
    )


def candidate_pairs(key: str, members: Iterable[Member]) -> Iterator[tuple[str, str]]:
    """Edges among the members sharing one key: a star from the smallest id, enough for components."""
    ids = sorted({m.id for m in members})
    for other in ids[1:]:
        yield ids[0], other


def rank(member: Member) -> tuple[Any, ...]:
    """Sort key of the representative policy (smallest wins)."""
    return (
        not member.prior,
        member.published_at or _FAR_FUTURE,
        -member.body_len,
        member.id,
    )


def duplicate_reason(member: Member, kept: Member) -> str:
    if kept.prior:
        return "index"
    shared = set(member.keys) & set(kept.keys)
    for prefix, reason in (("u:", "url"), ("g:", "guid"), ("h:", "content_hash")):
        if any(k.startswith(prefix) for k in shared):
            return reason
    return "near"


def resolve_cluster(members: Sequence[Member], stories: dict[str, Story], now: dt.datetime) -> Iterator[Any]:
    """One component → the kept EnrichedStory (unless an earlier run kept it), Duplicates, an index entry."""
    ordered = sorted(members, key=rank)
    kept = ordered[0]
    new = [m for m in ordered if not m.prior]
    copies = [
        ClusterCopy(id=m.id, url=m.url, source=m.source, title=m.title, published_at=m.published_at)
        for m in ordered
    ]
    for m in new:
        if m is kept:  # an earlier run's copy may share the id of its new copy: compare identity
            continue
        counter("dedup.duplicates").inc()
        yield beam.pvalue.TaggedOutput(
            DUPLICATES,
            Duplicate(
                id=m.id,
                duplicate_of=kept.id,
                reason=duplicate_reason(m, kept),  # type: ignore[arg-type]
                cross_run=kept.prior,
                url=m.url,
                source=m.source,
                title=m.title,
                published_at=m.published_at,
            ),
        )
    keys = sorted({k for m in members for k in m.keys})
    if kept.prior:
        # Already emitted earlier: remember the new copies' keys under the old id, emit nothing.
        first_seen = min((m.first_seen for m in members if m.prior and m.first_seen), default=now)
        yield beam.pvalue.TaggedOutput(INDEX_ENTRIES, index_line(kept.id, keys, first_seen))
        return
    story = stories[kept.id]
    counter("dedup.stories").inc()
    yield EnrichedStory(
        **story.model_dump(),
        cluster=Cluster(id=kept.id, size=len(copies), copies=copies),
        processed_at=now,
    )
    yield beam.pvalue.TaggedOutput(INDEX_ENTRIES, index_line(kept.id, keys, now))


# --- the cross-run index: JSONL, a header line then one line per emitted cluster -------------------------


def index_header() -> str:
    return orjson.dumps({"format": INDEX_FORMAT, "version": INDEX_VERSION}).decode()


def index_line(story_id: str, keys: Sequence[str], first_seen: dt.datetime) -> str:
    return orjson.dumps({"id": story_id, "keys": list(keys), "first_seen": first_seen.isoformat()}).decode()


def check_index_header(line: str) -> None:
    """Refuse an index this version cannot read, with a message that says what to do."""
    try:
        header = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise IndexError_(
            f"dedup index header is not JSON ({exc}); fix it or rerun with --reset-state"
        ) from exc
    if not isinstance(header, dict) or header.get("format") != INDEX_FORMAT:
        raise IndexError_("dedup index has no wirebeam header; fix it or rerun with --reset-state")
    version = header.get("version")
    if not isinstance(version, int) or version > INDEX_VERSION:
        raise IndexError_(
            f"dedup index version {version!r} is newer than this wirebeam reads ({INDEX_VERSION}); "
            "upgrade wirebeam or rerun with --reset-state"
        )


def parse_index_line(line: str) -> dict[str, Any] | None:
    """One index line → dict; None for the header. Raises IndexError_ on a corrupt line."""
    try:
        obj = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise IndexError_(f"corrupt dedup index line ({exc}): {line[:120]!r}") from exc
    if "format" in obj:
        return None
    if not isinstance(obj.get("id"), str) or not isinstance(obj.get("keys"), list):
        raise IndexError_(f"corrupt dedup index line: {line[:120]!r}")
    return obj


def prior_member(obj: dict[str, Any]) -> Member:
    first_seen = dt.datetime.fromisoformat(obj["first_seen"])
    return Member(
        id=obj["id"],
        source="(earlier run)",
        keys=tuple(obj["keys"]),
        prior=True,
        first_seen=first_seen,
        published_at=_EPOCH,
    )


def expired(obj: dict[str, Any], now: dt.datetime, retention: dt.timedelta) -> bool:
    return dt.datetime.fromisoformat(obj["first_seen"]) < now - retention


# --- the Beam composite ------------------------------------------------------------------------------------


class _ResolveFn(beam.DoFn):
    def __init__(self, now: dt.datetime) -> None:
        self._now = now

    def process(self, element: tuple[str, Iterable[tuple[Member, Story | None]]]) -> Iterator[Any]:
        _, items = element
        members: list[Member] = []
        stories: dict[str, Story] = {}
        for member, story in items:
            members.append(member)
            if story is not None:
                stories[member.id] = story
        yield from resolve_cluster(members, stories, self._now)


def _attach_root(element: tuple[str, dict[str, list[Any]]]) -> Iterator[tuple[str, tuple[Member, Any]]]:
    member_id, joined = element
    roots = joined["root"]
    root = roots[0] if roots else member_id
    for member, story in joined["member"]:
        yield root, (member, story)


def _components(edges: list[tuple[str, str]]) -> Iterator[tuple[str, str]]:
    yield from connected_components(edges).items()


class DedupStories(beam.PTransform):
    """PCollection[Story] (+ earlier runs' index lines) → {"stories": EnrichedStory, "duplicates": Duplicate,
    "index_entries": str (index lines of this run)}.
    """

    def __init__(
        self,
        index_lines: beam.PCollection | None = None,
        now: dt.datetime | None = None,
        retention: dt.timedelta = dt.timedelta(days=7),
        label: str | None = None,
    ) -> None:
        super().__init__(label)
        if retention <= dt.timedelta(0):
            raise ValueError(f"--dedup-retention-days must be positive, got {retention}")
        self._index_lines = index_lines
        self._now = now or utcnow()
        self._retention = retention

    def expand(self, stories: beam.PCollection) -> beam.pvalue.DoOutputsTuple:
        now, retention = self._now, self._retention
        new = stories | "ToMember" >> beam.Map(lambda s: (member_of(s), s))
        keyed = [new]
        if self._index_lines is not None:
            priors = (
                self._index_lines
                | "ParseIndex" >> beam.Map(parse_index_line)
                | "DropHeaderAndExpired"
                >> beam.Filter(lambda o: o is not None and not expired(o, now, retention))
                | "ToPriorMember" >> beam.Map(lambda o: (prior_member(o), None))
            )
            keyed.append(priors)
        members = keyed | "AllMembers" >> beam.Flatten()
        edges = (
            members
            | "Keys" >> beam.FlatMap(lambda ms: ((k, ms[0]) for k in ms[0].keys))
            | "GroupByKey" >> beam.GroupByKey()
            | "CandidatePairs" >> beam.FlatMapTuple(candidate_pairs)
        )
        # Components over the duplicate pairs only; their number is bounded by the duplicates, not the input.
        roots = edges | "AllPairs" >> beam.combiners.ToList() | "Components" >> beam.FlatMap(_components)
        by_id = members | "ById" >> beam.Map(lambda ms: (ms[0].id, ms))
        return (
            {"member": by_id, "root": roots}
            | "JoinRoots" >> beam.CoGroupByKey()
            | "ByComponent" >> beam.FlatMap(_attach_root)
            | "GroupComponents" >> beam.GroupByKey()
            | "Resolve" >> beam.ParDo(_ResolveFn(now)).with_outputs(DUPLICATES, INDEX_ENTRIES, main="stories")
        )
