"""A local stand-in for Lambda's SQS event source mapping (ESM), so the function can consume its import queue
(docs/CONTRACT.md §7) on this machine: pollers read the queue in moto, hand each batch to the function as Lambda
does, and delete what the function did not ask to retry.

What it does, as Lambda's mapping with `FunctionResponseTypes: [ReportBatchItemFailures]` does:
- `ReceiveMessage` with `MaxNumberOfMessages` = the batch size (1-10), every system attribute
  (`MessageSystemAttributeNames: [All]`) and every message attribute.
- Builds the event Lambda builds: `{"Records": [{messageId, receiptHandle, body, attributes, messageAttributes,
  md5OfBody, eventSource "aws:sqs", eventSourceARN, awsRegion}]}`. `attributes` holds the system attributes the
  message has (`ApproximateReceiveCount`, `SentTimestamp`, `SenderId`, `ApproximateFirstReceiveTimestamp`, and on a
  FIFO queue `SequenceNumber`, `MessageGroupId`, `MessageDeduplicationId`; `AWSTraceHeader` when set), all strings;
  `messageAttributes` is in Lambda's shape (`{"name": {"stringValue"|"binaryValue", "stringListValues": [],
  "binaryListValues": [], "dataType"}}`, a binary value base64-encoded), and `md5OfMessageAttributes` is present
  when the message has attributes. `eventSourceARN` is the queue's ARN as SQS reports it.
- Invokes the function synchronously with it (`invoke(payload) -> (ok, answer)`, e.g. `LocalAws.invoke`), then, by
  Lambda's rules for a partial batch response:
  - the invocation failed (`ok` False: a function error, a timeout, a runtime exit) or `invoke` raised → every
    record is left on the queue: it becomes visible again when its visibility timeout ends;
  - the answer is `null`, has no `batchItemFailures`, or an empty one → every record is deleted;
  - `batchItemFailures` lists records by `itemIdentifier` (the `messageId`) → those are left, the others deleted;
  - an answer that is not a JSON object (and not null), a `batchItemFailures` that is not a list, or an entry whose
    `itemIdentifier` is missing, empty, not a string or not a message of the batch → the whole batch failed: every
    record is left.
  Lambda does not change a left record's visibility; neither does this.
- FIFO queues: SQS (here moto, which keeps a group with a message in flight from being delivered: see
  `pending_message_groups` in moto/sqs/models.py) hands a message group to one consumer at a time, in order. Up to
  `max_concurrency` pollers run, so different message groups are processed in parallel as Lambda's FIFO scaling
  does, while one group's messages are never in two batches at once. One batch may hold several groups, as in Lambda.
- A log of every batch (`batches`) so that tests can assert what was delivered, in what order and in parallel.

What it does not do (differences from Lambda that a test must not rely on):
- No scaling heuristics: exactly `max_concurrency` pollers, each running one batch at a time. No batching window
  (`MaximumBatchingWindowInSeconds`): a batch is whatever one ReceiveMessage returns. No batch over 10 records.
- No maximum retry attempts, no on-failure destination and no backoff of its own: a left record is retried when
  SQS makes it visible again, and the queue's redrive policy (`maxReceiveCount`) bounds the retries and moves the
  record to the dead-letter queue, as in AWS. Set the queue's visibility timeout above the slowest invocation, as
  AWS advises (six times the function timeout); a record whose timeout ends while its invocation still runs is
  delivered again.
- No event filtering (`FilterCriteria`), no `ScalingConfig`, no metrics, no enabling/disabling beyond start/stop.
- It does not enforce the FIFO rule for partial batch responses (after a group's first failed record, list the
  group's later records too): Lambda deletes whatever is not listed, and so does this. A batch entry's
  `orderViolations` names the records deleted after an earlier failed record of their own group, so a test can
  assert the function keeps the rule.
- Polling is short (`WaitTimeSeconds` = `wait_s`, 0 by default) with a short sleep when nothing was received: moto's
  long poll spins while a FIFO queue holds only messages of groups in flight. The harness's Runtime API runs one
  execution environment, so invocations of the real function from several pollers queue there and run one after
  another (Lambda would run them in parallel); with a fake `invoke`, they run in parallel.
- moto's SQS is not thread-safe, so this mapping's own SQS calls (receive, delete, queue attributes) are made one
  at a time, under one lock; the invocations run outside it.

moto 5.2.5 breaks FIFO order when a group has two or more messages whose visibility timeout ended (the records a
failed batch left): its ReceiveMessage frees such messages from its "in flight" set one at a time, in queue order,
and skips each while a later one of the group is still in the set, so the group's LAST message is delivered first
(m2, then m0 and m1). `patch_moto_sqs_fifo_redelivery` fixes that in the moto process (a group is in flight only
while one of its messages is not visible, which is what SQS means); `python e2e/estate.py moto-server …` runs
moto's server with it. The tests of this module (test_esm_harness.py) run against that server.
"""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Callable
from typing import Any

