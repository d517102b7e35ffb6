"""A scripted HTTP/1.1 test server on 127.0.0.1, run in a thread, for tests that fetch over real sockets.

Each path gets a script: a sequence of `Reply` objects served in order (the last one repeats) or a handler
function of the `Request`. A `Reply` can misbehave on purpose: drip its bytes slowly, never end, lie about its
Content-Length, or send headers verbatim. Every request is recorded. Nothing here touches the network beyond
127.0.0.1.

    with ScriptedServer() as server:
        server.route("/feed", Reply(body=b"<rss/>", headers={"ETag": '"v1"'}))
        result = fetcher.fetch(server.url("/feed"))
        assert server.requests[0].headers["user-agent"].startswith("wirebeam/")
"""

from __future__ import annotations

import contextlib
import gzip
import io
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from email.utils import formatdate
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOGGER = logging.getLogger(__name__)

# Upper bound on what an "endless" reply sends, so a client bug cannot fill memory forever.
ENDLESS_LIMIT = 1 << 30
HeaderItems = Mapping[str, str] | Sequence[tuple[str, str]]


@dataclass(frozen=True)
class Request:
    """One request as the server saw it (header names lower-cased)."""

    method: str
    path: str
    headers: dict[str, str]
    at: float


@dataclass(frozen=True)
class Reply:
    """What to send back. `content_length`: None = len(body), -1 = omit (body ends when the socket closes)."""

    status: int = 200
    body: bytes = b""
    headers: HeaderItems = ()
    content_length: int | None = None
    delay: float = 0.0  # before the status line
    drip_interval: float | None = None  # seconds between single bytes of the body
    drip_headers: bool = False  # drip the status line and headers too
    endless: bool = False  # after `body`, keep sending `filler` until the client hangs up
    filler: bytes = b"<item>x</item>\n"
    chunked: bool = False  # Transfer-Encoding: chunked (then content_length is ignored)
    raw: bytes | None = None  # sent verbatim instead of status line, headers and body (malformed responses)
    content_type: str | None = "application/xml"  # added unless `headers` has one; None sends none

    def header_items(self) -> list[tuple[str, str]]:
        if isinstance(self.headers, Mapping):
            return list(self.headers.items())
        return list(self.headers)


Handler = Callable[[Request], Reply]


@dataclass
class _Route:
    replies: list[Reply] = field(default_factory=list)
    handler: Handler | None = None
    served: int = 0

    def next_reply(self, request: Request) -> Reply:
        if self.handler is not None:
            return self.handler(request)
        reply = self.replies[min(self.served, len(self.replies) - 1)]
        self.served += 1
        return reply


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: ScriptedServer


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        LOGGER.debug("test server: " + format, *args)

    def do_GET(self) -> None:
        owner = self.server.owner
        request = Request(
            method=self.command,
            path=self.path,
            headers={key.lower(): value for key, value in self.headers.items()},
            at=time.monotonic(),
        )
        reply = owner._dispatch(request)
        self.close_connection = True
        owner._enter()
        try:
            # The client giving up mid-reply is what most misbehaving replies are for.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
                self._send(reply, owner.stopping)
        finally:
            owner._leave()

    do_HEAD = do_GET

    def _write(self, data: bytes, interval: float | None, stopping: threading.Event) -> None:
        if interval is None:
            self.wfile.write(data)
            return
        for i in range(len(data)):
            if stopping.wait(interval):
                return
            self.wfile.write(data[i : i + 1])

    def _send(self, reply: Reply, stopping: threading.Event) -> None:
        if reply.delay and stopping.wait(reply.delay):
            return
        if reply.raw is not None:
            self._write(reply.raw, reply.drip_interval, stopping)
            return
        try:
            phrase = HTTPStatus(reply.status).phrase
        except ValueError:
            phrase = "Status"
        lines = [f"HTTP/1.1 {reply.status} {phrase}"]
        items = reply.header_items()
        names = {name.lower() for name, _ in items}
        if "date" not in names:
            lines.append(f"Date: {formatdate(usegmt=True)}")
        if reply.content_type and "content-type" not in names and reply.status not in (204, 304):
            lines.append(f"Content-Type: {reply.content_type}")
        lines.extend(f"{name}: {value}" for name, value in items)
        if reply.chunked:
            lines.append("Transfer-Encoding: chunked")
        elif reply.endless:
            pass  # no length: the body is delimited by the connection closing, which never comes
        elif reply.content_length != -1 and "content-length" not in names and reply.status != 304:
            length = len(reply.body) if reply.content_length is None else reply.content_length
            lines.append(f"Content-Length: {length}")
        lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        self._write(head, reply.drip_interval if reply.drip_headers else None, stopping)
        if self.command == "HEAD" or reply.status == 304:
            return
        if reply.chunked:
            if reply.body:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(reply.body), reply.body))
            self.wfile.write(b"0\r\n\r\n")
            return
        self._write(reply.body, reply.drip_interval, stopping)
        sent = len(reply.body)
        while reply.endless and sent < ENDLESS_LIMIT and not stopping.is_set():
            self._write(reply.filler, reply.drip_interval, stopping)
            sent += len(reply.filler)


