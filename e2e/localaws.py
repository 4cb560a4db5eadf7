"""Local AWS for the demo and the end-to-end tests: moto server (CloudFormation, S3, SNS, SQS, EventBridge, STS), the
project's Service Catalog emulator, and the `bootstrap` that cargo-lambda builds (`make bootstrap`), run behind the
suite's own Lambda Runtime API (`runtime_api.py`), which gives each invocation a real deadline.

Everything listens on 127.0.0.1 on ports the OS hands out, so two runs never collide, and every process started here
is stopped by PID when the context manager exits (also on Ctrl-C or a failure).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import boto3

from runtime_api import RuntimeApi

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
REGION = "us-east-1"
# moto's default account: the stack ARNs it returns carry it.
ACCOUNT = "123456789012"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local", "AWS_REGION": REGION}
FUNCTION_NAME = "sc-stack-importer"
# The organization hub's member role (docs/CONTRACT.md §8), as member.yaml names it by default. moto's STS hands out
# credentials for it in any account (the role need not exist), which moto then attributes to that account.
MEMBER_ROLE_NAME = "sc-stack-importer-member"
# The function's timeout unless a start asks for another: shorter than the SAM template's default (300 s) so that a
# function that hangs fails its test within a minute, long enough for every import the suite makes.
DEFAULT_TIMEOUT_S = 60.0
# Artifact templates come from moto's S3 (or a test's server) on 127.0.0.1; the function refuses any other URL.
TEMPLATE_URL_ALLOW = "http://127.0.0.1:*"


def invoke_url(url: str, payload, timeout: float = 120.0) -> tuple[bool, object]:
    """A synchronous invoke through a Runtime API's invoke URL. Returns (ok, answer): ok is False when the function
    returned an error (an `X-Amz-Function-Error` header, an HTTP error, or an `errorType` answer)."""
    request = urllib.request.Request(url, data=json.dumps(payload).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = json.loads(response.read() or b"null")
            failed = response.headers.get("X-Amz-Function-Error") is not None
    except urllib.error.HTTPError as error:
        body = json.loads(error.read() or b"null")
        failed = True
    if isinstance(body, dict) and "errorType" in body:
        failed = True
    return not failed, body


def free_port() -> int:
    """A port the OS considers free on loopback right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(what: str, ready, timeout: float = 30.0, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = ready()
            if result:
                return result
        except (OSError, urllib.error.URLError, ConnectionError):
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} was not ready after {timeout:.0f} s")
        time.sleep(interval)


