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

import dataclasses
import datetime as dt
import logging
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import apache_beam as beam
import numpy as np
import orjson

from schemas.story import Story
from transforms.common import counter, utcnow
from transforms.dedup.index import expired, parse_index_line
from transforms.dedup.members import (
    CANDIDATE,
    CARRIED_ENTRIES,
    DUPLICATES,
    EXACT,
    INDEX_ENTRIES,
    Member,
    ShardRow,
    _by_kind,
    _pair_with_first,
    _verified,
    key_refs,
    member_of,
    pairs_for_shard,
    prior_member,
    resolve_cluster,
    sketch_text,
)
from transforms.dedup.neardup import (
    DedupConfig,
    connected_components,
    frequent_shingles,
    shingle_hashes,
)

LOGGER = logging.getLogger(__name__)


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
