"""Stage 8 — WriteStories: JSONL shards of stories, duplicates and dead letters, plus the per-feed counts.

Every story is validated against `EnrichedStory` on its way out (a record that fails becomes a dead letter of
stage `sink`). The counts and feed reports go to internal `_counts*`/`_feed_reports*` files that the driver
folds into `manifest.json` once the pipeline has finished; the manifest is written last, so a run directory
without one is recognizably incomplete.

All the file sets are written by one sink, `WriteRunFiles`: each PCollection is written where it is produced (one
temporary file per bundle, fused into the producing stage) and counted per feed by the same writer, and a single
finalize step renames the temporary files of committed bundles to `<kind>-SSSSS-of-NNNNN.jsonl` and writes the
summed counts. Written by hand because six `WriteToText`s and a count per feed each add fused stages, and each
stage costs Beam its own setup per run (README "Performance" has the measurement); `fileio.WriteToFiles`
would need every line flattened into one PCollection (materialized between stages) and two GroupByKeys,
and writes nothing for an empty kind.
"""

from __future__ import annotations

import dataclasses
import logging
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import apache_beam as beam
import orjson
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems
from apache_beam.transforms.window import GlobalWindows
from pydantic import BaseModel, ValidationError

from schemas.story import STORY_ADAPTER, DeadLetter, EnrichedStory
from transforms.common import DEAD_LETTER, counter, dead_letter

LOGGER = logging.getLogger(__name__)

STAGE = "sink"
# The file sets of a batch run: what users read, and the internal ones the driver folds into state and manifest.
OUTPUT_PREFIXES = ("stories", "duplicates", "dead_letter")
COUNTS = "_counts"  # written by the finalize step
VERSIONS = "versions"  # the feed of each story that is a new version (counted, no file)
INTERNAL_PREFIXES = (COUNTS, "_feed_reports", "_index")
TEMP_PREFIX = ".temp-"
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
    """Re-validate each story against the schema (model_copy does not) before it is written.

    What is validated is the line itself: the story serialised once, parsed back by the schema, and written as it
    was — not dumped to a dict, validated into a second story and serialised again (a third of the sink's time),
    so the check is on exactly the bytes that reach the file."""

    def __init__(self) -> None:
        self._stories = counter("sink.stories")

    def process(self, story: EnrichedStory) -> Iterator[Any]:
        line = json_line(story)
        try:
            STORY_ADAPTER.validate_json(line)
        except ValidationError as exc:
            yield dead_letter(
                STAGE, exc, story.source.url, entry_id=story.id, payload=story, error_type="schema_error"
            )
            return
        self._stories.inc()
        if story.version > 1:
            yield beam.pvalue.TaggedOutput(VERSIONS, story.source.url)
        yield story.source.url, line


def feed_count(element: Any) -> tuple[str, str]:
    """(feed, counter name) of one element of the per-feed counts: an entry read (its feed), a duplicate, or a dead
    letter (of one entry, or of a whole feed)."""
    if isinstance(element, str):
        return element, "entries_read"
    if isinstance(element, DeadLetter):
        return element.source, "dead_letters" if element.entry_id is not None else "feed_errors"
    return element.source if isinstance(element.source, str) else element.source.url, "duplicates"


def _story_count(feed_line: tuple[str, str]) -> tuple[str, str]:
    return feed_line[0], "stories"


def _version_count(feed: str) -> tuple[str, str]:
    return feed, "versions"


def _story_line(feed_line: tuple[str, str]) -> str:
    return feed_line[1]


def _several(value: Any) -> tuple[beam.PCollection, ...]:
    """A PCollection, or a list/tuple of them, as a tuple."""
    return tuple(value) if isinstance(value, list | tuple) else (value,)


def shard_name(run_dir: str, kind: str, index: int, total: int) -> str:
    return f"{run_dir}/{kind}-{index:05d}-of-{total:05d}.jsonl"


