"""A Lambda Runtime API of our own, so that the function runs locally as Lambda runs it, deadline included.

cargo-lambda's emulator sends `Lambda-Runtime-Deadline-Ms: 600000` (the timeout itself, not a time), so nothing run
behind it can meet a real deadline. This one is small, uses only the standard library (`http.server`, one thread per
connection), listens on 127.0.0.1 only, and serves the two sides of one function:

The runtime side (API version 2018-06-01, what the Rust `lambda_runtime` crate calls; `AWS_LAMBDA_RUNTIME_API` is
`127.0.0.1:<port>`, without a scheme, as Lambda sets it):
- `GET /2018-06-01/runtime/invocation/next` blocks until an invocation is queued (no timeout, as Lambda's), then
  answers its payload with `Lambda-Runtime-Aws-Request-Id`, `Lambda-Runtime-Deadline-Ms` (the deadline in Unix epoch
  milliseconds: the moment the invocation is handed to the runtime plus the function's timeout),
  `Lambda-Runtime-Invoked-Function-Arn` and `Lambda-Runtime-Trace-Id` (an X-Ray header, `Sampled=0`).
- `POST /2018-06-01/runtime/invocation/{id}/response` → 202 `{"status":"OK"}`; the body is the invoker's answer. A
  response over 6 MB is refused with 413, and the invoker gets `Function.ResponseSizeTooLarge`, as from Lambda.
- `POST /2018-06-01/runtime/invocation/{id}/error` → 202; the body (`{"errorType","errorMessage"}` as the runtime
  posts it; built from `Lambda-Runtime-Function-Error-Type` when the body is not such an object) is the invoker's
  answer, marked `X-Amz-Function-Error: Unhandled`.
- `POST /2018-06-01/runtime/init/error` → 202; every invocation waiting and every later one is answered with that
  error (`X-Amz-Function-Error: Unhandled`) until the function is started again (Lambda would try a new init on a
  later invoke).
- An unknown request id (never handed out, already answered, or timed out) → 400 `InvalidRequestID`.

The invoke side (the Lambda `Invoke` API, synchronous only):
- `POST /2015-03-31/functions/{name}/invocations` (`name` the function's name or ARN) queues the payload and waits
  for the runtime's answer: 200 with the response, or 200 with `X-Amz-Function-Error: Unhandled` and the error JSON;
  headers `X-Amz-Executed-Version: $LATEST` and `x-amzn-RequestId`. A payload that is not JSON → 400
  `InvalidRequestContentException`; over 6 MB → 413 `RequestTooLargeException`; another function name → 404
  `ResourceNotFoundException`.
- **Timeout**: when the runtime has not answered by the deadline, the invoker gets, as from Lambda, 200 with
  `X-Amz-Function-Error: Unhandled` and `{"errorType":"Sandbox.Timedout","errorMessage":"RequestId: <id> Error: Task
  timed out after <timeout> seconds"}`. Lambda then discards the execution environment; here `on_timeout` (given by
  the caller, e.g. "kill the process and start it again") is called, and no invocation is handed out until it has
  returned, so the timed-out process never gets the next one. A late answer for the timed-out invocation gets 400.
- A runtime process that exits (reported by the caller's `exit_status`) without answering: the invocation it held,
  and every queued one, is answered `Runtime.ExitError` (`Runtime exited with error: exit status N`).

What it does not do (differences from Lambda that a test must not rely on):
- One execution environment, one invocation at a time: concurrent invokes queue (Lambda would start more
  environments), and the wait in the queue counts towards the invoker's wait but not towards the deadline.
- No init phase limit (Lambda's 10 s), no init/invoke billing or `REPORT` lines, no freezing between invocations, no
  memory limit, no `SIGTERM`/extensions on shutdown; no `Lambda-Runtime-Client-Context`/`-Cognito-Identity`/tenant
  headers, no SnapStart `/restore` paths, no response streaming (`Lambda-Runtime-Function-Response-Mode:
  streaming`), no X-Ray daemon.
- Only `X-Amz-Invocation-Type: RequestResponse`: `Event` (async, with Lambda's retries and destinations) and `DryRun`
  are refused with 400, and `X-Amz-Log-Type: Tail` is ignored. No qualifiers, versions or aliases (the version is
  always `$LATEST`), no authentication (SigV4 is not checked), no throttling or reserved concurrency.
- The error answer is the body the runtime posted, byte for byte; Lambda may reformat it. The
  `Sandbox.Timedout` and `Runtime.ExitError` answers follow Lambda's current wording, which is not an interface.
- A process killed while it waits in `/next` is noticed by its closed connection (checked every 0.2 s and just before
  an invocation is handed out); an invocation handed out in the instant between is answered by the timeout.

By hand: `python e2e/runtime_api.py --port 9001 --timeout 60` (see `main`).
"""

