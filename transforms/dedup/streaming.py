"""StreamingDedup: the dedup of `wirebeam stream`, in keyed state instead of the batch run's cross-run index.

Exact keys (canonical URL, GUID, body hash — the batch keys of transforms/dedup/stage.py) and MinHash-LSH band
keys (transforms/dedup/neardup.py), each entry expired by an event-time timer after the retention window.
Event-time timers only: processing-time timers force the BundleBasedDirectRunner, whose streaming mode cannot
run GroupByKey. Two FnApiRunner facts shape the code (measured on Beam 2.77): a stateful step fused into the
PeriodicImpulse stage has its event-time timers fired at the end of every bundle (hence a keyed shuffle before
each step with timers), and timers carry millisecond precision (hence event times cut to whole milliseconds).

With a state folder, what earlier runs and streams emitted is its dedup index, read through transforms/dedup/index.py
and prior_member like the batch dedup does: PriorRuns, before the keyed steps, turns a story that one of its entries
names into a Duplicate (reason "index"), so a restarted stream emits nothing it emitted before.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import apache_beam as beam
import numpy as np
from apache_beam import coders
from apache_beam.io.filesystems import FileSystems
from apache_beam.transforms import userstate
from apache_beam.transforms.timeutil import TimeDomain
from apache_beam.transforms.util import ReshufflePerKey
from apache_beam.utils.shared import Shared
from apache_beam.utils.timestamp import Timestamp

from schemas.story import Duplicate, Story
from transforms.common import counter, utcnow
from transforms.dedup.index import VersionInfo, expired, parse_index_line
from transforms.dedup.keys import BAND, REASON_RANK, is_band, kind_of
from transforms.dedup.members import (
    DUPLICATES,
    Member,
    editions_of_a_series,
    is_version,
    member_info,
    member_of,
    near_duplicates,
    prior_member,
    recorded_member,
    version_member,
)
from transforms.dedup.neardup import DedupConfig, estimated_near_duplicate
from transforms.dedup.singleton import singleton
from transforms.dedup.versions import as_next_version, story_info

VERSIONS = "versions"
REVISED = "revised"  # PriorRuns → FirstSighting: a story changed since an earlier run's record
# (story, the earlier record's id, what the index remembers of its version)
Revised = tuple[Story, str, VersionInfo]
# A hot key (a boilerplate band, a feed-wide GUID) must not grow without bound within the retention window.
MAX_ENTRIES_PER_KEY = 2000
_MICROS = 1_000_000


# --- what the keyed steps carry ----------------------------------------------------------------------------


def _setstate_with_defaults(self: Any, state: Sequence[Any]) -> None:
    """Unpickle a keyed-state record; one written by an earlier wirebeam (state kept by a Dataflow `--update`)
    lacks the fields added since, which take their defaults."""
    values = list(state)
    for i, field in enumerate(dataclasses.fields(self)):
        object.__setattr__(self, field.name, values[i] if i < len(values) else field.default)


@dataclasses.dataclass(frozen=True, slots=True)
class Sighting:
    """A story as the keyed dedup steps see it: id, event time (µs), keys, the MinHash signature and `info`, what
    tells a later story from its outlet a version of this one (members.is_version)."""

    id: str
    ts: int
    keys: tuple[str, ...]
    signature: bytes = b""
    n_shingles: int = 0
    info: VersionInfo | None = dataclasses.field(default=None, compare=False)
    title: str | None = dataclasses.field(default=None, compare=False)  # for members.editions_of_a_series

    __setstate__ = _setstate_with_defaults

    @property
    def order(self) -> tuple[int, str]:
        """The total order that decides which copy is the original: earlier poll first, then smaller id."""
        return self.ts, self.id


@dataclasses.dataclass(frozen=True, slots=True)
class Vote:
    """One key's verdict on one story: the earlier copy it duplicates under that key, or none."""

    story_id: str
    duplicate_of: str | None = None
    reason: str | None = None
    original_ts: int | None = None
    # For DecideFn's version rule: the key that voted (a shared GUID or URL key makes the two the same item) and
    # what it remembers of the earlier copy's version.
    key: str = dataclasses.field(default="", compare=False)
    original_info: VersionInfo | None = dataclasses.field(default=None, compare=False)

    __setstate__ = _setstate_with_defaults


