"""A small STS gate between the function and moto: the IAM trust-policy check that moto does not make.

moto's STS `AssumeRole` hands out credentials for any role ARN, whether or not the role exists and whatever its trust
policy says (it attributes them to the role's account), so "a member role that cannot be assumed" (docs/CONTRACT.md
§8: FAILED / ACCESS_DENIED naming the role) never happens against moto alone. This gate stands for that check: the
function's STS endpoint (`AWS_ENDPOINT_URL_STS`) points at it, and it

- passes every request to moto as it came (method, path, headers, body; moto checks no signature, so the SigV4
  `Authorization` header stays valid for it), and moto's answer back as it came;
- except `Action=AssumeRole` whose `RoleArn` names an account in `refused`: answered as real STS answers a role whose
  trust policy does not admit the caller, HTTP 403 with
  `<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User: <caller> is not authorized to
  perform: sts:AssumeRole on resource: <role ARN></Message></Error><RequestId>…</RequestId></ErrorResponse>`
  (the caller's ARN is what moto's GetCallerIdentity says of the request's access key);
- counts every request by action, and every AssumeRole by the role's account (`assume_role_calls`), refused ones
  included (`refused_calls`), with each call's parameters (`assume_role_log`), so a test or benchmark can tell how
  often, and how, the function assumes a role;
- `session_s` (a test device, off by default): rewrites the `Expiration` of each AssumeRole answer moto gave to
  `now + session_s`, the way a shorter role session would end, so that the function's renewal (5 minutes before
  expiry) can be watched in seconds. moto itself honours `DurationSeconds` (900 s at least, as STS), but the function
  always asks for 3600 s, and moto's credentials stay usable after the rewritten time (moto checks no expiry).

Listens on 127.0.0.1 on a port the OS hands out, one thread per connection. Standard library only.
"""

from __future__ import annotations

import http.client
import re
import threading
import time
import uuid
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade",
              "content-length", "expect", "host"}
ROLE_ACCOUNT = re.compile(r"^arn:[^:]+:iam::(\d{12}):role/")
EXPIRATION = re.compile(rb"<Expiration>[^<]*</Expiration>")
CALLER_ARN = re.compile(r"<Arn>([^<]+)</Arn>")
STS_XMLNS = "https://sts.amazonaws.com/doc/2011-06-15/"


def access_denied_xml(caller_arn: str, role_arn: str, request_id: str) -> bytes:
    """STS's answer to an AssumeRole that the role's trust policy (or the caller's own policy) does not allow."""
    return (
        f'<ErrorResponse xmlns="{STS_XMLNS}">\n'
        f"  <Error>\n"
        f"    <Type>Sender</Type>\n"
        f"    <Code>AccessDenied</Code>\n"
        f"    <Message>User: {caller_arn} is not authorized to perform: sts:AssumeRole on resource: {role_arn}"
        f"</Message>\n"
        f"  </Error>\n"
        f"  <RequestId>{request_id}</RequestId>\n"
        f"</ErrorResponse>\n"
    ).encode()


