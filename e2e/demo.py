"""`make demo`: watch the function import a real CloudFormation stack on this machine, with no AWS account.

Act 1: starts local AWS (moto + the Service Catalog emulator), creates a product and two stacks, runs the
`bootstrap` cargo-lambda built behind a local Lambda Runtime API (e2e/runtime_api.py), sends it the stacks' status
events, and shows each decision, the provisioned product the catalog now lists, and the outcome messages that arrived
through SNS and EventBridge.

Act 2: the existing estate. Twelve stacks that were never announced by an event (some importable, some nested, one a
StackSet instance, one already provisioned, some nobody routes); a dry-run sweep, its summary, then the sweep for real
with the imports arriving through the SQS FIFO import queue, consumed by the local event source mapping (e2e/esm.py).

Act 3: the organization hub. A stack created in a member account (210987654321, eu-west-1, with the credentials
moto's STS hands out for the member role there) and a product in that account's catalog; its status event as the
hub's bus delivers it (the member's `account` and `region`) goes to the function, now started with
MEMBER_ROLE_NAME, which queues it in the `210987654321:eu-west-1` message group, assumes the member role and imports
the stack in the member's own catalog; the outcome, with the member's account and region, reaches the hub's SNS
topic and EventBridge bus. STS calls go through a counting gate (e2e/sts_gate.py) to show the role is assumed once,
not once per event.

Act 4: discovery and new versions (docs/CONTRACT.md §9). A product `ledger-queue` whose one artifact holds the
ledger's queue template, and two stacks: `ledger-api`, of that template with no routing tag and no rule, and
`ledger-worker`, tagged for the product but drifted from it by one extra resource (an SNS topic). The function, now
with DISCOVERY=on, NEW_VERSION_ON_MISMATCH=on and ARTIFACT_INDEX_TABLE (a DynamoDB table in moto), finds ledger-api's
product by its template's fingerprint among every product of the account and region and imports it; for
ledger-worker it creates a new version of the product from the stack (CreateProvisioningArtifact with
ImportFromPhysicalId), waits until it is AVAILABLE and imports the stack into it. Shows both outcomes, the discovery
index the function built (its log line) and kept (the table), and the product's artifacts before and after.

Exits non-zero if any act did not work.
"""

from __future__ import annotations

import json
import re
import sys
import time

from esm import EventSourceMapping
from estate import HANDLE_TEMPLATE_JSON, build_estate
from localaws import ACCOUNT, MEMBER_ROLE_NAME, REGION, ROOT, LocalAws
from sts_gate import StsGate
from world import (
    EVENT_SOURCE,
    INDEX_FIELDS,
    LEDGER_DRIFTED_TEMPLATE_YAML,
    LEDGER_TEMPLATE_JSON,
    LEDGER_TEMPLATE_YAML,
    QUEUE_TEMPLATE_JSON,
    QUEUE_TEMPLATE_YAML,
    TOPIC_TEMPLATE_YAML,
    World,
    discovery_index_builds,
)

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
    dry = summaries[True]
    expect(dry.get("stacks") == 11 and dry.get("queued") == 4, "the dry run saw 11 importable stacks and queued the 4 routed ones")
    expect(dry.get("byReason") == {"NO_ROUTE": 3, "OPTED_OUT": 1, "NESTED_STACK": 1, "STACKSET_INSTANCE": 1,
                                   "ALREADY_PROVISIONED": 1}, "the dry run skipped the 7 others, each for its reason")
    planned = [o for o in summaries[(True, "received")] if o.get("outcome") == "PLANNED"]
    expect(len(planned) == 4, "the 4 queued stacks were PLANNED through the queue, nothing imported")
    imported = {o["stack"]["arn"] for o in summaries[(False, "received")] if o.get("outcome") == "IMPORTED"}
    expect(imported == set(estate.routed), "the sweep for real imported the 4 routed stacks through the queue")
    expect(all(world.holders(arn) for arn in estate.routed), "the catalog lists a provisioned product for each of them")


HUB_MEMBER = "210987654321"
HUB_MEMBER_REGION = "eu-west-1"


