"""WriteWindowed, the sink of `wirebeam stream`: records → one JSONL file set per fixed window of event time.

It uses WriteToText, which writes one file set per window (fileio.WriteToFiles would write a file per bundle); a
window in which nothing happened writes no file.
"""

from __future__ import annotations

from typing import Any

import apache_beam as beam
from apache_beam.transforms.window import FixedWindows

from transforms.sink.stage import json_line

# `V` is the window as UTC times ("[2026-11-27T09-00-00, 2026-11-27T09-05-00)"): one file set per window,
# named so that `ls` sorts them in time order.
WINDOW_SHARD_TEMPLATE = "-V-SSSSS-of-NNNNN"


def poll_line(report: dict[str, Any], timestamp: Any = beam.DoFn.TimestampParam) -> dict[str, Any]:
    """A feed report with the poll it belongs to, for the `polls` files."""
    return {"poll": timestamp.to_utc_datetime(has_tz=True).isoformat(), **report}


class WriteWindowed(beam.PTransform):
    """Records → `<prefix>-[start, end)-SSSSS-of-NNNNN.jsonl`, one file set per fixed window of event time."""

    def __init__(
        self, prefix: str, window_seconds: float, num_shards: int = 1, label: str | None = None
    ) -> None:
        super().__init__(label)
        if window_seconds <= 0:
            raise ValueError(f"window_seconds must be positive, got {window_seconds}")
        self._prefix = prefix
        self._window = window_seconds
        self._num_shards = num_shards

    def expand(self, records: beam.PCollection) -> beam.pvalue.PDone:
        return (
            records
            | "Window" >> beam.WindowInto(FixedWindows(self._window))
            | "ToLine" >> beam.Map(json_line)
            | "Write"
            >> beam.io.WriteToText(
                self._prefix,
                file_name_suffix=".jsonl",
                shard_name_template=WINDOW_SHARD_TEMPLATE,
                num_shards=self._num_shards,
            )
        )
