"""Dedup off (`--no-dedup`): every story its own one-copy cluster, and no duplicates."""

from __future__ import annotations

import datetime as dt

import apache_beam as beam

from schemas.story import Cluster, ClusterCopy, EnrichedStory, Story
from transforms.common import utcnow
from transforms.dedup.versions import correction_note, revision_marker


def singleton(story: Story, now: dt.datetime) -> EnrichedStory:
    """A story as its own one-copy cluster (dedup off)."""
    copy = ClusterCopy(
        id=story.id,
        url=story.url,
        source=story.source.url,
        title=story.title,
        published_at=story.published_at,
    )
    return EnrichedStory(
        **story.model_dump(),
        cluster=Cluster(id=story.id, size=1, copies=[copy]),
        processed_at=now,
        correction=correction_note(story.body),
        revision=revision_marker(story.title)[0],
    )


class NoDedup(beam.PTransform):
    """PCollection[Story] → {"stories": EnrichedStory (one-copy clusters), "duplicates": empty}: the dedup step of
    a run without dedup, in the shape of DedupStories' and StreamingDedup's outputs.

    `now` is every story's `processed_at`; None stamps each story when it is made (streaming).
    """

    def __init__(self, now: dt.datetime | None = None, label: str | None = None) -> None:
        super().__init__(label)
        self._now = now

    def expand(self, stories: beam.PCollection) -> dict[str, beam.PCollection]:
        now = self._now
        if now is None:
            clusters = stories | "AsClusters" >> beam.Map(lambda s: singleton(s, utcnow()))
        else:
            clusters = stories | "AsClusters" >> beam.Map(singleton, now)
        return {"stories": clusters, "duplicates": stories.pipeline | "NoDuplicates" >> beam.Create([])}