def sighting_of(story: Story, ts_micros: int, cfg: DedupConfig | None) -> Sighting:
    """The keys of a story, exactly as the batch dedup makes them (transforms/dedup.member_of): exact keys,
    plus LSH band keys ("b:…") and the MinHash signature when `cfg` is given; its version as first seen."""
    member = member_of(story, cfg)
    info = member_info(member, 1, [member.fingerprint])
    return Sighting(story.id, ts_micros, tuple(member.keys), member.signature, member.n_shingles, info, story.title)


def vote_at_key(key: str, story: Sighting, stored: Sequence[Sighting], cfg: DedupConfig) -> Vote:
    """Does an earlier copy (in the total order) share this key? Band keys are verified on the signatures.

    Only earlier copies count, so "duplicate of" always points back in the order: there is never a cycle, and
    the first copy of every cluster is emitted even when keys see the copies in different orders.
    """
    near = is_band(key)
    best: Sighting | None = None
    for entry in stored:
        if entry.order >= story.order or entry.id == story.id:
            continue
        if near and editions_of_a_series(entry, story):  # the batch check of a candidate (members.near_duplicates)
            continue
        if near and not estimated_near_duplicate(
            np.frombuffer(entry.signature, dtype="<u4"),
            entry.n_shingles,
            np.frombuffer(story.signature, dtype="<u4"),
            story.n_shingles,
            cfg,
        ):
            continue
        if best is None or entry.order < best.order:
            best = entry
    if best is None:
        return Vote(story.id)
    return Vote(story.id, best.id, kind_of(key).reason, best.ts, key, best.info)


def stored_form(key: str, story: Sighting) -> Sighting:
    """What a key remembers of a story: id, time and version; band keys also the signature and title."""
    if is_band(key):
        return Sighting(story.id, story.ts, (), story.signature, story.n_shingles, story.info, story.title)
    return Sighting(story.id, story.ts, (), info=story.info)


def decide(votes: Iterable[Vote]) -> Vote | None:
    """The verdict over all of a story's keys: the most specific reason, then the earliest original."""
    dups = [v for v in votes if v.duplicate_of is not None]
    if not dups:
        return None
    return min(dups, key=lambda v: (REASON_RANK[v.reason or BAND.reason], v.original_ts or 0, v.duplicate_of))


def same_id_reason(story: Story) -> str:
    """A story id comes from the GUID, else the link, else the content (transforms/parse.entry_id)."""
    if story.guid:
        return "guid"
    return "url" if story.url else "content_hash"


def duplicate_record(story: Story, original: str, reason: str, cross_run: bool) -> Duplicate:
    return Duplicate(
        id=story.id,
        duplicate_of=original,
        reason=reason,  # type: ignore[arg-type]
        cross_run=cross_run,
        url=story.url,
        source=story.source.url,
        title=story.title,
        published_at=story.published_at,
    )


def _micros(timestamp: Timestamp) -> int:
    """Event time in µs, cut to whole milliseconds: timers carry ms precision on the FnApiRunner (and on
    Dataflow), so a timer set at an element's µs time fires at an earlier instant than the element's own."""
    return int(timestamp.micros) // 1000 * 1000


def _at(micros: int) -> Timestamp:
    return Timestamp(micros=micros)


# --- the keyed steps ---------------------------------------------------------------------------------------

# State and timer specs, and the DoFn parameters that name them, are built once here: Beam matches a parameter
# to its spec by identity, and module-level singletons keep the DoFn signatures free of calls.
_SEEN = userstate.ReadModifyWriteStateSpec("seen", coders.VarIntCoder())
_VERSION = userstate.ReadModifyWriteStateSpec("version", coders.PickleCoder())  # VersionInfo of the last record
_SEEN_EXPIRE = userstate.TimerSpec("expire", TimeDomain.WATERMARK)
_PENDING = userstate.BagStateSpec("pending", coders.PickleCoder())
_NEXT_FLUSH = userstate.ReadModifyWriteStateSpec("next_flush", coders.VarIntCoder())
_ENTRIES = userstate.ReadModifyWriteStateSpec("entries", coders.PickleCoder())
_FLUSH = userstate.TimerSpec("flush", TimeDomain.WATERMARK)
_ENTRIES_EXPIRE = userstate.TimerSpec("expire", TimeDomain.WATERMARK)
_STORY = userstate.ReadModifyWriteStateSpec("story", coders.PickleCoder())
_VOTES = userstate.BagStateSpec("votes", coders.PickleCoder())
_COUNT = userstate.ReadModifyWriteStateSpec("count", coders.VarIntCoder())

