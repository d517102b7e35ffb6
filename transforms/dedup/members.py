"""What the batch dedup decides, as plain functions: a story as a `Member` with its keys, the candidate pairs a
key shard yields and their verification, the representative policy with story versions (README), and the
cluster's records (the kept story, its `Duplicate`s, its index entry). `stage.py` wires these into Beam steps.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import logging
import math
import re
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, Literal, NamedTuple, Protocol

import apache_beam as beam
import numpy as np

from schemas.story import Cluster, ClusterCopy, Duplicate, EnrichedStory, Story
from transforms.common import counter
from transforms.dedup.index import VersionInfo, index_line, version_info
from transforms.dedup.keys import BAND, CONTENT_HASH, EXACT_KINDS, GUID, URL, Reason, guid_key, is_band
from transforms.dedup.neardup import (
    DedupConfig,
    DocSketch,
    band_keys,
    estimated_near_duplicate,
    is_near_duplicate,
    make_sketch,
)
from transforms.dedup.versions import (
    as_next_version,
    correction_note,
    fingerprint,
    outlet,
    outlet_of_url,
    paragraph_digests,
    revision_marker,
    short_hash,
    unpack_digests,
)

LOGGER = logging.getLogger(__name__)

STAGE = "dedup"
DUPLICATES = "duplicates"
INDEX_ENTRIES = "index_entries"
# Earlier index entries no story of this run touches, carried to the new index unchanged: an output of their own,
# so that the sink writes them where they are read (fused) instead of after a Flatten, which would hold them all.
CARRIED_ENTRIES = "carried_index_entries"

# A story with a body shorter than this is keyed by URL/GUID only: short bodies (a headline, "Live updates")
# hash alike across unrelated stories.
MIN_HASHED_BODY = 80
# Keys are shuffled in this many shards (a stable hash of the key), each grouping its keys in memory: shuffled by
# key, the keys of a story (32 bands and up to 3 exact keys), nearly all of them held by that story alone, would
# cost Beam a group each; by shard, a group holds keys × stories / KEY_SHARDS small rows.
KEY_SHARDS = 512
# Candidate pairs in one LSH bucket grow quadratically; a bucket this large is boilerplate that slipped through,
# and comparing its first members is enough to keep real copies together.
MAX_BUCKET = 500
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_FAR_FUTURE = dt.datetime(9999, 1, 1, tzinfo=dt.UTC)


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
    sketch: DocSketch | None = None
    signature: bytes = b""
    n_shingles: int = 0
    # What tells a version from a copy (transforms/dedup/versions.py); `info` only for an earlier run's record.
    outlet: str | None = None
    fingerprint: str = ""
    title_hash: str = ""
    paragraphs: bytes = b""  # versions.paragraph_digests
    revision: str | None = None
    revision_n: int = 0
    info: VersionInfo | None = None


def exact_keys(story: Story) -> tuple[str, ...]:
    """The keys that prove a copy: canonical URL, GUID within its feed, hash of a body long enough to tell."""
    keys = []
    if story.canonical_url:
        keys.append(URL.key(story.canonical_url))
    if story.guid:
        # GUIDs are only unique within a feed ("1", "2", … exist in the wild).
        keys.append(guid_key(story.source.url, story.guid))
    if len(story.body) >= MIN_HASHED_BODY:
        keys.append(CONTENT_HASH.key(story.content_hash))
    return tuple(keys)


def sketch_text(story: Story) -> str:
    """What near-duplicate detection compares: the body, or the title of a headline-only item."""
    return story.body if story.body.strip() else story.title


def member_of(
    story: Story,
    cfg: DedupConfig | None = None,
    hashes: np.ndarray | None = None,
    boilerplate: np.ndarray | None = None,
) -> Member:
    """A new story as a dedup member; with `cfg`, sketched and keyed by its LSH bands too."""
    keys = exact_keys(story)
    sketch = None
    if cfg is not None:
        published = story.published_at.timestamp() if story.published_at else None
        sketch = make_sketch(
            story.id,
            story.title,
            story.body,
            cfg,
            source=story.source.url,
            published=published,
            boilerplate=boilerplate,
            hashes=hashes,
        )
        keys += tuple(BAND.key(k) for k in band_keys(sketch.sig_array(), cfg))
    revision, revision_n = revision_marker(story.title)
    title_hash = short_hash(story.title)
    return Member(
        id=story.id,
        source=story.source.url,
        keys=keys,
        url=story.url,
        title=story.title,
        published_at=story.published_at,
        body_len=len(story.body),
        sketch=sketch,
        signature=sketch.signature if sketch else b"",
        n_shingles=sketch.n_shingles if sketch else 0,
        outlet=outlet(story),
        fingerprint=fingerprint(story.content_hash, story.title, title_hash),
        title_hash=title_hash,
        paragraphs=paragraph_digests(story.body),
        revision=revision,
        revision_n=revision_n,
    )


def version_member(story: Story) -> Member:
    """What `is_version` reads of a new story: id, exact keys, outlet, publish time and fingerprint (`member_of`
    without the sketch and the paragraph hashes: the stream asks it of every repeat sighting)."""
    return Member(
        id=story.id,
        source=story.source.url,
        keys=exact_keys(story),
        published_at=story.published_at,
        outlet=outlet(story),
        fingerprint=fingerprint(story.content_hash, story.title),
    )


# A body with fewer shingles than this (about 60 words) may be a template an outlet puts on many items; see
# `editions_of_a_series` (the exact-content key of such bodies includes the title: transforms/clean/stage.py).
TEMPLATE_SHINGLES = 57
_NUMBER_RE = re.compile(r"\d+")


class Sized(Protocol):
    """What `editions_of_a_series` reads of a copy: a batch Member, or a stream Sighting."""

    @property
    def title(self) -> str | None: ...

    @property
    def n_shingles(self) -> int: ...


def editions_of_a_series(a: Sized, b: Sized) -> bool:
    """Two short items whose titles both carry numbers, and different ones ("Best of cartoons, May 17" / "May 18",
    two live-blog editions with their figures): editions sharing a template text, not copies of one story. (A
    title with no number beside one with a number says nothing: "Hear the 911 call" and the article it is from.)"""
    if a.title is None or b.title is None or max(a.n_shingles, b.n_shingles) >= TEMPLATE_SHINGLES:
        return False
    numbers_a, numbers_b = _NUMBER_RE.findall(a.title), _NUMBER_RE.findall(b.title)
    return bool(numbers_a) and bool(numbers_b) and numbers_a != numbers_b


def near_duplicates(a: Member, b: Member, cfg: DedupConfig) -> bool:
    """Verify an LSH candidate: exact shingle sets within a run, signatures against an earlier run."""
    if editions_of_a_series(a, b):
        return False
    if a.sketch is not None and b.sketch is not None:
        return is_near_duplicate(a.sketch, b.sketch, cfg)
    if not a.signature or not b.signature:
        return False
    sig_a, sig_b = np.frombuffer(a.signature, dtype="<u4"), np.frombuffer(b.signature, dtype="<u4")
    return estimated_near_duplicate(sig_a, a.n_shingles, sig_b, b.n_shingles, cfg)


class KeyRef(NamedTuple):
    """What travels under each key: enough to rank and pair members, small enough to shuffle once per key of
    every story (the sketches join back only for the few candidate pairs).

    It is shuffled as a plain tuple (``key_refs``), which Beam's FastPrimitivesCoder encodes natively, where a
    dataclass would be pickled: smaller and cheaper (README, Deduplication).
    """

    id: str
    prior: bool
    published: float | None  # POSIX seconds
    body_len: int


def key_shard(key: str) -> int:
    """The shuffle shard of a key: a hash that is the same in every process (Python's `hash` of a str is not)."""
    return zlib.crc32(key.encode("utf-8", "surrogatepass")) % KEY_SHARDS


# (shard, (key, ref)): what the key shuffle carries, the ref a plain tuple of KeyRef's fields.
ShardRow = tuple[int, tuple[str, tuple[str, bool, float | None, int]]]


def key_refs(member: Member) -> Iterator[ShardRow]:
    """A `ShardRow` for each key of a member."""
    published = member.published_at.timestamp() if member.published_at else None
    ref = (member.id, member.prior, published, member.body_len)
    for key in member.keys:
        yield key_shard(key), (key, ref)


EXACT, CANDIDATE = 0, 1


def pairs_for_key(key: str, rows: Iterable[Sequence[Any]]) -> Iterator[tuple[int, tuple[str, str]]]:
    """Pairs among the members sharing one key, tagged EXACT or CANDIDATE.

    Exact keys (URL, GUID, body hash) prove a duplicate: a star from the smallest id is enough for components.
    Band keys only nominate candidates, every pair of the bucket, to be verified on the sketches (pairs of two
    earlier-run members were settled by their own run).
    """
    refs = [KeyRef._make(r) for r in rows]
    if not is_band(key):
        ids = sorted({r.id for r in refs})
        for other in ids[1:]:
            yield EXACT, (ids[0], other)
        return
    bucket = sorted(
        {r.id: r for r in refs}.values(), key=lambda r: (r.published if r.published is not None else math.inf, r.id)
    )
    if len(bucket) > MAX_BUCKET:
        counter("dedup.bucket_capped").inc()
        bucket = bucket[:MAX_BUCKET]
    for i, a in enumerate(bucket):
        for b in bucket[i + 1 :]:
            if not (a.prior and b.prior):
                yield CANDIDATE, (a.id, b.id) if a.id < b.id else (b.id, a.id)


def pairs_for_shard(
    shard: int, rows: Iterable[tuple[str, Sequence[Any]]]
) -> Iterator[tuple[int, tuple[str, str]]]:
    """`pairs_for_key` for each key of one shuffle shard, the shard's rows grouped by key in memory."""
    by_key: dict[str, list[Sequence[Any]]] = {}
    for key, ref in rows:
        by_key.setdefault(key, []).append(ref)
    for key, refs in by_key.items():
        yield from pairs_for_key(key, refs)


def _by_kind(kind_pair: tuple[int, tuple[str, str]], _partitions: int) -> int:
    return kind_pair[0]


def best_member(members: Iterable[Member]) -> Member | None:
    """Of the members under one id (an earlier run's and this run's copy may share it), the one with a sketch."""
    best = None
    for m in members:
        if best is None or (best.sketch is None and m.sketch is not None):
            best = m
    return best


def _pair_with_first(element: tuple[str, dict[str, list[Any]]]) -> Iterator[tuple[str, tuple[tuple[str, str], Member]]]:
    _, joined = element
    first = best_member(joined["member"])
    if first is None:
        return
    for pair in joined["pair"]:
        yield pair[1], (pair, first)


def _verified(element: tuple[str, dict[str, list[Any]]], cfg: DedupConfig) -> Iterator[tuple[str, str]]:
    _, joined = element
    second = best_member(joined["member"])
    if second is None:
        return
    for pair, first in joined["half"]:
        counter("dedup.candidate_pairs").inc()
        if near_duplicates(first, second, cfg):
            yield pair


def rank(member: Member) -> tuple[Any, ...]:
    """Sort key of the representative policy without versions (smallest wins): an earlier run's copy, else the
    earliest published, the longest body, the smallest id."""
    return (
        not member.prior,
        member.published_at or _FAR_FUTURE,
        -member.body_len,
        member.id,
    )


def newness(member: Member) -> tuple[Any, ...]:
    """Sort key of "the newest version" (largest wins): the latest published, then the higher revision number
    (UPDATE 2 after UPDATE 1), then the longer body (an update adds paragraphs), then the smaller id."""
    return (member.published_at or _EPOCH, member.revision_n, member.body_len, _Reversed(member.id))


class _Reversed(str):
    """A str that sorts in reverse, so the smaller id wins a max()."""

    __slots__ = ()

    def __lt__(self, other: str) -> bool:
        return str.__gt__(self, other)

    def __gt__(self, other: str) -> bool:
        return str.__lt__(self, other)


def duplicate_reason(member: Member, kept: Member) -> Reason | Literal["index"]:
    """Why `member` is a copy of `kept`: an earlier run's, else the most specific exact key they share, else
    near (a verified candidate pair, or a chain of duplicates through other copies)."""
    if kept.prior:
        return "index"
    shared = set(member.keys) & set(kept.keys)
    for kind in EXACT_KINDS:
        if any(kind.owns(k) for k in shared):
            return kind.reason
    return BAND.reason


def _copy(m: Member) -> ClusterCopy:
    return ClusterCopy(id=m.id, url=m.url, source=m.source, title=m.title, published_at=m.published_at)


def _duplicate(m: Member, kept: Member, reason: str | None = None) -> beam.pvalue.TaggedOutput:
    counter("dedup.duplicates").inc()
    return beam.pvalue.TaggedOutput(
        DUPLICATES,
        Duplicate(
            id=m.id,
            duplicate_of=kept.id,
            reason=reason or duplicate_reason(m, kept),  # type: ignore[arg-type]
            cross_run=kept.prior,
            url=m.url,
            source=m.source,
            title=m.title,
            published_at=m.published_at,
        ),
    )


def member_info(m: Member, version: int, fingerprints: Iterable[str]) -> VersionInfo:
    """The index's memory of an emitted member: its version, outlet, headline and paragraph hashes."""
    return VersionInfo(
        version=version,
        outlet=m.outlet,
        fingerprints=tuple(dict.fromkeys(fingerprints)),
        title_hash=m.title_hash,
        paragraphs=unpack_digests(m.paragraphs),
        published=m.published_at.timestamp() if m.published_at else None,
    )


def _kept_by_prior(members: Sequence[Member], new: Sequence[Member], prior: Member, now: dt.datetime) -> Iterator[Any]:
    """Nothing new to emit: every new member is a duplicate of the earlier run's record; its index line gains the
    new members' keys (and, when its content is known, their fingerprints)."""
    for m in new:
        yield _duplicate(m, prior)
    keys = sorted({k for m in members for k in m.keys})
    first_seen = min((m.first_seen for m in members if m.prior and m.first_seen), default=now)
    info = prior.info or VersionInfo()
    if info.known:
        info = dataclasses.replace(info, fingerprints=(*info.fingerprints, *(m.fingerprint for m in new)))
    yield beam.pvalue.TaggedOutput(
        INDEX_ENTRIES, index_line(prior.id, keys, first_seen, prior.signature, prior.n_shingles, info)
    )


def _emit(
    story: Story,
    kept: Member,
    copies: Sequence[Member],
    earlier_versions: Sequence[Member],
    now: dt.datetime,
    prior: Member | None = None,
) -> EnrichedStory:
    counter("dedup.stories").inc()
    record = EnrichedStory(
        **story.model_dump(),
        cluster=Cluster(
            id=kept.id,
            size=len(copies),
            copies=[_copy(m) for m in copies],
            versions=[_copy(m) for m in earlier_versions],
        ),
        processed_at=now,
        correction=correction_note(story.body),
        revision=kept.revision,
    )
    if prior is not None:
        counter("dedup.versions").inc()
        as_next_version(record, prior.id, prior.info or VersionInfo())
    return record


def resolve_cluster(
    items: Sequence[tuple[Member, Story | None]], now: dt.datetime, versions: bool = True
) -> Iterator[Any]:
    """One component → the kept EnrichedStory (unless an earlier run's record stands), Duplicates, an index entry.

    With `versions` (README, Story versions) the kept story is the cluster's newest version, emitted again when it
    changed since an earlier run's record; without, the first copy, emitted once ever.
    """
    story_of = {id(m): s for m, s in items}
    members = [m for m, _ in items]
    new = [m for m in members if not m.prior]
    priors = [m for m in members if m.prior]
    if not versions or not new:
        yield from _resolve_first_copy(members, new, story_of, now)
        return
    prior = max(priors, key=lambda m: ((m.info or VersionInfo()).version, m.first_seen or _EPOCH), default=None)
    by_rank = sorted(new, key=rank)
    candidates = [m for m in by_rank if is_version(m, prior, by_rank[0])]
    if not candidates:
        assert prior is not None  # without an earlier record every member of the first copy's outlet is one
        yield from _kept_by_prior(members, by_rank, prior, now)
        return
    kept = max(candidates, key=newness)
    # Earlier versions: one per text other than the kept one, its first sighting listed in the cluster.
    earlier: dict[str, Member] = {}
    for m in candidates:
        if m.fingerprint != kept.fingerprint:
            earlier.setdefault(m.fingerprint, m)
    versions_seen = {id(m) for m in candidates if m.fingerprint != kept.fingerprint}
    copies = [m for m in by_rank if id(m) not in versions_seen]
    for m in by_rank:
        if m is kept:
            continue
        superseded = id(m) in versions_seen
        yield _duplicate(m, kept, "superseded" if superseded else None)
    yield _emit(story_of[id(kept)], kept, copies, list(earlier.values()), now, prior)  # type: ignore[arg-type]
    keys = sorted({k for m in members for k in m.keys})
    seen = [fp for p in priors for fp in (p.info or VersionInfo()).fingerprints] + [m.fingerprint for m in by_rank]
    version = (prior.info or VersionInfo()).version + 1 if prior is not None else 1
    yield beam.pvalue.TaggedOutput(
        INDEX_ENTRIES,
        index_line(kept.id, keys, now, kept.signature, kept.n_shingles, member_info(kept, version, seen)),
    )


def is_version(member: Member, prior: Member | None, first: Member) -> bool:
    """Whether a new member is a version of the cluster's story rather than a copy (README, Story versions).

    Without an earlier run's record, the story is the first copy's: the members from its outlet are its versions.
    Against an earlier record (an index line, or what the stream remembers: `recorded_member`), a member is the
    next version when it is the same item (the record's id, or a GUID or canonical-URL key of the record) or from
    the record's outlet, not published before the record, and its text is one the record
    has not been seen with; a version-1 index line recorded no text, so there only a body hash missing from its
    keys proves a change.
    """
    if prior is None:
        return member.outlet == first.outlet
    info = prior.info or VersionInfo()
    same_item = member.id == prior.id or any((URL.owns(k) or GUID.owns(k)) and k in prior.keys for k in member.keys)
    outlet = info.outlet or _outlet_of_keys(prior.keys)
    if not same_item and member.outlet != outlet:
        return False
    if info.published is not None and member.published_at and member.published_at.timestamp() < info.published:
        return False  # an older text resurfacing, not a revision
    if info.known:
        return member.fingerprint not in info.fingerprints
    return any(CONTENT_HASH.owns(k) and k not in prior.keys for k in member.keys)


def recorded_member(story_id: str, info: VersionInfo, keys: Sequence[str] = ()) -> Member:
    """An emitted record as `is_version` compares against it, from what is remembered of it: its id, version and
    the keys known to be its own (the stream's keyed state: the key that found it; an index line is read by
    `prior_member`)."""
    return Member(id=story_id, source="(emitted)", keys=tuple(keys), prior=True, outlet=info.outlet, info=info)


def _outlet_of_keys(keys: Sequence[str]) -> str | None:
    """The outlet of a version-1 index line: the host of its first canonical-URL key."""
    for k in keys:
        if URL.owns(k):
            return outlet_of_url(k[len(URL.prefix) :])
    return None


def _resolve_first_copy(
    members: Sequence[Member], new: Sequence[Member], story_of: Mapping[int, Story | None], now: dt.datetime
) -> Iterator[Any]:
    """One record per story ever (versions off): an earlier run's copy wins, else the first published."""
    ordered = sorted(members, key=rank)
    kept = ordered[0]
    if kept.prior:
        yield from _kept_by_prior(members, [m for m in ordered if not m.prior], kept, now)
        return
    for m in ordered:
        if m is not kept:  # an earlier run's copy may share the id of its new copy: compare identity
            yield _duplicate(m, kept)
    yield _emit(story_of[id(kept)], kept, ordered, [], now)  # type: ignore[arg-type]
    keys = sorted({k for m in members for k in m.keys})
    info = member_info(kept, 1, [m.fingerprint for m in new])
    yield beam.pvalue.TaggedOutput(
        INDEX_ENTRIES, index_line(kept.id, keys, now, kept.signature, kept.n_shingles, info)
    )


def prior_member(obj: dict[str, Any], cfg: DedupConfig | None = None) -> Member:
    """An earlier run's emitted cluster; with `cfg`, keyed by the LSH bands of its stored signature too."""
    first_seen = dt.datetime.fromisoformat(obj["first_seen"])
    signature = base64.b64decode(obj["sig"]) if obj.get("sig") else b""
    keys = tuple(obj["keys"])
    if signature and cfg is not None:
        keys += tuple(BAND.key(k) for k in band_keys(np.frombuffer(signature, dtype="<u4"), cfg))
    info = version_info(obj)
    return Member(
        id=obj["id"],
        source="(earlier run)",
        keys=keys,
        prior=True,
        first_seen=first_seen,
        published_at=_EPOCH,
        signature=signature,
        n_shingles=int(obj.get("n", 0)),
        outlet=info.outlet,
        info=info,
    )