class ScriptedServer:
    """A threaded HTTP server on 127.0.0.1 whose answers are scripted per path. Use as a context manager."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self._host = host
        self._port = port
        self._routes: dict[str, _Route] = {}
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.stopping = threading.Event()
        self.requests: list[Request] = []
        self.default = Reply(status=404, body=b"not found")
        self.in_flight = 0
        self.max_in_flight = 0  # most replies being sent at the same moment, for concurrency limits

    # -- lifecycle ------------------------------------------------------------------------------------------

    def start(self) -> ScriptedServer:
        server = _Server((self._host, self._port), _RequestHandler)
        server.owner = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None

    def __enter__(self) -> ScriptedServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- scripting ------------------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("ScriptedServer is not started")
        return int(self._server.server_address[1])

    def url(self, path: str = "/", host: str = "127.0.0.1") -> str:
        """The URL of `path` on this server; `host` may be a name your resolver maps to 127.0.0.1."""
        return f"http://{host}:{self.port}{path}"

    def route(self, path: str, *replies: Reply, handler: Handler | None = None) -> None:
        """Script `path`: the replies in order (the last repeats), or a handler called per request."""
        if bool(replies) == (handler is not None):
            raise ValueError("route() takes either replies or handler=, not both or neither")
        with self._lock:
            self._routes[path] = _Route(list(replies), handler)

    def reset(self) -> None:
        with self._lock:
            self._routes.clear()
            self.requests.clear()
            self.max_in_flight = self.in_flight

    def hits(self, path: str) -> int:
        with self._lock:
            return sum(1 for request in self.requests if request.path == path)

    def _enter(self) -> None:
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def _leave(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def _dispatch(self, request: Request) -> Reply:
        with self._lock:
            self.requests.append(request)
            route = self._routes.get(request.path.split("?", 1)[0]) or self._routes.get(request.path)
            if route is None:
                return self.default
            # Handlers run under the lock so scripted sequences stay ordered under concurrent clients.
            return route.next_reply(request)


# ------------------------------------------------------------------------------------------- reply helpers


def redirect(location: str, status: int = 302) -> Reply:
    return Reply(status=status, headers={"Location": location})


def conditional(
    body: bytes, etag: str | None = None, last_modified: str | None = None, headers: HeaderItems = ()
) -> Handler:
    """A handler that answers 304 when the request's validators match, like a well-behaved origin."""

    def handle(request: Request) -> Reply:
        extra = list(headers.items()) if isinstance(headers, Mapping) else list(headers)
        if etag:
            extra.append(("ETag", etag))
        if last_modified:
            extra.append(("Last-Modified", last_modified))
        inm = request.headers.get("if-none-match")
        ims = request.headers.get("if-modified-since")
        if (etag and inm == etag) or (inm is None and last_modified and ims == last_modified):
            return Reply(status=304, headers=extra)
        return Reply(body=body, headers=extra)

    return handle


def gzip_bomb(decoded_size: int) -> bytes:
    """A gzip stream of `decoded_size` zero bytes (about 1000:1), built without holding the decoded data."""
    buf = io.BytesIO()
    block = bytes(1 << 20)
    with gzip.GzipFile(fileobj=buf, mode="wb", compresslevel=9) as gz:
        left = decoded_size
        while left > 0:
            gz.write(block[: min(left, len(block))])
            left -= len(block)
    return buf.getvalue()


@contextlib.contextmanager
def blackhole(fill: int = 8) -> Iterator[tuple[str, int]]:
    """(host, port) of a 127.0.0.1 listener that never accepts and whose backlog is full: connects hang.

    With backlog 0 Linux queues one connection; once the queue is full further SYNs are dropped, so a client
    sees a connect timeout — all on the loopback interface.
    """
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    fillers: list[socket.socket] = []
    try:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        address = listener.getsockname()
        for _ in range(fill):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setblocking(False)
            sock.connect_ex(address)
            fillers.append(sock)
        time.sleep(0.05)  # let the handshakes that can complete, complete
        yield address[0], address[1]
    finally:
        for sock in fillers:
            sock.close()
        listener.close()
