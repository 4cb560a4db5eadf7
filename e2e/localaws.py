"""Local AWS for the demo and the end-to-end tests: moto server (CloudFormation, S3, SNS, SQS, EventBridge, STS), the
project's Service Catalog emulator, and the release `bootstrap` behind cargo-lambda's Lambda Runtime API emulator.

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
import time
import urllib.error
import urllib.request
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import boto3

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
REGION = "us-east-1"
# moto's default account: the stack ARNs it returns carry it.
ACCOUNT = "123456789012"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local", "AWS_REGION": REGION}


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


def start(name: str, args: list[str], logs: Path, env: dict[str, str] | None = None) -> Process:
    log = logs / f"{name}.log"
    handle = log.open("w")
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
    function_binary: Path = Path(os.environ.get("SC_IMPORTER_BOOTSTRAP", ROOT / "target" / "release" / "bootstrap"))
    record_step_ms: int = 500
    processes: list[Process] = field(default_factory=list)
    moto_url: str = ""
    catalog_url: str = ""
    invoke_port: int = 0
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
        for process in reversed(self.processes):
            process.stop()
        self.processes.clear()

    def _start_aws(self) -> None:
        moto_port = free_port()
        moto = start("moto", [str(VENV_BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(moto_port)], self.logs)
        self.processes.append(moto)
        self.moto_url = f"http://127.0.0.1:{moto_port}"
        wait_until("moto server", lambda: listening(moto_port) and moto.popen.poll() is None)

        catalog = start(
            "sc-emulator",
            [
                str(self.emulator_binary),
                "--port",
                "0",
                "--cloudformation-endpoint",
                self.moto_url,
                "--record-step-ms",
                str(self.record_step_ms),
            ],
            self.logs,
            env=CREDENTIALS,
        )
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

    def client(self, service: str):
        url = self.catalog_url if service == "servicecatalog" else self.moto_url
        return boto3.client(
            service,
            endpoint_url=url,
            region_name=REGION,
            aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )

    def start_function(self, env: dict[str, str]) -> None:
        """cargo-lambda's Runtime API emulator, and the release bootstrap polling it, as Lambda runs a function."""
        self.stop_function()
        self.invoke_port = free_port()
        cargo_lambda = VENV_BIN / "cargo-lambda"
        watch = start(
            "runtime-api",
            [str(cargo_lambda), "lambda", "watch", "--only-lambda-apis", "-A", "127.0.0.1", "-P", str(self.invoke_port)],
            self.logs,
            env={"PATH": f"{VENV_BIN}:{os.environ.get('PATH', '')}"},
        )
        self.processes.append(watch)
        wait_until("the Lambda Runtime API emulator", lambda: listening(self.invoke_port) and watch.popen.poll() is None)
        function_env = {
            **CREDENTIALS,
            "AWS_ENDPOINT_URL": self.moto_url,
            "AWS_ENDPOINT_URL_SERVICE_CATALOG": self.catalog_url,
            "AWS_LAMBDA_RUNTIME_API": f"http://127.0.0.1:{self.invoke_port}/.rt",
            "AWS_LAMBDA_FUNCTION_NAME": "_",
            "AWS_LAMBDA_FUNCTION_VERSION": "1",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
            "RUST_LOG": "info",
            **env,
        }
        self.processes.append(start("bootstrap", [str(self.function_binary)], self.logs, env=function_env))

    def stop_function(self) -> None:
        for process in [p for p in self.processes if p.name in ("runtime-api", "bootstrap")]:
            process.stop()
            self.processes.remove(process)

    def invoke(self, payload, timeout: float = 120.0) -> tuple[bool, dict]:
        """Invokes the function synchronously. Returns (ok, answer): ok is False when the function returned an error."""
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.invoke_port}/2015-03-31/functions/_/invocations",
            data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
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
