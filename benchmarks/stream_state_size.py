"""What the stream's keyed dedup (transforms/dedup/streaming.py, KeyVotes) remembers per story, in bytes as Beam's
PickleCoder writes its state: what each of the story's keys keeps now (id, time, the version it was first seen
with; band keys also the MinHash signature and the title) against id and time only (band keys: and the signature),
what the keys kept before the stream applied the batch version rule (members.is_version) to new ids; and the CPU
time of that rule on a repeat sighting (FirstSighting asks it of every item a poll lists again).

    python -m benchmarks.stream_state_size --stories 500

Bodies are evaluation/wirecopy.py's (~450 words of real sentences, paragraphs as cleaning writes them).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import resource

from apache_beam import coders

from evaluation.wirecopy import article_sentences, wire_stories
from schemas.story import FeedSource, Story
from transforms.dedup.keys import is_band
from transforms.dedup.members import is_version, recorded_member, version_member
from transforms.dedup.neardup import DedupConfig, canonical_url
from transforms.dedup.streaming import Sighting, sighting_of, stored_form
from transforms.dedup.versions import story_info


def bytes_per_story(n: int) -> tuple[int, float, float]:
    """(stories, mean bytes now, mean bytes with id/time/signature only) over `n` wirecopy stories."""
    coder = coders.PickleCoder()
    cfg = DedupConfig()
    now = before = 0
    for k, story in enumerate(stories(n)):
        seen = sighting_of(story, 1_764_547_200_000_000 + k * 60_000_000, cfg)
        for key in seen.keys:
            now += len(coder.encode(stored_form(key, seen)))
            bare = Sighting(seen.id, seen.ts, (), seen.signature, seen.n_shingles) if is_band(key) else (
                Sighting(seen.id, seen.ts, ())
            )
            before += len(coder.encode(bare))
    return n, now / n, before / n


def repeat_check_micros(n: int, rounds: int = 20) -> float:
    """CPU µs (RUSAGE_SELF) of the version rule on one repeat sighting of an unchanged story."""
    listed = [(s, recorded_member(s.id, story_info(s, 1))) for s in stories(n)]
    start = resource.getrusage(resource.RUSAGE_SELF).ru_utime
    for _ in range(rounds):
        for story, prior in listed:
            member = version_member(story)
            assert not is_version(member, prior, member)
    return (resource.getrusage(resource.RUSAGE_SELF).ru_utime - start) / (rounds * n) * 1e6


def stories(n: int) -> list[Story]:
    """`n` wirecopy stories (its copies included), as the stream's dedup gets them."""
    out = []
    for record in wire_stories(n, article_sentences()):
        story = Story(
            id=record["id"],
            url=record["url"],
            canonical_url=canonical_url(record["url"]),
            title=record["title"],
            body=record["text"],
            published_at=dt.datetime.fromisoformat(record["published_at"]),
            source=FeedSource(url=record["url"].rsplit("/", 2)[0] + "/rss"),
            content_hash=hashlib.sha256(record["text"].encode()).hexdigest()[:20],
            fetched_at=dt.datetime(2026, 12, 1, tzinfo=dt.UTC),
        )
        out.append(story)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stories", type=int, default=500)
    count = parser.parse_args(argv).stories
    n, now, before = bytes_per_story(count)
    micros = repeat_check_micros(count)
    print(f"{n} stories: {now:,.0f} B of keyed state per story ({before:,.0f} B with id, time and signature only: "
          f"{now / before:.2f}x); the version rule on a repeat sighting: {micros:.1f} µs CPU")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
