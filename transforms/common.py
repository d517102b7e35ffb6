"""Pieces every stage shares: the dead-letter tag, dead-letter construction, counters, stable ids."""

from __future__ import annotations

import contextlib
import ctypes
import datetime as dt
import hashlib
import logging
import os
import signal
import threading
import time
from collections.abc import Iterator

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


# --- protecting the run from poison records -----------------------------------------------------------------


class ElementTimeout(BaseException):
    """An element took longer than the per-element time limit of its stage.

    A BaseException, like KeyboardInterrupt, so that libraries catching `Exception` around their own work
    (feedparser falls back to its loose parser on any Exception) cannot swallow it and keep going.
    """


class InjectedFault(RuntimeError):
    """Raised by a failpoint (WIREBEAM_FAILPOINTS), to test that a stage dead-letters what it cannot process."""


FAILPOINTS_ENV = "WIREBEAM_FAILPOINTS"


def failpoints_from_env() -> dict[str, str]:
    """`stage=marker,stage=marker` → {stage: marker}: the stage raises on text containing its marker.

    Failpoints are how the tests inject a poison record into a real run; unset, they cost nothing.
    """
    spec = os.environ.get(FAILPOINTS_ENV, "")
    points = {}
    for item in spec.split(","):
        stage, sep, marker = item.partition("=")
        if sep and stage.strip() and marker:
            points[stage.strip()] = marker
    return points


def check_failpoint(points: dict[str, str], stage: str, text: str) -> None:
    marker = points.get(stage)
    if marker is not None and marker in text:
        if marker.startswith("SLOW"):
            # A poison record that hangs rather than raises: the time limit must catch it.
            deadline = time.monotonic() + 3600
            while time.monotonic() < deadline:
                pass
        raise InjectedFault(f"failpoint {stage}={marker}")


def crash_point(name: str) -> None:
    """Die at once (SIGKILL, as an OOM kill or a preemption would) if WIREBEAM_FAILPOINTS has `crash=<name>`.

    The commit sequence of a run calls this between its steps so the tests can kill a run at each of them.
    """
    if failpoints_from_env().get("crash") == name:
        LOGGER.warning("failpoint: killing this process at %s", name)
        os.kill(os.getpid(), signal.SIGKILL)


@contextlib.contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Raise ElementTimeout in this thread if the block runs longer than `seconds` (None: no limit).

    On the main thread (Beam's in-process FnApiRunner) a SIGALRM timer interrupts even C-level regex loops;
    on worker threads (multi-process and Dataflow SDK harnesses) a watchdog raises the exception asynchronously
    in the thread, which takes effect at the next Python bytecode.
    """
    if not seconds or seconds <= 0:
        yield
        return
    if threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer"):
        yield from _alarm_limit(seconds)
    else:
        yield from _watchdog_limit(seconds)


def _alarm_limit(seconds: float) -> Iterator[None]:
    def expire(signum: int, frame: object) -> None:
        raise ElementTimeout(f"took longer than {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    started = time.monotonic()
    outer_delay, outer_interval = signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer_delay:
            # Someone else's alarm (a test runner's timeout) was pending: give it back what is left of it.
            left = outer_delay - (time.monotonic() - started)
            signal.setitimer(signal.ITIMER_REAL, max(left, 0.001), outer_interval)


def _watchdog_limit(seconds: float) -> Iterator[None]:
    target = threading.get_ident()
    lock = threading.Lock()
    state = {"inside": True, "fired": False}

    def fire() -> None:
        with lock:
            if state["inside"]:
                state["fired"] = True
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(target), ctypes.py_object(ElementTimeout))

    timer = threading.Timer(seconds, fire)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        with lock:
            state["inside"] = False
            if state["fired"]:
                # Not yet delivered (the block ended first): withdraw it so it cannot hit unrelated code.
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(target), None)
