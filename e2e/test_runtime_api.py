"""The suite's Lambda Runtime API (runtime_api.py) on its own, driven by a runtime written here in a few lines: what the
function's tests rely on — the deadline header, the answers Lambda gives the invoker, and the timeout."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request

import pytest

from runtime_api import RuntimeApi


def call(url: str, method: str = "GET", body: bytes | None = None, headers: dict | None = None):
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


class Runtime:
    """What a runtime does: GET /next, then POST the response or the error."""

    def __init__(self, api: RuntimeApi):
        self.base = f"http://{api.address}/2018-06-01/runtime"

    def next(self):
        status, headers, body = call(f"{self.base}/invocation/next")
        assert status == 200
        return headers, json.loads(body)

    def respond(self, request_id: str, document) -> int:
        return call(f"{self.base}/invocation/{request_id}/response", "POST", json.dumps(document).encode())[0]

    def fail(self, request_id: str, error_type: str, message: str) -> int:
        body = json.dumps({"errorType": error_type, "errorMessage": message}).encode()
        headers = {"Lambda-Runtime-Function-Error-Type": "unhandled"}
        return call(f"{self.base}/invocation/{request_id}/error", "POST", body, headers)[0]


@pytest.fixture
def api():
    timed_out = []
    runtime_api = RuntimeApi(function_name="fn", timeout_s=30.0, on_timeout=lambda: timed_out.append(time.time()))
    runtime_api.timed_out = timed_out
    runtime_api.start()
    yield runtime_api
    runtime_api.stop()


def invoke_in_background(api: RuntimeApi, payload) -> dict:
    answer: dict = {}

    def run():
        answer["status"], answer["headers"], answer["body"] = call(api.invoke_url, "POST", json.dumps(payload).encode())
        answer["at"] = time.time()

    answer["thread"] = threading.Thread(target=run, daemon=True)
    answer["thread"].start()
    return answer


def test_an_invocation_carries_a_real_deadline_and_gets_the_runtime_s_response(api):
    pending = invoke_in_background(api, {"hello": "world"})
    headers, payload = Runtime(api).next()
    handed_out = time.time()

    assert payload == {"hello": "world"}
    deadline_ms = int(headers["Lambda-Runtime-Deadline-Ms"])
    assert abs(deadline_ms / 1000 - (handed_out + 30.0)) < 1.0, "an epoch-millisecond deadline: now + the timeout"
    assert headers["Lambda-Runtime-Invoked-Function-Arn"] == "arn:aws:lambda:us-east-1:123456789012:function:fn"
    assert headers["Lambda-Runtime-Trace-Id"].startswith("Root=1-")
    request_id = headers["Lambda-Runtime-Aws-Request-Id"]
    assert Runtime(api).respond(request_id, {"answer": 42}) == 202
    pending["thread"].join(10)

    assert pending["status"] == 200 and json.loads(pending["body"]) == {"answer": 42}
    assert "X-Amz-Function-Error" not in pending["headers"]
    assert pending["headers"]["x-amzn-RequestId"] == request_id
    assert Runtime(api).respond(request_id, {"again": True}) == 400, "an answered invocation cannot be answered twice"


def test_a_function_error_is_answered_as_lambda_answers_it(api):
    pending = invoke_in_background(api, {})
    headers, _ = Runtime(api).next()
    assert Runtime(api).fail(headers["Lambda-Runtime-Aws-Request-Id"], "RetryableOutcome", "try again") == 202
    pending["thread"].join(10)

    assert pending["status"] == 200
    assert pending["headers"]["X-Amz-Function-Error"] == "Unhandled"
    assert json.loads(pending["body"]) == {"errorType": "RetryableOutcome", "errorMessage": "try again"}


def test_no_answer_by_the_deadline_is_a_task_timeout_and_the_environment_is_reset(api):
    api.timeout_s = 1.0
    started = time.time()
    pending = invoke_in_background(api, {})
    headers, _ = Runtime(api).next()
    pending["thread"].join(10)

    assert 0.9 <= pending["at"] - started < 3.0
    assert pending["headers"]["X-Amz-Function-Error"] == "Unhandled"
    error = json.loads(pending["body"])
    assert error["errorType"] == "Sandbox.Timedout"
    assert "Task timed out after 1.00 seconds" in error["errorMessage"]
    assert len(api.timed_out) == 1, "the caller was told to reset the environment"
    assert Runtime(api).respond(headers["Lambda-Runtime-Aws-Request-Id"], {"late": True}) == 400


def test_the_invoke_api_refuses_what_lambda_refuses(api):
    status, headers, _ = call(api.invoke_url, "POST", b"{not json")
    assert (status, headers["x-amzn-ErrorType"]) == (400, "InvalidRequestContentException")
    status, headers, _ = call(api.invoke_url.replace("/fn/", "/other/"), "POST", b"{}")
    assert (status, headers["x-amzn-ErrorType"]) == (404, "ResourceNotFoundException")
    status, headers, _ = call(api.invoke_url, "POST", b"{}", {"X-Amz-Invocation-Type": "Event"})
    assert (status, headers["x-amzn-ErrorType"]) == (400, "InvalidParameterValueException")


def test_an_init_error_answers_the_invocations(api):
    body = json.dumps({"errorType": "Runtime.ConfigurationError", "errorMessage": "invalid IMPORT_RULES: …"}).encode()
    status, _, _ = call(f"http://{api.address}/2018-06-01/runtime/init/error", "POST", body)
    assert status == 202

    status, headers, answer = call(api.invoke_url, "POST", b"{}")

    assert (status, headers["X-Amz-Function-Error"]) == (200, "Unhandled")
    assert json.loads(answer)["errorType"] == "Runtime.ConfigurationError"