from __future__ import annotations

import json
import secrets
import select
import socket
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable
from urllib.parse import unquote

from forward_proxy import read_body

RUNTIME = "/2018-06-01/runtime"
INVOKE = "/2015-03-31/functions/"
# Lambda's quota for a synchronous invocation's request and response payloads.
MAX_PAYLOAD_BYTES = 6 * 1024 * 1024
# How often a waiting invoker looks at the runtime process, and a blocked /next at its connection.
POLL_S = 0.2


@dataclass
class Answer:
    """What the invoker gets: the HTTP status, the body, and whether it is a function error (the
    `X-Amz-Function-Error: Unhandled` header)."""

    status: int
    body: bytes
    function_error: bool = False

    @staticmethod
    def error(error_type: str, message: str) -> "Answer":
        return Answer(200, json.dumps({"errorType": error_type, "errorMessage": message}).encode(), True)


@dataclass(eq=False)
class Invocation:
    request_id: str
    payload: bytes
    trace_id: str
    deadline: float | None = None  # epoch seconds, set when handed to the runtime
    answer: Answer | None = None


def trace_id() -> str:
    """An X-Ray trace header as Lambda passes it: Root=1-<epoch hex>-<96 bits>;Parent=<64 bits>;Sampled=0."""
    return f"Root=1-{int(time.time()):08x}-{secrets.token_hex(12)};Parent={secrets.token_hex(8)};Sampled=0"


class RuntimeApi:
    """One function's Runtime API and Invoke endpoint on 127.0.0.1; `start()` it, then point the runtime at
    `address` (AWS_LAMBDA_RUNTIME_API) and invoke `invoke_url`."""

    def __init__(
        self,
        function_name: str = "_",
        timeout_s: float = 60.0,
        region: str = "us-east-1",
        account: str = "123456789012",
        on_timeout: Callable[[], None] | None = None,
        exit_status: Callable[[], int | None] | None = None,
    ):
        self.function_name = function_name
        self.timeout_s = timeout_s
        self.function_arn = f"arn:aws:lambda:{region}:{account}:function:{function_name}"
        self.on_timeout = on_timeout
        self.exit_status = exit_status
        self._cond = threading.Condition()
        self._queue: deque[Invocation] = deque()
        self._in_flight: dict[str, Invocation] = {}
        self._init_error: bytes | None = None
        self._resetting = False
        self._stopping = False
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle -------------------------------------------------------------------------------------------------
    def start(self, port: int = 0) -> "RuntimeApi":
        """Listens on 127.0.0.1:`port` (0: one the OS hands out)."""
        api = self

        class Handler(_Handler):
            runtime_api = api

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="runtime-api", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def port(self) -> int:
        assert self._server is not None, "not started"
        return self._server.server_address[1]

    @property
    def address(self) -> str:
        """AWS_LAMBDA_RUNTIME_API as Lambda sets it: host:port, no scheme."""
        return f"127.0.0.1:{self.port}"

    @property
    def invoke_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{INVOKE}{self.function_name}/invocations"

    # ---- invoke side -----------------------------------------------------------------------------------------------
    def invoke(self, payload: bytes) -> tuple[str, Answer]:
        """Queues `payload` and waits for its answer (the response, an error, or Lambda's timeout error)."""
        invocation = Invocation(str(uuid.uuid4()), payload, trace_id())
        with self._cond:
            self._queue.append(invocation)
            self._cond.notify_all()
            while invocation.answer is None:
                self._settle(invocation)
                if invocation.answer is None:
                    left = POLL_S if invocation.deadline is None else invocation.deadline - time.time()
                    self._cond.wait(max(0.0, min(POLL_S, left)))
        return invocation.request_id, invocation.answer

    def _settle(self, invocation: Invocation) -> None:
        """Under the lock: answers `invocation` if the function can no longer answer it itself."""
        if self._init_error is not None:
            self._forget(invocation)
            invocation.answer = Answer(200, self._init_error, True)
            return
        if self._stopping:
            self._forget(invocation)
            invocation.answer = Answer.error("Runtime.Unavailable", "the local Runtime API was stopped")
            return
        status = None if self._resetting or self.exit_status is None else self.exit_status()
        if status is not None:
            self._forget(invocation)
            invocation.answer = Answer.error(
                "Runtime.ExitError",
                f"RequestId: {invocation.request_id} Error: Runtime exited with error: exit status {status}",
            )
            return
        if invocation.deadline is not None and time.time() >= invocation.deadline:
            self._forget(invocation)
            invocation.answer = Answer.error(
                "Sandbox.Timedout",
                f"RequestId: {invocation.request_id} Error: Task timed out after {self.timeout_s:.2f} seconds",
            )
            if self.on_timeout is not None:
                # Lambda discards the environment of a timed-out invocation: nothing is handed out until it is new.
                self._resetting = True
                threading.Thread(target=self._reset, name="runtime-reset", daemon=True).start()

    def _forget(self, invocation: Invocation) -> None:
        self._in_flight.pop(invocation.request_id, None)
        if invocation in self._queue:
            self._queue.remove(invocation)

    def _reset(self) -> None:
        try:
            assert self.on_timeout is not None
            self.on_timeout()
        finally:
            with self._cond:
                self._resetting = False
                self._cond.notify_all()

    # ---- runtime side ----------------------------------------------------------------------------------------------
    def next_invocation(self, connection_gone: Callable[[], bool]) -> Invocation | None:
        """Blocks until an invocation can be handed out; None when stopping or when the runtime went away."""
        with self._cond:
            while self._stopping or self._resetting or not self._queue or self._init_error is not None:
                if self._stopping:
                    return None
                self._cond.wait(POLL_S)
                if connection_gone():
                    return None
            if connection_gone():
                return None
            invocation = self._queue.popleft()
            invocation.deadline = time.time() + self.timeout_s
            self._in_flight[invocation.request_id] = invocation
            self._cond.notify_all()
            return invocation

    def put_back(self, invocation: Invocation) -> None:
        """An invocation that could not be delivered goes back to the front of the queue."""
        with self._cond:
            if self._in_flight.pop(invocation.request_id, None) is not None and invocation.answer is None:
                invocation.deadline = None
                self._queue.appendleft(invocation)
                self._cond.notify_all()

    def complete(self, request_id: str, answer: Answer) -> bool:
        with self._cond:
            invocation = self._in_flight.pop(request_id, None)
            if invocation is None or invocation.answer is not None:
                return False
            invocation.answer = answer
            self._cond.notify_all()
            return True

    def init_failed(self, body: bytes) -> None:
        with self._cond:
            self._init_error = body
            self._cond.notify_all()


