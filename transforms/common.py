"""Pieces every stage shares: the dead-letter tag, dead-letter construction, counters, stable ids."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging

from apache_beam.metrics import Metrics
from apache_beam.pvalue import TaggedOutput

from schemas.story import EXCERPT_CHARS, DeadLetter

LOGGER = logging.getLogger(__name__)

DEAD_LETTER = "dead_letter"
METRICS_NAMESPACE = "wirebeam"


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def excerpt(value: object, limit: int = EXCERPT_CHARS) -> str:
    """A bounded, printable excerpt of bad input for a dead letter."""
    if isinstance(value, bytes):
        text = value[: limit * 4].decode("utf-8", errors="replace")
    elif isinstance(value, str):
        text = value
    elif hasattr(value, "model_dump_json"):
        text = value.model_dump_json()
    else:
        text = repr(value)
    return text[:limit]


def dead_letter(
    stage: str,
    error: BaseException | str,
    source: str,
    *,
    entry_id: str | None = None,
    payload: object = "",
    http_status: int | None = None,
    error_type: str | None = None,
) -> TaggedOutput:
    """A dead letter on the `dead_letter` tag; counted under the stage and error class."""
    if isinstance(error, BaseException):
        kind = error_type or type(error).__name__
        message = str(error) or kind
    else:
        kind = error_type or "error"
        message = error
    Metrics.counter(METRICS_NAMESPACE, f"{stage}.dead_letter.{kind}").inc()
    record = DeadLetter(
        stage=stage,
        error_type=kind,
        message=message[:1000],
        source=source,
        entry_id=entry_id,
        http_status=http_status,
        excerpt=excerpt(payload),
        at=utcnow(),
    )
    return TaggedOutput(DEAD_LETTER, record)


def stable_id(*parts: str) -> str:
    """A short id that is the same in every process and run for the same parts."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8", errors="surrogatepass")).hexdigest()
    return digest[:20]


def counter(name: str) -> Metrics.DelegatingCounter:
    return Metrics.counter(METRICS_NAMESPACE, name)