def hub_act(aws: LocalAws, world: World, topic: str, bus: str, sns_queue: str, events_queue: str, expect) -> None:
    print()
    step(f"{BOLD}act 3: the organization hub{RESET}")
    step(f"a member account {HUB_MEMBER} in {HUB_MEMBER_REGION}: its own product and a stack created there")
    member = world.as_account(HUB_MEMBER, HUB_MEMBER_REGION)
    detail(f"credentials for {HUB_MEMBER} from moto's STS AssumeRole on "
           f"arn:aws:iam::{HUB_MEMBER}:role/{MEMBER_ROLE_NAME}")
    product, artifact = member.product("orders-queue", QUEUE_TEMPLATE_JSON)
    detail(f"product {product}, artifact {artifact} (in the member's catalog, {HUB_MEMBER_REGION})")
    arn = member.stack("orders-api", QUEUE_TEMPLATE_YAML, {"sc-import:product-id": product, "team": "orders"})
    detail(f"orders-api {arn}")

    step(f"the function as the hub: MEMBER_ROLE_NAME={MEMBER_ROLE_NAME}, the import queue, STS through a counting gate")
    queue_url, _ = world.import_queue(max_receive_count=5, visibility_timeout=5)
    gate = StsGate(aws.moto_url)
    try:
        aws.start_function({"OUTCOME_TOPIC_ARN": topic, "OUTCOME_EVENT_BUS": bus, "OUTCOME_EVENT_SOURCE": EVENT_SOURCE,
                            "IMPORT_QUEUE_URL": queue_url, "MEMBER_ROLE_NAME": MEMBER_ROLE_NAME,
                            "AWS_ENDPOINT_URL_STS": gate.url})
        world.drain(sns_queue, 100, timeout=1)  # act 2's leftovers
        world.drain(events_queue, 100, timeout=2)

        event = World.forwarded_event(arn)
        step(f"the member's rule forwards CREATE_COMPLETE to the hub's bus: account {event['account']}, "
             f"region {event['region']}")
        ok, answer = aws.invoke(event)
        detail(f"answer {json.dumps(answer)}")
        if not ok:
            detail(f"{RED}the invocation returned an error: {answer}{RESET}")
        step("the local event source mapping takes it from the FIFO queue")
        with EventSourceMapping(world.sqs, queue_url, aws.invoke, max_concurrency=1) as esm:
            batches = esm.wait_idle(timeout=60)
        groups = sorted({group for batch in batches for group in batch["groups"]})
        for batch in batches:
            detail(f"batch of {len(batch['messageIds'])} (group {sorted(set(batch['groups']))}): {batch['result']}")

        step("outcomes received at the hub through SNS -> SQS and EventBridge -> SQS")
        via_sns = [json.loads(m["Message"]) for m in world.drain(sns_queue, 1)]
        via_events = [m["detail"] for m in world.drain(events_queue, 1)]
        for source, received in (("SNS", via_sns), ("EventBridge", via_events)):
            for outcome in received:
                stack = outcome.get("stack", {})
                detail(f"{source:11} {outcome.get('outcome'):9} {outcome.get('reason'):19} {stack.get('name')} "
                       f"account={stack.get('account')} region={stack.get('region')}")
        outcome = via_sns[0] if via_sns else {}
        if outcome:
            detail(f"{DIM}{json.dumps(outcome)}{RESET}")

        step("a later status event of the same stack (UPDATE_COMPLETE), through the queue again")
        again_ok, again = aws.invoke(World.forwarded_event(arn, "UPDATE_COMPLETE"))
        with EventSourceMapping(world.sqs, queue_url, aws.invoke, max_concurrency=1) as esm:
            esm.wait_idle(timeout=60)
        repeated = [json.loads(m["Message"]) for m in world.drain(sns_queue, 1)]
        world.drain(events_queue, 1, timeout=2)
        for received in repeated:
            detail(f"{received.get('outcome')}/{received.get('reason')}: {received.get('message')}")
        assumed = gate.counts()
        detail(f"STS AssumeRole calls by account: {assumed} (credentials kept until 5 minutes before they expire)")

        step("what the catalogs list for orders-api")
        member_holders = member.holders_of(arn)
        for pp in member_holders:
            detail(f"member {HUB_MEMBER} {HUB_MEMBER_REGION}: {pp.get('Name')} {pp.get('Id')} {pp.get('Status')}")
        hub_holders = world.holders_of(arn) + world.as_account(ACCOUNT, HUB_MEMBER_REGION).holders_of(arn)
        detail(f"hub {ACCOUNT} ({REGION}, {HUB_MEMBER_REGION}): {len(hub_holders)} provisioned products for it")
    finally:
        aws.stop_function()
        gate.close()

    step("checks")
    expect(ok and answer == {"queued": 1}, "the forwarded event was queued")
    expect(groups == [f"{HUB_MEMBER}:{HUB_MEMBER_REGION}"],
           f"in the member's message group {HUB_MEMBER}:{HUB_MEMBER_REGION}")
    expect((outcome.get("outcome"), outcome.get("reason")) == ("IMPORTED", "RECORD_SUCCEEDED"),
           "orders-api was IMPORTED")
    expect((outcome.get("stack", {}).get("account"), outcome.get("stack", {}).get("region"))
           == (HUB_MEMBER, HUB_MEMBER_REGION), "the outcome names the member's account and region")
    expect(via_events == via_sns and len(via_sns) == 1, "the same outcome came back through SNS and EventBridge")
    expect(len(member_holders) == 1 and member_holders[0].get("ProductId") == product
           and member_holders[0].get("Status") == "AVAILABLE",
           "the member's catalog lists orders-api's provisioned product")
    expect(not hub_holders, "the hub's catalogs do not")
    expect(again_ok and [r.get("id") for r in repeated] == [outcome.get("id")],
           "the later event reported the same import (same outcome id), nothing imported twice")
    expect(assumed == {HUB_MEMBER: 1}, "the member role was assumed once for both events")