# The system attributes Lambda puts in a record's `attributes`, in the order its events list them.
RECORD_ATTRIBUTES = (
    "ApproximateReceiveCount",
    "SentTimestamp",
    "SequenceNumber",
    "MessageGroupId",
    "SenderId",
    "MessageDeduplicationId",
    "ApproximateFirstReceiveTimestamp",
    "AWSTraceHeader",
    "DeadLetterQueueSourceArn",
)
MAX_BATCH_SIZE = 10  # what one ReceiveMessage returns at most (and Lambda's maximum for a FIFO queue)

Invoke = Callable[[dict], "tuple[bool, Any]"]


def patch_moto_sqs_fifo_redelivery() -> None:
    """Makes moto (in this process) block a FIFO message group only while one of its messages is invisible (in
    flight), as SQS does, instead of while a message whose visibility timeout has ended is still in moto's pending
    set (see the module docstring): ReceiveMessage first frees every such message, and a group counts as in flight
    only through invisible ones. Idempotent."""
    import moto.sqs.models as models

    if getattr(models.Queue, "_sc_fifo_patch", False):
        return

    def pending_message_groups(self) -> set[str]:
        return {
            message.group_id
            for message in list(self._pending_messages)
            if message.group_id is not None and not message.visible
        }

    receive = models.SQSBackend.receive_message

    def receive_message(self, queue_name, *args, **kwargs):
        queue = self.get_queue(queue_name)
        for message in list(queue.pending_messages):
            if message.visible:
                queue.pending_messages.discard(message)
        return receive(self, queue_name, *args, **kwargs)

    models.Queue.pending_message_groups = property(pending_message_groups)
    models.SQSBackend.receive_message = receive_message
    models.Queue._sc_fifo_patch = True


def lambda_message_attributes(attributes: dict[str, dict]) -> dict[str, dict]:
    """SQS message attributes (as boto3 returns them) in the shape of a Lambda SQS event record."""
    converted: dict[str, dict] = {}
    for name, value in attributes.items():
        item: dict[str, Any] = {}
        if "StringValue" in value:
            item["stringValue"] = value["StringValue"]
        if "BinaryValue" in value:
            raw = value["BinaryValue"]
            item["binaryValue"] = base64.b64encode(raw if isinstance(raw, bytes) else str(raw).encode()).decode()
        item["stringListValues"] = list(value.get("StringListValues", []))
        item["binaryListValues"] = [
            base64.b64encode(raw if isinstance(raw, bytes) else str(raw).encode()).decode()
            for raw in value.get("BinaryListValues", [])
        ]
        item["dataType"] = value.get("DataType", "String")
        converted[name] = item
    return converted


def lambda_record(message: dict, queue_arn: str, region: str) -> dict:
    """One SQS message (a ReceiveMessage entry) as a record of the event Lambda invokes the function with."""
    received = message.get("Attributes", {})
    record: dict[str, Any] = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message.get("Body", ""),
        "attributes": {name: str(received[name]) for name in RECORD_ATTRIBUTES if name in received},
        "messageAttributes": lambda_message_attributes(message.get("MessageAttributes", {})),
    }
    if message.get("MD5OfMessageAttributes"):
        record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
    record.update(
        {
            "md5OfBody": message.get("MD5OfBody", ""),
            "eventSource": "aws:sqs",
            "eventSourceARN": queue_arn,
            "awsRegion": region,
        }
    )
    return record


def records_to_retry(answer: Any, message_ids: list[str]) -> tuple[set[str], str]:
    """Lambda's reading of a successful invocation's answer (partial batch response): the message ids to leave on
    the queue, and what the answer was: `success`, `partial` or `invalid-response` (the whole batch failed)."""
    everything = set(message_ids)
    if answer is None:
        return set(), "success"
    if not isinstance(answer, dict):
        return everything, "invalid-response"
    failures = answer.get("batchItemFailures")
    if failures is None or failures == []:
        return set(), "success"
    if not isinstance(failures, list):
        return everything, "invalid-response"
    listed: set[str] = set()
    for entry in failures:
        identifier = entry.get("itemIdentifier") if isinstance(entry, dict) else None
        if not isinstance(identifier, str) or not identifier or identifier not in everything:
            return everything, "invalid-response"
        listed.add(identifier)
    return listed, "partial"