@dataclasses.dataclass(frozen=True)
class FileKind:
    """How one input of `WriteRunFiles` is written: `to_line` (None: counted only, no file of its own) and
    `count`, the (feed, counter name) each element adds one to in `_counts` (None: not counted)."""

    to_line: Callable[[Any], str] | None = json_line
    count: Callable[[Any], tuple[str, str]] | None = None


class _WriteLinesFn(beam.DoFn):
    """Elements → one temporary file per bundle (opened at its first line), and per-feed counts; when the bundle
    finishes, emits (kind, temporary path or "", {(feed, name): count}). Only committed bundles' records reach the
    finalize step, so the file and counts of a failed and retried bundle are never used."""

    def __init__(self, kind: str, spec: FileKind, temp_dir: str) -> None:
        self._kind = kind
        self._spec = spec
        self._temp_dir = temp_dir
        self._handle: Any = None
        self._path = ""
        self._counts: Counter[tuple[str, str]] = Counter()

    def start_bundle(self) -> None:
        self._handle, self._path, self._counts = None, "", Counter()

    def process(self, element: Any) -> None:
        if self._spec.count is not None:
            self._counts[self._spec.count(element)] += 1
        if self._spec.to_line is None:
            return
        if self._handle is None:
            self._path = f"{self._temp_dir}/{self._kind}-{uuid.uuid4().hex}.jsonl"
            self._handle = FileSystems.create(self._path, compression_type=CompressionTypes.UNCOMPRESSED)
        self._handle.write(self._spec.to_line(element).encode("utf-8") + b"\n")

    def finish_bundle(self) -> Iterator[Any]:
        if self._handle is not None:
            self._handle.close()
            self._handle = None
        if self._path or self._counts:
            yield GlobalWindows.windowed_value((self._kind, self._path, dict(self._counts)))


def finalize_run_files(
    _: Any, written: Iterable[tuple[str, str, dict[tuple[str, str], int]]], run_dir: str, temp_dir: str,
    kinds: Sequence[str],
) -> list[str]:
    """Rename the committed temporary files to `<kind>-SSSSS-of-NNNNN.jsonl` (an empty `-00000-of-00001` file for
    a kind with no lines), write the summed counts to `_counts`, then delete the temporary folder with whatever
    failed bundles left in it. `kinds` are the kinds that have files.

    Safe to run twice (a retried finalize): a file already renamed is not renamed again, `_counts` is rewritten."""
    by_kind: dict[str, list[str]] = defaultdict(list)
    counts: Counter[tuple[str, str]] = Counter()
    for kind, path, kind_counts in written:
        if path:
            by_kind[kind].append(path)
        counts.update(kind_counts)
    final: list[str] = []
    for kind in kinds:
        paths = sorted(by_kind.get(kind, ()))
        if not paths:
            target = shard_name(run_dir, kind, 0, 1)
            FileSystems.create(target, compression_type=CompressionTypes.UNCOMPRESSED).close()
            final.append(target)
            continue
        for index, path in enumerate(paths):
            target = shard_name(run_dir, kind, index, len(paths))
            if FileSystems.exists(path) or not FileSystems.exists(target):
                FileSystems.rename([path], [target])
            final.append(target)
    target = shard_name(run_dir, COUNTS, 0, 1)
    with FileSystems.create(target, compression_type=CompressionTypes.UNCOMPRESSED) as handle:
        for (feed, name), value in sorted(counts.items()):
            handle.write(json_line({"feed": feed, "name": name, "value": value}).encode("utf-8") + b"\n")
    final.append(target)
    leftovers = [m.path for m in FileSystems.match([temp_dir + "/*"])[0].metadata_list]
    if leftovers:
        FileSystems.delete(leftovers)
    if FileSystems.exists(temp_dir):  # a local folder; an object store has no folder left once it is empty
        FileSystems.delete([temp_dir])
    return final


