"""The sweep (docs/CONTRACT.md §1d) and the import queue (§7) end to end: the function behind its Runtime API, moto's
FIFO queue consumed by the local event source mapping (esm.py), the Service Catalog emulator importing for real.

Each test builds its estate under a fresh name prefix and sweeps only that prefix (`stackName` glob): the session's
moto holds every other test's stacks too."""

from __future__ import annotations

import json

import pytest

from esm import EventSourceMapping
from estate import HANDLE_TEMPLATE_JSON, build_estate

SWEEP_TRIGGER = "sweep"


def sns_messages(world, destinations, expected: int, timeout: float = 15.0) -> list[dict]:
    """The SNS envelopes that reached the topic's queue: outcomes and sweep summaries."""
    return world.drain(destinations["sns_queue"], expected, timeout)


def outcomes_of(messages: list[dict]) -> list[dict]:
    return [json.loads(m["Message"]) for m in messages if m["MessageAttributes"]["outcome"]["Value"] != "SWEEP_SUMMARY"]


def summaries_of(messages: list[dict]) -> list[dict]:
    return [m for m in messages if m["MessageAttributes"]["outcome"]["Value"] == "SWEEP_SUMMARY"]


def start_with_queue(aws, world, destinations, timeout_s: float = 60.0) -> str:
    queue_url, _ = world.import_queue(max_receive_count=5, visibility_timeout=2)
    aws.start_function({**destinations["env"], "IMPORT_QUEUE_URL": queue_url}, timeout_s=timeout_s)
    return queue_url


def mapping(aws, world, queue_url: str) -> EventSourceMapping:
    # The harness has one execution environment: one poller, as Lambda with a concurrency of one.
    return EventSourceMapping(world.sqs, queue_url, aws.invoke, batch_size=10, max_concurrency=1)


def test_a_dry_run_sweep_plans_through_the_queue_and_publishes_its_skips_and_one_summary(aws, world, destinations):
    queue_url = start_with_queue(aws, world, destinations)
    product, artifact = world.product("estate", HANDLE_TEMPLATE_JSON)
    estate = build_estate(world, product, routed=3, unrouted=2, opted_out=1, nested=1, stackset=1, held=1,
                          not_importable=1)

    ok, answer = aws.invoke({"sweep": {"dryRun": True, "stackName": f"*{estate.prefix}*"}})

    assert ok, answer
    sweep = answer["sweep"]
    # Every stack in an importable status under the prefix; the one in review is not listed.
    assert sweep["stacks"] == len(estate.all_importable_status) == 10, sweep
    assert sweep["queued"] == 3
    assert sweep["byReason"] == {"NO_ROUTE": 3, "OPTED_OUT": 1, "NESTED_STACK": 1, "STACKSET_INSTANCE": 1,
                                 "ALREADY_PROVISIONED": 1}, sweep
    assert (sweep["complete"], sweep["dryRun"], sweep["accounts"], sweep["regions"]) == (
        True, True, ["123456789012"], ["us-east-1"])
    assert world.queue_depth(queue_url)["visible"] == 3

    batches = mapping(aws, world, queue_url).run_until_empty(timeout=60)

    assert all(batch["ok"] and not batch["failed"] for batch in batches), batches
    messages = sns_messages(world, destinations, 7 + 3 + 1)
    outcomes = outcomes_of(messages)
    assert all(o["trigger"] == {"kind": SWEEP_TRIGGER, "id": sweep["id"]} for o in outcomes), outcomes
    planned = sorted(o["stack"]["arn"] for o in outcomes if o["outcome"] == "PLANNED")
    assert planned == sorted(estate.routed)
    assert all(o["target"]["provisioningArtifactId"] == artifact for o in outcomes if o["outcome"] == "PLANNED")
    skipped = [o for o in outcomes if o["outcome"] == "SKIPPED"]
    assert len(skipped) == 7 and len({o["stack"]["arn"] for o in skipped}) == 7
    [summary] = summaries_of(messages)
    assert summary["Subject"] == "SWEEP: 10 stacks, 3 queued"
    assert json.loads(summary["Message"])["sweep"]["id"] == sweep["id"]
    assert not any(world.holders(arn) for arn in estate.routed), "a dry run imports nothing"


def test_a_sweep_for_real_imports_through_the_queue_and_a_rerun_queues_nothing(aws, world, destinations):
    queue_url = start_with_queue(aws, world, destinations)
    product, _ = world.product("estate", HANDLE_TEMPLATE_JSON)
    estate = build_estate(world, product, routed=3, unrouted=1)
    glob = f"{estate.prefix}-*"

    ok, answer = aws.invoke({"sweep": {"stackName": glob}})
    assert ok, answer
    assert (answer["sweep"]["stacks"], answer["sweep"]["queued"], answer["sweep"]["dryRun"]) == (4, 3, False)

    batches = mapping(aws, world, queue_url).run_until_empty(timeout=90)

    assert all(not batch["orderViolations"] for batch in batches), batches
    outcomes = outcomes_of(sns_messages(world, destinations, 1 + 3 + 1))
    imported = sorted(o["stack"]["arn"] for o in outcomes if o["outcome"] == "IMPORTED")
    assert imported == sorted(estate.routed), outcomes
    assert all(len(world.holders(arn)) == 1 for arn in estate.routed)

    # A rerun (after a crash, or next week's schedule) queues only what is still unimported: nothing.
    ok, again = aws.invoke({"sweep": {"stackName": glob}})
    assert ok, again
    assert again["sweep"]["queued"] == 0
    assert again["sweep"]["byReason"] == {"ALREADY_PROVISIONED": 3, "NO_ROUTE": 1}, again
    assert world.queue_depth(queue_url)["visible"] == 0


