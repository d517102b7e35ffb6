"""The fetch modules' internal failure: classified (a snake_case `error_type`) on its way to a `FetchResult`."""

from __future__ import annotations


class FetchError(Exception):
    """Internal control flow: a classified failure on the way to a FetchResult. Never leaves transforms/fetch/."""

    def __init__(self, error_type: str, message: str, status: int | None = None, retryable: bool = False):
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.status = status
        self.retryable = retryable
        self.headers: dict[str, str] = {}
        self.final_url: str | None = None
        self.retry_after: float | None = None