_SEEN_STATE = beam.DoFn.StateParam(_SEEN)
_VERSION_STATE = beam.DoFn.StateParam(_VERSION)
_SEEN_TIMER = beam.DoFn.TimerParam(_SEEN_EXPIRE)
_PENDING_STATE = beam.DoFn.StateParam(_PENDING)
_NEXT_FLUSH_STATE = beam.DoFn.StateParam(_NEXT_FLUSH)
_ENTRIES_STATE = beam.DoFn.StateParam(_ENTRIES)
_FLUSH_TIMER = beam.DoFn.TimerParam(_FLUSH)
_ENTRIES_TIMER = beam.DoFn.TimerParam(_ENTRIES_EXPIRE)
_STORY_STATE = beam.DoFn.StateParam(_STORY)
_VOTES_STATE = beam.DoFn.StateParam(_VOTES)
_COUNT_STATE = beam.DoFn.StateParam(_COUNT)


class FirstSightingFn(beam.DoFn):
    """(story id, Story) → the Story the first time its id is seen; a Duplicate while it is remembered; with
    `versions`, a changed reappearance (a fingerprint the id was not seen with, not published before the record)
    as the next version's EnrichedStory on the VERSIONS output (README, Story versions).

    A feed lists an item for hours or days, so most repeats are the same entry at the next poll. Remembering
    the id from the last sighting (not the first) means an item still listed is never emitted twice; it is
    forgotten `retention` after it was last seen, by an event-time timer.
    """

    def __init__(self, retention: dt.timedelta, versions: bool = True) -> None:
        self._retention = int(retention.total_seconds() * _MICROS)
        self._versions = versions

    def process(
        self,
        element: tuple[str, Story | Revised],
        timestamp: Any = beam.DoFn.TimestampParam,
        seen: Any = _SEEN_STATE,
        expire: Any = _SEEN_TIMER,
        version: Any = _VERSION_STATE,
    ) -> Iterator[Any]:
        _, value = element
        story, earlier_id, earlier = value if isinstance(value, tuple) else (value, "", None)
        now = _micros(timestamp)
        last = seen.read()
        cross_poll = last is not None and now != last
        if last is None or now > last:
            seen.write(now)
            expire.set(_at(now + self._retention))
        if last is None:
            if earlier is not None:  # changed since an earlier run's record (PriorRuns): its next version
                yield next_version(story, earlier_id, earlier, version)
                return
            if self._versions:
                version.write(story_info(story, 1))
            yield story
            return
        prior: VersionInfo | None = version.read() if self._versions else None
        if prior is not None:
            member = version_member(story)
            if is_version(member, recorded_member(story.id, prior), member):
                yield next_version(story, story.id, prior, version)
                return
        counter("stream.dedup.seen_again").inc()
        yield beam.pvalue.TaggedOutput(
            DUPLICATES, duplicate_record(story, story.id, same_id_reason(story), cross_poll)
        )

    @userstate.on_timer(_SEEN_EXPIRE)
    def expire_id(self, seen: Any = _SEEN_STATE, version: Any = _VERSION_STATE) -> None:
        seen.clear()
        version.clear()


def next_version(story: Story, prior_id: str, prior: VersionInfo, version: Any) -> beam.pvalue.TaggedOutput:
    """The record of `story` as the version after `prior`, remembered in the id's `version` state."""
    counter("stream.dedup.versions").inc()
    version.write(story_info(story, prior.version + 1, prior.fingerprints))
    return beam.pvalue.TaggedOutput(VERSIONS, as_next_version(singleton(story, utcnow()), prior_id, prior))