def discovery_act(aws: LocalAws, world: World, topic: str, bus: str, sns_queue: str, events_queue: str,
                  expect) -> None:
    print()
    step(f"{BOLD}act 4: discovery and new versions{RESET}")
    step("a product whose only artifact holds the ledger's queue template (JSON, in S3)")
    product, v1 = world.product("ledger-queue", LEDGER_TEMPLATE_JSON)
    detail(f"ledger-queue {product}, artifact v1 {v1}")
    step("two stacks created outside the catalog")
    found = world.stack("ledger-api", LEDGER_TEMPLATE_YAML, {"team": "ledger"})
    detail("ledger-api     the product's template (YAML); no routing tag, no rule routes it")
    drifted = world.stack("ledger-worker", LEDGER_DRIFTED_TEMPLATE_YAML,
                          {"sc-import:product-id": product, "team": "ledger"})
    detail(f"ledger-worker  the product's template plus an SNS topic (drifted); tagged sc-import:product-id={product}")

    table = world.artifact_index_table()
    step(f"the function with DISCOVERY=on, NEW_VERSION_ON_MISMATCH=on, ARTIFACT_INDEX_TABLE={table} (DynamoDB)")
    answers: dict[str, dict] = {}
    try:
        aws.start_function({"OUTCOME_TOPIC_ARN": topic, "OUTCOME_EVENT_BUS": bus, "OUTCOME_EVENT_SOURCE": EVENT_SOURCE,
                            "DISCOVERY": "on", "NEW_VERSION_ON_MISMATCH": "on", "ARTIFACT_INDEX_TABLE": table})
        for name, arn in (("ledger-api", found), ("ledger-worker", drifted)):
            step(f"EventBridge delivers CREATE_COMPLETE for {name}; waiting for the function's answer")
            started = time.monotonic()
            ok, answer = aws.invoke(world.status_event(arn))
            outcome = (answer.get("outcomes") or [{}])[0] if isinstance(answer, dict) else {}
            answers[name] = outcome
            detail(f"{outcome.get('outcome')}/{outcome.get('reason')} in {time.monotonic() - started:.1f} s: "
                   f"{outcome.get('message')}")
            detail(f"{DIM}target {json.dumps(outcome.get('target'))}{RESET}")
            if not ok:
                detail(f"{RED}the invocation returned an error: {answer}{RESET}")
        builds = discovery_index_builds(aws.function_log())
    finally:
        aws.stop_function()
    world.drain(sns_queue, 100, timeout=1)
    world.drain(events_queue, 100, timeout=1)

    step("the discovery index: built once from every product of the account and region, kept in DynamoDB")
    for build in builds:
        detail(" ".join(f"{key}={build[key]}" for key in ("account", "region", *INDEX_FIELDS, "ms") if key in build))
    kept = world.index_items(table)
    detail(f"{len(kept)} artifact fingerprints in {table}")
    step("ledger-queue's artifacts now")
    artifacts = world.artifacts(product)
    for artifact in artifacts:
        detail(f"{artifact['Id']} {artifact['Name']:22} {artifact.get('Description', '')}")
    step("what the catalog lists for the two stacks")
    holders = {name: world.holders_of(arn) for name, arn in (("ledger-api", found), ("ledger-worker", drifted))}
    for name, held in holders.items():
        for pp in held:
            detail(f"{name:14} {pp.get('Id')} {pp.get('Status')} product {pp.get('ProductId')} "
                   f"artifact {pp.get('ProvisioningArtifactId')}")

    step("checks")
    discovered, versioned = answers.get("ledger-api", {}), answers.get("ledger-worker", {})
    target = discovered.get("target", {})
    expect(discovered.get("outcome") == "IMPORTED" and "discovered" in discovered.get("message", "")
           and (target.get("productId"), target.get("provisioningArtifactId")) == (product, v1),
           "ledger-api (no tag, no rule) was discovered and IMPORTED into ledger-queue's v1")
    created = versioned.get("target", {}).get("provisioningArtifactId")
    expect(versioned.get("outcome") == "IMPORTED" and versioned.get("target", {}).get("versionCreated") is True
           and created not in (None, v1), "ledger-worker (drifted) got a new version and was IMPORTED into it")
    expect([a["Id"] for a in artifacts] == [v1, created] and re.fullmatch(r"imported-[0-9a-f]{12}",
                                                                           artifacts[-1]["Name"]) is not None,
           "ledger-queue lists v1 and exactly one new version, imported-<fingerprint>")
    expect(bool(builds) and v1 in {item.get("artifactId") for item in kept},
           "the function logged its discovery index and kept ledger-queue's fingerprint in the table")
    expect([pp.get("ProvisioningArtifactId") for pp in holders["ledger-api"]] == [v1]
           and [pp.get("ProvisioningArtifactId") for pp in holders["ledger-worker"]] == [created],
           "the catalog lists each stack's provisioned product, on its artifact")


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
        hub_act(aws, world, topic, bus, sns_queue, events_queue, expect)
        discovery_act(aws, world, topic, bus, sns_queue, events_queue, expect)

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