def listening(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as conn:
        conn.settimeout(0.2)
        return conn.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class Process:
    """A child process started here, in its own process group, stopped by PID."""

    name: str
    popen: subprocess.Popen
    log: Path

    def stop(self) -> None:
        if self.popen.poll() is not None:
            return
        try:
            os.killpg(self.popen.pid, signal.SIGTERM)
            self.popen.wait(timeout=5)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(self.popen.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.popen.wait(timeout=5)

    def tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def start(name: str, args: list[str], logs: Path, env: dict[str, str] | None = None, log_name: str = "") -> Process:
    log = logs / f"{log_name or name}.log"
    handle = log.open("a" if log_name else "w")
    popen = subprocess.Popen(
        args,
        stdout=handle,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
        cwd=ROOT,
        start_new_session=True,
    )
    return Process(name, popen, log)


@dataclass
class LocalAws:
    """moto + the Service Catalog emulator, and the function running as Lambda runs it."""

    logs: Path
    emulator_binary: Path = Path(os.environ.get("SC_EMULATOR", ROOT / "target" / "debug" / "sc-emulator"))
    # What `make bootstrap` builds: cargo-lambda, as `sam build` builds it, with the test-only `panic-probe` feature.
    function_binary: Path = Path(
        os.environ.get("SC_IMPORTER_BOOTSTRAP", ROOT / "target" / "lambda" / "bootstrap" / "bootstrap")
    )
    record_step_ms: int = 500
    processes: list[Process] = field(default_factory=list)
    moto_url: str = ""
    catalog_url: str = ""
    # The emulator's strict-mode switches and record step as it runs now (see `use_catalog`).
    catalog_switches: tuple[str, ...] = ()
    catalog_record_step_ms: int = 0
    invoke_port: int = 0
    runtime_api: RuntimeApi | None = None
    _function: Process | None = None
    _function_env: dict[str, str] = field(default_factory=dict)
    _function_lock: threading.RLock = field(default_factory=threading.RLock)
    _catalog_starts: int = 0
    _stack: ExitStack = field(default_factory=ExitStack)

    def __enter__(self) -> "LocalAws":
        self.logs.mkdir(parents=True, exist_ok=True)
        self._stack.callback(self.stop)
        # Stop cleanly on SIGTERM too (Ctrl-C arrives as KeyboardInterrupt and unwinds through __exit__).
        previous = signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
        self._stack.callback(signal.signal, signal.SIGTERM, previous)
        try:
            self._start_aws()
        except BaseException:
            self._stack.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self._stack.close()

    def stop(self) -> None:
        self.stop_function()
        for process in reversed(self.processes):
            process.stop()
        self.processes.clear()

    def _start_aws(self) -> None:
        moto_port = free_port()
        # moto's server with two fixes it lacks (e2e/estate.py): nested stacks get ParentId/RootId, and a FIFO
        # queue redelivers a message group's retried records in order.
        moto_server = [sys.executable, str(ROOT / "e2e" / "estate.py"), "moto-server"]
        moto = start("moto", [*moto_server, "-H", "127.0.0.1", "-p", str(moto_port)], self.logs)
        self.processes.append(moto)
        self.moto_url = f"http://127.0.0.1:{moto_port}"
        wait_until("moto server", lambda: listening(moto_port) and moto.popen.poll() is None)

        self._start_catalog()

    def _start_catalog(self, record_step_ms: int | None = None) -> None:
        """The Service Catalog emulator with `catalog_switches` and a record step (default `record_step_ms`), on a
        port the OS hands out."""
        self.catalog_record_step_ms = self.record_step_ms if record_step_ms is None else record_step_ms
        self._catalog_starts += 1
        log_name = "sc-emulator" if self._catalog_starts == 1 else f"sc-emulator-{self._catalog_starts}"
        catalog = start(
            log_name,
            [
                str(self.emulator_binary),
                "--port",
                "0",
                "--cloudformation-endpoint",
                self.moto_url,
                "--record-step-ms",
                str(self.catalog_record_step_ms),
                *self.catalog_switches,
            ],
            self.logs,
            env=CREDENTIALS,
        )
        catalog.name = "sc-emulator"
        self.processes.append(catalog)

        def catalog_port():
            if catalog.popen.poll() is not None:
                raise RuntimeError(f"sc-emulator exited:\n{catalog.tail()}")
            for line in catalog.log.read_text(errors="replace").splitlines():
                if "listening on http://127.0.0.1:" in line:
                    return int(line.rsplit(":", 1)[1].strip().rstrip("/"))
            return None

        port = wait_until("Service Catalog emulator", catalog_port)
        self.catalog_url = f"http://127.0.0.1:{port}"

    def use_catalog(self, switches: tuple[str, ...] = (), record_step_ms: int | None = None) -> bool:
        """Makes the running emulator one started with these strict-mode switches and record step, restarting it
        (empty: its state is in memory) only when it differs. Returns whether it restarted. A running function still
        points at the old emulator: start the function after this."""
        step = self.record_step_ms if record_step_ms is None else record_step_ms
        if (tuple(switches), step) == (self.catalog_switches, self.catalog_record_step_ms):
            return False
        for process in [p for p in self.processes if p.name == "sc-emulator"]:
            process.stop()
            self.processes.remove(process)
        self.catalog_switches = tuple(switches)
        self._start_catalog(step)
        return True

    def catalog_log(self) -> str:
        """What the running emulator has logged so far."""
        process = next(p for p in self.processes if p.name == "sc-emulator")
        return process.log.read_text(errors="replace")

    def catalog_latency(self, operation: str, ms: int) -> dict:
        """Sets one operation's answer delay on the emulator (its control endpoint, not an AWS API; 0 removes it)."""
        return self._catalog_control("POST", {"operation": operation, "ms": ms})

    def clear_catalog_latency(self) -> None:
        for operation in self._catalog_control("GET").get("latency", {}):
            self.catalog_latency(operation, 0)

    def _catalog_control(self, method: str, body: dict | None = None) -> dict:
        request = urllib.request.Request(
            f"{self.catalog_url}/_emulator/latency",
            data=None if body is None else json.dumps(body).encode(),
            method=method,
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def client(self, service: str, region: str | None = None, credentials: dict[str, str] | None = None):
        """A boto3 client for moto (or the emulator, for `servicecatalog`), in `region` (default REGION), with
        `credentials` ({"AccessKeyId", "SecretAccessKey", "SessionToken"?}, as STS answers them; default the
        `local` keys, i.e. moto's default account)."""
        url = self.catalog_url if service == "servicecatalog" else self.moto_url
        keys = {
            "aws_access_key_id": CREDENTIALS["AWS_ACCESS_KEY_ID"],
            "aws_secret_access_key": CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        }
        if credentials is not None:
            keys = {
                "aws_access_key_id": credentials["AccessKeyId"],
                "aws_secret_access_key": credentials["SecretAccessKey"],
                "aws_session_token": credentials.get("SessionToken"),
            }
        return boto3.client(service, endpoint_url=url, region_name=region or REGION, **keys)

    def account_credentials(self, account: str, role_name: str = MEMBER_ROLE_NAME,
                            session_name: str = "e2e-seed") -> dict[str, str] | None:
        """Credentials in `account`: None (the `local` keys) for moto's default account, else those moto's STS
        AssumeRole hands out for `arn:aws:iam::<account>:role/<role_name>` (moto assumes any role ARN, and keeps
        what these keys create in that account). Asked of moto directly, never through a test's STS gate."""
        if account == ACCOUNT:
            return None
        answer = self.client("sts").assume_role(
            RoleArn=f"arn:aws:iam::{account}:role/{role_name}", RoleSessionName=session_name
        )
        return answer["Credentials"]

    def start_function(self, env: dict[str, str], timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        """The bootstrap polling a fresh Runtime API (runtime_api.py), as Lambda runs a function with this timeout:
        each invocation's `Lambda-Runtime-Deadline-Ms` is a real deadline, and an invocation that outlives it is
        answered `Sandbox.Timedout` while the process is killed and started again, as Lambda discards a timed-out
        environment. `env` is added to (and overrides) the environment Lambda and this harness set."""
        self.stop_function()
        api = RuntimeApi(
            function_name=FUNCTION_NAME,
            timeout_s=timeout_s,
            region=REGION,
            account=ACCOUNT,
            exit_status=self._function_exit_status,
        )
        api.on_timeout = lambda: self._restart_function(api)
        api.start()
        self.runtime_api = api
        self.invoke_port = api.port
        self._function_env = {
            **CREDENTIALS,
            "AWS_ENDPOINT_URL": self.moto_url,
            "AWS_ENDPOINT_URL_SERVICE_CATALOG": self.catalog_url,
            # As Lambda sets it: host:port, no scheme.
            "AWS_LAMBDA_RUNTIME_API": api.address,
            "AWS_LAMBDA_FUNCTION_NAME": FUNCTION_NAME,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
            "RUST_LOG": "info",
            "NO_COLOR": "1",  # the log is a file
            "TEMPLATE_URL_ALLOW": TEMPLATE_URL_ALLOW,
            **env,
        }
        with self._function_lock:
            self._function = start("bootstrap", [str(self.function_binary)], self.logs, env=self._function_env)

    def function_log(self) -> str:
        """What the function has logged since the last `start_function` (which starts the file afresh): every process
        of it, the ones started again after a timed-out invocation included, since they append to the same file.
        tracing's plain format (`NO_COLOR`), one event per line."""
        try:
            return (self.logs / "bootstrap.log").read_text(errors="replace")
        except FileNotFoundError:
            return ""

    @property
    def function_pid(self) -> int | None:
        """The PID of the running bootstrap process, None when none runs."""
        process = self._function
        return process.popen.pid if process is not None and process.popen.poll() is None else None

    def _function_exit_status(self) -> int | None:
        # Called by the Runtime API under its own lock: reads one reference, takes no lock.
        process = self._function
        return None if process is None else process.popen.poll()

    def _restart_function(self, api: RuntimeApi) -> None:
        """After a timeout: the process is killed (SIGKILL, as Lambda ends a timed-out environment) and started
        again with the same environment; its log goes on in the same file."""
        with self._function_lock:
            process = self._function
            if process is None or self.runtime_api is not api:
                return  # stopped meanwhile
            if process.popen.poll() is None:
                try:
                    os.killpg(process.popen.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                process.popen.wait(timeout=5)
            with process.log.open("a") as log:
                log.write("--- the invocation timed out: the process was killed and is started again ---\n")
            self._function = start(
                "bootstrap", [str(self.function_binary)], self.logs, env=self._function_env, log_name="bootstrap"
            )

    def stop_function(self) -> None:
        """Stops the bootstrap (by PID) and its Runtime API."""
        with self._function_lock:
            api, self.runtime_api = self.runtime_api, None
            if self._function is not None:
                self._function.stop()
                self._function = None
        if api is not None:
            api.stop()

    def invoke(self, payload, timeout: float = 120.0) -> tuple[bool, dict]:
        """Invokes the function synchronously. Returns (ok, answer): ok is False when the function returned an error."""
        assert self.runtime_api is not None, "start_function first"
        return invoke_url(self.runtime_api.invoke_url, payload, timeout)
