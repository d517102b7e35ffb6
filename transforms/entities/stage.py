"""Stage 6 — ExtractEntities: named entities of a story's title and body with offsets, spaCy labels and in-story
canonical names.

The model runs in batches (`nlp.pipe` over `BatchElements`), loaded once per worker in `DoFn.setup`; the
recognizer lives in transforms/entities/ner.py, its rules and canonical names in the modules beside it. A batch that
fails is retried story by story so one poison story becomes one dead letter, not a lost batch.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import apache_beam as beam
from apache_beam.metrics import Metrics
from pydantic import TypeAdapter

from schemas.story import EnrichedStory, Entity
from transforms.common import DEAD_LETTER, METRICS_NAMESPACE, counter, dead_letter
from transforms.entities.languages import LanguageEntityExtractors
from transforms.entities.ner import DEFAULT_MODEL
from transforms.entities.spans import EntityGroup
from transforms.faults import ElementTimeout, check_failpoint, time_limit
from transforms.language import enrichment_language

LOGGER = logging.getLogger(__name__)

STAGE = "entities"


# A story's entities validated in one call: a model built per entity and per mention (a Python call each) cost a
# third more, on article bodies with ~60 entities each.
_ENTITIES = TypeAdapter(list[Entity])


def to_entities(groups: Sequence[EntityGroup]) -> list[Entity]:
    return _ENTITIES.validate_python([
        {
            "text": g.text,
            "label": g.label,
            "start": g.start,
            "end": g.end,
            "field": g.field,
            "canonical": g.canonical,
            "mentions": [{"start": m.start, "end": m.end, "text": m.text, "field": m.field} for m in g.mentions],
            "count": len(g.mentions),
            "tickers": list(g.tickers),
        }
        for g in groups
    ])


def _language(story: EnrichedStory) -> str | None:
    return enrichment_language(story.language, story.language_source)


class ExtractEntitiesFn(beam.DoFn):
    """Batch of EnrichedStory → the same stories with `entities` filled in.

    `failpoints` (transforms/faults.py) and the `gemm`/`malloc` policies (transforms/entities/fastops.py) are
    given here, not read from the worker's environment: they travel pickled with the DoFn to every worker.
    """

    def __init__(
        self,
        model: str,
        batch_size: int,
        element_timeout: float | None = None,
        *,
        failpoints: Mapping[str, str] | None = None,
        gemm: str | None = None,
        malloc: str | None = None,
    ) -> None:
        # One model per language (transforms/entities/languages.py): `model` is a --ner-model value.
        self._extractor = LanguageEntityExtractors(model, batch_size=batch_size, gemm=gemm, malloc=malloc)
        self._timeout = element_timeout
        self._failpoints = dict(failpoints or {})
        self.batch_sizes = Metrics.distribution(METRICS_NAMESPACE, "entities.batch_size")

    def setup(self) -> None:
        self._extractor.load()

    def _extract(self, batch: list[EnrichedStory]) -> list[list[EntityGroup]]:
        with time_limit(self._timeout * len(batch) if self._timeout else None):
            for story in batch:
                check_failpoint(self._failpoints, STAGE, story.body)
            return self._extractor.extract_stories([(s.title, s.body) for s in batch], [_language(s) for s in batch])

    def process(self, batch: list[EnrichedStory]) -> Iterator[Any]:
        self.batch_sizes.update(len(batch))
        try:
            results = self._extract(batch)
        except (Exception, ElementTimeout):  # one poison story must not sink its batch: retry one by one
            LOGGER.warning("entity batch of %d failed; retrying story by story", len(batch), exc_info=True)
            yield from self._one_by_one(batch)
            return
        for story, groups in zip(batch, results, strict=True):
            counter("entities.stories").inc()
            yield self._with_entities(story, groups)

    def _one_by_one(self, batch: list[EnrichedStory]) -> Iterator[Any]:
        for story in batch:
            try:
                (groups,) = self._extract([story])
            except (Exception, ElementTimeout) as exc:  # any failure or hang on this text: its dead letter
                yield dead_letter(STAGE, exc, story.source.url, entry_id=story.id, payload=story.body)
                continue
            yield self._with_entities(story, groups)

    def _with_entities(self, story: EnrichedStory, groups: Sequence[EntityGroup]) -> EnrichedStory:
        reason = self._extractor.reason(_language(story))
        if reason is None:
            return story.model_copy(update={"entities": to_entities(groups)})
        counter("entities.skipped_language").inc()
        return story.model_copy(update={"entities": [], "enrichment": {**story.enrichment, "entities": reason}})


class ExtractEntities(beam.PTransform):
    """PCollection[EnrichedStory] → {"stories": EnrichedStory with entities, "dead_letter": DeadLetter}."""

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        batch_size: int = 32,
        element_timeout: float | None = None,
        label: str | None = None,
        *,
        failpoints: Mapping[str, str] | None = None,
        gemm: str | None = None,
        malloc: str | None = None,
    ) -> None:
        super().__init__(label)
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self._model = model
        self._batch_size = batch_size
        self._timeout = element_timeout
        self._failpoints, self._gemm, self._malloc = failpoints, gemm, malloc

    def expand(self, stories: beam.PCollection) -> beam.pvalue.DoOutputsTuple:
        # Fixed-size batches (the last of a bundle may be smaller), so that `batch_size` is what nlp.pipe gets:
        # BatchElements' adaptive sizing, from 1 up, settles on a few stories (the model's per-batch cost looks
        # small to it), paying the stage's per-batch costs many times as often for no gain (the model alone runs
        # as fast on small batches: `bench_entities.py::test_entity_stage_batches_of_3`). A bundle's last batch is
        # flushed when the bundle ends, so nothing waits for a full batch.
        return (
            stories
            | "Batch" >> beam.BatchElements(min_batch_size=self._batch_size, max_batch_size=self._batch_size)
            | "Recognize"
            >> beam.ParDo(
                ExtractEntitiesFn(
                    self._model,
                    self._batch_size,
                    self._timeout,
                    failpoints=self._failpoints,
                    gemm=self._gemm,
                    malloc=self._malloc,
                )
            ).with_outputs(DEAD_LETTER, main="stories")
        )
