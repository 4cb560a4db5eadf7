"""`make demo`: watch the function import a real CloudFormation stack on this machine, with no AWS account.

Starts local AWS (moto + the Service Catalog emulator), creates a product and two stacks, runs the `bootstrap`
cargo-lambda built behind a local Lambda Runtime API (e2e/runtime_api.py), sends it the stacks' status events, and
shows each decision, the provisioned product the catalog now lists, and the outcome messages that arrived through SNS
and EventBridge. Exits non-zero if the flow did not work.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from localaws import ROOT, LocalAws
from world import EVENT_SOURCE, QUEUE_TEMPLATE_JSON, QUEUE_TEMPLATE_YAML, TOPIC_TEMPLATE_YAML, World

BOLD, GREEN, RED, DIM, RESET = ("\033[1m", "\033[32m", "\033[31m", "\033[2m", "\033[0m") if sys.stdout.isatty() else ("",) * 5


def step(text: str) -> None:
    print(f"{BOLD}==>{RESET} {text}", flush=True)


def detail(text: str) -> None:
    print(f"    {text}", flush=True)


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