def error_body(body: bytes, error_type_header: str | None) -> bytes:
    """The error as the invoker gets it: the runtime's JSON when it is an error object, else built from the header."""
    try:
        parsed = json.loads(body or b"null")
    except ValueError:
        parsed = None
    if isinstance(parsed, dict) and ("errorType" in parsed or "errorMessage" in parsed):
        return body
    return json.dumps({"errorType": error_type_header or "Runtime.Unknown", "errorMessage": body.decode("utf-8", "replace")}).encode()


class _Handler(BaseHTTPRequestHandler):
    runtime_api: RuntimeApi
    protocol_version = "HTTP/1.1"  # keep-alive, as the runtime's client expects
    # Headers and body go out in separate writes; without TCP_NODELAY the body of a keep-alive answer can wait
    # ~40 ms for the client's delayed ACK, on every invocation.
    disable_nagle_algorithm = True

    def log_message(self, *_args) -> None:  # quiet: the function's own log is what matters
        pass

    # ---- plumbing (the request body: forward_proxy.read_body) ------------------------------------------------------
    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def _send_json(self, status: int, document: dict, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(document).encode(), headers)

    def _aws_error(self, status: int, error_type: str, message: str) -> None:
        self._send_json(status, {"Type": "User", "message": message}, {"x-amzn-ErrorType": error_type})

    def _connection_gone(self) -> bool:
        """True when the runtime closed its connection (a killed process) while waiting for /next."""
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            return bool(readable) and self.connection.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True

    # ---- routes ----------------------------------------------------------------------------------------------------
    def do_GET(self) -> None:
        if self.path != f"{RUNTIME}/invocation/next":
            return self._send_json(404, {"errorType": "NotFound", "errorMessage": f"no route GET {self.path}"})
        api = self.runtime_api
        invocation = api.next_invocation(self._connection_gone)
        if invocation is None:
            if self._connection_gone():
                self.close_connection = True
                return None
            # Stopping: "Container error. Non-recoverable state. Runtime should exit promptly."
            return self._send_json(500, {"errorType": "Runtime.Unavailable", "errorMessage": "the local Runtime API is stopping"})
        assert invocation.deadline is not None
        try:
            self._send(
                200,
                invocation.payload,
                {
                    "Lambda-Runtime-Aws-Request-Id": invocation.request_id,
                    "Lambda-Runtime-Deadline-Ms": str(int(invocation.deadline * 1000)),
                    "Lambda-Runtime-Invoked-Function-Arn": api.function_arn,
                    "Lambda-Runtime-Trace-Id": invocation.trace_id,
                },
            )
        except OSError:
            api.put_back(invocation)
            raise

    def do_POST(self) -> None:
        body = read_body(self)
        path = self.path.split("?", 1)[0]
        api = self.runtime_api
        if path.startswith(INVOKE) and path.endswith("/invocations"):
            return self._invoke(unquote(path[len(INVOKE) : -len("/invocations")]), body)
        if path == f"{RUNTIME}/init/error":
            api.init_failed(error_body(body, self.headers.get("Lambda-Runtime-Function-Error-Type")))
            return self._send_json(202, {"status": "OK"})
        parts = path[len(RUNTIME) :].strip("/").split("/")
        if path.startswith(RUNTIME) and len(parts) == 3 and parts[0] == "invocation" and parts[2] in ("response", "error"):
            request_id, kind = parts[1], parts[2]
            if kind == "error":
                answer = Answer(200, error_body(body, self.headers.get("Lambda-Runtime-Function-Error-Type")), True)
            elif len(body) > MAX_PAYLOAD_BYTES:
                answer = Answer.error(
                    "Function.ResponseSizeTooLarge",
                    f"Response payload size exceeded maximum allowed payload size ({MAX_PAYLOAD_BYTES} bytes).",
                )
            else:
                answer = Answer(200, body)
            if not api.complete(request_id, answer):
                return self._send_json(400, {"errorType": "InvalidRequestID", "errorMessage": f"Invalid request ID: {request_id} is not an invocation in flight (never handed out, answered, or timed out)"})
            if answer.function_error and kind == "response":
                return self._send_json(413, {"errorType": "RequestEntityTooLarge", "errorMessage": "response too large"})
            return self._send_json(202, {"status": "OK"})
        return self._send_json(404, {"errorType": "NotFound", "errorMessage": f"no route POST {self.path}"})

    def _invoke(self, name: str, payload: bytes) -> None:
        api = self.runtime_api
        if name not in (api.function_name, api.function_arn):
            return self._aws_error(404, "ResourceNotFoundException", f"Function not found: {api.function_arn.rsplit(':', 1)[0]}:{name}")
        invocation_type = self.headers.get("X-Amz-Invocation-Type", "RequestResponse")
        if invocation_type != "RequestResponse":
            return self._aws_error(400, "InvalidParameterValueException", f"this local Runtime API only serves RequestResponse invocations, not {invocation_type}")
        if len(payload) > MAX_PAYLOAD_BYTES:
            return self._aws_error(413, "RequestTooLargeException", f"Request must be smaller than {MAX_PAYLOAD_BYTES} bytes for the InvokeFunction operation")
        try:
            json.loads(payload or b"{}")
        except ValueError as error:
            return self._aws_error(400, "InvalidRequestContentException", f"Could not parse request body into json: {error}")
        request_id, answer = api.invoke(payload)
        headers = {"X-Amz-Executed-Version": "$LATEST", "x-amzn-RequestId": request_id}
        if answer.function_error:
            headers["X-Amz-Function-Error"] = "Unhandled"
        self._send(answer.status, answer.body, headers)


def main() -> None:
    """By hand: `python e2e/runtime_api.py --port 9001 --timeout 60`, then run the bootstrap with
    AWS_LAMBDA_RUNTIME_API=127.0.0.1:9001 and invoke with
    `curl -s -X POST http://127.0.0.1:9001/2015-03-31/functions/<name>/invocations -d @events/manual-dry-run.json`.
    Nothing restarts a timed-out process here (the harness does that); stop with Ctrl-C."""
    import argparse

    parser = argparse.ArgumentParser(description="a local Lambda Runtime API and Invoke endpoint on 127.0.0.1")
    parser.add_argument("--port", type=int, default=9001)
    parser.add_argument("--timeout", type=float, default=60.0, help="the function's timeout in seconds")
    parser.add_argument("--function-name", default="sc-stack-importer")
    args = parser.parse_args()
    api = RuntimeApi(function_name=args.function_name, timeout_s=args.timeout)
    api.start(port=args.port)
    print(f"Runtime API: AWS_LAMBDA_RUNTIME_API={api.address}; invoke: POST {api.invoke_url}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        api.stop()


if __name__ == "__main__":
    main()