class StsGate:
    """A forwarding proxy to moto's STS (module docstring). `refused`: accounts whose member role cannot be assumed
    (changeable while running). Use as a context manager, or `close()`."""

    def __init__(self, upstream: str, refused: set[str] | None = None, session_s: float | None = None):
        split = urlsplit(upstream)
        self.upstream_host, self.upstream_port = split.hostname, split.port or 80
        self.refused: set[str] = set(refused or ())
        self.session_s = session_s
        self.actions: Counter[str] = Counter()
        self.assume_role_calls: Counter[str] = Counter()
        self.refused_calls: Counter[str] = Counter()
        # Every AssumeRole, in order: {"time" (time.monotonic()), "account", "refused", "roleArn",
        # "roleSessionName", "externalId", "durationSeconds"} (the last three None when absent).
        self.assume_role_log: list[dict] = []
        self._lock = threading.Lock()
        gate = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, *_args) -> None:
                pass

            def _read_body(self) -> bytes:
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    chunks = []
                    while True:
                        size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                        if size == 0:
                            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                                pass
                            return b"".join(chunks)
                        chunks.append(self.rfile.read(size))
                        self.rfile.readline()
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def _reply(self, status: int, reason: str, headers: list[tuple[str, str]], body: bytes) -> None:
                self.send_response(status, reason)
                for name, value in headers:
                    if name.lower() not in HOP_BY_HOP and name.lower() not in ("server", "date"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def _handle(self) -> None:
                body = self._read_body()
                form = parse_qs(body.decode("utf-8", "replace")) if body else {}
                form.update({k: v for k, v in parse_qs(urlsplit(self.path).query).items() if k not in form})
                action = (form.get("Action") or ["?"])[0]
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                headers["Host"] = f"{gate.upstream_host}:{gate.upstream_port}"
                if body or self.command in ("POST", "PUT", "PATCH"):
                    headers["Content-Length"] = str(len(body))
                role_arn = (form.get("RoleArn") or [""])[0]
                match = ROLE_ACCOUNT.match(role_arn)
                account = match.group(1) if match else "?"
                with gate._lock:
                    gate.actions[action] += 1
                    refused = action == "AssumeRole" and account in gate.refused
                    if action == "AssumeRole":
                        gate.assume_role_calls[account] += 1
                        first = lambda name: (form.get(name) or [None])[0]  # noqa: E731
                        gate.assume_role_log.append({
                            "time": time.monotonic(), "account": account, "refused": refused, "roleArn": role_arn,
                            "roleSessionName": first("RoleSessionName"), "externalId": first("ExternalId"),
                            "durationSeconds": first("DurationSeconds"),
                        })
                        if refused:
                            gate.refused_calls[account] += 1
                if refused:
                    request_id = str(uuid.uuid4())
                    caller = gate.caller_arn(headers)
                    self._reply(403, "Forbidden", [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)],
                                access_denied_xml(caller, role_arn, request_id))
                    return
                status, reason, answer_headers, data = gate.forward(self.command, self.path, headers, body)
                if action == "AssumeRole" and status == 200 and gate.session_s is not None:
                    ends = time.time() + gate.session_s
                    expiry = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ends)) + f".{int(ends % 1 * 1000):03d}Z"
                    data = EXPIRATION.sub(f"<Expiration>{expiry}</Expiration>".encode(), data)
                self._reply(status, reason, answer_headers, data)

            do_GET = do_POST = do_HEAD = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="sts-gate",
                         daemon=True).start()

    def forward(self, method: str, path: str, headers: dict, body: bytes):
        """One request to moto on a fresh connection (STS calls are few)."""
        connection = http.client.HTTPConnection(self.upstream_host, self.upstream_port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, response.reason, response.getheaders(), response.read()
        finally:
            connection.close()

    def caller_arn(self, headers: dict) -> str:
        """Who moto says the request's access key is (GetCallerIdentity with the same headers: moto checks no
        signature); a generic ARN if moto does not say."""
        probe = b"Action=GetCallerIdentity&Version=2011-06-15"
        try:
            status, _, _, data = self.forward("POST", "/", {**headers, "Content-Length": str(len(probe)),
                                                            "Content-Type": "application/x-www-form-urlencoded"},
                                              probe)
            match = CALLER_ARN.search(data.decode("utf-8", "replace")) if status == 200 else None
        except OSError:
            match = None
        return match.group(1) if match else "arn:aws:sts::123456789012:assumed-role/sc-stack-importer/function"

    def counts(self) -> dict[str, int]:
        """AssumeRole calls so far, by the role's account (refused ones included)."""
        with self._lock:
            return dict(self.assume_role_calls)

    def reset(self) -> None:
        with self._lock:
            self.actions.clear()
            self.assume_role_calls.clear()
            self.refused_calls.clear()
            self.assume_role_log.clear()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> "StsGate":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