class KeyVotesFn(beam.DoFn):
    """(dedup key, Sighting) → (story id, Vote): one vote per key of every story.

    Arrivals are buffered until the watermark passes their event time, then judged in (time, id) order, so
    copies fetched by the same poll are judged alike whatever order they arrive in. The key remembers what it
    judged until `retention` after it was seen (event-time timer), at most MAX_ENTRIES_PER_KEY entries.
    """

    def __init__(self, retention: dt.timedelta, cfg: DedupConfig) -> None:
        self._retention = int(retention.total_seconds() * _MICROS)
        self._cfg = cfg

    def process(
        self,
        element: tuple[str, Sighting],
        pending: Any = _PENDING_STATE,
        next_flush: Any = _NEXT_FLUSH_STATE,
        flush: Any = _FLUSH_TIMER,
    ) -> None:
        _, story = element
        pending.add(story)
        due = next_flush.read()
        if due is None or story.ts < due:
            # A late arrival (behind the watermark) sets a timer in the past, which fires at once.
            flush.set(_at(story.ts))
            next_flush.write(story.ts)

    @userstate.on_timer(_FLUSH)
    def judge(
        self,
        key: Any = beam.DoFn.KeyParam,
        fired: Any = beam.DoFn.TimestampParam,
        pending: Any = _PENDING_STATE,
        next_flush: Any = _NEXT_FLUSH_STATE,
        entries: Any = _ENTRIES_STATE,
        flush: Any = _FLUSH_TIMER,
        expire: Any = _ENTRIES_TIMER,
    ) -> Iterator[tuple[str, Vote]]:
        now = _micros(fired)
        waiting = list(pending.read())
        due = sorted((s for s in waiting if s.ts <= now), key=lambda s: s.order)
        later = [s for s in waiting if s.ts > now]
        pending.clear()
        for story in later:
            pending.add(story)
        if later:
            next_ts = min(s.ts for s in later)
            flush.set(_at(next_ts))
            next_flush.write(next_ts)
        else:
            next_flush.clear()
        stored: list[Sighting] = list(entries.read() or ())
        for story in due:
            yield story.id, vote_at_key(key, story, stored, self._cfg)
            stored.append(stored_form(key, story))
        if len(stored) > MAX_ENTRIES_PER_KEY:
            counter("stream.dedup.key_capped").inc()
            stored = sorted(stored, key=lambda s: s.order)[-MAX_ENTRIES_PER_KEY:]
        if stored:
            entries.write(tuple(stored))
            expire.set(_at(min(s.ts for s in stored) + self._retention))

    @userstate.on_timer(_ENTRIES_EXPIRE)
    def forget(
        self,
        fired: Any = beam.DoFn.TimestampParam,
        entries: Any = _ENTRIES_STATE,
        expire: Any = _ENTRIES_TIMER,
    ) -> None:
        cutoff = _micros(fired) - self._retention
        kept = [s for s in entries.read() or () if s.ts > cutoff]
        counter("stream.dedup.expired").inc(len(list(entries.read() or ())) - len(kept))
        if kept:
            entries.write(tuple(kept))
            expire.set(_at(min(s.ts for s in kept) + self._retention))
        else:
            entries.clear()


class DecideFn(beam.DoFn):
    """(story id, ("story", (Story, n_keys, µs)) | ("vote", Vote)) → EnrichedStory or Duplicate, once every
    key has voted. With `versions`, a story the earlier copy's outlet changed (the batch rule, members.is_version:
    a wire's own update or correction, under a new id) is emitted as the version after that copy's record."""

    def __init__(self, versions: bool = True) -> None:
        self._versions = versions

    def process(
        self,
        element: tuple[str, tuple[str, Any]],
        story_state: Any = _STORY_STATE,
        votes: Any = _VOTES_STATE,
        count: Any = _COUNT_STATE,
    ) -> Iterator[Any]:
        _, (kind, value) = element
        if kind == "story":
            story_state.write(value)
        else:
            votes.add(value)
            count.write((count.read() or 0) + 1)
        held = story_state.read()
        if held is None or (count.read() or 0) < held[1]:
            return
        story, _, ts = held
        verdict = decide(votes.read())
        story_state.clear()
        votes.clear()
        count.clear()
        if verdict is None:
            counter("stream.dedup.stories").inc()
            yield singleton(story, utcnow())
            return
        if self._versions and verdict.original_info is not None:
            member = version_member(story)
            prior = recorded_member(verdict.duplicate_of or "", verdict.original_info, (verdict.key,))
            if is_version(member, prior, member):
                counter("stream.dedup.versions").inc()
                yield as_next_version(singleton(story, utcnow()), prior.id, verdict.original_info)
                return
        counter("stream.dedup.duplicates").inc()
        cross_poll = verdict.original_ts is not None and verdict.original_ts < ts
        yield beam.pvalue.TaggedOutput(
            DUPLICATES,
            duplicate_record(story, verdict.duplicate_of or "", verdict.reason or "near", cross_poll),
        )


