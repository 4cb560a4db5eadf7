"""End to end over real HTTP: the bootstrap cargo-lambda builds, behind the suite's Lambda Runtime API (runtime_api.py),
moto for CloudFormation/S3/SNS/SQS/EventBridge and the Service Catalog emulator. Outcomes are read back from SQS and
checked against docs/CONTRACT.md."""

from __future__ import annotations

import json
import re
import uuid

from localaws import ACCOUNT, REGION
from world import EVENT_SOURCE, QUEUE_TEMPLATE_JSON, QUEUE_TEMPLATE_YAML, TOPIC_TEMPLATE_YAML

OUTCOMES = {
    "IMPORTED": {"RECORD_SUCCEEDED"},
    "IMPORT_IN_PROGRESS": {"RECORD_IN_PROGRESS"},
    "PLANNED": {"ELIGIBLE"},
    "SKIPPED": {"UNSUPPORTED_EVENT", "STATUS_NOT_ELIGIBLE", "NESTED_STACK", "STACKSET_INSTANCE", "ALREADY_PROVISIONED",
                "NO_ROUTE", "OPTED_OUT", "STACK_NOT_FOUND"},
    "FAILED": {"TEMPLATE_MISMATCH", "PRODUCT_NOT_FOUND", "ARTIFACT_NOT_FOUND", "ARTIFACT_INACTIVE", "NAME_CONFLICT",
               "INVALID_REQUEST", "ACCESS_DENIED", "RECORD_FAILED", "IMPORT_BUSY", "AWS_ERROR", "OUT_OF_TIME",
               "TEMPLATE_URL_REFUSED", "AMBIGUOUS_ROUTE", "VERSION_LIMIT"},
}


def unique(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:6]}"


def assert_contract_shape(outcome: dict) -> None:
    """docs/CONTRACT.md §3 and §6: field names, codes, the outcome id, and absent-not-null."""
    assert outcome["schemaVersion"] == "1"
    assert re.fullmatch(r"[0-9a-f]{32}", outcome["id"]), outcome
    assert outcome["reason"] in OUTCOMES[outcome["outcome"]], outcome
    assert isinstance(outcome["message"], str) and outcome["message"]
    assert isinstance(outcome["retryable"], bool) and isinstance(outcome["dryRun"], bool)
    assert outcome["trigger"]["kind"] in ("event", "queue", "manual")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", outcome["time"])
    assert all(value is not None for value in outcome.values()), outcome


def only_outcome(answer: dict) -> dict:
    assert len(answer["outcomes"]) == 1, answer
    outcome = answer["outcomes"][0]
    assert_contract_shape(outcome)
    return outcome


def test_a_tagged_stack_is_imported_and_both_destinations_receive_the_outcome(aws, world, function):
    product, artifact = world.product(unique("queue"), QUEUE_TEMPLATE_JSON)
    name = unique("payments")
    arn = world.stack(name, QUEUE_TEMPLATE_YAML, {"sc-import:product-id": product})
    event = world.status_event(arn)

    ok, answer = aws.invoke(event)

    assert ok, answer
    outcome = only_outcome(answer)
    assert (outcome["outcome"], outcome["reason"], outcome["retryable"]) == ("IMPORTED", "RECORD_SUCCEEDED", False)
    assert outcome["stack"] == {"arn": arn, "name": name, "status": "CREATE_COMPLETE", "account": ACCOUNT, "region": REGION}
    assert outcome["target"] == {"productId": product, "provisioningArtifactId": artifact, "provisionedProductName": name}
    assert outcome["record"]["status"] == "SUCCEEDED" and outcome["record"]["recordId"].startswith("rec-")
    assert outcome["trigger"] == {"kind": "event", "id": event["id"]}
    listed = [pp for pp in world.provisioned_products() if pp.get("PhysicalId") == arn]
    assert [(pp["Name"], pp["ProductId"], pp["ProvisioningArtifactId"]) for pp in listed] == [(name, product, artifact)]

    [via_sns] = world.drain(function["sns_queue"], 1)
    assert via_sns["Subject"] == f"IMPORTED: {name}"
    assert via_sns["MessageAttributes"]["outcome"] == {"Type": "String", "Value": "IMPORTED"}
    assert via_sns["MessageAttributes"]["reason"] == {"Type": "String", "Value": "RECORD_SUCCEEDED"}
    assert json.loads(via_sns["Message"]) == outcome
    [via_events] = world.drain(function["events_queue"], 1)
    assert (via_events["source"], via_events["detail-type"]) == (EVENT_SOURCE, "Stack Import Outcome")
    assert via_events["resources"] == [arn]
    assert via_events["detail"] == outcome


