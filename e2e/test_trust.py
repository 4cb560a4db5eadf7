"""End to end, docs/CONTRACT.md §6 (trustworthy outcomes) over real HTTP: retries after a failed publish or a record
still running at the deadline, a provisioned product in ERROR, refused template URLs, slow AWS calls against the
deadline, and a handler panic. Deadlines are real: the suite's Runtime API (runtime_api.py) hands the function an
epoch-millisecond deadline of now + the timeout each test chooses.

Tests that need the emulator in a strict mode come last, grouped by switch, so that it restarts as few times as
possible (conftest.py)."""

from __future__ import annotations

import json
import time
import uuid

import pytest

from localaws import ACCOUNT, REGION
from test_e2e import only_outcome, unique
from world import QUEUE_TEMPLATE_JSON, QUEUE_TEMPLATE_YAML, TOPIC_TEMPLATE_YAML, TemplateServer

# The function's own limits (src/main.rs): an AWS operation gives up after 7 s, and 8 s before the deadline are kept
# to publish and answer.
SDK_OPERATION_TIMEOUT_S = 7
PUBLISH_RESERVE_S = 8


def timed_invoke(aws, payload) -> tuple[bool, dict, float]:
    started = time.monotonic()
    ok, answer = aws.invoke(payload)
    return ok, answer, time.monotonic() - started


def tagged_stack(world, prefix: str) -> tuple[str, str, str]:
    """A product and a stack tagged for it; returns (product, artifact, stack ARN)."""
    product, artifact = world.product(unique("queue"), QUEUE_TEMPLATE_JSON)
    arn = world.stack(unique(prefix), QUEUE_TEMPLATE_YAML, {"sc-import:product-id": product})
    return product, artifact, arn


def imports_accepted(aws, stack_arn: str) -> int:
    """How many ImportAsProvisionedProduct calls for the stack the emulator accepted (its log says so per import)."""
    return sum(1 for line in aws.catalog_log().splitlines() if "import accepted" in line and stack_arn in line)


# ---- the emulator as it runs by default ----------------------------------------------------------------------------


def test_a_failed_publish_fails_the_event_and_its_retry_reports_the_same_import(aws, world, destinations):
    _, _, arn = tagged_stack(world, "publish")
    event = world.status_event(arn)
    missing_topic = f"arn:aws:sns:{REGION}:{ACCOUNT}:no-such-topic-{uuid.uuid4().hex[:6]}"
    aws.start_function({**destinations["env"], "OUTCOME_TOPIC_ARN": missing_topic})

    ok, answer = aws.invoke(event)

    # The import happened, but its outcome could not reach SNS: the event fails, so that Lambda retries it.
    assert not ok, answer
    assert answer["errorType"] == "OutcomeNotPublished", answer
    assert "IMPORTED" in answer["errorMessage"], answer
    [holder] = world.holders(arn)
    assert holder["Status"] == "AVAILABLE"
    # EventBridge, the other destination, did get it: the outcome the failed invocation decided.
    [unpublished] = [m["detail"] for m in world.drain(destinations["events_queue"], 1)]
    assert (unpublished["outcome"], unpublished["reason"]) == ("IMPORTED", "RECORD_SUCCEEDED")

    aws.start_function(destinations["env"])
    ok, answer = aws.invoke(event)

    assert ok, answer
    retried = only_outcome(answer)
    assert (retried["outcome"], retried["reason"], retried["retryable"]) == ("IMPORTED", "RECORD_SUCCEEDED", False)
    assert retried["record"]["recordId"] == unpublished["record"]["recordId"]
    assert retried["id"] == unpublished["id"], "the same decision: a subscriber drops the second EventBridge copy"
    assert len(world.holders(arn)) == 1 and imports_accepted(aws, arn) == 1
    [via_sns] = [json.loads(m["Message"]) for m in world.drain(destinations["sns_queue"], 1)]
    assert via_sns == retried


