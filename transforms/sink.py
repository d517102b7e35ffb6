"""Stage 8 — WriteStories: JSONL shards of stories, duplicates and dead letters, plus the per-feed counts.

Every story is validated against `EnrichedStory` on its way out (a record that fails becomes a dead letter of
stage `sink`). The counts and feed reports go to internal `_counts*`/`_feed_reports*` files that the driver
folds into `manifest.json` once the pipeline has finished; the manifest is written last, so a run directory
without one is recognizably incomplete.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import apache_beam as beam
import orjson
from pydantic import BaseModel, ValidationError

from schemas.story import STORY_ADAPTER, DeadLetter, EnrichedStory
from transforms.common import DEAD_LETTER, counter, dead_letter

LOGGER = logging.getLogger(__name__)

STAGE = "sink"
SHARD_TEMPLATE = "-SSSSS-of-NNNNN"
# JSON allows these raw inside strings, but str.splitlines() and many JSONL readers break lines on them:
# escape them so line count always equals record count.
_LINE_BREAKERS = {"\u2028": "\\u2028", "\u2029": "\\u2029", "\x85": "\\u0085"}


def json_line(record: BaseModel | dict[str, Any] | str) -> str:
    """One record as a single JSONL line, valid UTF-8, never containing a line separator."""
    if isinstance(record, str):
        text = record
    elif isinstance(record, BaseModel):
        text = record.model_dump_json()
    else:
        text = orjson.dumps(record).decode()
    for char, escaped in _LINE_BREAKERS.items():
        if char in text:
            text = text.replace(char, escaped)
    return text


class ValidateStoryFn(beam.DoFn):
    """Re-validate each story against the schema (model_copy does not) before it is written."""

    def process(self, story: EnrichedStory) -> Iterator[Any]:
        try:
            valid = STORY_ADAPTER.validate_python(story.model_dump())
        except ValidationError as exc:
            yield dead_letter(
                STAGE, exc, story.source.url, entry_id=story.id, payload=story, error_type="schema_error"
            )
            return
        counter("sink.stories").inc()
        yield valid.source.url, json_line(valid)


def count_keys(kind: str) -> Any:
    """Element → ((feed, counter name), 1) for the per-feed counts."""

    def key(element: Any) -> tuple[tuple[str, str], int]:
        if kind == "entries_read":
            assert isinstance(element, str)
            return (element, "entries_read"), 1
        if kind == "dead_letters":
            assert isinstance(element, DeadLetter)
            name = "dead_letters" if element.entry_id is not None else "feed_errors"
            return (element.source, name), 1
        return (element.source if isinstance(element.source, str) else element.source.url, kind), 1

    return key


def _count_line(element: tuple[tuple[str, str], int]) -> str:
    (feed, name), value = element
    return json_line({"feed": feed, "name": name, "value": value})


class WriteJsonl(beam.PTransform):
    """Records → `<prefix>-SSSSS-of-NNNNN.jsonl` (at least one file, empty when there are no records)."""

    def __init__(self, prefix: str, num_shards: int = 0, label: str | None = None) -> None:
        super().__init__(label)
        self._prefix = prefix
        self._num_shards = num_shards

    def expand(self, records: beam.PCollection) -> beam.pvalue.PDone:
        return (
            records
            | "ToLine" >> beam.Map(json_line)
            | "Write"
            >> beam.io.WriteToText(
                self._prefix,
                file_name_suffix=".jsonl",
                shard_name_template=SHARD_TEMPLATE,
                num_shards=self._num_shards,
            )
        )


class WriteStories(beam.PTransform):
    """Writes a run's files into `run_dir` (a local path or a gs:// prefix).

    Input: a dict with PCollections "entries" (the feed of every entry read, for counting), "stories" (EnrichedStory),
    "duplicates" (Duplicate), "dead_letters" (DeadLetter), "feed_reports" (dict), "index_entries" (str).
    """

    def __init__(self, run_dir: str, label: str | None = None) -> None:
        super().__init__(label)
        if not run_dir:
            raise ValueError("--output must name a directory")
        self._run_dir = run_dir.rstrip("/")

    def expand(self, pcolls: dict[str, beam.PCollection]) -> beam.pvalue.PDone:
        out = self._run_dir
        validated = pcolls["stories"] | "Validate" >> beam.ParDo(ValidateStoryFn()).with_outputs(
            DEAD_LETTER, main="lines"
        )
        dead = (pcolls["dead_letters"], validated[DEAD_LETTER]) | "AllDeadLetters" >> beam.Flatten()
        (
            validated.lines
            | "StoryLine" >> beam.Map(lambda fl: fl[1])
            | "WriteStoryLines"
            >> beam.io.WriteToText(
                f"{out}/stories", file_name_suffix=".jsonl", shard_name_template=SHARD_TEMPLATE
            )
        )
        pcolls["duplicates"] | "WriteDuplicates" >> WriteJsonl(f"{out}/duplicates")
        dead | "WriteDeadLetters" >> WriteJsonl(f"{out}/dead_letter")
        counts = (
            (
                pcolls["entries"] | "CountEntries" >> beam.Map(count_keys("entries_read")),
                validated.lines | "CountStories" >> beam.Map(lambda fl: ((fl[0], "stories"), 1)),
                pcolls["duplicates"] | "CountDuplicates" >> beam.Map(count_keys("duplicates")),
                dead | "CountDeadLetters" >> beam.Map(count_keys("dead_letters")),
            )
            | "AllCounts" >> beam.Flatten()
            | "SumCounts" >> beam.CombinePerKey(sum)
        )
        (
            counts
            | "CountLines" >> beam.Map(_count_line)
            | "WriteCounts"
            >> beam.io.WriteToText(
                f"{out}/_counts", file_name_suffix=".jsonl", shard_name_template=SHARD_TEMPLATE, num_shards=1
            )
        )
        pcolls["feed_reports"] | "WriteFeedReports" >> WriteJsonl(f"{out}/_feed_reports", num_shards=1)
        return pcolls["index_entries"] | "WriteIndex" >> beam.io.WriteToText(
            f"{out}/_index", file_name_suffix=".jsonl", shard_name_template=SHARD_TEMPLATE
        )
