"""PollFeeds for `wirebeam stream`: FetchFeedFn with each feed's HTTP validators (ETag, Last-Modified, body hash)
kept in keyed state, so every poll after the first is a conditional GET, exactly as a batch run with `--state`.
With a state folder the first poll is conditional too: it starts from the validators the folder recorded.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import apache_beam as beam
from apache_beam import coders
from apache_beam.transforms import userstate

from schemas.story import FeedSource
from transforms.fetch.http import FetchSettings
from transforms.fetch.stage import FEED_REPORT, FetchFeedFn

# The state spec, and the DoFn parameter that names it, are built once here: Beam matches a parameter to its spec
# by identity.
_VALIDATORS = userstate.ReadModifyWriteStateSpec("validators", coders.PickleCoder())
_VALIDATORS_STATE = beam.DoFn.StateParam(_VALIDATORS)


def feeds_for_tick(tick: Any, feeds: Sequence[FeedSource]) -> Iterator[tuple[str, FeedSource]]:
    """One (url, feed) per configured feed for each tick; each inherits the tick's timestamp."""
    for feed in feeds:
        yield feed.url, feed


class PollFeedFn(FetchFeedFn):
    """(url, FeedSource) → what FetchFeedFn yields, with the feed's validators kept in keyed state.

    The batch FetchFeedFn reads validators from the state folder once per run; here they live in Beam state
    and are updated after every poll, so each poll after the first is a conditional GET (304 → no entries).
    `feed_state` (the state folder's feeds.json entries) seeds a feed's first poll, so a restarted stream does not
    fetch unchanged feeds in full.
    """

    def __init__(self, settings: FetchSettings, feed_state: Mapping[str, Mapping[str, Any]] | None = None) -> None:
        super().__init__(settings, feed_state or {})

    def process(  # type: ignore[override]
        self,
        element: tuple[str, FeedSource],
        validators: Any = _VALIDATORS_STATE,
    ) -> Iterator[Any]:
        _, source = element
        previous = validators.read()
        for output in self.fetch_one(source, self._feed_state.get(source.url) if previous is None else previous):
            if isinstance(output, beam.pvalue.TaggedOutput) and output.tag == FEED_REPORT:
                state = output.value.get("state")
                if state is not None:
                    validators.write(state)
            yield output
