"""Hardened fetching of feed bytes over HTTP(S) — plain functions, no Beam.

The fetch stage hands the bytes and headers returned here to
`feedparser.parse(io.BytesIO(body), response_headers=feedparser_headers(result))`; feedparser never sees a
URL. What "hardened" means, concretely:

* one deadline per fetch (`total_timeout`) covering DNS, connect, TLS, headers, body, redirects and retry
  waits, enforced by a watchdog that shuts the socket down, so a server dripping one byte a second cannot hold
  a worker;
* a cap on the decoded body (`max_bytes`) applied while streaming, after our own gzip/deflate/br decoding with
  bounded output per input chunk (transforms/fetch/decoding.py), so a compression bomb is stopped after
  `max_bytes`, not once it exploded;
* an SSRF guard on the resolved address of every hop (transforms/fetch/addresses.py); the connection goes to the
  very address that was checked (the host name is only used for `Host:`, SNI and certificate checks), so DNS
  rebinding cannot slip in between;
* at most `max_redirects` redirects, every hop checked again; http(s) only, never file:// (local files:
  transforms/fetch/local.py);
* conditional GET from stored validators, a sha256 of the body for servers whose ETag lies;
* Retry-After on 429/503, jittered exponential backoff on 5xx and connection errors, no retries on other 4xx;
* at most `per_host_concurrency` requests in flight per host and `Fetcher`.

Failures come back as a `FetchResult` with a short snake_case `error_type`; nothing here raises.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import http.client
import logging
import random
import socket
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from functools import lru_cache
from importlib import metadata
from urllib.parse import quote, urljoin, urlsplit

from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    IncompleteRead,
    NewConnectionError,
    ProtocolError,
    SSLError,
)
from urllib3.response import BaseHTTPResponse

from transforms.fetch.addresses import (
    AddressPolicy,
    Resolver,
    ascii_host,
    ip_literal,
    is_public_address,
    system_resolver,
)
from transforms.fetch.decoding import ACCEPT_ENCODING, BodyDecoder
from transforms.fetch.errors import FetchError

LOGGER = logging.getLogger(__name__)

PROJECT_URL = "https://github.com/wirebeam/wirebeam"
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
ALLOWED_SCHEMES = frozenset({"http", "https"})
# Read granularity; also the most compressed input handed to a decoder at once.
CHUNK_SIZE = 64 * 1024
# Threads for name resolution: getaddrinfo has no timeout of its own, so it runs beside the deadline.
RESOLVER_THREADS = 4
# Characters left as they are when escaping a request target (those requests' requote_uri keeps, plus %).
_PATH_SAFE = "!#$%&'()*+,/:;=?@[]~"
DEFAULT_FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml, application/xml;q=0.9, "
    "text/xml;q=0.9, */*;q=0.1"
)


@lru_cache(maxsize=1)
def project_version() -> str:
    """The installed wirebeam version, or the source tree's default when not installed."""
    try:
        return metadata.version("wirebeam")
    except metadata.PackageNotFoundError:
        return "0.1.0"


def default_user_agent() -> str:
    return f"wirebeam/{project_version()} (+{PROJECT_URL})"


@dataclass(frozen=True)
class FetchSettings:
    """Limits and policy for one `Fetcher`; validated at construction so bad config fails before the job."""

    connect_timeout: float = 10.0
    total_timeout: float = 30.0
    max_bytes: int = 15_000_000
    max_redirects: int = 5
    retries: int = 3
    backoff_base: float = 0.5
    retry_after_cap: float = 120.0
    allow_private_hosts: bool = False
    user_agent: str = field(default_factory=default_user_agent)
    per_host_concurrency: int = 2

    def __post_init__(self) -> None:
        positive = {
            "connect_timeout": self.connect_timeout,
            "total_timeout": self.total_timeout,
            "max_bytes": self.max_bytes,
            "per_host_concurrency": self.per_host_concurrency,
        }
        for name, value in positive.items():
            if not value > 0:
                raise ValueError(f"FetchSettings.{name} must be > 0, got {value!r}")
        non_negative = {
            "max_redirects": self.max_redirects,
            "retries": self.retries,
            "backoff_base": self.backoff_base,
            "retry_after_cap": self.retry_after_cap,
        }
        for name, value in non_negative.items():
            if value < 0:
                raise ValueError(f"FetchSettings.{name} must be >= 0, got {value!r}")
        if not self.user_agent or any(ch in self.user_agent for ch in "\r\n"):
            raise ValueError(f"FetchSettings.user_agent must be one non-empty line, got {self.user_agent!r}")