def test_a_template_url_nobody_allowed_is_refused_without_a_request(aws, world, function):
    # 127.0.0.2 stands for a host nobody allowed (the harness allows http://127.0.0.1:*); something listens there and
    # counts requests, so "refused" means "never asked", not "asked and failed".
    with TemplateServer("127.0.0.2") as elsewhere:
        url = elsewhere.serve("/queue.json", QUEUE_TEMPLATE_JSON)
        product, _ = world.product_from_url(unique("queue"), url)
        arn = world.stack(unique("elsewhere"), QUEUE_TEMPLATE_YAML, {"sc-import:product-id": product})

        ok, answer = aws.invoke(world.status_event(arn))

        assert ok, answer
        refused = only_outcome(answer)
        assert (refused["outcome"], refused["reason"], refused["retryable"]) == ("FAILED", "TEMPLATE_URL_REFUSED", False)
        assert "127.0.0.2" in refused["message"], refused["message"]
        assert "record" not in refused
        assert elsewhere.requests == []
    assert not world.holders(arn) and imports_accepted(aws, arn) == 0


def test_a_slow_aws_call_is_a_retryable_aws_error_well_before_the_deadline(aws, world, function):
    product, _, arn = tagged_stack(world, "slow")
    aws.catalog_latency("SearchProvisionedProducts", 12000)

    ok, answer, took = timed_invoke(aws, {"stackArn": arn, "productId": product})

    aws.catalog_latency("SearchProvisionedProducts", 0)
    assert ok, answer
    outcome = only_outcome(answer)
    assert (outcome["outcome"], outcome["reason"], outcome["retryable"]) == ("FAILED", "AWS_ERROR", True)
    # The SDK gives up after its operation timeout, not at the function's (60 s) deadline.
    assert took < SDK_OPERATION_TIMEOUT_S + 5, f"answered after {took:.1f} s"
    assert not world.holders(arn)


def test_a_stack_not_decided_by_the_deadline_is_out_of_time_and_answered_before_it(aws, world, destinations):
    timeout_s = 12
    aws.start_function(destinations["env"], timeout_s=timeout_s)
    product, _, arn = tagged_stack(world, "late")
    # Each call answers within the SDK's timeouts, but together they outlast the time to decide (12 s - 8 s kept to
    # publish): the deadline, not a timeout, ends the decision.
    aws.catalog_latency("SearchProvisionedProducts", 3000)
    aws.catalog_latency("DescribeProvisioningArtifact", 3000)

    ok, answer, took = timed_invoke(aws, {"stackArn": arn, "productId": product})

    assert ok, answer  # an answer, not Lambda's "Task timed out"
    outcome = only_outcome(answer)
    assert (outcome["outcome"], outcome["reason"], outcome["retryable"]) == ("FAILED", "OUT_OF_TIME", True)
    assert took < timeout_s - 2, f"answered after {took:.1f} s of {timeout_s} s"
    assert took >= timeout_s - PUBLISH_RESERVE_S - 1, f"gave up early, after {took:.1f} s"
    [published] = [json.loads(m["Message"]) for m in world.drain(destinations["sns_queue"], 1)]
    assert published == outcome
    aws.clear_catalog_latency()
    assert not world.holders(arn)


def test_a_handler_panic_leaves_the_process_serving_the_next_request(aws, world, function):
    pid = aws.function_pid
    assert pid is not None

    ok, answer = aws.invoke({"panicProbe": True})

    assert not ok, answer
    assert "panicked" in answer["errorMessage"] and "panic probe" in answer["errorMessage"], answer
    assert aws.function_pid == pid, "the process survived its handler's panic"
    product, artifact, arn = tagged_stack(world, "after-panic")
    ok, answer = aws.invoke({"stackArn": arn, "productId": product, "dryRun": True})
    assert ok, answer
    planned = only_outcome(answer)
    assert (planned["outcome"], planned["reason"]) == ("PLANNED", "ELIGIBLE")
    assert planned["target"]["provisioningArtifactId"] == artifact
    assert aws.function_pid == pid


# ---- the emulator in a strict mode -------------------------------------------------------------------------------


