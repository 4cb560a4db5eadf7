"""The local SQS event source mapping (esm.py) against moto's SQS, with fake functions: it must behave as Lambda's
mapping with ReportBatchItemFailures does, or the import queue tests (docs/CONTRACT.md §7) prove nothing.

No function and no Service Catalog run here: the module starts its own moto server, patched as
`python e2e/estate.py moto-server` patches it (esm.py explains moto's FIFO redelivery bug), and, for the one test that
shows why, a plain one."""

from __future__ import annotations

import hashlib
import json
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest

from esm import EventSourceMapping, records_to_retry
from localaws import REGION, ROOT, VENV_BIN, LocalAws, free_port, listening, start, wait_until
from world import World

E2E = Path(__file__).resolve().parent


def moto_world(name: str, args: list[str]):
    """A moto server of its own (stopped by PID afterwards) and a World on it."""
    logs = ROOT / "target" / "e2e-logs"
    logs.mkdir(parents=True, exist_ok=True)
    port = free_port()
    process = start(name, [*args, "-H", "127.0.0.1", "-p", str(port)], logs)
    try:
        wait_until(name, lambda: listening(port) and process.popen.poll() is None)
        aws = LocalAws(logs=logs)  # not entered: only its clients are used
        aws.moto_url = aws.catalog_url = f"http://127.0.0.1:{port}"
        yield World(aws)
    finally:
        process.stop()


@pytest.fixture(scope="module")
def sqs_world():
    """A World on moto patched as the e2e suite should run it (`estate.py moto-server`)."""
    yield from moto_world("moto-esm", [sys.executable, str(E2E / "estate.py"), "moto-server"])


@pytest.fixture
def world(sqs_world):  # overrides conftest's: these tests need moto only
    return sqs_world


@pytest.fixture(scope="module")
def plain_moto_world():
    yield from moto_world("moto-plain", [str(VENV_BIN / "moto_server")])


def send(world, url: str, body: str, group: str, attributes: dict | None = None) -> str:
    """Sends one message to a FIFO queue; returns its message id."""
    extra = {"MessageAttributes": attributes} if attributes else {}
    return world.sqs.send_message(
        QueueUrl=url, MessageBody=body, MessageGroupId=group, MessageDeduplicationId=uuid.uuid4().hex, **extra
    )["MessageId"]


class FakeFunction:
    """An `invoke` that records every event and answers what `decide(records, call)` says (default: success)."""

    def __init__(self, decide=None, delay_s: float = 0.0):
        self.decide = decide or (lambda records, call: (True, {"batchItemFailures": []}))
        self.delay_s = delay_s
        self.events: list[dict] = []
        self.processed: list[tuple[str, str]] = []  # (group, body) of every record the answer lets be deleted
        self.concurrent_groups: list[str] = []  # groups seen in two invocations at once
        self.max_active = 0
        self._active: Counter = Counter()
        self._active_count = 0
        self._lock = threading.Lock()

    def __call__(self, payload: dict):
        records = payload["Records"]
        groups = {record["attributes"].get("MessageGroupId") for record in records}
        with self._lock:
            call = len(self.events)
            self.events.append(payload)
            self._active_count += 1
            self.max_active = max(self.max_active, self._active_count)
            for group in groups:
                if self._active[group]:
                    self.concurrent_groups.append(group)
                self._active[group] += 1
        try:
            if self.delay_s:
                time.sleep(self.delay_s)
            ok, answer = self.decide(records, call)
            ids = [record["messageId"] for record in records]
            retry = records_to_retry(answer, ids)[0] if ok else set(ids)
            with self._lock:
                self.processed += [
                    (r["attributes"].get("MessageGroupId"), r["body"]) for r in records if r["messageId"] not in retry
                ]
            return ok, answer
        finally:
            with self._lock:
                self._active_count -= 1
                for group in groups:
                    self._active[group] -= 1