class _SketchFn(beam.DoFn):
    """Story → its keyed messages: one per dedup key, and the story itself for DecideFn."""

    def __init__(self, cfg: DedupConfig | None) -> None:
        self._cfg = cfg

    def process(self, story: Story, timestamp: Any = beam.DoFn.TimestampParam) -> Iterator[Any]:
        sighting = sighting_of(story, _micros(timestamp), self._cfg)
        message = ("story", (story, len(sighting.keys), sighting.ts))
        yield beam.pvalue.TaggedOutput("story", (story.id, message))
        if not sighting.keys:
            return
        for key in sighting.keys:
            yield key, sighting


class PriorIndex(dict[str, list[Member]]):
    """The earlier runs' members by key ("id:<id>" and their dedup keys); a dict subclass, so that Shared can hold
    it by weak reference."""


class PriorRunsFn(beam.DoFn):
    """Story → itself, or a Duplicate of the earlier run's story an entry of the dedup index names (the same id, a
    shared exact key, or a band key whose signatures agree). The index, within the retention window, is read once
    per worker process (apache_beam.utils.shared: every DoFn instance of one PriorRunsFn, one per thread, gets the
    same copy; it is only read): earlier runs' memory is fixed for the life of the stream, the stream's own is
    keyed state.
    """

    def __init__(
        self, index_path: str, cfg: DedupConfig | None, retention: dt.timedelta, now: dt.datetime, versions: bool = True
    ) -> None:
        self._versions = versions
        self._path = index_path
        self._cfg = cfg
        self._retention = retention
        self._now = now
        self._shared = Shared()  # pickled with the DoFn: its copies on a worker name one shared object
        self._by_key: PriorIndex = PriorIndex()

    def setup(self) -> None:
        self._by_key = self._shared.acquire(self._load)

    def _load(self) -> PriorIndex:
        by_key = PriorIndex()
        if not FileSystems.exists(self._path):
            return by_key
        with FileSystems.open(self._path) as handle:
            for raw in handle:
                line = raw.decode("utf-8").strip()
                entry = parse_index_line(line) if line else None
                if entry is None or expired(entry, self._now, self._retention):
                    continue
                member = prior_member(entry, self._cfg)
                for key in (f"id:{member.id}", *member.keys):
                    by_key.setdefault(key, []).append(member)
        return by_key

    def earlier(self, story: Story, member: Member | None = None) -> tuple[Member, str] | None:
        """The earlier run's member this story is a copy of, and why; None for a new story."""
        member = member or member_of(story, self._cfg)
        for key in (f"id:{story.id}", *member.keys):
            for prior in self._by_key.get(key, ()):
                if not is_band(key):
                    return prior, "index"
                if self._cfg is not None and near_duplicates(member, prior, self._cfg):
                    return prior, "index"
        return None

    def process(self, story: Story) -> Iterator[Any]:
        member = member_of(story, self._cfg) if self._by_key else None
        found = self.earlier(story, member) if member is not None else None
        if found is None:
            yield story
            return
        if self._versions and member is not None and is_version(member, found[0], member):
            # The batch rule against the index line (stage.is_version): FirstSighting emits its next version.
            yield beam.pvalue.TaggedOutput(REVISED, (story, found[0].id, found[0].info or VersionInfo()))
            return
        counter("stream.dedup.earlier_runs").inc()
        yield beam.pvalue.TaggedOutput(DUPLICATES, duplicate_record(story, found[0].id, found[1], True))


def _revised_by_id(revised: Revised) -> tuple[str, Revised]:
    return revised[0].id, revised