def test_a_duplicated_stack_event_is_queued_once(aws, world, destinations):
    queue_url = start_with_queue(aws, world, destinations)
    product, _ = world.product("dup", HANDLE_TEMPLATE_JSON)
    estate = build_estate(world, product, routed=1)
    event = world.status_event(estate.routed[0])

    # EventBridge delivers at least once: the same event twice.
    first, second = aws.invoke(event), aws.invoke(event)

    assert first == (True, {"queued": 1}) and second == (True, {"queued": 1}), (first, second)
    assert world.queue_depth(queue_url)["visible"] == 1
    mapping(aws, world, queue_url).run_until_empty(timeout=60)
    [outcome] = outcomes_of(sns_messages(world, destinations, 1))
    assert (outcome["outcome"], outcome["trigger"]) == ("IMPORTED", {"kind": "event", "id": event["id"]})
    assert len(world.holders(estate.routed[0])) == 1


@pytest.mark.emulator(record_step_ms=4000)
def test_after_a_record_to_retry_the_later_records_of_its_group_wait_and_keep_their_order(aws, world, destinations):
    # Records take 8 s; with 16 s the function gives up following at 8 s: the first import is still running, so its
    # record is retried, and the two queued after it in the same account and region must not overtake it.
    queue_url = start_with_queue(aws, world, destinations, timeout_s=16)
    product, _ = world.product("fifo", HANDLE_TEMPLATE_JSON)
    estate = build_estate(world, product, routed=3)
    for arn in estate.routed:
        assert aws.invoke(world.status_event(arn)) == (True, {"queued": 1})
    esm = mapping(aws, world, queue_url)

    first = esm.poll_once()

    assert first is not None and len(first["messageIds"]) == 3, first
    assert sorted(first["failed"]) == sorted(first["messageIds"]), first
    assert first["orderViolations"] == []
    [running] = outcomes_of(sns_messages(world, destinations, 1))
    assert (running["stack"]["arn"], running["outcome"]) == (estate.routed[0], "IMPORT_IN_PROGRESS")
    assert not world.holders(estate.routed[1]) and not world.holders(estate.routed[2]), "a later record overtook"

    # With time to follow each import to its end, the group drains in order.
    aws.start_function({**destinations["env"], "IMPORT_QUEUE_URL": queue_url}, timeout_s=60)
    batches = esm.run_until_empty(timeout=120)

    assert all(not batch["orderViolations"] for batch in batches), batches
    outcomes = [o for o in outcomes_of(sns_messages(world, destinations, 3)) if o["outcome"] == "IMPORTED"]
    assert [o["stack"]["arn"] for o in outcomes] == estate.routed, outcomes
    created = [world.catalog.describe_record(Id=o["record"]["recordId"])["RecordDetail"]["CreatedTime"]
               for o in outcomes]
    assert created == sorted(created), created


def test_without_a_queue_a_sweep_out_of_time_resumes_by_cursor_and_decides_each_stack_once(aws, world, destinations):
    # 20 s less the 8 s kept to publish, and every routed stack's artifact list takes 2.5 s: six do not fit.
    aws.start_function(destinations["env"], timeout_s=20)
    product, _ = world.product("cursor", HANDLE_TEMPLATE_JSON)
    estate = build_estate(world, product, routed=6, unrouted=2)
    request = {"dryRun": True, "stackName": f"{estate.prefix}-*"}
    aws.catalog_latency("ListProvisioningArtifacts", 2500)

    ok, first = aws.invoke({"sweep": request})

    assert ok, first
    assert first["sweep"]["complete"] is False and first["sweep"]["cursor"], first
    decided_first = first["sweep"]["stacks"]
    assert 0 < decided_first < 8

    ok, second = aws.invoke({"sweep": {**request, "cursor": first["sweep"]["cursor"]}})

    aws.clear_catalog_latency()
    assert ok, second
    sweep = second["sweep"]
    assert (sweep["complete"], sweep["id"], sweep["stacks"]) == (True, first["sweep"]["id"], 8), sweep
    assert sweep["byOutcome"] == {"PLANNED": 6, "SKIPPED": 2}, sweep
    messages = sns_messages(world, destinations, 8 + 1)
    outcomes = outcomes_of(messages)
    arns = [o["stack"]["arn"] for o in outcomes]
    assert sorted(arns) == sorted(estate.routed + estate.unrouted), "each stack decided exactly once"
    assert len(summaries_of(messages)) == 1, "the summary is published once, when the sweep completes"


def test_unknown_sweep_fields_and_an_unknown_account_are_answered_not_swept(aws, world, function):
    ok, answer = aws.invoke({"sweep": {"dryRun": True, "stackNames": ["x"]}})
    assert ok, answer
    [outcome] = answer["outcomes"]
    assert (outcome["outcome"], outcome["reason"]) == ("FAILED", "INVALID_REQUEST")

    ok, answer = aws.invoke({"sweep": {"stackName": "no-such-stack-*", "accounts": ["123456789012", "210987654321"]}})
    assert ok, answer
    assert answer["sweep"]["stacks"] == 0
    assert answer["sweep"]["failed"][0]["account"] == "210987654321", answer
    assert answer["sweep"]["complete"] is True