@dataclass(frozen=True)
class Validators:
    """Per-feed conditional-GET state: what the server told us last time, plus the body hash we saw."""

    etag: str | None = None
    last_modified: str | None = None
    body_sha256: str | None = None


@dataclass(frozen=True)
class FetchResult:
    """Outcome of one fetch; on failure `error_type` is set and `body` is None."""

    url: str
    final_url: str
    status: int | None
    headers: dict[str, str]
    body: bytes | None
    not_modified: bool
    error_type: str | None
    message: str | None
    attempts: int
    elapsed: float
    validators: Validators

    @property
    def ok(self) -> bool:
        """True for a body or a 304; False for every error."""
        return self.error_type is None

    def unchanged(self, previous: Validators | None) -> bool:
        """True if the server said 304 or sent exactly the bytes we hashed last time (stale-ETag servers)."""
        if self.not_modified:
            return True
        return bool(
            self.body is not None
            and previous is not None
            and previous.body_sha256 is not None
            and previous.body_sha256 == self.validators.body_sha256
        )


# --------------------------------------------------------------------------------------------- headers


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After value (delta-seconds or HTTP-date); None if absent or garbage."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


def feedparser_headers(headers: Mapping[str, str], final_url: str) -> dict[str, str]:
    """Response headers to give feedparser along with a fetched body (`result.headers, result.final_url`).

    The body is already decoded, so transfer/encoding headers are dropped; `content-location` is made
    absolute against the final URL (and defaults to it when that is http(s)), because with a byte stream
    feedparser has no document URI of its own to resolve relative links against.
    """
    out = {
        key.lower(): value
        for key, value in headers.items()
        if key.lower() not in {"content-encoding", "transfer-encoding", "content-length"}
    }
    base_is_url = urlsplit(final_url).scheme in ALLOWED_SCHEMES
    location = out.get("content-location")
    if location and base_is_url:
        absolute = urljoin(final_url, location.strip())
        out["content-location"] = absolute if urlsplit(absolute).scheme in ALLOWED_SCHEMES else final_url
    elif base_is_url:
        out["content-location"] = final_url
    return out


def _host_header(host: str, port: int, scheme: str) -> str:
    shown = f"[{host}]" if ":" in host else host
    default = 443 if scheme == "https" else 80
    return shown if port == default else f"{shown}:{port}"


# --------------------------------------------------------------------------------------------- deadline


class _Watchdog:
    """Shuts down the socket of the current connection when the fetch deadline passes."""

    def __init__(self, deadline: float):
        self.deadline = deadline
        self.expired = False
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._timer = threading.Timer(max(0.0, deadline - time.monotonic()), self._fire)
        self._timer.daemon = True
        self._timer.start()

    def watch(self, sock: socket.socket | None) -> None:
        with self._lock:
            self._sock = sock
            if self.expired:
                self._shutdown()

    def _shutdown(self) -> None:
        if self._sock is not None:
            with contextlib.suppress(OSError):  # already closed: nothing left to interrupt
                self._sock.shutdown(socket.SHUT_RDWR)

    def _fire(self) -> None:
        with self._lock:
            self.expired = True
            self._shutdown()

    def cancel(self) -> None:
        self._timer.cancel()


def _remaining(deadline: float) -> float:
    return deadline - time.monotonic()


# --------------------------------------------------------------------------------------------- fetcher


@dataclass
class _Response:
    status: int
    headers: dict[str, str]
    body: bytes | None
    final_url: str