class StreamingDedup(beam.PTransform):
    """PCollection[Story] (timestamped with the poll that fetched it) → {"stories": EnrichedStory,
    "duplicates": Duplicate}.

    Three keyed stateful steps, none of which holds the whole stream:
      1. FirstSighting, keyed by story id: the same entry at a later poll is a duplicate of itself, or, changed,
         its next version (emitted from there; `versions=False` keeps one record per story);
      2. KeyVotes, keyed by each dedup key (exact keys and LSH band keys): whether an earlier copy shares it;
      3. Decide, keyed by story id: emitted when no key names an earlier copy, else a Duplicate.
    In streaming a story's `cluster` lists the copies known when it is emitted — itself; its later copies
    are in the duplicates files, `duplicate_of` naming it (`cross_run` there means "from an earlier poll").
    With `index_path` (the state folder's dedup index; absent: empty) a step PriorRuns first turns copies of what
    earlier runs emitted into Duplicates (reason "index"); `now` is the time their retention is counted to.
    """

    def __init__(
        self,
        retention: dt.timedelta = dt.timedelta(days=7),
        config: DedupConfig | None = None,
        near: bool = True,
        label: str | None = None,
        index_path: str | None = None,
        now: dt.datetime | None = None,
        versions: bool = True,
    ) -> None:
        super().__init__(label)
        if retention <= dt.timedelta(0):
            raise ValueError(f"retention must be positive, got {retention}")
        self._retention = retention
        self._config = config or DedupConfig()
        self._near = near
        self._index_path = index_path
        self._now = now or utcnow()
        self._versions = versions

    def expand(self, stories: beam.PCollection) -> dict[str, beam.PCollection]:
        # A keyed shuffle before each step with timers: Dataflow shuffles before a stateful step anyway; the
        # FnApiRunner needs it to run the step in its own stage — fused behind PeriodicImpulse, the step's
        # event-time timers fire at the end of every bundle (measured), which would forget everything at once.
        earlier: tuple[beam.PCollection, ...] = ()
        if self._index_path is not None:
            prior = stories | "PriorRuns" >> beam.ParDo(
                PriorRunsFn(
                    self._index_path,
                    self._config if self._near else None,
                    self._retention,
                    self._now,
                    self._versions,
                )
            ).with_outputs(DUPLICATES, REVISED, main="stories")
            stories, earlier = prior.stories, (prior[DUPLICATES],)
        by_id = stories | "ById" >> beam.Map(lambda s: (s.id, s)).with_output_types(tuple[str, Any])
        if self._index_path is not None:
            revised = prior[REVISED] | "RevisedById" >> beam.Map(_revised_by_id).with_output_types(tuple[str, Any])
            by_id = (by_id, revised) | "AllById" >> beam.Flatten()
        first = (
            by_id
            | "ShuffleById" >> ReshufflePerKey()
            | "FirstSighting"
            >> beam.ParDo(FirstSightingFn(self._retention, self._versions)).with_outputs(
                DUPLICATES, VERSIONS, main="stories"
            )
        )
        sketched = first.stories | "Sketch" >> beam.ParDo(_SketchFn(self._config if self._near else None)).with_outputs(
            "story", main="keyed"
        )
        votes = (
            sketched.keyed
            | "TypeKeys" >> beam.Map(lambda kv: kv).with_output_types(tuple[str, Sighting])
            | "ShuffleByKey" >> ReshufflePerKey()
            | "KeyVotes" >> beam.ParDo(KeyVotesFn(self._retention, self._config))
            | "VoteMessage" >> beam.Map(lambda kv: (kv[0], ("vote", kv[1])))
        )
        decided = (
            (sketched.story, votes)
            | "StoryAndVotes" >> beam.Flatten()
            | "TypeMessages" >> beam.Map(lambda kv: kv).with_output_types(tuple[str, tuple[str, Any]])
            | "Decide" >> beam.ParDo(DecideFn(self._versions)).with_outputs(DUPLICATES, main="stories")
        )
        duplicates = (*earlier, first[DUPLICATES], decided[DUPLICATES]) | "AllDuplicates" >> beam.Flatten()
        stories_out = (decided.stories, first[VERSIONS]) | "StoriesAndVersions" >> beam.Flatten()
        return {"stories": stories_out, "duplicates": duplicates}