def fail_bodies(*bodies: str, times: int = 1):
    """A decision that lists the records with these bodies the first `times` times each is seen (FIFO rule: with
    every later record of the same group in the batch)."""
    seen: Counter = Counter()

    def decide(records, call):
        failed_groups: set = set()
        failures = []
        for record in records:
            group = record["attributes"].get("MessageGroupId")
            if record["body"] in bodies and seen[record["body"]] < times:
                seen[record["body"]] += 1
                failed_groups.add(group)
                failures.append(record["messageId"])
            elif group in failed_groups:
                failures.append(record["messageId"])
        return True, {"batchItemFailures": [{"itemIdentifier": failure} for failure in failures]}

    return decide


def test_the_event_is_lambdas_and_only_the_listed_records_stay_on_the_queue(world):
    url, _ = world.import_queue(visibility_timeout=30)
    first = send(world, url, '{"n":1}', "111122223333:us-east-1", {"kind": {"DataType": "String", "StringValue": "x"}})
    second = send(world, url, '{"n":2}', "111122223333:eu-west-1")
    third = send(world, url, '{"n":3}', "444455556666:us-east-1")
    function = FakeFunction(lambda records, call: (True, {"batchItemFailures": [{"itemIdentifier": second}]}))
    mapping = EventSourceMapping(world.sqs, url, function)

    batch = mapping.poll_once()

    [event] = function.events
    assert [record["messageId"] for record in event["Records"]] == [first, second, third]
    queue_name = url.rsplit("/", 1)[1]
    for record in event["Records"]:
        assert set(record) >= {"messageId", "receiptHandle", "body", "attributes", "messageAttributes", "md5OfBody",
                               "eventSource", "eventSourceARN", "awsRegion"}, record
        assert record["eventSource"] == "aws:sqs"
        assert record["eventSourceARN"].startswith(f"arn:aws:sqs:{REGION}:") and record["eventSourceARN"].endswith(
            f":{queue_name}"
        )
        assert record["awsRegion"] == REGION
        assert record["md5OfBody"] == hashlib.md5(record["body"].encode()).hexdigest()
        attributes = record["attributes"]
        assert set(attributes) == {"ApproximateReceiveCount", "SentTimestamp", "SequenceNumber", "MessageGroupId",
                                   "SenderId", "MessageDeduplicationId", "ApproximateFirstReceiveTimestamp"}
        assert all(isinstance(value, str) for value in attributes.values())
        assert attributes["ApproximateReceiveCount"] == "1"
    assert event["Records"][0]["attributes"]["MessageGroupId"] == "111122223333:us-east-1"
    assert event["Records"][0]["messageAttributes"] == {
        "kind": {"stringValue": "x", "stringListValues": [], "binaryListValues": [], "dataType": "String"}
    }
    assert "md5OfMessageAttributes" in event["Records"][0]
    assert event["Records"][1]["messageAttributes"] == {} and "md5OfMessageAttributes" not in event["Records"][1]
    json.dumps(event)  # what the Runtime API would send: plain JSON

    assert (batch["ok"], batch["result"]) == (True, "partial")
    assert (batch["failed"], batch["deleted"]) == ([second], [first, third])
    assert batch["groups"] == ["111122223333:us-east-1", "111122223333:eu-west-1", "444455556666:us-east-1"]
    assert world.queue_depth(url) == {"visible": 0, "in_flight": 1, "delayed": 0}


def test_a_listed_record_comes_back_after_the_visibility_timeout_with_receive_count_2(world):
    url, _ = world.import_queue(visibility_timeout=1)
    retried = send(world, url, "retry-me", "g1")
    send(world, url, "fine", "g2")
    function = FakeFunction(fail_bodies("retry-me"))

    batches = EventSourceMapping(world.sqs, url, function).run_until_empty(timeout=20)

    assert [batch["failed"] for batch in batches] == [[retried], []]
    assert batches[1]["messageIds"] == [retried] and batches[1]["receiveCounts"] == [2]
    assert function.events[1]["Records"][0]["attributes"]["ApproximateReceiveCount"] == "2"
    assert batches[1]["started"] - batches[0]["ended"] >= 0.9  # not before the visibility timeout
    assert world.queue_depth(url) == {"visible": 0, "in_flight": 0, "delayed": 0}


