"""Fault injection and per-element time limits: how a run protects itself from poison records, and how the
tests inject them.

- `time_limit` bounds one element's work (`--element-timeout`), raising `ElementTimeout`;
- failpoints (`WIREBEAM_FAILPOINTS=stage=marker,…`) make a stage raise `InjectedFault` on text containing the
  marker, so a test can put a poison record through a real run;
- crash points (`WIREBEAM_FAILPOINTS=crash=<step>`) kill the process between two steps of the commit sequence.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import threading
import time
from collections.abc import Iterator, Mapping

LOGGER = logging.getLogger(__name__)

class ElementTimeout(BaseException):
    """An element took longer than the per-element time limit of its stage.

    A BaseException, like KeyboardInterrupt, so that libraries catching `Exception` around their own work
    (feedparser falls back to its loose parser on any Exception) cannot swallow it and keep going.
    """


class InjectedFault(RuntimeError):
    """Raised by a failpoint, to test that a stage dead-letters what it cannot process."""


def parse_failpoints(spec: str) -> dict[str, str]:
    """`stage=marker,stage=marker` → {stage: marker}: the stage raises on text containing its marker.

    Failpoints are how the tests inject a poison record into a real run; none given, they cost nothing. The CLI
    reads the spec from $WIREBEAM_FAILPOINTS once (pipeline/options.py) and the stages get the mapping through
    their constructors, so it travels pickled in the DoFns to every worker.
    """
    points = {}
    for item in spec.split(","):
        stage, sep, marker = item.partition("=")
        if sep and stage.strip() and marker:
            points[stage.strip()] = marker
    return points


def check_failpoint(points: Mapping[str, str], stage: str, text: str) -> None:
    marker = points.get(stage)
    if marker is not None and marker in text:
        if marker.startswith("SLOW"):
            # A poison record that hangs rather than raises: the time limit must catch it.
            deadline = time.monotonic() + 3600
            while time.monotonic() < deadline:
                pass
        raise InjectedFault(f"failpoint {stage}={marker}")


def crash_point(name: str, points: Mapping[str, str]) -> None:
    """Die at once (SIGKILL, as an OOM kill or a preemption would) if the failpoints have `crash=<name>`.

    The commit sequence of a run calls this between its steps so the tests can kill a run at each of them.
    """
    if points.get("crash") == name:
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
