"""pydantic models of wirebeam's records, and the export of their JSON Schema."""

from schemas.story import (
    SCHEMA_VERSION,
    Cluster,
    ClusterCopy,
    Dateline,
    DateMention,
    DeadLetter,
    Duplicate,
    EnrichedStory,
    Entity,
    FeedCounts,
    FeedSource,
    Manifest,
    Mention,
    RawEntry,
    Story,
)

__all__ = [
    "SCHEMA_VERSION",
    "Cluster",
    "ClusterCopy",
    "DateMention",
    "Dateline",
    "DeadLetter",
    "Duplicate",
    "EnrichedStory",
    "Entity",
    "FeedCounts",
    "FeedSource",
    "Manifest",
    "Mention",
    "RawEntry",
    "Story",
]
