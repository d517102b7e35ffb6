"""The arguments wirebeam hands to Beam, checked before a job is built.

Beam's `PipelineOptions` drops a flag it does not know with a log line, so a typo (`--fedds`, `--no-dedupe`)
would run the job without it. Every `PipelineOptions` subclass registers its flags in `_add_argparse_args`;
a parser built from all of them knows every flag Beam accepts, and what neither it nor wirebeam knows is an error
that names the nearest known flag.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import importlib
from collections.abc import Iterable, Iterator
from typing import Any, NoReturn

# Runners that execute a job in this process: they hold its PCollections in memory (pipeline/chunks.py) and, in
# Beam's default `in_memory` mode, run its DoFns here too.
LOCAL_RUNNERS = ("DirectRunner", "FnApiRunner", "BundleBasedDirectRunner", "SwitchingDirectRunner")


def is_local_runner(runner: str | None) -> bool:
    runner = runner or "DirectRunner"
    return runner in LOCAL_RUNNERS or runner.endswith(tuple(f".{name}" for name in LOCAL_RUNNERS))


def steps_run_here(beam_args: Iterable[str]) -> bool:
    """Whether the job's steps (their `DoFn.setup`) run in this process: a local runner in its default `in_memory`
    mode, not `multi_processing` or `loopback` (worker processes of their own). Read from the arguments alone,
    before Beam is imported."""
    parser = argparse.ArgumentParser(allow_abbrev=False, add_help=False)
    parser.add_argument("--runner")
    parser.add_argument("--direct_running_mode", default="in_memory")
    known, _ = parser.parse_known_args(list(beam_args))
    return is_local_runner(known.runner) and known.direct_running_mode == "in_memory"


class BeamFlagError(ValueError):
    """An argument neither wirebeam nor Beam accepts; the message names it."""


def _subclasses(cls: type[Any]) -> Iterator[type[Any]]:
    sub: type[Any]
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def beam_parser() -> argparse.ArgumentParser:
    """A parser with the flags of every `PipelineOptions` subclass imported so far (Beam's own are all in
    `apache_beam.options.pipeline_options`); errors raise BeamFlagError instead of exiting."""
    from apache_beam.options.pipeline_options import PipelineOptions, _BeamArgumentParser

    class Parser(_BeamArgumentParser):
        def error(self, message: str) -> NoReturn:
            raise BeamFlagError(message)

    parser = Parser(allow_abbrev=False, add_help=False, conflict_handler="resolve")
    seen: set[str] = set()
    for cls in _subclasses(PipelineOptions):
        if str(cls) not in seen:  # a class defined twice (a re-imported main session) registers once
            seen.add(str(cls))
            cls._add_argparse_args(parser)
    return parser


def option_names(parser: argparse.ArgumentParser) -> list[str]:
    return [name for action in parser._actions for name in action.option_strings]


def check_beam_args(beam_args: list[str], own_options: Iterable[str], argv: list[str] | None = None) -> None:
    """Beam's parse of `beam_args`; BeamFlagError for a runner Beam does not have, or an argument that is neither
    Beam's nor in `own_options` (wirebeam's flags for the command), naming the nearest known flag (`argv`, the whole
    command line, tells which flag a stray value follows)."""
    runner = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    runner.add_argument("--runner")
    path = check_runner(runner.parse_known_args(beam_args)[0].runner or "DirectRunner")
    with contextlib.suppress(ImportError):  # a runner outside Beam's core (Dask) registers its options beside it
        importlib.import_module(path.rsplit(".", 1)[0])
    parser = beam_parser()
    _, unknown = parser.parse_known_args(beam_args)
    if unknown:
        bad = next((a for a in unknown if a.startswith("-")), unknown[0])
        if not bad.startswith("-"):
            optional = bad.startswith("[") and bad.endswith("]")  # a usage line's "[--dedup]", copied as is
            hint = f": the brackets mark an optional part, write {bad[1:-1]} without them" if optional else ""
            flag = _flag_before(argv or beam_args, bad)
            if flag and not hint:  # "--feeds a.xml b.xml": a second value after a flag that takes one
                hint = f": {flag} takes one value; repeat it for each ({flag} A {flag} B)"
            raise BeamFlagError(f"unexpected argument {bad!r}{hint}")
        name = bad.split("=", 1)[0]
        near = difflib.get_close_matches(name, [*own_options, *option_names(parser)], n=1)
        hint = f"; did you mean {near[0]}?" if near else ""
        raise BeamFlagError(f"unrecognized option {name} (neither wirebeam nor Beam knows it){hint}")


def _flag_before(args: list[str], value: str) -> str | None:
    """The flag whose values run up to ``value`` in ``args`` ("--feeds" in ``--feeds a b``), when ``value`` follows
    another value rather than the flag itself; None otherwise."""
    if value not in args:
        return None
    i = args.index(value)
    if i < 2 or args[i - 1].startswith("-") or "=" in args[i - 1]:
        return None
    flag = args[i - 2]
    return flag.split("=", 1)[0] if flag.startswith("--") and "=" not in flag else None


def check_runner(name: str) -> str:
    """The runner class's path when Beam can create a runner called `name` (as `beam.Pipeline` will, by the same
    rules: a short name, case-insensitive, with or without `Runner`, or a dotted class path); BeamFlagError if not."""
    from apache_beam.options.pipeline_options import StandardOptions

    if "." in name:
        return name  # a runner class by its path: Beam imports it and reports what is wrong
    short: dict[str, str] = {path.rsplit(".", 1)[-1].lower(): path for path in StandardOptions.ALL_KNOWN_RUNNERS}
    path = short.get(name.lower(), short.get(name.lower() + "runner"))
    if path is not None:
        return path
    names = ", ".join(path.rsplit(".", 1)[-1] for path in StandardOptions.ALL_KNOWN_RUNNERS)
    raise BeamFlagError(f"--runner {name!r} is not a Beam runner; Beam accepts {names}")