@pytest.mark.emulator(record_step_ms=4000)
def test_a_record_still_running_at_the_deadline_is_retried_and_followed_to_its_end(aws, world, destinations):
    # Records take 8 s (4 s CREATED, 4 s IN_PROGRESS); the function polls until 10 s before its 16 s deadline.
    timeout_s = 16
    aws.start_function(destinations["env"], timeout_s=timeout_s)
    _, _, arn = tagged_stack(world, "running")
    event = world.status_event(arn)

    ok, answer, took = timed_invoke(aws, event)

    assert not ok, answer
    assert answer["errorType"] == "RetryableOutcome" and "RECORD_IN_PROGRESS" in answer["errorMessage"], answer
    assert took < timeout_s - 2, f"answered after {took:.1f} s of {timeout_s} s"
    [running] = [json.loads(m["Message"]) for m in world.drain(destinations["sns_queue"], 1)]
    assert (running["outcome"], running["reason"], running["retryable"]) == ("IMPORT_IN_PROGRESS", "RECORD_IN_PROGRESS", True)
    assert running["record"]["status"] in ("CREATED", "IN_PROGRESS"), running
    record_id = running["record"]["recordId"]
    assert world.wait_for_record(record_id)["Status"] == "SUCCEEDED"

    ok, answer = aws.invoke(event)

    assert ok, answer
    finished = only_outcome(answer)
    assert (finished["outcome"], finished["reason"]) == ("IMPORTED", "RECORD_SUCCEEDED")
    assert finished["record"]["recordId"] == record_id and finished["record"]["status"] == "SUCCEEDED"
    assert finished["id"] != running["id"]
    assert len(world.holders(arn)) == 1 and imports_accepted(aws, arn) == 1


@pytest.mark.emulator("--failed-import-keeps-name")
def test_a_provisioned_product_in_error_is_a_failed_record_on_the_next_event(aws, world, function):
    # The emulator fails an import when the artifact's template, read at import, is not the stack's. The function
    # checks the same thing first, so the test's template server answers the function's read with the stack's
    # template and the emulator's read (the second) with another: the template changed between check and import.
    with TemplateServer() as templates:
        url = templates.serve("/queue.json", QUEUE_TEMPLATE_JSON, TOPIC_TEMPLATE_YAML)
        product, artifact = world.product_from_url(unique("queue"), url)
        arn = world.stack(unique("broken"), QUEUE_TEMPLATE_YAML, {"sc-import:product-id": product})

        ok, answer = aws.invoke(world.status_event(arn))

        assert ok, answer
        failed = only_outcome(answer)
        assert (failed["outcome"], failed["reason"], failed["retryable"]) == ("FAILED", "RECORD_FAILED", False)
        assert failed["record"]["status"] == "FAILED"
        assert [error["code"] for error in failed["record"]["errors"]] == ["TemplateMismatch"], failed["record"]
        assert len(templates.requests) == 2, templates.requests
        [holder] = world.holders(arn)
        assert (holder["Status"], holder["LastRecordId"]) == ("ERROR", failed["record"]["recordId"])

        ok, answer = aws.invoke(world.status_event(arn))

        assert ok, answer
        again = only_outcome(answer)
        assert (again["outcome"], again["reason"], again["retryable"]) == ("FAILED", "RECORD_FAILED", False)
        assert again["record"]["recordId"] == failed["record"]["recordId"]
        assert again["record"]["errors"] == failed["record"]["errors"]
        assert "TemplateMismatch" in again["message"], again["message"]
        assert again["target"] == {"productId": product, "provisioningArtifactId": artifact,
                                   "provisionedProductName": holder["Name"]}
        assert len(templates.requests) == 2, "nothing read or imported again"
    assert len(world.holders(arn)) == 1 and imports_accepted(aws, arn) == 1


@pytest.mark.emulator("--https-template-urls")
def test_an_https_template_url_is_refused_by_a_local_allow_list(aws, world, function):
    # The emulator reports https://127.0.0.1:<moto>/… for the artifact; the harness allows only http://127.0.0.1:*.
    _, _, arn = tagged_stack(world, "https")

    ok, answer = aws.invoke(world.status_event(arn))

    assert ok, answer
    refused = only_outcome(answer)
    assert (refused["outcome"], refused["reason"]) == ("FAILED", "TEMPLATE_URL_REFUSED")
    assert "https://127.0.0.1" in refused["message"], refused["message"]
    assert not world.holders(arn) and imports_accepted(aws, arn) == 0
