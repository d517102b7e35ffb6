"""`wirebeam validate FILE…`: check output files against the schema and show the first bad line with the reason.

The kind of record is taken from the file name wirebeam gives it (`stories-*`, `duplicates-*`, `dead_letter-*`,
`manifest.json`) or from `--kind`. A line is bad when it is not UTF-8, empty (a trailing one too), not one JSON
object, fails the pydantic model (which also checks that every entity's and mention's offsets index the body), or
repeats an id seen earlier in the file.
Checking stops at the first bad line of each file: one clear reason beats a thousand follow-on errors.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import sys
from collections.abc import Iterable, Iterator
from typing import TextIO

import orjson
from pydantic import BaseModel, ValidationError

from schemas.story import DeadLetter, Duplicate, EnrichedStory, Manifest

LOGGER = logging.getLogger(__name__)

RECORD_KINDS: dict[str, type[BaseModel]] = {
    "story": EnrichedStory,
    "duplicate": Duplicate,
    "dead_letter": DeadLetter,
    "manifest": Manifest,
}
# File-name prefixes the sink writes (transforms/sink/stage.py) → record kind.
PREFIXES = (("stories", "story"), ("duplicates", "duplicate"), ("dead_letter", "dead_letter"))
# Records whose `id` must be unique within a file (a dead letter has none; a duplicate's id is the copy's own).
UNIQUE_IDS = ("story", "duplicate")
EXCERPT = 300
EXIT_OK, EXIT_BAD, EXIT_USAGE = 0, 1, 2


@dataclasses.dataclass(frozen=True)
class Problem:
    """The first bad line of a file: 1-based number, why, and the start of the line."""

    line_no: int
    reason: str
    excerpt: str


@dataclasses.dataclass(frozen=True)
class FileCheck:
    path: str
    kind: str
    records: int
    problem: Problem | None

    @property
    def ok(self) -> bool:
        return self.problem is None


def kind_for_path(path: str) -> str | None:
    """The record kind a wirebeam output file holds, from its name; None when the name says nothing."""
    name = os.path.basename(path)
    if name == "manifest.json":
        return "manifest"
    for prefix, kind in PREFIXES:
        if name.startswith(prefix + "-") or name.startswith(prefix + "."):
            return kind
    return None


def describe_error(exc: ValidationError) -> str:
    """pydantic's first error as `field.path: message` (the first cause is the one to fix)."""
    first = exc.errors(include_url=False)[0]
    where = ".".join(str(part) for part in first["loc"]) or "record"
    extra = f" ({exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{where}: {first['msg']}{extra}"


def check_line(raw: bytes, model: type[BaseModel]) -> tuple[BaseModel | None, str | None]:
    """One JSONL line → (record, None) or (None, reason)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, f"not UTF-8 at byte {exc.start}"
    if not text.strip():
        return None, "empty line"
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        return None, f"not JSON: {exc}"
    if not isinstance(value, dict):
        return None, f"not a JSON object but {type(value).__name__}"
    try:
        return model.model_validate(value), None
    except ValidationError as exc:
        return None, describe_error(exc)


def first_problem(lines: Iterable[bytes], kind: str) -> tuple[int, Problem | None]:
    """(records checked, the first bad line or None) for JSONL `lines` of the given kind."""
    model = RECORD_KINDS[kind]
    seen: dict[str, int] = {}
    count = 0
    for line_no, raw in enumerate(lines, start=1):
        line = raw.rstrip(b"\r\n")
        record, reason = check_line(line, model)
        if record is not None and kind in UNIQUE_IDS:
            record_id = str(getattr(record, "id", ""))
            if record_id in seen:
                reason = f"id {record_id!r} repeats line {seen[record_id]}"
            seen.setdefault(record_id, line_no)
        if reason is not None:
            return count, Problem(line_no, reason, line[:EXCERPT].decode("utf-8", errors="replace"))
        count += 1
    return count, None


def _read_lines(path: str) -> Iterator[bytes]:
    if path.startswith("gs://"):
        from apache_beam.io.filesystems import FileSystems  # Beam only for remote files: it is slow to import

        with FileSystems.open(path) as handle:
            yield from handle
        return
    with open(path, "rb") as handle:
        yield from handle


def check_file(path: str, kind: str | None = None) -> FileCheck:
    """Check one file; raises ValueError when its kind is unknown, OSError when it cannot be read."""
    if not path.startswith("gs://"):
        missing(path)
    kind = kind or kind_for_path(path)
    if kind is None:
        raise ValueError(f"{path}: cannot tell the record kind from the name; pass --kind")
    if kind == "manifest":
        raw = b"".join(_read_lines(path))
        _, reason = check_line(raw.replace(b"\n", b" "), Manifest)
        problem = None if reason is None else Problem(1, reason, raw[:EXCERPT].decode("utf-8", "replace"))
        return FileCheck(path, kind, 0 if problem else 1, problem)
    count, problem = first_problem(_read_lines(path), kind)
    return FileCheck(path, kind, count, problem)


def missing(path: str) -> None:
    """Raise FileNotFoundError / IsADirectoryError, saying what the user likely meant, for a local path that is
    not a file: a shell pattern that matched nothing reaches us as it was typed."""
    if os.path.isdir(path):
        raise IsADirectoryError(f"{path}: is a folder; pass its files, e.g. {os.path.join(path, '*.jsonl')}")
    if os.path.exists(path):
        return
    if any(c in path for c in "*?["):
        raise FileNotFoundError(f"{path}: no file matches this pattern (the shell passed it on unexpanded)")
    raise FileNotFoundError(f"{path}: No such file")


def format_check(check: FileCheck) -> str:
    if check.problem is None:
        unit = "record" if check.records == 1 else "records"
        return f"{check.path}: OK, {check.records} {unit} ({check.kind})"
    p = check.problem
    return f"{check.path}:{p.line_no}: {p.reason}\n    {p.excerpt}"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE", help="JSONL output files (or manifest.json)")
    parser.add_argument(
        "--kind",
        choices=sorted(RECORD_KINDS),
        help="record kind when the file name does not say (stories-*, duplicates-*, dead_letter-*)",
    )
    parser.add_argument("--log-level", default="WARNING", type=str.upper, choices=("DEBUG", "INFO", "WARNING", "ERROR"))


def main_from_args(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Exit 0 when every file is valid, 1 when one is not, 2 when a file is missing or of unknown kind."""
    out = out or sys.stdout
    status = EXIT_OK
    for path in args.files:
        try:
            check = check_file(path, args.kind)
        except (OSError, ValueError) as exc:
            print(f"wirebeam validate: {exc}", file=sys.stderr)
            status = EXIT_USAGE
            continue
        print(format_check(check), file=out)
        if not check.ok:
            status = max(status, EXIT_BAD)
    return status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="wirebeam validate", description=__doc__.splitlines()[0])
    add_arguments(parser)
    return main_from_args(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