def test_a_stack_whose_template_differs_from_the_artifact_is_not_imported(aws, world, function):
    product, artifact = world.product(unique("queue"), QUEUE_TEMPLATE_JSON)
    name = unique("topic")
    arn = world.stack(name, TOPIC_TEMPLATE_YAML, {"sc-import:product-id": product, "sc-import:provisioning-artifact-id": artifact})

    ok, answer = aws.invoke(world.status_event(arn))

    assert ok, answer
    outcome = only_outcome(answer)
    assert (outcome["outcome"], outcome["reason"]) == ("FAILED", "TEMPLATE_MISMATCH")
    assert "Resources.Topic" in outcome["message"] and "Resources.Queue" in outcome["message"], outcome["message"]
    assert "record" not in outcome
    assert not [pp for pp in world.provisioned_products() if pp.get("PhysicalId") == arn]
    [via_sns] = world.drain(function["sns_queue"], 1)
    assert via_sns["MessageAttributes"]["reason"]["Value"] == "TEMPLATE_MISMATCH"


def test_a_stack_in_an_ineligible_status_is_skipped_whatever_the_event_says(aws, world, function):
    product, _ = world.product(unique("queue"), QUEUE_TEMPLATE_JSON)
    arn = world.stack(unique("gone"), QUEUE_TEMPLATE_YAML, {"sc-import:product-id": product})
    world.cfn.delete_stack(StackName=arn)

    ok, answer = aws.invoke(world.status_event(arn, "CREATE_COMPLETE"))

    assert ok, answer
    outcome = only_outcome(answer)
    assert (outcome["outcome"], outcome["reason"]) == ("SKIPPED", "STATUS_NOT_ELIGIBLE")
    assert outcome["stack"]["status"] == "DELETE_COMPLETE"


def test_a_duplicate_delivery_imports_once_and_reports_the_same_outcome(aws, world, function):
    product, _ = world.product(unique("queue"), QUEUE_TEMPLATE_JSON)
    arn = world.stack(unique("dup"), QUEUE_TEMPLATE_YAML, {"sc-import:product-id": product})
    event = world.status_event(arn)

    first_ok, first = aws.invoke(event)
    second_ok, second = aws.invoke(event)

    assert first_ok and second_ok
    first, second = only_outcome(first), only_outcome(second)
    # docs/CONTRACT.md §6: the same decision about the same stack version, so the same id, and the same record.
    assert (first["outcome"], first["reason"]) == ("IMPORTED", "RECORD_SUCCEEDED")
    assert (second["outcome"], second["reason"]) == ("IMPORTED", "RECORD_SUCCEEDED")
    assert second["id"] == first["id"]
    assert second["record"]["recordId"] == first["record"]["recordId"]
    assert second["target"] == first["target"]
    assert len(world.holders(arn)) == 1
    received = [json.loads(m["Message"]) for m in world.drain(function["sns_queue"], 2)]
    assert [o["id"] for o in received] == [first["id"], first["id"]], "a subscriber drops the duplicate by its id"


def test_the_follow_up_event_of_the_import_does_not_loop(aws, world, function):
    product, _ = world.product(unique("queue"), QUEUE_TEMPLATE_JSON)
    arn = world.stack(unique("loop"), QUEUE_TEMPLATE_YAML, {"sc-import:product-id": product})
    imported = only_outcome(aws.invoke(world.status_event(arn))[1])
    assert imported["outcome"] == "IMPORTED"

    ok, answer = aws.invoke(world.status_event(arn, "UPDATE_COMPLETE"))

    assert ok
    # The same stack version (an import does not change the stack): the same import reported again, not a new one.
    again = only_outcome(answer)
    assert (again["outcome"], again["reason"], again["id"]) == ("IMPORTED", "RECORD_SUCCEEDED", imported["id"])
    assert again["record"]["recordId"] == imported["record"]["recordId"]
    assert len(world.holders(arn)) == 1


