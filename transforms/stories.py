"""ProcessStories: the middle of both graphs — entries → [FetchArticles] → CleanStories → dedup → ExtractEntities →
ExtractDates — one composite used by the batch graph (pipeline/build.py) and the streaming one
(pipeline/streaming.py), the way Beam's leader_board.py reuses ExtractAndSumScore under other windowing.

The graphs differ only in what they hand it: the dedup step (DedupStories with the cross-run index, StreamingDedup
in keyed state, or NoDedup) and, for streaming, the fixed windows the stories are enriched and written in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import apache_beam as beam
from apache_beam.transforms.window import WindowFn

from transforms.article.stage import FetchArticles
from transforms.clean.stage import CleanStories
from transforms.common import DEAD_LETTER
from transforms.dates.stage import ExtractDates
from transforms.dedup.members import DUPLICATES
from transforms.entities.stage import ExtractEntities
from transforms.fetch.http import FetchSettings


class ProcessStories(beam.PTransform):
    """PCollection[RawEntry] → {"stories": EnrichedStory (tagged and dated), "duplicates": Duplicate,
    "dead_letters": (clean's, entities', dates' dead letters), and each of `dedup_outputs`}.

    `dedup` is applied under its own label (label it: `"DedupStories" >> DedupStories(...)`); it must return
    "stories" and "duplicates" outputs. `dedup_outputs` names further outputs of it to pass on (batch: the index
    entries). `articles` fetches each entry's article page first (None: off). `failpoints`, `gemm` and `malloc`
    are the run's settings for the tagging stages (pipeline/options.py reads them from the environment once).
    `window` windows the deduplicated stories before enrichment — BatchElements batches per window and flushes a
    window's last batch at its end, stamped with the window's end, which in the global window would be the end of
    time — and the clean stage's dead letters, so that every dead letter returned shares the stories' windowing.
    """

    def __init__(
        self,
        dedup: beam.PTransform,
        *,
        ner_model: str,
        ner_batch_size: int,
        element_timeout: float | None,
        articles: FetchSettings | None = None,
        window: WindowFn | None = None,
        dedup_outputs: Sequence[str] = (),
        failpoints: Mapping[str, str] | None = None,
        gemm: str | None = None,
        malloc: str | None = None,
        label: str | None = None,
    ) -> None:
        super().__init__(label)
        self._dedup = dedup
        self._ner_model = ner_model
        self._ner_batch_size = ner_batch_size
        self._element_timeout = element_timeout
        self._articles = articles
        self._window = window
        self._dedup_outputs = tuple(dedup_outputs)
        self._failpoints = failpoints
        self._gemm, self._malloc = gemm, malloc

    def expand(self, entries: beam.PCollection) -> dict[str, Any]:
        if self._articles is not None:
            entries = entries | "FetchArticles" >> FetchArticles(self._articles)
        cleaned = entries | "CleanStories" >> CleanStories()
        deduped = cleaned.stories | self._dedup
        stories, clean_dead = deduped["stories"], cleaned[DEAD_LETTER]
        if self._window is not None:
            stories = stories | "Window" >> beam.WindowInto(self._window)
            clean_dead = clean_dead | "WindowDeadLetters" >> beam.WindowInto(self._window)
        with_entities = stories | "ExtractEntities" >> ExtractEntities(
            self._ner_model,
            self._ner_batch_size,
            self._element_timeout,
            failpoints=self._failpoints,
            gemm=self._gemm,
            malloc=self._malloc,
        )
        tag_dates = ExtractDates(self._element_timeout, failpoints=self._failpoints)
        with_dates = with_entities.stories | "ExtractDates" >> tag_dates
        return {
            "stories": with_dates.stories,
            "duplicates": deduped[DUPLICATES],
            "dead_letters": (clean_dead, with_entities[DEAD_LETTER], with_dates[DEAD_LETTER]),
            **{tag: deduped[tag] for tag in self._dedup_outputs},
        }
