"""Garbage collection paused while a batch command starts, and the start-up's objects then frozen.

Start-up (Beam, spaCy and wirebeam's modules, the job graph) allocates ~300,000 objects that live as long as the
process; with the collector on, each generation-2 collection walks all of them again (4 of them, ~0.3 CPU-s, and
~0.1 more in generation 1, on the one-story command). `pipeline/cli.py` pauses collection; the first job's
start (`pipeline/driver.py` `run_job`) calls :func:`resume`: what exists then is moved to the permanent
generation (``gc.freeze``, never traversed again) and collection resumes for the run's own objects.
"""

from __future__ import annotations

import gc

_PAUSED = False


def pause() -> None:
    """Turn collection off until :func:`resume` (nothing to do when something else already turned it off)."""
    global _PAUSED
    if gc.isenabled():
        gc.disable()
        _PAUSED = True


def resume() -> None:
    """Freeze what start-up allocated and turn collection back on, if :func:`pause` turned it off."""
    global _PAUSED
    if _PAUSED:
        _PAUSED = False
        gc.freeze()
        gc.enable()