def test_an_invocation_that_errs_leaves_the_whole_batch(world):
    url, _ = world.import_queue(visibility_timeout=1)
    ids = [send(world, url, f"m{n}", "g1") for n in range(3)]
    timed_out = {"errorType": "Sandbox.Timedout", "errorMessage": "Task timed out after 1.00 seconds"}
    function = FakeFunction(lambda records, call: (False, timed_out) if call == 0 else (True, None))
    mapping = EventSourceMapping(world.sqs, url, function)

    first = mapping.poll_once()
    assert (first["ok"], first["result"], first["failed"], first["deleted"]) == (False, "error", ids, [])
    assert world.queue_depth(url)["in_flight"] == 3

    batches = mapping.run_until_empty(timeout=20)
    assert [batch["messageIds"] for batch in batches] == [ids, ids]
    assert batches[1]["receiveCounts"] == [2, 2, 2] and batches[1]["deleted"] == ids
    assert world.queue_depth(url) == {"visible": 0, "in_flight": 0, "delayed": 0}


def test_an_invoke_that_raises_leaves_the_whole_batch(world):
    url, _ = world.import_queue(visibility_timeout=30)
    ids = [send(world, url, f"m{n}", "g1") for n in range(2)]

    def broken(payload):
        raise TimeoutError("the invoke timed out")

    batch = EventSourceMapping(world.sqs, url, broken).poll_once()
    assert (batch["ok"], batch["result"], batch["failed"]) == (False, "invoke-raised", ids)
    assert world.queue_depth(url)["in_flight"] == 2


@pytest.mark.parametrize(
    "answer",
    [
        None,
        {},
        {"batchItemFailures": []},
        {"batchItemFailures": None},
        {"queued": 2},
    ],
    ids=["null", "empty", "empty-list", "null-list", "other-fields"],
)
def test_an_answer_without_failures_deletes_every_record(world, answer):
    url, _ = world.import_queue(visibility_timeout=30)
    ids = [send(world, url, f"m{n}", "g1") for n in range(2)]

    batch = EventSourceMapping(world.sqs, url, FakeFunction(lambda records, call: (True, answer))).poll_once()

    assert (batch["result"], batch["deleted"], batch["failed"]) == ("success", ids, [])
    assert world.queue_depth(url) == {"visible": 0, "in_flight": 0, "delayed": 0}


@pytest.mark.parametrize(
    "answer",
    [
        {"batchItemFailures": [{"itemIdentifier": ""}]},
        {"batchItemFailures": [{"itemIdentifier": None}]},
        {"batchItemFailures": [{"itemIdentifier": "not-a-message-of-this-batch"}]},
        {"batchItemFailures": [{"messageId": "FIRST"}]},
        {"batchItemFailures": "FIRST"},
        ["FIRST"],
        "FIRST",
    ],
    ids=["empty-id", "null-id", "unknown-id", "bad-key", "not-a-list", "a-list", "a-string"],
)
def test_an_answer_lambda_cannot_read_fails_the_whole_batch(world, answer):
    url, _ = world.import_queue(visibility_timeout=30)
    ids = [send(world, url, f"m{n}", f"g{n}") for n in range(2)]
    answer = json.loads(json.dumps(answer).replace("FIRST", ids[0]))

    batch = EventSourceMapping(world.sqs, url, FakeFunction(lambda records, call: (True, answer))).poll_once()

    assert (batch["ok"], batch["result"], batch["failed"], batch["deleted"]) == (True, "invalid-response", ids, [])
    assert world.queue_depth(url)["in_flight"] == 2


def test_two_message_groups_run_in_parallel_but_a_group_never_runs_twice_at_once(world):
    url, _ = world.import_queue(visibility_timeout=30)
    sent = {"a": [], "b": []}
    for n in range(3):
        for group in ("a", "b"):
            sent[group].append(f"{group}{n}")
            send(world, url, f"{group}{n}", group)
    function = FakeFunction(delay_s=0.3)

    batches = EventSourceMapping(world.sqs, url, function, batch_size=1, max_concurrency=2).run_until_empty(20)

    assert len(batches) == 6 and all(batch["result"] == "success" for batch in batches)
    assert function.max_active == 2, "the two groups were never invoked at the same time"
    assert function.concurrent_groups == []
    by_group = {group: [b for b in batches if b["groups"] == [group]] for group in ("a", "b")}
    for group, own in by_group.items():
        for earlier, later in zip(own, own[1:]):
            assert later["started"] >= earlier["ended"], f"group {group} in two batches at once"
        assert [b["bodies"][0] for b in own] == sent[group]
    overlapping = [
        (a, b) for a in by_group["a"] for b in by_group["b"] if a["started"] < b["ended"] and b["started"] < a["ended"]
    ]
    assert overlapping, "no batch of group a overlapped one of group b"
    assert {b["poller"] for b in batches} == {0, 1}


