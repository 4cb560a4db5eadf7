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

Listens on 127.0.0.1 on a port the OS hands out, one thread per connection (forward_proxy.ForwardingProxy). Standard
library only.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections import Counter
from urllib.parse import parse_qs, urlsplit

from forward_proxy import HOP_BY_HOP, ForwardingProxy, ProxyHandler, read_body

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


class StsGate(ForwardingProxy):
    """A forwarding proxy to moto's STS (module docstring). `refused`: accounts whose member role cannot be assumed
    (changeable while running). Use as a context manager, or `close()`. Each request goes to moto on a fresh
    connection (STS calls are few)."""

    methods = ("GET", "POST", "HEAD")
    # "host" too: only the Host set for moto goes up (a CountingProxy passes a client's lowercase `host` on beside it).
    hop_by_hop = HOP_BY_HOP | {"host"}

    def __init__(self, upstream: str, refused: set[str] | None = None, session_s: float | None = None):
        self.refused: set[str] = set(refused or ())
        self.session_s = session_s
        self.actions: Counter[str] = Counter()
        self.assume_role_calls: Counter[str] = Counter()
        self.refused_calls: Counter[str] = Counter()
        # Every AssumeRole, in order: {"time" (time.monotonic()), "account", "refused", "roleArn",
        # "roleSessionName", "externalId", "durationSeconds"} (the last three None when absent).
        self.assume_role_log: list[dict] = []
        self._lock = threading.Lock()
        super().__init__(upstream, name="sts-gate", timeout=30, keep_alive=False)

    def handle(self, request: ProxyHandler) -> None:
        body = read_body(request)
        form = parse_qs(body.decode("utf-8", "replace")) if body else {}
        form.update({k: v for k, v in parse_qs(urlsplit(request.path).query).items() if k not in form})
        action = (form.get("Action") or ["?"])[0]
        headers = request.upstream_headers(body)
        role_arn = (form.get("RoleArn") or [""])[0]
        match = ROLE_ACCOUNT.match(role_arn)
        account = match.group(1) if match else "?"
        with self._lock:
            self.actions[action] += 1
            refused = action == "AssumeRole" and account in self.refused
            if action == "AssumeRole":
                self.assume_role_calls[account] += 1
                first = lambda name: (form.get(name) or [None])[0]  # noqa: E731
                self.assume_role_log.append({
                    "time": time.monotonic(), "account": account, "refused": refused, "roleArn": role_arn,
                    "roleSessionName": first("RoleSessionName"), "externalId": first("ExternalId"),
                    "durationSeconds": first("DurationSeconds"),
                })
                if refused:
                    self.refused_calls[account] += 1
        if refused:
            request_id = str(uuid.uuid4())
            caller = self.caller_arn(headers)
            request.reply(403, "Forbidden", [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)],
                          access_denied_xml(caller, role_arn, request_id))
            return
        status, reason, answer_headers, data = self.forward(request.command, request.path, headers, body)
        if action == "AssumeRole" and status == 200 and self.session_s is not None:
            ends = time.time() + self.session_s
            expiry = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ends)) + f".{int(ends % 1 * 1000):03d}Z"
            data = EXPIRATION.sub(f"<Expiration>{expiry}</Expiration>".encode(), data)
        request.reply(status, reason, answer_headers, data)

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

    def __enter__(self) -> "StsGate":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
