"""A counting forward proxy for the benchmarks: put between the function and moto / the Service Catalog emulator
(`AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_SERVICE_CATALOG` point at it), it forwards every request as it came and counts
it by `<service>:<Operation>`, so a benchmark can say how many AWS calls of each kind the function made. Used by
bench_sweep.py and bench_discovery.py.

It also holds the plumbing the suite's local HTTP servers share: `read_body` (runtime_api.py uses it too) and
`ForwardingProxy`, a proxy on 127.0.0.1 in front of one upstream (sts_gate.py builds on it too). Standard library
only."""

from __future__ import annotations

import http.client
import re
import threading
import time
from collections import Counter, defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


# ---- the plumbing ------------------------------------------------------------------------------------------------
HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade",
              "content-length", "expect"}


def read_body(request: BaseHTTPRequestHandler) -> bytes:
    """The request's body, `Content-Length` bytes or a chunked body decoded (its trailers read and dropped), so that
    the connection is left at the next request."""
    if request.headers.get("Transfer-Encoding", "").lower() == "chunked":
        chunks = []
        while True:
            size = int(request.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while request.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(chunks)
            chunks.append(request.rfile.read(size))
            request.rfile.readline()
    return request.rfile.read(int(request.headers.get("Content-Length") or 0))


class ProxyHandler(BaseHTTPRequestHandler):
    """One connection to a `ForwardingProxy`: hands each request to the proxy's `handle`, and lends it the reading of
    the request and the writing of the reply."""

    proxy: ForwardingProxy
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: without TCP_NODELAY, Nagle's algorithm and the client's delayed ACK hold
    # the body back ~40 ms on every answer.
    disable_nagle_algorithm = True

    def log_message(self, *_args) -> None:
        pass

    def dispatch(self) -> None:
        self.proxy.handle(self)

    def upstream_headers(self, body: bytes) -> dict[str, str]:
        """The request's headers for the upstream: the proxy's `hop_by_hop` ones dropped, `Host` the upstream's, and
        `Content-Length` that of the (de-chunked) body."""
        proxy = self.proxy
        headers = {k: v for k, v in self.headers.items() if k.lower() not in proxy.hop_by_hop}
        headers["Host"] = f"{proxy.upstream_host}:{proxy.upstream_port}"
        if body or self.command in ("POST", "PUT", "PATCH"):
            headers["Content-Length"] = str(len(body))
        return headers

    def reply(self, status: int, reason: str, headers: list[tuple[str, str]], body: bytes) -> None:
        """The answer, its headers but the proxy's `hop_by_hop` ones, `Server` and `Date` (this server writes its own),
        with the body's `Content-Length`."""
        self.send_response(status, reason)
        for name, value in headers:
            if name.lower() not in self.proxy.hop_by_hop and name.lower() not in ("server", "date"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


class ForwardingProxy:
    """An HTTP proxy on 127.0.0.1 (a port the OS hands out, `url`) in front of `upstream`, one thread per connection.
    A subclass says what a request does (`handle`, given the `ProxyHandler`), which `methods` it takes (others are
    answered 501) and which headers do not pass (`hop_by_hop`). `keep_alive`: the upstream connection is kept, one a
    thread, rather than opened for each request. Set a subclass's own state before calling `__init__`: it starts
    serving."""

    methods: tuple[str, ...] = ("GET", "POST", "PUT", "DELETE", "HEAD", "PATCH")
    hop_by_hop: set[str] = HOP_BY_HOP

    def __init__(self, upstream: str, *, name: str, timeout: float = 300, keep_alive: bool = True):
        split = urlsplit(upstream)
        self.upstream_host, self.upstream_port = split.hostname, split.port or 80
        self._timeout, self._keep_alive = timeout, keep_alive
        self._local = threading.local()
        handler = type("Handler", (ProxyHandler,),
                       {"proxy": self, **{f"do_{method}": ProxyHandler.dispatch for method in self.methods}})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=name, daemon=True)
        self._thread.start()

    def handle(self, request: ProxyHandler) -> None:
        raise NotImplementedError

    def forward(self, method: str, path: str, headers: dict, body: bytes):
        """One request upstream: `(status, reason, headers, body)`. With `keep_alive`, on this thread's kept
        connection, and once more on a fresh one when the kept one was closed by the other side before it answered;
        without, on a fresh connection closed after it."""
        if not self._keep_alive:
            connection = http.client.HTTPConnection(self.upstream_host, self.upstream_port, timeout=self._timeout)
            try:
                connection.request(method, path, body=body, headers=headers)
                response = connection.getresponse()
                return response.status, response.reason, response.getheaders(), response.read()
            finally:
                connection.close()
        for attempt in (1, 2):
            connection = getattr(self._local, "connection", None)
            if connection is None:
                connection = http.client.HTTPConnection(self.upstream_host, self.upstream_port, timeout=self._timeout)
                self._local.connection = connection
            try:
                connection.request(method, path, body=body, headers=headers)
                response = connection.getresponse()
                data = response.read()
                if response.will_close:
                    connection.close()
                    self._local.connection = None
                return response.status, response.reason, response.getheaders(), data
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                connection.close()
                self._local.connection = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


# ---- a counting forward proxy -----------------------------------------------------------------------------------
CREDENTIAL_SCOPE = re.compile(r"Credential=[^/,\s]+/\d{8}/[^/]+/([^/]+)/")


def operation_of(method: str, path: str, headers, body: bytes) -> str:
    """`<service>:<Operation>`: the service from the SigV4 credential scope, the operation from `X-Amz-Target`
    (JSON protocols), the `Action` form or query parameter (query protocols), or a Smithy RPC v2 path."""
    match = CREDENTIAL_SCOPE.search(headers.get("Authorization", ""))
    service = match.group(1) if match else "?"
    target = headers.get("X-Amz-Target")
    if target:
        return f"{service}:{target.rsplit('.', 1)[-1]}"
    if "x-www-form-urlencoded" in headers.get("Content-Type", ""):
        action = parse_qs(body.decode("utf-8", "replace")).get("Action")
        if action:
            return f"{service}:{action[0]}"
    split = urlsplit(path)
    action = parse_qs(split.query).get("Action")
    if action:
        return f"{service}:{action[0]}"
    parts = split.path.strip("/").split("/")
    if len(parts) >= 4 and parts[0] == "service" and parts[2] == "operation":
        return f"{service}:{parts[3]}"
    return f"{service}:{method} {split.path}"


class CountingProxy(ForwardingProxy):
    """Forwards every request it gets (method, path, headers, body) to `upstream` and counts it by operation; the
    answer goes back as it came (status, headers, body). Listens on 127.0.0.1, one thread per connection,
    keep-alive on both sides."""

    def __init__(self, upstream: str):
        self.counts: Counter[str] = Counter()
        self.seconds: defaultdict[str, float] = defaultdict(float)
        self.errors: Counter[str] = Counter()
        self._lock = threading.Lock()
        super().__init__(upstream, name="counting-proxy")

    def handle(self, request: ProxyHandler) -> None:
        body = read_body(request)
        operation = operation_of(request.command, request.path, request.headers, body)
        headers = request.upstream_headers(body)
        started = time.monotonic()
        status, reason, answer_headers, data = self.forward(request.command, request.path, headers, body)
        with self._lock:
            self.counts[operation] += 1
            self.seconds[operation] += time.monotonic() - started
            if status >= 400:
                self.errors[f"{operation} {status}"] += 1
        request.reply(status, reason, answer_headers, data)

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self.counts)

    def reset(self) -> None:
        with self._lock:
            self.counts.clear()
            self.seconds.clear()
            self.errors.clear()

    def take(self) -> dict:
        """The counts, time spent upstream (s) and error answers since the last reset, then resets."""
        with self._lock:
            taken = {
                "calls": dict(sorted(self.counts.items())),
                "upstream_s": {k: round(v, 3) for k, v in sorted(self.seconds.items())},
                "errors": dict(self.errors),
            }
        self.reset()
        return taken