def test_a_group_keeps_its_send_order_across_a_retry(world):
    url, _ = world.import_queue(visibility_timeout=1)
    bodies = [f"m{n}" for n in range(5)]
    ids = [send(world, url, body, "g1") for body in bodies]
    others = [send(world, url, f"o{n}", "g2") for n in range(2)]
    function = FakeFunction(fail_bodies("m2"))

    batches = EventSourceMapping(world.sqs, url, function, max_concurrency=2).run_until_empty(timeout=20)

    assert [body for group, body in function.processed if group == "g1"] == bodies
    assert [body for group, body in function.processed if group == "g2"] == ["o0", "o1"]
    first = next(b for b in batches if ids[0] in b["messageIds"])
    assert first["failed"] == ids[2:] and first["orderViolations"] == []
    retry = next(b for b in batches if b["messageIds"][:1] == [ids[2]])
    assert retry["messageIds"] == ids[2:] and retry["receiveCounts"] == [2, 2, 2]
    assert set(others) <= {m for b in batches for m in b["deleted"]}


def test_a_function_that_breaks_the_fifo_rule_is_reported(world):
    url, _ = world.import_queue(visibility_timeout=30)
    ids = [send(world, url, f"m{n}", "g1") for n in range(3)]
    function = FakeFunction(lambda records, call: (True, {"batchItemFailures": [{"itemIdentifier": ids[0]}]}))

    batch = EventSourceMapping(world.sqs, url, function).poll_once()

    # Lambda deletes what is not listed, and so does the mapping; the log says the order was broken.
    assert batch["deleted"] == ids[1:] and batch["orderViolations"] == ids[1:]


def test_a_record_that_keeps_failing_ends_in_the_dead_letter_queue(world):
    url, dlq = world.import_queue(max_receive_count=2, visibility_timeout=1)
    poison = send(world, url, '{"poison":true}', "g1")
    fine = send(world, url, '{"fine":true}', "g2")
    function = FakeFunction(fail_bodies('{"poison":true}', times=100))

    batches = EventSourceMapping(world.sqs, url, function).run_until_empty(timeout=30)

    deliveries = [count for b in batches for m, count in zip(b["messageIds"], b["receiveCounts"]) if m == poison]
    assert deliveries == [1, 2]
    assert fine in batches[0]["deleted"]
    assert world.queue_depth(url) == {"visible": 0, "in_flight": 0, "delayed": 0}
    assert world.drain(dlq, 1) == [{"poison": True}]


def test_plain_moto_redelivers_a_group_out_of_order_which_the_patch_fixes(plain_moto_world, sqs_world):
    """Why the suite's moto is patched (esm.py): plain moto 5.2.5 delivers a group's last left record first. If this
    fails because moto got it right, drop `patch_moto_sqs_fifo_redelivery`."""
    orders = {}
    for label, world in (("plain", plain_moto_world), ("patched", sqs_world)):
        url, _ = world.import_queue(visibility_timeout=1)
        for n in range(3):
            send(world, url, f"m{n}", "g1")
        function = FakeFunction(lambda records, call: (False, {"errorType": "Boom"}) if call == 0 else (True, None))
        batches = EventSourceMapping(world.sqs, url, function, max_concurrency=1).run_until_empty(timeout=20)
        orders[label] = [batch["bodies"] for batch in batches]
    assert orders["patched"] == [["m0", "m1", "m2"], ["m0", "m1", "m2"]]
    assert orders["plain"] == [["m0", "m1", "m2"], ["m2"], ["m0", "m1"]]