class Fetcher:
    """Fetches feeds under `FetchSettings`; create one per worker (DoFn.setup) and `close()` it at teardown.

    `resolver(host, port) -> [ip, ...]` replaces DNS (tests map names to 127.0.0.1).
    `address_allowed(host, ip) -> bool` replaces the SSRF policy; the default allows public addresses, or
    everything if `allow_private_hosts`. `sleep` is injectable so retry tests need not wait.
    """

    def __init__(
        self,
        settings: FetchSettings,
        resolver: Resolver | None = None,
        *,
        address_allowed: AddressPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.settings = settings
        self._resolver = resolver or system_resolver
        self._address_allowed = address_allowed or self._default_policy
        self._sleep = sleep
        self._ssl_context: ssl.SSLContext | None = None  # built on first https use: loading CAs is not free
        self._semaphores: dict[str, threading.BoundedSemaphore] = {}
        self._lock = threading.Lock()
        self._resolver_pool = ThreadPoolExecutor(RESOLVER_THREADS, thread_name_prefix="wirebeam-dns")
        self._random = random.Random()
        self._closed = False

    # -- policy -----------------------------------------------------------------------------------------

    def _default_policy(self, host: str, ip: str) -> bool:
        return self.settings.allow_private_hosts or is_public_address(ip)

    def _tls_context(self) -> ssl.SSLContext:
        with self._lock:
            if self._ssl_context is None:
                self._ssl_context = _make_ssl_context()
            return self._ssl_context

    def _host_semaphore(self, key: str) -> threading.BoundedSemaphore:
        with self._lock:
            sem = self._semaphores.get(key)
            if sem is None:
                sem = threading.BoundedSemaphore(self.settings.per_host_concurrency)
                self._semaphores[key] = sem
            return sem

    def _resolve(self, host: str, port: int, deadline: float) -> list[str]:
        literal = ip_literal(host)
        if literal is not None:
            return [literal]
        future: Future[list[str]] = self._resolver_pool.submit(self._resolver, host, port)
        try:
            wait = max(0.0, min(self.settings.connect_timeout, _remaining(deadline)))
            addresses = future.result(timeout=wait)
        except FutureTimeout as exc:
            raise FetchError("timeout", f"resolving {host!r} timed out", retryable=True) from exc
        except (OSError, UnicodeError, ValueError) as exc:
            raise FetchError("dns_error", f"cannot resolve {host!r}: {exc}") from exc
        literals = [ip_literal(str(address)) for address in addresses]
        if not literals or None in literals:
            # Only IP literals may come back: a name here would be resolved again at connect time, unchecked.
            raise FetchError("dns_error", f"resolver gave no usable IP address for {host!r}: {addresses!r}")
        return [ip for ip in literals if ip is not None]

    def _checked_addresses(self, host: str, port: int, deadline: float) -> list[str]:
        addresses = self._resolve(host, port, deadline)
        # One refused address refuses the host: a name that mixes public and internal addresses is an attack
        # or a misconfiguration, and either way we would not know which one a retry lands on.
        refused = [ip for ip in addresses if not self._address_allowed(host, ip)]
        if refused:
            raise FetchError("ssrf_blocked", f"{host!r} resolves to non-public address {refused[0]}")
        return addresses

    # -- public -----------------------------------------------------------------------------------------

    def fetch(self, url: str, validators: Validators | None = None) -> FetchResult:
        """Fetch `url` under the settings; never raises."""
        start = time.monotonic()
        previous = validators or Validators()
        attempts = 0
        try:
            if self._closed:
                raise FetchError("closed", "Fetcher.fetch called after close()")
            deadline = start + self.settings.total_timeout
            while True:
                attempts += 1
                try:
                    response = self._attempt(url, previous, deadline)
                except FetchError as err:
                    wait = self._retry_wait(err, attempts)
                    if wait is None:
                        raise
                    if time.monotonic() + wait >= deadline:
                        err.message += f" (no time left in total_timeout to retry after {wait:.1f} s)"
                        raise
                    LOGGER.info("retrying %s in %.2f s after %s: %s", url, wait, err.error_type, err.message)
                    self._sleep(wait)
                    continue
                return self._success(url, response, previous, attempts, start)
        except FetchError as err:
            return FetchResult(
                url=url,
                final_url=err.final_url or url,
                status=err.status,
                headers=err.headers,
                body=None,
                not_modified=False,
                error_type=err.error_type,
                message=err.message,
                attempts=attempts,
                elapsed=time.monotonic() - start,
                validators=previous,
            )
        except Exception as exc:  # never-raise contract: a bug here must become a dead letter, not a crash
            LOGGER.exception("unexpected failure fetching %s", url)
            return FetchResult(
                url=url,
                final_url=url,
                status=None,
                headers={},
                body=None,
                not_modified=False,
                error_type="internal_error",
                message=f"{type(exc).__name__}: {exc}",
                attempts=attempts,
                elapsed=time.monotonic() - start,
                validators=previous,
            )

    def close(self) -> None:
        self._closed = True
        self._resolver_pool.shutdown(wait=False, cancel_futures=True)

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- internals --------------------------------------------------------------------------------------

    def _retry_wait(self, err: FetchError, attempts: int) -> float | None:
        if not err.retryable or attempts > self.settings.retries:
            return None
        if err.retry_after is not None:
            return min(err.retry_after, self.settings.retry_after_cap)
        # Exponential backoff with "equal jitter" (half fixed, half random): synchronized workers spread out.
        step = self.settings.backoff_base * (2 ** (attempts - 1))
        return step / 2 + self._random.uniform(0, step / 2)

    def _success(
        self, url: str, response: _Response, previous: Validators, attempts: int, start: float
    ) -> FetchResult:
        headers = response.headers
        if response.status == 304:
            validators = Validators(
                etag=headers.get("etag") or previous.etag,
                last_modified=headers.get("last-modified") or previous.last_modified,
                body_sha256=previous.body_sha256,
            )
        else:
            body = response.body or b""
            validators = Validators(
                etag=headers.get("etag"),
                last_modified=headers.get("last-modified"),
                body_sha256=hashlib.sha256(body).hexdigest(),
            )
        return FetchResult(
            url=url,
            final_url=response.final_url,
            status=response.status,
            headers=headers,
            body=None if response.status == 304 else (response.body or b""),
            not_modified=response.status == 304,
            error_type=None,
            message=None,
            attempts=attempts,
            elapsed=time.monotonic() - start,
            validators=validators,
        )

    def _request_headers(self, validators: Validators) -> dict[str, str]:
        headers = {
            "User-Agent": self.settings.user_agent,
            "Accept": DEFAULT_FEED_ACCEPT,
            "Accept-Encoding": ACCEPT_ENCODING,
            "Connection": "close",
        }
        if validators.etag:
            headers["If-None-Match"] = validators.etag
        if validators.last_modified:
            headers["If-Modified-Since"] = validators.last_modified
        return headers

    def _attempt(self, url: str, validators: Validators, deadline: float) -> _Response:
        watchdog = _Watchdog(deadline)
        current = url
        try:
            for _hop in range(self.settings.max_redirects + 1):
                try:
                    response, location = self._hop(current, validators, deadline, watchdog)
                except FetchError as err:
                    err.final_url = current
                    raise
                if location is None:
                    return response
                current = urljoin(current, location)
            raise FetchError(
                "too_many_redirects",
                f"more than max_redirects={self.settings.max_redirects} redirects (last to {current})",
            )
        finally:
            watchdog.cancel()

    def _hop(
        self, url: str, validators: Validators, deadline: float, watchdog: _Watchdog
    ) -> tuple[_Response, str | None]:
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise FetchError("invalid_url", f"cannot parse URL {url!r}: {exc}") from exc
        scheme = parts.scheme.lower()
        if scheme not in ALLOWED_SCHEMES:
            raise FetchError("bad_scheme", f"scheme {scheme or '(none)'!r} is not fetched: {url!r}")
        host = ascii_host(parts.hostname or "")
        if not host:
            raise FetchError("invalid_url", f"no usable host in URL {url!r}")
        port = port or (443 if scheme == "https" else 80)
        # Non-ASCII or spaces in a path would make http.client refuse the request line; escape them as
        # browsers do, leaving existing %-escapes and reserved characters alone.
        target = quote(parts.path or "/", safe=_PATH_SAFE)
        if parts.query:
            target += "?" + quote(parts.query, safe=_PATH_SAFE)
        addresses = self._checked_addresses(host, port, deadline)
        headers = self._request_headers(validators)
        headers["Host"] = _host_header(host, port, scheme)

        semaphore = self._host_semaphore(f"{host}:{port}")
        if not semaphore.acquire(timeout=max(0.0, _remaining(deadline))):
            raise FetchError("timeout", f"waited total_timeout for a free slot for {host}")
        try:
            return self._exchange(url, scheme, host, port, addresses, target, headers, deadline, watchdog)
        finally:
            semaphore.release()

    def _connect(
        self, scheme: str, host: str, port: int, addresses: list[str], deadline: float, watchdog: _Watchdog
    ) -> HTTPConnection:
        last: FetchError | None = None
        for ip in addresses:
            timeout = min(self.settings.connect_timeout, _remaining(deadline))
            if timeout <= 0:
                break
            conn: HTTPConnection
            if scheme == "https":
                conn = HTTPSConnection(
                    ip,
                    port,
                    timeout=timeout,
                    server_hostname=host,
                    assert_hostname=host,
                    ssl_context=self._tls_context(),
                )
            else:
                conn = HTTPConnection(ip, port, timeout=timeout)
            try:
                conn.connect()
            except (SSLError, ssl.SSLError, ssl.CertificateError) as exc:
                conn.close()
                raise FetchError("tls_error", f"TLS with {host} ({ip}) failed: {exc}") from exc
            except (ConnectTimeoutError, TimeoutError) as exc:
                # urllib3's NewConnectionError (refused, unreachable) subclasses ConnectTimeoutError.
                if isinstance(exc, NewConnectionError):
                    last = FetchError("connection_error", f"connect to {ip}:{port} failed: {exc}")
                else:
                    last = FetchError("timeout", f"connect to {ip}:{port} timed out")
                last.retryable = True
                last.__cause__ = exc
                conn.close()
                continue
            except (OSError, HTTPError) as exc:
                if watchdog.expired:
                    conn.close()
                    raise FetchError("timeout", f"total_timeout while connecting to {ip}:{port}") from exc
                last = FetchError("connection_error", f"connect to {ip}:{port} failed: {exc}", retryable=True)
                last.__cause__ = exc
                conn.close()
                continue
            watchdog.watch(conn.sock)
            return conn
        if last is None or watchdog.expired or _remaining(deadline) <= 0:
            raise FetchError("timeout", f"total_timeout expired connecting to {host}:{port}", retryable=False)
        raise last

    def _exchange(
        self,
        url: str,
        scheme: str,
        host: str,
        port: int,
        addresses: list[str],
        target: str,
        headers: dict[str, str],
        deadline: float,
        watchdog: _Watchdog,
    ) -> tuple[_Response, str | None]:
        conn = self._connect(scheme, host, port, addresses, deadline, watchdog)
        try:
            conn.timeout = max(0.001, _remaining(deadline))
            try:
                conn.request("GET", target, headers=headers, preload_content=False, decode_content=False)
                resp = conn.getresponse()
            except (OSError, HTTPError, http.client.HTTPException) as exc:
                raise self._io_failure(exc, watchdog, "reading response headers", host) from exc
            status = resp.status
            resp_headers = {key.lower(): value for key, value in resp.headers.itermerged()}
            if status in REDIRECT_STATUSES:
                location = resp_headers.get("location")
                if not location:
                    err = FetchError("bad_redirect", f"HTTP {status} without Location", status=status)
                    err.headers = resp_headers
                    raise err
                return _Response(status, resp_headers, None, url), location.strip()
            if status == 304:
                return _Response(status, resp_headers, None, url), None
            if not 200 <= status < 300:
                raise self._http_failure(status, resp_headers)
            try:
                body = self._read_body(resp, resp_headers, conn, deadline, watchdog, host)
            except FetchError as err:
                # Keep what the server said about the response the body of which failed.
                err.status, err.headers = status, resp_headers
                raise
            return _Response(status, resp_headers, body, url), None
        finally:
            watchdog.watch(None)
            conn.close()

    def _http_failure(self, status: int, headers: dict[str, str]) -> FetchError:
        retryable = status == 429 or status >= 500
        kind = "http_5xx" if status >= 500 else f"http_{status}"
        err = FetchError(kind, f"HTTP {status}", status=status, retryable=retryable)
        err.headers = headers
        if status in {429, 503}:
            err.retry_after = parse_retry_after(headers.get("retry-after"))
            if err.retry_after is not None:
                err.message += f" (Retry-After {err.retry_after:.0f} s)"
        return err

    def _io_failure(self, exc: BaseException, watchdog: _Watchdog, during: str, host: str) -> FetchError:
        if watchdog.expired:
            return FetchError("timeout", f"total_timeout={self.settings.total_timeout}s expired {during}")
        if isinstance(exc, IncompleteRead | http.client.IncompleteRead) or (
            isinstance(exc, ProtocolError) and any(isinstance(a, IncompleteRead) for a in exc.args)
        ):
            return FetchError("truncated", f"connection closed early {during}: {exc}", retryable=True)
        if isinstance(exc, TimeoutError):
            return FetchError("timeout", f"read timed out {during}")
        if isinstance(exc, http.client.HTTPException) and not isinstance(exc, http.client.IncompleteRead):
            return FetchError("bad_response", f"malformed HTTP response {during}: {exc!r}"[:300])
        if isinstance(exc, SSLError | ssl.SSLError):
            return FetchError("tls_error", f"TLS error with {host} {during}: {exc}")
        return FetchError("connection_error", f"{type(exc).__name__} {during}: {exc}", retryable=True)

    def _read_body(
        self,
        resp: BaseHTTPResponse,
        headers: Mapping[str, str],
        conn: HTTPConnection,
        deadline: float,
        watchdog: _Watchdog,
        host: str,
    ) -> bytes:
        max_bytes = self.settings.max_bytes
        encoding = headers.get("content-encoding", "")
        declared = headers.get("content-length", "").strip()
        if declared.isdigit() and not encoding.strip() and int(declared) > max_bytes:
            raise FetchError("too_large", f"Content-Length {declared} exceeds max_bytes={max_bytes}")
        decoder = BodyDecoder(encoding, max_bytes)
        raw_total = 0
        while True:
            remaining = _remaining(deadline)
            if remaining <= 0 or watchdog.expired:
                raise FetchError("timeout", f"total_timeout={self.settings.total_timeout}s expired in body")
            if conn.sock is not None:
                conn.sock.settimeout(remaining)
            try:
                chunk = resp.read1(CHUNK_SIZE, decode_content=False)
            except (OSError, HTTPError, http.client.HTTPException) as exc:
                raise self._io_failure(exc, watchdog, "reading body", host) from exc
            if watchdog.expired:
                raise FetchError("timeout", f"total_timeout={self.settings.total_timeout}s expired in body")
            if not chunk:
                break
            raw_total += len(chunk)
            # The raw stream is capped too: identity bodies are covered by the decoder, compressed ones here.
            if raw_total > max_bytes:
                raise FetchError("too_large", f"body exceeds max_bytes={max_bytes} on the wire")
            decoder.feed(chunk)
        return decoder.finish()


def _make_ssl_context() -> ssl.SSLContext:
    """A verifying client context; certifi's bundle when present (as requests does), else the system store."""
    context = ssl.create_default_context()
    try:
        import certifi
    except ImportError:  # pragma: no cover - certifi comes with requests
        return context
    context.load_verify_locations(certifi.where())
    return context