def queue_depth(sqs, queue_url: str) -> dict[str, int]:
    """A queue's approximate counts: `visible`, `in_flight` (received, neither deleted nor visible again) and
    `delayed`."""
    answer = sqs.get_queue_attributes(
        QueueUrl=queue_url,
        AttributeNames=[
            "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed",
        ],
    )["Attributes"]
    return {
        "visible": int(answer.get("ApproximateNumberOfMessages", 0)),
        "in_flight": int(answer.get("ApproximateNumberOfMessagesNotVisible", 0)),
        "delayed": int(answer.get("ApproximateNumberOfMessagesDelayed", 0)),
    }


class EventSourceMapping:
    """Pollers that feed an SQS queue to `invoke` as Lambda's event source mapping does (module docstring).

    `start()`/`stop()` (or `with`), then `wait_idle()`; or `run_until_empty()`. `poll_once()` runs one batch on the
    caller's thread, for tests that want to step. `batches` is the log, one entry per batch received:
    `{"poller", "messageIds", "groups" (each record's MessageGroupId, None on a standard queue), "receiveCounts",
    "bodies", "failed" (ids left on the queue), "deleted", "ok" (the invocation returned without a function
    error), "result" (`success`, `partial`, `error`, `invalid-response`, `invoke-raised`), "answer",
    "orderViolations", "started", "ended"}` (times from `time.monotonic()`), in the order the batches were received.
    """

    def __init__(
        self,
        sqs,
        queue_url: str,
        invoke: Invoke,
        batch_size: int = 10,
        max_concurrency: int = 2,
        wait_s: int = 0,
        idle_sleep_s: float = 0.05,
    ):
        if not 1 <= batch_size <= MAX_BATCH_SIZE:
            raise ValueError(f"batch_size must be 1-{MAX_BATCH_SIZE}, not {batch_size}")
        if max_concurrency < 1:
            raise ValueError("max_concurrency must be at least 1")
        self.sqs = sqs
        self.queue_url = queue_url
        self.invoke = invoke
        self.batch_size = batch_size
        self.max_concurrency = max_concurrency
        self.wait_s = wait_s
        self.idle_sleep_s = idle_sleep_s
        attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn", "FifoQueue"])
        self.queue_arn: str = attributes["Attributes"]["QueueArn"]
        self.fifo = attributes["Attributes"].get("FifoQueue") == "true"
        self.region = self.queue_arn.split(":")[3]
        # Exceptions a poller met outside `invoke` (an SQS call that failed): the poller goes on.
        self.errors: list[str] = []
        self._batches: list[dict] = []
        self._state = threading.Lock()
        self._sqs_lock = threading.Lock()
        self._active = 0
        self._received = 0  # batches received so far, so that `wait_idle` sees a batch that came and went
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []

    # ---- lifecycle -------------------------------------------------------------------------------------------------
    def start(self) -> "EventSourceMapping":
        if self._threads:
            return self
        self._stopping.clear()
        for index in range(self.max_concurrency):
            thread = threading.Thread(target=self._poll, args=(index,), name=f"esm-poller-{index}", daemon=True)
            self._threads.append(thread)
            thread.start()
        return self

    def stop(self, timeout: float = 30.0) -> None:
        """Stops polling; a batch being invoked is finished (its records deleted or left) first."""
        self._stopping.set()
        for thread in self._threads:
            thread.join(timeout)
        self._threads = [thread for thread in self._threads if thread.is_alive()]

    def __enter__(self) -> "EventSourceMapping":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def batches(self) -> list[dict]:
        """A copy of the log so far."""
        with self._state:
            return [dict(batch) for batch in self._batches]

    def depth(self) -> dict[str, int]:
        """The queue's approximate counts: visible, in flight (received and neither deleted nor visible again), and
        delayed."""
        with self._sqs_lock:
            return queue_depth(self.sqs, self.queue_url)

    def idle(self) -> bool:
        """No batch is being invoked, and the queue has no message visible, in flight or delayed, and no batch was
        received while the queue was being looked at."""
        with self._state:
            before = (self._active, self._received)
        if before[0]:
            return False
        depth = self.depth()
        with self._state:
            after = (self._active, self._received)
        return before == after and not any(depth.values())

    def wait_idle(self, timeout: float = 30.0, interval: float = 0.05) -> list[dict]:
        """Waits until `idle()` (a record left to retry keeps it busy until it is deleted or moved to the
        dead-letter queue); returns the log. Raises TimeoutError, with the queue's depth, after `timeout`."""
        deadline = time.monotonic() + timeout
        while not self.idle():
            if time.monotonic() > deadline:
                with self._state:
                    active = self._active
                raise TimeoutError(
                    f"the queue was not drained after {timeout:.0f} s: {self.depth()}, {active} batch(es) invoking, "
                    f"{len(self._batches)} batch(es) so far; poller errors: {self.errors[-3:]}"
                )
            time.sleep(interval)
        return self.batches

    def run_until_empty(self, timeout: float = 30.0) -> list[dict]:
        """Starts the pollers (if not running), waits until idle, stops them; returns the log."""
        self.start()
        try:
            return self.wait_idle(timeout)
        finally:
            self.stop()

    # ---- polling ---------------------------------------------------------------------------------------------------
    def _poll(self, index: int) -> None:
        while not self._stopping.is_set():
            try:
                batch = self.poll_once(poller=index)
            except Exception as error:  # an SQS call failed: note it, go on polling
                self.errors.append(f"poller {index}: {type(error).__name__}: {error}")
                batch = None
            if batch is None:
                self._stopping.wait(self.idle_sleep_s)

    def poll_once(self, poller: int = -1) -> dict | None:
        """Receives one batch, invokes, deletes the records that succeeded; returns the batch's log entry (None when
        nothing was received)."""
        with self._sqs_lock:
            messages = self.sqs.receive_message(
                QueueUrl=self.queue_url,
                MaxNumberOfMessages=self.batch_size,
                WaitTimeSeconds=self.wait_s,
                MessageSystemAttributeNames=["All"],
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            if not messages:
                return None
            with self._state:
                self._active += 1
                self._received += 1
                entry: dict[str, Any] = {"poller": poller, "started": time.monotonic()}
                self._batches.append(entry)
        try:
            return self._run_batch(messages, entry)
        finally:
            with self._state:
                self._active -= 1

    def _run_batch(self, messages: list[dict], entry: dict) -> dict:
        records = [lambda_record(message, self.queue_arn, self.region) for message in messages]
        ids = [record["messageId"] for record in records]
        groups = [record["attributes"].get("MessageGroupId") for record in records]
        with self._state:
            entry.update(
                {
                    "messageIds": ids,
                    "groups": groups,
                    "receiveCounts": [int(r["attributes"].get("ApproximateReceiveCount", 0)) for r in records],
                    "bodies": [record["body"] for record in records],
                }
            )
        ok, answer, result = False, None, "error"
        try:
            ok, answer = self.invoke({"Records": records})
        except Exception as error:  # the invoke itself broke (e.g. a client timeout): Lambda would retry
            answer, result = f"{type(error).__name__}: {error}", "invoke-raised"
        if ok:
            retry, result = records_to_retry(answer, ids)
        else:
            retry = set(ids)
        delete = [message for message in messages if message["MessageId"] not in retry]
        if delete:
            with self._sqs_lock:
                answer_delete = self.sqs.delete_message_batch(
                    QueueUrl=self.queue_url,
                    Entries=[
                        {"Id": str(number), "ReceiptHandle": message["ReceiptHandle"]}
                        for number, message in enumerate(delete)
                    ],
                )
            for failure in answer_delete.get("Failed", []):
                self.errors.append(f"DeleteMessageBatch: {failure}")
        failed_groups: set[str | None] = set()
        violations: list[str] = []
        for message_id, group in zip(ids, groups):
            if message_id in retry:
                failed_groups.add(group)
            elif self.fifo and group in failed_groups:
                violations.append(message_id)
        with self._state:
            entry.update(
                {
                    "failed": [message_id for message_id in ids if message_id in retry],
                    "deleted": [message["MessageId"] for message in delete],
                    "ok": bool(ok),
                    "result": result,
                    "answer": answer,
                    "orderViolations": violations,
                    "ended": time.monotonic(),
                }
            )
            return dict(entry)