def test_a_stack_held_by_another_import_is_already_provisioned(aws, world, function):
    """moto keeps no LastUpdatedTime (UpdateStack leaves the stack's version as created), so "another stack version"
    cannot be made here; a stack re-routed to another product after its import is the other case §6 skips."""
    first_product, _ = world.product(unique("queue"), QUEUE_TEMPLATE_JSON)
    other_product, _ = world.product(unique("queue"), QUEUE_TEMPLATE_JSON)
    name = unique("moved")
    arn = world.stack(name, QUEUE_TEMPLATE_YAML, {"sc-import:product-id": first_product})
    imported = only_outcome(aws.invoke(world.status_event(arn))[1])
    assert imported["outcome"] == "IMPORTED"
    world.cfn.update_stack(StackName=arn, UsePreviousTemplate=True, Tags=[{"Key": "sc-import:product-id", "Value": other_product}])

    ok, answer = aws.invoke(world.status_event(arn, "UPDATE_COMPLETE"))

    assert ok
    skipped = only_outcome(answer)
    assert (skipped["outcome"], skipped["reason"], skipped["retryable"]) == ("SKIPPED", "ALREADY_PROVISIONED", False)
    [holder] = world.holders(arn)
    assert holder["ProductId"] == first_product
    for named in (holder["Name"], holder["Id"], f"status {holder['Status']}"):
        assert named in skipped["message"], skipped["message"]
    assert skipped["id"] != imported["id"]


def test_a_manual_dry_run_and_an_unrouted_stack(aws, world, function):
    product, artifact = world.product(unique("queue"), QUEUE_TEMPLATE_JSON)
    routed = world.stack(unique("dry"), QUEUE_TEMPLATE_YAML, {})
    unrouted = world.stack(unique("free"), QUEUE_TEMPLATE_YAML, {"team": "sandbox"})

    ok, answer = aws.invoke({"dryRun": True, "imports": [{"stackArn": routed, "productId": product}, {"stackArn": unrouted}]})

    assert ok
    planned, skipped = answer["outcomes"]
    for outcome in (planned, skipped):
        assert_contract_shape(outcome)
    assert (planned["outcome"], planned["reason"], planned["dryRun"]) == ("PLANNED", "ELIGIBLE", True)
    assert planned["target"]["provisioningArtifactId"] == artifact
    assert (skipped["outcome"], skipped["reason"]) == ("SKIPPED", "NO_ROUTE")
    assert not [pp for pp in world.provisioned_products() if pp.get("PhysicalId") in (routed, unrouted)]
    received = world.drain(function["sns_queue"], 2)
    assert sorted(json.loads(m["Message"])["reason"] for m in received) == ["ELIGIBLE", "NO_ROUTE"]


def test_a_redriven_dead_letter_queue_answers_a_partial_batch_response(aws, world, function):
    product, _ = world.product(unique("queue"), QUEUE_TEMPLATE_JSON)
    arn = world.stack(unique("redrive"), QUEUE_TEMPLATE_YAML, {"sc-import:product-id": product})
    on_failure_record = {"version": "1.0", "requestContext": {"condition": "RetriesExhausted"},
                         "requestPayload": world.status_event(arn), "responseContext": {"statusCode": 200}}
    batch = {"Records": [{"messageId": "m-1", "body": json.dumps(on_failure_record), "eventSource": "aws:sqs"},
                         {"messageId": "m-2", "body": "{not json", "eventSource": "aws:sqs"}]}

    ok, answer = aws.invoke(batch)

    assert ok
    assert answer == {"batchItemFailures": []}
    assert len([pp for pp in world.provisioned_products() if pp.get("PhysicalId") == arn]) == 1
    reasons = sorted(json.loads(m["Message"])["reason"] for m in world.drain(function["sns_queue"], 2))
    assert reasons == ["INVALID_REQUEST", "RECORD_SUCCEEDED"]
