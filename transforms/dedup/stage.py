"""Stage 5 — DedupStories: one story per cluster of copies, with every copy's provenance.

The batch composite, in named steps, none of which holds the whole input:

- Sketch: each story becomes a `Member` with its keys (transforms/dedup/keys.py): canonical URL, GUID, body
  hash and, with near-duplicate detection on, the MinHash-LSH band keys of its sketch (transforms/dedup/neardup.py).
  Shingles that recur in many stories of one source (its boilerplate) are counted per source first and left out
  of the sketch, so an outlet's long footer cannot make its unrelated stories look alike.
- PriorMembers: each entry of the cross-run index still within the retention window that shares a key or an id
  with this run's members becomes a `Member` too; the others stream straight to the new index without entering
  the shuffle, so dedup holds what this run's input can touch, not the whole index (a month of earlier runs, or
  the earlier chunks of a chunked run, pipeline/chunks.py).
- KeyPairs: keys are shuffled by shard; members sharing an exact key are duplicates, members sharing a band key
  candidates.
- Verify: each candidate pair is checked on both sketches (exact shingle sets within a run, signatures against
  an earlier run); only the members of candidate pairs are joined to them.
- Components: connected components over the duplicate pairs only, as an id → root map.
- Resolve: each member to its component's group (the map, as large as the duplicates, is a side input), one
  representative per component, the rest `Duplicate` records, and the index entries for the next run.

A story crosses one shuffle whole (to its component's group); its sketch, only if it is in a candidate pair.

Representative policy (README, Story versions): the cluster's newest version — the newest member from the first
copy's outlet, or, against an earlier run's record, the newest member that changed since (its next version); an
earlier run's record wins when nothing changed (nothing new is emitted). Without versions: an earlier run's copy,
else the earliest published copy, ties to the longest body, then the smallest id.
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
from typing import Any, Literal, NamedTuple

import apache_beam as beam
import numpy as np
import orjson

from schemas.story import Cluster, ClusterCopy, Duplicate, EnrichedStory, Story
from transforms.common import counter, utcnow
from transforms.dedup.index import VersionInfo, expired, index_line, parse_index_line, version_info
from transforms.dedup.keys import BAND, CONTENT_HASH, EXACT_KINDS, GUID, URL, Reason, guid_key, is_band
from transforms.dedup.neardup import (
    DedupConfig,
    DocSketch,
    band_keys,
    connected_components,
    estimated_near_duplicate,
    frequent_shingles,
    is_near_duplicate,
    make_sketch,
    shingle_hashes,
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


# A body with fewer shingles than this (about 60 words) may be a template an outlet puts on many items; see
# `editions_of_a_series` (the exact-content key of such bodies includes the title: transforms/clean/stage.py).
TEMPLATE_SHINGLES = 57
_NUMBER_RE = re.compile(r"\d+")


def editions_of_a_series(a: Member, b: Member) -> bool:
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


class FrequentShinglesFn(beam.CombineFn):
    """Per source: the shingles found in at least `min_docs` of its stories (its boilerplate)."""

    def __init__(self, min_docs: int) -> None:
        self._min_docs = min_docs

    def create_accumulator(self) -> list[np.ndarray]:
        return []

    def add_input(self, acc: list[np.ndarray], hashes: np.ndarray) -> list[np.ndarray]:
        acc.append(hashes)
        return acc

    def merge_accumulators(self, accs: Iterable[list[np.ndarray]]) -> list[np.ndarray]:
        return [a for acc in accs for a in acc]

    def extract_output(self, acc: list[np.ndarray]) -> np.ndarray:
        return frequent_shingles(acc, self._min_docs)


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


def _member_info(m: Member, version: int, fingerprints: Iterable[str]) -> VersionInfo:
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
        index_line(kept.id, keys, now, kept.signature, kept.n_shingles, _member_info(kept, version, seen)),
    )


def is_version(member: Member, prior: Member | None, first: Member) -> bool:
    """Whether a new member is a version of the cluster's story rather than a copy (README, Story versions).

    Without an earlier run's record, the story is the first copy's: the members from its outlet are its versions.
    Against an earlier record, a member is the next version when it is the same item (a GUID or canonical-URL key
    of the record) or from the record's outlet, not published before the record, and its text is one the record
    has not been seen with; a version-1 index line recorded no text, so there only a body hash missing from its
    keys proves a change.
    """
    if prior is None:
        return member.outlet == first.outlet
    info = prior.info or VersionInfo()
    same_item = any((URL.owns(k) or GUID.owns(k)) and k in prior.keys for k in member.keys)
    outlet = info.outlet or _outlet_of_keys(prior.keys)
    if not same_item and member.outlet != outlet:
        return False
    if info.published is not None and member.published_at and member.published_at.timestamp() < info.published:
        return False  # an older text resurfacing, not a revision
    if info.known:
        return member.fingerprint not in info.fingerprints
    return any(CONTENT_HASH.owns(k) and k not in prior.keys for k in member.keys)


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
    info = _member_info(kept, 1, [m.fingerprint for m in new])
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


# --- the Beam composite: named functions of its steps ------------------------------------------------------


MemberStory = tuple[Member, Story | None]  # an earlier run's member has no story


def _exact_member(story: Story) -> tuple[Member, Story]:
    return member_of(story), story


def _with_shingles(story: Story, shingle_size: int) -> tuple[Story, np.ndarray]:
    return story, shingle_hashes(sketch_text(story), shingle_size)


def _source_shingles(story_hashes: tuple[Story, np.ndarray]) -> tuple[str, np.ndarray]:
    story, hashes = story_hashes
    return story.source.url, hashes


def _sketched_member(
    story_hashes: tuple[Story, np.ndarray], boilerplate: Mapping[str, np.ndarray], cfg: DedupConfig
) -> tuple[Member, Story]:
    story, hashes = story_hashes
    return member_of(story, cfg, hashes, boilerplate.get(story.source.url)), story


def _live_entry(obj: dict[str, Any] | None, now: dt.datetime, retention: dt.timedelta) -> bool:
    """An index entry (not the header) within the retention window."""
    return obj is not None and not expired(obj, now, retention)


def _member_key_refs(member_story: MemberStory) -> Iterator[ShardRow]:
    return key_refs(member_story[0])


def _pair(kind_pair: tuple[int, tuple[str, str]]) -> tuple[str, str]:
    return kind_pair[1]


def _pair_ids(pair: tuple[str, str]) -> tuple[tuple[str, bool], tuple[str, bool]]:
    return (pair[0], True), (pair[1], True)


def _member(member_story: MemberStory) -> Member:
    return member_story[0]


def _by_first(pair: tuple[str, str]) -> tuple[str, tuple[str, str]]:
    return pair[0], pair


def member_handles(member: Member) -> Iterator[str]:
    """What an earlier run's entry must share with a member of this run to take part in its dedup: a key, or the
    id (an earlier copy may carry the id of its new copy)."""
    yield f"id:{member.id}"
    yield from member.keys


class HandleSetFn(beam.CombineFn):
    """All the handles (`member_handles`) of this run's members, as one set: as large as this run's input."""

    def create_accumulator(self) -> set[str]:
        return set()

    def add_input(self, acc: set[str], handle: str) -> set[str]:
        acc.add(handle)
        return acc

    def merge_accumulators(self, accs: Iterable[set[str]]) -> set[str]:
        merged: set[str] = set()
        for acc in accs:
            merged |= acc
        return merged

    def extract_output(self, acc: set[str]) -> frozenset[str]:
        return frozenset(acc)


RELEVANT = "relevant"


def _member_handles(member_story: MemberStory) -> Iterator[str]:
    return member_handles(member_story[0])


class _SplitPriorsFn(beam.DoFn):
    """An earlier run's index entry → (member, None) on the main output when it shares a handle with this run's
    members; otherwise its line, unchanged, for the new index (tag INDEX_ENTRIES; DedupStories' CARRIED_ENTRIES)
    without entering the shuffle.

    So a run's dedup holds only the entries its own input can touch: the index of a month of earlier runs, or of
    the earlier chunks of a chunked run (pipeline/chunks.py), streams from its file to the new one."""

    def __init__(self, cfg: DedupConfig | None) -> None:
        self._cfg = cfg

    def process(self, obj: dict[str, Any], handles: frozenset[str]) -> Iterator[Any]:
        member = prior_member(obj, self._cfg)
        if f"id:{member.id}" in handles or any(k in handles for k in member.keys):
            counter("dedup.prior_relevant").inc()
            yield member, None
            return
        yield beam.pvalue.TaggedOutput(INDEX_ENTRIES, orjson.dumps(obj).decode())


class DedupOutputs(dict):
    """DedupStories' outputs by tag ("stories", DUPLICATES, INDEX_ENTRIES, CARRIED_ENTRIES), also as attributes
    (`out.stories`)."""

    def __getattr__(self, name: str) -> beam.PCollection:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


class _ResolveFn(beam.DoFn):
    def __init__(self, now: dt.datetime, versions: bool) -> None:
        self._now = now
        self._versions = versions

    def process(self, element: tuple[str, Iterable[MemberStory]]) -> Iterator[Any]:
        _, items = element
        yield from resolve_cluster(list(items), self._now, self._versions)


def _components(_: Any, edges: list[tuple[str, str]]) -> Iterator[tuple[str, str]]:
    yield from connected_components(edges).items()


def _candidate_sketch(member: Member, candidate_ids: Mapping[str, bool]) -> Iterator[tuple[str, Member]]:
    """A member's sketch, keyed by id, when it is in a candidate pair (most members are in none)."""
    if member.id in candidate_ids:
        yield member.id, member


def _without_sketch(member_story: MemberStory) -> MemberStory:
    """What resolving a cluster needs: the member without its shingle set (the signature stays, for the index)."""
    member, story = member_story
    return (dataclasses.replace(member, sketch=None) if member.sketch is not None else member), story


def _to_component(member_story: MemberStory, roots: Mapping[str, str]) -> tuple[str, MemberStory]:
    """(component root, (member, story)); a member in no duplicate pair is its own root (or shares it with an
    earlier run's entry of the same id)."""
    return roots.get(member_story[0].id, member_story[0].id), member_story


# --- the Beam composite: its parts, then the whole ---------------------------------------------------------


class Sketch(beam.PTransform):
    """Story → (Member, Story): the member's exact keys and, with `near`, its sketch and band keys, the source's
    boilerplate shingles (counted over all its stories) left out."""

    def __init__(self, config: DedupConfig, near: bool) -> None:
        super().__init__()
        self._config = config
        self._near = near

    def expand(self, stories: beam.PCollection) -> beam.PCollection:
        cfg = self._config
        if not self._near:
            return stories | "ToMember" >> beam.Map(_exact_member)
        hashed = stories | "Shingle" >> beam.Map(_with_shingles, cfg.shingle_size)
        boilerplate = (
            hashed
            | "BySource" >> beam.Map(_source_shingles)
            | "SourceBoilerplate" >> beam.CombinePerKey(FrequentShinglesFn(cfg.boilerplate_min_docs))
        )
        return hashed | "ToMember" >> beam.Map(_sketched_member, beam.pvalue.AsDict(boilerplate), cfg)


class PriorMembers(beam.PTransform):
    """(earlier runs' index lines, this run's members) → ((Member, None) for each entry within the retention window
    that shares a key or an id with a member of this run — with `near`, keyed by the band keys of its stored
    signature too —, the index lines of the other entries within the window, unchanged)."""

    def __init__(self, now: dt.datetime, retention: dt.timedelta, config: DedupConfig, near: bool) -> None:
        super().__init__()
        self._now = now
        self._retention = retention
        self._config = config
        self._near = near

    def expand(
        self, lines_members: tuple[beam.PCollection, beam.PCollection]
    ) -> tuple[beam.PCollection, beam.PCollection]:
        index_lines, current = lines_members
        handles = (
            current
            | "Handles" >> beam.FlatMap(_member_handles)
            | "HandleSet" >> beam.CombineGlobally(HandleSetFn())
        )
        split = (
            index_lines
            | "ParseIndex" >> beam.Map(parse_index_line)
            | "DropHeaderAndExpired" >> beam.Filter(_live_entry, self._now, self._retention)
            | "ToPriorMember"
            >> beam.ParDo(
                _SplitPriorsFn(self._config if self._near else None), beam.pvalue.AsSingleton(handles)
            ).with_outputs(INDEX_ENTRIES, main=RELEVANT)
        )
        return split[RELEVANT], split[INDEX_ENTRIES]


class KeyPairs(beam.PTransform):
    """(Member, Story | None) → (exact pairs, candidate pairs): pairs of member ids sharing a key, shuffled by key
    shard. Exact pairs are duplicates; candidate pairs (distinct, only with `near`) are still to be verified."""

    def __init__(self, near: bool) -> None:
        super().__init__()
        self._near = near

    def expand(self, members: beam.PCollection) -> tuple[beam.PCollection, beam.PCollection | None]:
        tagged = (
            members
            | "Keys" >> beam.FlatMap(_member_key_refs)
            | "GroupByShard" >> beam.GroupByKey()
            | "PairsPerShard" >> beam.FlatMapTuple(pairs_for_shard)
            | "ExactOrCandidate" >> beam.Partition(_by_kind, 2)  # type: ignore[arg-type]
        )
        exact = tagged[EXACT] | "ExactPairs" >> beam.Map(_pair)
        if not self._near:
            return exact, None
        return exact, tagged[CANDIDATE] | "CandidatePair" >> beam.Map(_pair) | beam.Distinct()


class Verify(beam.PTransform):
    """(candidate pairs, members) → the candidate pairs that are near duplicates, each verified once on both
    members' sketches, joined by id. Only the members of candidate pairs (their ids a side input, as many as the
    candidates) are joined, not every sketch."""

    def __init__(self, config: DedupConfig) -> None:
        super().__init__()
        self._config = config

    def expand(self, candidates_members: tuple[beam.PCollection, beam.PCollection]) -> beam.PCollection:
        candidates, members = candidates_members
        candidate_ids = candidates | "PairIds" >> beam.FlatMap(_pair_ids)
        # Read from a PCollection of its own: siblings on `members` would be fused into one stage, which would
        # then wait on a side input computed from its own output.
        sketches = (
            members
            | "SketchMembers" >> beam.Map(_member)
            | "CandidateSketches" >> beam.FlatMap(_candidate_sketch, beam.pvalue.AsDict(candidate_ids))
        )
        halves = (
            {"pair": candidates | "ByFirst" >> beam.Map(_by_first), "member": sketches}
            | "JoinFirst" >> beam.CoGroupByKey()
            | "PairWithFirst" >> beam.FlatMap(_pair_with_first)
        )
        return (
            {"half": halves, "member": sketches}
            | "JoinSecond" >> beam.CoGroupByKey()
            | "VerifyPair" >> beam.FlatMap(_verified, self._config)
        )


class Components(beam.PTransform):
    """Duplicate pairs (one or more PCollections) → (id, component root) for every id in a pair. Their number is
    bounded by the duplicates, not the input, so one step holds them all."""

    def expand(self, edge_sets: tuple[beam.PCollection, ...]) -> beam.PCollection:
        edges = edge_sets[0] if len(edge_sets) == 1 else edge_sets | "AllEdges" >> beam.Flatten()
        return (
            edges.pipeline
            | "Once" >> beam.Impulse()
            | "ConnectedComponents" >> beam.FlatMap(_components, beam.pvalue.AsList(edges))
        )


class Resolve(beam.PTransform):
    """(members, roots) → {"stories", "duplicates", "index_entries"}: each member to its component's group, one
    representative per component (`resolve_cluster`; with `versions`, its newest version)."""

    def __init__(self, now: dt.datetime, versions: bool = True) -> None:
        super().__init__()
        self._now = now
        self._versions = versions

    def expand(self, members_roots: tuple[beam.PCollection, beam.PCollection]) -> beam.pvalue.DoOutputsTuple:
        members, roots = members_roots
        # Two steps, kept apart: WithoutSketch is fused into the stage that makes the members, so no sketch is
        # stored for the shuffle; ToComponent waits on `roots`, computed from the members, so it cannot run there.
        return (
            members
            | "WithoutSketch" >> beam.Map(_without_sketch)
            | "ToComponent" >> beam.Map(_to_component, beam.pvalue.AsDict(roots))
            | "GroupComponents" >> beam.GroupByKey()
            | "ResolveCluster"
            >> beam.ParDo(_ResolveFn(self._now, self._versions)).with_outputs(DUPLICATES, INDEX_ENTRIES, main="stories")
        )


class DedupStories(beam.PTransform):
    """PCollection[Story] (+ earlier runs' index lines) → {"stories": EnrichedStory, "duplicates": Duplicate,
    "index_entries": str (the index lines of this run's clusters, earlier entries they merged included),
    "carried_index_entries": str (the other earlier entries within the retention window, unchanged)}: the new index
    is both.

    `config` holds the near-duplicate parameters; `near` says whether near-duplicate detection runs at all
    (`near=False` keeps the exact keys only: URL, GUID, body hash). `versions` emits a story again when it changed
    (README, Story versions); off, a story is emitted once ever and its revisions are duplicates.
    """

    def __init__(
        self,
        index_lines: beam.PCollection | None = None,
        now: dt.datetime | None = None,
        retention: dt.timedelta = dt.timedelta(days=7),
        config: DedupConfig | None = None,
        near: bool = True,
        label: str | None = None,
        versions: bool = True,
    ) -> None:
        super().__init__(label)
        if retention <= dt.timedelta(0):
            raise ValueError(f"retention must be positive, got {retention}")
        self._index_lines = index_lines
        self._now = now or utcnow()
        self._retention = retention
        self._config = config or DedupConfig()
        self._near = near
        self._versions = versions

    def expand(self, stories: beam.PCollection) -> DedupOutputs:
        config, near = self._config, self._near
        current = stories | "Sketch" >> Sketch(config, near)
        keyed, untouched = [current], None
        if self._index_lines is not None:
            relevant, untouched = (self._index_lines, current) | "PriorMembers" >> PriorMembers(
                self._now, self._retention, config, near
            )
            keyed.append(relevant)
        members = keyed | "AllMembers" >> beam.Flatten()
        exact, candidates = members | "KeyPairs" >> KeyPairs(near)
        edges = [exact]
        if candidates is not None:
            edges.append((candidates, members) | "Verify" >> Verify(config))
        roots = tuple(edges) | "Components" >> Components()
        resolved = (members, roots) | "Resolve" >> Resolve(self._now, self._versions)
        if untouched is None:
            untouched = stories.pipeline | "NoCarriedEntries" >> beam.Create([])
        return DedupOutputs(
            {
                "stories": resolved.stories,
                DUPLICATES: resolved[DUPLICATES],
                INDEX_ENTRIES: resolved[INDEX_ENTRIES],
                CARRIED_ENTRIES: untouched,
            }
        )
