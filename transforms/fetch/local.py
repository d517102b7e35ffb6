"""Reading a feed from a local file under the same size cap as a fetch, as a `FetchResult`; URLs are refused."""

from __future__ import annotations

import hashlib
import os
import stat
import time

from transforms.fetch.http import FetchResult, FetchSettings, Validators


def read_local(path: str, settings: FetchSettings) -> FetchResult:
    """Read a local feed file under the size cap; URLs (file:// included) are refused. Never raises."""
    start = time.monotonic()

    def result(body: bytes | None, error_type: str | None = None, message: str | None = None) -> FetchResult:
        validators = Validators(body_sha256=hashlib.sha256(body).hexdigest()) if body is not None else Validators()
        return FetchResult(
            url=path,
            final_url=path,
            status=None,
            headers={},
            body=body,
            not_modified=False,
            error_type=error_type,
            message=message,
            attempts=1,
            elapsed=time.monotonic() - start,
            validators=validators,
        )

    def failure(error_type: str, message: str) -> FetchResult:
        return result(None, error_type, message)

    if "://" in path or path.lower().startswith("file:"):
        return failure("bad_scheme", f"read_local takes a filesystem path, not a URL: {path!r}")
    try:
        info = os.stat(path)
        # Devices and FIFOs are refused: /dev/zero never ends and a FIFO blocks the worker on open().
        if not stat.S_ISREG(info.st_mode):
            return failure("not_a_file", f"not a regular file: {path!r}")
        if info.st_size > settings.max_bytes:
            return failure("too_large", f"{info.st_size} bytes exceeds max_bytes={settings.max_bytes}")
        with open(path, "rb") as handle:
            body = handle.read(settings.max_bytes + 1)
    except FileNotFoundError:
        return failure("not_found", f"no such file: {path!r}")
    except (OSError, ValueError) as exc:
        return failure("io_error", f"cannot read {path!r}: {exc}")
    if len(body) > settings.max_bytes:
        return failure("too_large", f"file grew beyond max_bytes={settings.max_bytes} while reading")
    return result(body)