class WriteRunFiles(beam.PTransform):
    """{kind: PCollection or tuple of PCollections} → the run folder's `<kind>-SSSSS-of-NNNNN.jsonl` files and
    `_counts`, in one finalize step.

    `kinds` says how each kind is written and counted (default: `json_line`, not counted). A kind given as several
    PCollections gets a writer on each, fused where each is produced (a Flatten would be a stage of its own); a
    kind with a file and no PCollection gets an empty file. Returns a PCollection with the list of final file
    paths (one element, once everything is written)."""

    def __init__(self, run_dir: str, kinds: Mapping[str, FileKind] | None = None, label: str | None = None) -> None:
        super().__init__(label)
        self._run_dir = run_dir.rstrip("/")
        self._kinds = dict(kinds or {})

    def expand(self, inputs: dict[str, Any]) -> beam.PCollection:
        run_dir = self._run_dir
        # Chosen once, when the graph is built, so that every worker writes into the same folder.
        temp_dir = f"{run_dir}/{TEMP_PREFIX}{uuid.uuid4().hex}"
        specs = {kind: self._kinds.get(kind, FileKind()) for kind in inputs}
        written = []
        for kind, value in inputs.items():
            pcolls = _several(value)
            name = kind.strip("_").title().replace("_", "")
            for n, pcoll in enumerate(pcolls):
                label = f"Write{name}" if len(pcolls) == 1 else f"Write{name}{n}"
                written.append(pcoll | label >> beam.ParDo(_WriteLinesFn(kind, specs[kind], temp_dir)))
        with_files = tuple(kind for kind, spec in specs.items() if spec.to_line is not None)
        # One element to hang the finalize on; it runs once every writer's records are in the side input.
        return (
            self.pipeline
            | "Once" >> beam.Impulse()
            | "Finalize"
            >> beam.Map(
                finalize_run_files,
                beam.pvalue.AsList(written | "AllWritten" >> beam.Flatten()),
                run_dir,
                temp_dir,
                with_files,
            )
        )


class WriteStories(beam.PTransform):
    """Writes a run's files into `run_dir` (a local path or a gs:// prefix).

    Input: a dict of PCollections (or tuples of them, "entries", "dead_letters" and "feed_reports"): "entries" (the
    feed of every entry read, for counting), "stories" (EnrichedStory), "duplicates" (Duplicate), "dead_letters"
    (DeadLetter), "feed_reports" (dict), "index_entries" (str).
    """

    def __init__(self, run_dir: str, label: str | None = None) -> None:
        super().__init__(label)
        if not run_dir:
            raise ValueError("run_dir must name a directory")
        self._run_dir = run_dir.rstrip("/")

    def expand(self, pcolls: dict[str, Any]) -> beam.PCollection:
        validated = pcolls["stories"] | "Validate" >> beam.ParDo(ValidateStoryFn()).with_outputs(
            DEAD_LETTER, VERSIONS, main="lines"
        )

        # Each writer counts, per feed, what it writes: the counts and the files come from the same elements.
        kinds = {
            "stories": FileKind(_story_line, _story_count),
            "duplicates": FileKind(json_line, feed_count),
            "dead_letter": FileKind(json_line, feed_count),
            "_feed_reports": FileKind(json_line),
            "_index": FileKind(),  # lines already (json_line passes a str through)
            "entries_read": FileKind(None, feed_count),
            VERSIONS: FileKind(None, _version_count),
        }
        return {
            "stories": validated.lines,
            "duplicates": pcolls["duplicates"],
            "dead_letter": (*_several(pcolls["dead_letters"]), validated[DEAD_LETTER]),
            "_feed_reports": pcolls["feed_reports"],
            "_index": pcolls["index_entries"],
            "entries_read": pcolls["entries"],
            VERSIONS: validated[VERSIONS],
        } | "Files" >> WriteRunFiles(self._run_dir, kinds)