class Proxies:
    """One counting proxy in front of moto (every service but Service Catalog) and one in front of the emulator."""

    def __init__(self, moto_url: str, catalog_url: str, enabled: bool = True):
        """`enabled` False (`--direct`): the function talks to moto and the emulator itself, and nothing is counted."""
        self.enabled = enabled
        self.moto = CountingProxy(moto_url) if enabled else None
        self.catalog = CountingProxy(catalog_url) if enabled else None

    @property
    def env(self) -> dict[str, str]:
        if not self.enabled:
            return {}
        return {"AWS_ENDPOINT_URL": self.moto.url, "AWS_ENDPOINT_URL_SERVICE_CATALOG": self.catalog.url}

    def reset(self) -> None:
        if self.enabled:
            self.moto.reset()
            self.catalog.reset()

    def take(self) -> dict:
        if not self.enabled:
            return {"calls": {}, "upstream_s": {}, "errors": {}}
        moto, catalog = self.moto.take(), self.catalog.take()
        return {key: {**moto[key], **catalog[key]} for key in ("calls", "upstream_s", "errors")}

    def close(self) -> None:
        if self.enabled:
            self.moto.close()
            self.catalog.close()


def calls(counts: dict[str, int], *operations: str) -> int:
    """How many calls of these operations (any service) `counts` holds."""
    return sum(count for key, count in counts.items() if key.split(":", 1)[1] in operations)
