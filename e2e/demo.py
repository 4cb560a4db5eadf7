"""`make demo`: watch the function import a real CloudFormation stack on this machine, with no AWS account.

Act 1: starts local AWS (moto + the Service Catalog emulator), creates a product and two stacks, runs the
`bootstrap` cargo-lambda built behind a local Lambda Runtime API (e2e/runtime_api.py), sends it the stacks' status
events, and shows each decision, the provisioned product the catalog now lists, and the outcome messages that arrived
through SNS and EventBridge.

Act 2: the existing estate. Twelve stacks that were never announced by an event (some importable, some nested, one a
StackSet instance, one already provisioned, some nobody routes); a dry-run sweep, its summary, then the sweep for real
with the imports arriving through the SQS FIFO import queue, consumed by the local event source mapping (e2e/esm.py).

Exits non-zero if either act did not work.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from esm import EventSourceMapping
from estate import HANDLE_TEMPLATE_JSON, build_estate
from localaws import ROOT, LocalAws
from world import EVENT_SOURCE, QUEUE_TEMPLATE_JSON, QUEUE_TEMPLATE_YAML, TOPIC_TEMPLATE_YAML, World

BOLD, GREEN, RED, DIM, RESET = ("\033[1m", "\033[32m", "\033[31m", "\033[2m", "\033[0m") if sys.stdout.isatty() else ("",) * 5


def step(text: str) -> None:
    print(f"{BOLD}==>{RESET} {text}", flush=True)


def detail(text: str) -> None:
    print(f"    {text}", flush=True)


def sweep_act(aws: LocalAws, world: World, topic: str, bus: str, sns_queue: str, expect) -> None:
    print()
    step(f"{BOLD}act 2: the estate that already exists{RESET}")
    step("twelve stacks created before the function was there (no event will ever announce them)")
    product, _ = world.product("estate-handle", HANDLE_TEMPLATE_JSON)
    estate = build_estate(world, product, routed=4, unrouted=2, opted_out=1, nested=1, stackset=1, held=1,
                          not_importable=1, prefix="estate")
    for label, arns in (
        ("tagged for the product", estate.routed),
        ("no routing tag", estate.unrouted),
        ("tagged sc-import:skip=true", estate.opted_out),
        ("nested: parent, child", [*estate.nested_parents, *(n.child_arn for n in estate.nested)]),
        ("StackSet instance", estate.stackset),
        ("already a provisioned product", [held["arn"] for held in estate.held]),
        ("REVIEW_IN_PROGRESS (not importable)", estate.not_importable),
    ):
        detail(f"{label:38} {', '.join(arn.split('/')[1] for arn in arns)}")

    step("the function with the SQS FIFO import queue (IMPORT_QUEUE_URL), one message group per account:region")
    queue_url, _ = world.import_queue(max_receive_count=5, visibility_timeout=5)
    aws.start_function({"OUTCOME_TOPIC_ARN": topic, "OUTCOME_EVENT_BUS": bus, "OUTCOME_EVENT_SOURCE": EVENT_SOURCE,
                        "IMPORT_QUEUE_URL": queue_url})
    world.drain(sns_queue, 100, timeout=1)  # act 1's leftovers

    summaries = {}
    for dry_run in (True, False):
        request = {"sweep": {"dryRun": dry_run, "stackName": "*estate*"}}
        step(f"invoke {json.dumps(request)}")
        ok, answer = aws.invoke(request)
        summary = answer.get("sweep", {}) if isinstance(answer, dict) else {}
        summaries[dry_run] = summary
        detail(json.dumps({k: summary.get(k) for k in ("stacks", "queued", "byOutcome", "byReason", "complete")}))
        if not ok:
            detail(f"{RED}the invocation returned an error: {answer}{RESET}")
        step(f"the local event source mapping takes the {summary.get('queued')} queued work items, one batch at a time")
        with EventSourceMapping(world.sqs, queue_url, aws.invoke, max_concurrency=1) as esm:
            batches = esm.wait_idle(timeout=120)
        for batch in batches:
            detail(f"batch of {len(batch['messageIds'])} (group {sorted(set(batch['groups']))}): {batch['result']}")
        received = [json.loads(m["Message"]) for m in world.drain(sns_queue, summary.get("stacks", 0) + 1)]
        for outcome in sorted((o for o in received if "outcome" in o), key=lambda o: (o["outcome"], o["stack"]["name"])):
            if outcome["outcome"] != "SKIPPED":
                detail(f"{outcome['outcome']:9} {outcome['reason']:19} {outcome['stack']['name']}")
        summaries[(dry_run, "received")] = received

    step("what the catalog lists now for the estate")
    estate_products = [pp for pp in world.provisioned_products() if "estate" in (pp.get("Name") or "")]
    for pp in estate_products:
        detail(f"{pp.get('Name')} {pp.get('Status')}")

    step("checks")
    dry, real = summaries[True], summaries[False]
    expect(dry.get("stacks") == 11 and dry.get("queued") == 4, "the dry run saw 11 importable stacks and queued the 4 routed ones")
    expect(dry.get("byReason") == {"NO_ROUTE": 3, "OPTED_OUT": 1, "NESTED_STACK": 1, "STACKSET_INSTANCE": 1,
                                   "ALREADY_PROVISIONED": 1}, "the dry run skipped the 7 others, each for its reason")
    planned = [o for o in summaries[(True, "received")] if o.get("outcome") == "PLANNED"]
    expect(len(planned) == 4, "the 4 queued stacks were PLANNED through the queue, nothing imported")
    imported = {o["stack"]["arn"] for o in summaries[(False, "received")] if o.get("outcome") == "IMPORTED"}
    expect(imported == set(estate.routed), "the sweep for real imported the 4 routed stacks through the queue")
    expect(all(world.holders(arn) for arn in estate.routed), "the catalog lists a provisioned product for each of them")


def main() -> int:
    failures: list[str] = []

    def expect(condition: bool, what: str) -> None:
        mark = f"{GREEN}ok{RESET}" if condition else f"{RED}FAILED{RESET}"
        detail(f"[{mark}] {what}")
        if not condition:
            failures.append(what)

    logs = ROOT / "target" / "demo-logs"
    step("starting local AWS on 127.0.0.1 (moto + Service Catalog emulator)")
    with LocalAws(logs=logs) as aws:
        detail(f"moto (CloudFormation, S3, SNS, SQS, EventBridge): {aws.moto_url}")
        detail(f"Service Catalog emulator: {aws.catalog_url}")
        world = World(aws)

        step("creating a Service Catalog product whose artifact holds the queue template (JSON, in S3)")
        product, artifact = world.product("payments-queue", QUEUE_TEMPLATE_JSON)
        detail(f"product {product}, artifact {artifact}")

        step("creating two CloudFormation stacks outside the catalog")
        tagged = world.stack("payments-api", QUEUE_TEMPLATE_YAML, {"sc-import:product-id": product, "team": "payments"})
        detail(f"payments-api  (YAML, short-form tags; tagged sc-import:product-id={product})")
        untagged = world.stack("scratch-topic", TOPIC_TEMPLATE_YAML, {"team": "sandbox"})
        detail("scratch-topic (no routing tag, no rule: must be skipped)")

        step("outcome destinations: SNS topic -> SQS queue, EventBridge bus -> rule -> SQS queue")
        topic, sns_queue = world.outcome_topic()
        bus, events_queue = world.outcome_bus()
        detail(f"topic {topic}")
        detail(f"bus {bus}")

        step("running the bootstrap cargo-lambda built, behind a local Lambda Runtime API (60 s timeout)")
        aws.start_function({"OUTCOME_TOPIC_ARN": topic, "OUTCOME_EVENT_BUS": bus, "OUTCOME_EVENT_SOURCE": EVENT_SOURCE})

        answers = {}
        for name, arn in (("payments-api", tagged), ("scratch-topic", untagged)):
            step(f"EventBridge delivers CREATE_COMPLETE for {name}; waiting for the function's answer")
            started = time.monotonic()
            ok, answer = aws.invoke(world.status_event(arn))
            outcome = (answer.get("outcomes") or [{}])[0] if isinstance(answer, dict) else {}
            answers[name] = outcome
            detail(f"{outcome.get('outcome')}/{outcome.get('reason')} in {time.monotonic() - started:.1f} s: {outcome.get('message')}")
            if outcome.get("record"):
                detail(f"{DIM}record {json.dumps(outcome['record'])}{RESET}")
            if not ok:
                detail(f"{RED}the invocation returned an error: {answer}{RESET}")

        step("what the catalog lists now")
        products = world.provisioned_products()
        for pp in products:
            detail(f"{pp.get('Name')} {pp.get('Id')} {pp.get('Status')} physicalId={pp.get('PhysicalId')}")

        step("outcomes received through SNS -> SQS and EventBridge -> SQS")
        via_sns = [json.loads(m["Message"]) for m in world.drain(sns_queue, 2)]
        via_events = [m["detail"] for m in world.drain(events_queue, 2)]
        for source, received in (("SNS", via_sns), ("EventBridge", via_events)):
            for outcome in received:
                detail(f"{source:11} {outcome['outcome']:9} {outcome['reason']:19} {outcome.get('stack', {}).get('name')}")

        step("checks")
        expect(answers["payments-api"].get("outcome") == "IMPORTED", "payments-api was IMPORTED")
        expect(answers["scratch-topic"].get("outcome") == "SKIPPED", "scratch-topic was SKIPPED (NO_ROUTE)")
        expect(any(pp.get("PhysicalId") == tagged for pp in products), "the catalog lists payments-api's provisioned product")
        for source, received in (("SNS", via_sns), ("EventBridge", via_events)):
            got = {(o["stack"]["name"], o["outcome"]) for o in received}
            expect(got == {("payments-api", "IMPORTED"), ("scratch-topic", "SKIPPED")}, f"both outcomes came back through {source}")

        sweep_act(aws, world, topic, bus, sns_queue, expect)

    step("local AWS stopped")
    if failures:
        print(f"{RED}{BOLD}demo failed:{RESET} {', '.join(failures)} (logs in {logs})")
        return 1
    print(f"{GREEN}{BOLD}demo passed{RESET}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\ninterrupted; local AWS stopped")
        sys.exit(130)
