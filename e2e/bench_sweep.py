"""`make bench-sweep`: how the sweep (docs/CONTRACT.md §1d) and the import queue (§7) perform on local AWS — moto +
the Service Catalog emulator, with the function's `bootstrap` behind the harness's Runtime API (e2e/localaws.py), as
the end-to-end suite runs them. Not part of the pytest suite (it must not run in CI): `python e2e/bench_sweep.py
[--stacks 2000]`. Prints a table and writes every figure to target/bench-sweep.json.

1. A dry-run sweep of N stacks in one account and region. The estate (e2e/estate.py), under one name prefix:
   90 % routed (tag `sc-import:product-id`) to one product whose only artifact is HANDLE_TEMPLATE_JSON, the
   stacks' template in another form (so each one is PLANNED); 2 held by a provisioned product (ALREADY_PROVISIONED),
   2 nested parent/child pairs (parents NO_ROUTE, children NESTED_STACK), 2 StackSet instances; the rest half
   unrouted (NO_ROUTE), half opted out (OPTED_OUT); plus 2 stacks in REVIEW_IN_PROGRESS, which a sweep never lists
   (not counted in N). A fresh function process (IMPORT_QUEUE_URL = a FIFO queue, OUTCOME_TOPIC_ARN = an SNS topic
   with an SQS subscriber, timeout 300 s) answers one `{"sweep":{"dryRun":true,"stackName":"*<prefix>*"}}`.
   Reported: the invocation's wall time, the summary's counts (checked against the estate), every AWS request the
   function made by service and operation — counted by a forwarding HTTP proxy (e2e/forward_proxy.py) between the
   function and moto/the emulator (`AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_SERVICE_CATALOG` point at it) — and per
   stack, and the function process's peak resident memory (VmHWM in /proc/<pid>/status) read right after the answer.
2. The queued dry-run items drained through esm.EventSourceMapping (one poller: the harness runs one execution
   environment). The first 10 batches go through the sweep's function process and the proxy, one by one, to count
   AWS requests and artifact template GETs per item; the rest, timed, through a fresh process without the proxy
   (its Python hop costs about a third of the dry-run throughput on 2 cores): items/second and total time. Every
   routed stack's outcome must be PLANNED.
3. Real imports (dryRun false) of a smaller estate (40 routed stacks by default) with the emulator's
   ImportAsProvisionedProduct answer held back a fixed time (its control endpoint, `catalog_latency`) and records
   that take two record steps: imports/minute for the one account:region group, the time per import, and that every
   stack ended IMPORTED and is held by an AVAILABLE provisioned product.
4. Two account:region groups in parallel — a SIMULATION of the queue and the mapping, not of the function: the local
   stack has one account and the emulator one region. The real EventSourceMapping over a real moto FIFO queue, with a
   fake `invoke` that sleeps step 3's measured time per import for each record and answers no batchItemFailures:
   40 items in one group vs 20 + 20 in two groups (`111111111111:us-east-1`, `222222222222:us-east-1`, each group's
   items sent together, as a sweep queues one account and region after another), max_concurrency = 2. Reported: both
   wall times, the speed-up, and whether a group ever had two batches in flight at once (the fake invoke's own count,
   and the ESM's batch log). `--interleaved` adds a run whose sends alternate between the groups: moto's FIFO
   ReceiveMessage takes messages in queue order, so one batch holds both groups and blocks both (real SQS returns
   as many messages of one group as it can), which serializes the groups — a limit of moto, not of the design.

moto: LocalAws's moto server (estate.py's, with its two fixes) plus `patch_moto_sqs_speed`: stock moto 5.2.5 makes each
SendMessageBatch into a FIFO queue cost time proportional to the queue's depth (~0.6 s at 250 messages), so the
2,000-stack sweep would measure moto, not the function, and overrun the function's 300 s. `--stock-moto` leaves it out.

The proxy adds one loopback HTTP hop (Python) to each of the function's AWS requests in steps 1 and 3 (and part 2's
sample); part 3's throughput includes it (negligible next to the import's own time). `--direct` runs everything
without it (no call counts). Artifact template GETs go from the function straight to a local template server (the
URL is fetched as given), which counts them.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

from bench_report import conclude, save, say
from esm import EventSourceMapping
from estate import HANDLE_TEMPLATE_JSON, build_estate, patched_moto_server
from forward_proxy import Proxies, calls
from localaws import ACCOUNT, REGION, ROOT, LocalAws, free_port, listening, start, wait_until
from world import TemplateServer, World

FUNCTION_TIMEOUT_S = 300.0
SIM_GROUPS = ("111111111111:us-east-1", "222222222222:us-east-1")
MEMORY_TARGET_MB = 64.0
LOOKUP_CALLS_PER_STACK_TARGET = 2.0


# ---- moto, faster -------------------------------------------------------------------------------------------------
def patch_moto_sqs_speed() -> None:
    """Makes moto 5.2.5's SQS (in this process) answer in time that does not grow ~10 ms per 100 queued messages:
    every SendMessage(Batch) entry to a FIFO queue reads `Queue.attributes` (for ContentBasedDeduplication) several
    times, and each read counts the queue's messages three times, each message's `visible`/`delayed` building
    datetimes (moto.core.utils.unix_time). Measured here: a SendMessageBatch of 10 into a FIFO queue holding 250
    messages takes ~0.6 s, so queuing 1,800 work items costs moto ~400 s — longer than the function's timeout. Same
    answers, computed with one clock read per count (about 20 ms per batch at 1,800 deep, 2 s for the whole sweep).
    Idempotent."""
    import functools

    import moto.sqs.models as models

    if getattr(models.Queue, "_sc_speed_patch", False):
        return

    def now_ms() -> float:
        return time.time() * 1000.0

    def ready(queue) -> list:
        now = now_ms()
        return [m for m in queue._messages if now > m.visible_at and now >= m.delayed_until]

    models.Message.visible = property(lambda message: now_ms() > message.visible_at)
    models.Message.delayed = property(lambda message: now_ms() < message.delayed_until)
    models.Queue.messages = property(ready)
    models.Queue.approximate_number_of_messages = property(lambda queue: len(ready(queue)))
    models.Queue.approximate_number_of_messages_delayed = property(
        lambda queue: sum(1 for m in queue._messages if now_ms() < m.delayed_until))
    models.Queue.approximate_number_of_messages_not_visible = property(
        lambda queue: (lambda now: sum(1 for m in queue._messages if not now > m.visible_at))(now_ms()))
    models.camelcase_to_underscores = functools.lru_cache(maxsize=None)(models.camelcase_to_underscores)
    models.Queue._sc_speed_patch = True


class BenchAws(LocalAws):
    """LocalAws whose moto server is estate.py's (nested stacks, FIFO redelivery order) with `patch_moto_sqs_speed`
    too; the emulator and the function as LocalAws starts them."""

    def _start_aws(self) -> None:
        moto_port = free_port()
        command = [sys.executable, str(Path(__file__).resolve()), "moto-server",
                   "-H", "127.0.0.1", "-p", str(moto_port)]
        moto = start("moto", command, self.logs)
        self.processes.append(moto)
        self.moto_url = f"http://127.0.0.1:{moto_port}"
        wait_until("moto server", lambda: listening(moto_port) and moto.popen.poll() is None)
        self._start_catalog()


# ---- helpers ----------------------------------------------------------------------------------------------------
def proc_status_kb(pid: int | None, field: str) -> int | None:
    if pid is None:
        return None
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def mb(kb: int | None) -> float | None:
    return None if kb is None else round(kb / 1024, 1)


def sns_outcomes(world: World, queue_url: str, expected: int, timeout: float = 60.0) -> list[dict]:
    """The SNS envelopes that reached the topic's queue, read without deleting (each stays invisible for an hour, so
    is read once)."""
    envelopes: list[dict] = []
    deadline = time.monotonic() + timeout
    empty = 0
    while len(envelopes) < expected and time.monotonic() < deadline:
        answer = world.sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=3600)
        messages = answer.get("Messages", [])
        empty = 0 if messages else empty + 1
        if empty >= 5:
            break
        envelopes.extend(json.loads(message["Body"]) for message in messages)
    return envelopes


def split_envelopes(envelopes: list[dict]) -> tuple[list[dict], list[dict]]:
    """(outcomes, sweep summaries)."""
    outcomes, summaries = [], []
    for envelope in envelopes:
        kind = envelope.get("MessageAttributes", {}).get("outcome", {}).get("Value")
        (summaries if kind == "SWEEP_SUMMARY" else outcomes).append(envelope if kind == "SWEEP_SUMMARY"
                                                                     else json.loads(envelope["Message"]))
    return outcomes, summaries


def all_provisioned_products(world: World) -> list[dict]:
    products, token = [], None
    while True:
        page = {"PageToken": token} if token else {}
        answer = world.catalog.search_provisioned_products(
            AccessLevelFilter={"Key": "Account", "Value": "self"}, PageSize=100, **page)
        products.extend(answer.get("ProvisionedProducts", []))
        token = answer.get("NextPageToken")
        if not token:
            return products


def drain(esm: EventSourceMapping, expected_items: int, timeout: float) -> dict:
    """Runs the mapping until the queue is empty, or until only records left for retry remain (then stops: they would
    come back only after the visibility timeout). Returns the wall time and the batch log's totals."""
    started = time.monotonic()
    esm.start()
    stopped_early = ""
    try:
        while True:
            time.sleep(0.1)
            if esm.idle():
                break
            batches = esm.batches
            if time.monotonic() - started > timeout:
                stopped_early = f"timeout after {timeout:.0f} s"
                break
            if all("ended" in b for b in batches) and any(b["failed"] for b in batches):
                depth = esm.depth()
                if depth["visible"] == 0 and depth["delayed"] == 0 and depth["in_flight"] > 0:
                    stopped_early = f"{depth['in_flight']} record(s) left for retry (invisible until their timeout)"
                    break
    finally:
        esm.stop()
    seconds = time.monotonic() - started
    batches = esm.batches
    records = sum(len(b.get("messageIds", [])) for b in batches)
    deleted = sum(len(b.get("deleted", [])) for b in batches)
    results = Counter(b.get("result") for b in batches)
    return {
        "seconds": round(seconds, 2),
        "batches": len(batches),
        "records_received": records,
        "records_deleted": deleted,
        "expected_items": expected_items,
        "results": dict(results),
        "failed_records": sum(len(b.get("failed", [])) for b in batches),
        "order_violations": sum(len(b.get("orderViolations", [])) for b in batches),
        "poller_errors": esm.errors[-3:],
        "stopped_early": stopped_early,
        "batch_seconds_max": round(max((b["ended"] - b["started"] for b in batches if "ended" in b), default=0.0), 2),
        "_log": batches,
    }


def estate_mix(stacks: int) -> dict[str, int]:
    """N importable stacks: 90 % routed, 2 held, 2 nested pairs (4 stacks), 2 StackSet instances, the rest half
    unrouted, half opted out; plus 2 not importable (not part of N)."""
    special = {"held": 2, "nested": 2, "stackset": 2} if stacks >= 40 else {"held": 0, "nested": 0, "stackset": 0}
    routed = int(stacks * 0.9)
    rest = stacks - routed - special["held"] - 2 * special["nested"] - special["stackset"]
    if rest < 0:
        raise SystemExit(f"--stacks {stacks} is too small")
    return {"routed": routed, "unrouted": rest - rest // 2, "opted_out": rest // 2, **special, "not_importable": 2}


def binary_freshness(binary: Path) -> dict:
    built = binary.stat().st_mtime if binary.exists() else 0.0
    newer = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "src").rglob("*.rs") if p.stat().st_mtime > built)
    return {"path": str(binary.relative_to(ROOT)) if binary.is_relative_to(ROOT) else str(binary),
            "built": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(built)) if built else None,
            "sources_newer_than_binary": newer}


# ---- the four parts ---------------------------------------------------------------------------------------------
def part_sweep(aws: LocalAws, world: World, proxies: Proxies, templates: TemplateServer, product: str,
               stacks: int, problems: list[str]) -> dict:
    mix = estate_mix(stacks)
    say(f"\n[1] estate of {stacks} stacks: {mix}")
    estate = build_estate(world, product, **mix)
    say(f"    built in {estate.seconds:.1f} s")
    assert len(estate.all_importable_status) == stacks, (len(estate.all_importable_status), stacks)

    topic, sns_queue = world.outcome_topic()
    queue_url, dlq_url = world.import_queue(max_receive_count=3, visibility_timeout=600)
    # A fresh process, so that its peak memory is the sweep's.
    aws.start_function({**proxies.env, "OUTCOME_TOPIC_ARN": topic, "IMPORT_QUEUE_URL": queue_url},
                       timeout_s=FUNCTION_TIMEOUT_S)
    pid = aws.function_pid
    time.sleep(0.5)
    rss_idle_kb = proc_status_kb(pid, "VmRSS")
    proxies.reset()

    # `*<prefix>*`: StackSet instances are named `StackSet-<prefix>-set<n>-<uuid>`.
    request = {"sweep": {"dryRun": True, "stackName": f"*{estate.prefix}*"}}
    started = time.monotonic()
    ok, answer = aws.invoke(request, timeout=FUNCTION_TIMEOUT_S + 30)
    sweep_s = time.monotonic() - started
    hwm_kb, rss_kb = proc_status_kb(pid, "VmHWM"), proc_status_kb(pid, "VmRSS")
    if aws.function_pid != pid:
        problems.append("sweep: the function process was replaced during the sweep (timeout?); "
                        "VmHWM is not the sweep's")
    traffic = proxies.take()
    sweep = answer.get("sweep", {}) if ok and isinstance(answer, dict) else {}
    say(f"    sweep answered in {sweep_s:.2f} s: ok={ok} "
        f"{json.dumps({k: v for k, v in sweep.items() if k not in ('cursor',)})[:600]}")
    if not ok or not sweep:
        problems.append(f"sweep: the invocation failed: {str(answer)[:300]}")

    counts = traffic["calls"]
    listing = calls(counts, "DescribeStacks")
    lookups = calls(counts, "SearchProvisionedProducts")
    sends = calls(counts, "SendMessageBatch", "SendMessage")
    publishes = calls(counts, "Publish", "PutEvents")
    # GetCallerIdentity: the per-account seam learns the function's own account once per cold start.
    others = {k: v for k, v in counts.items()
              if k.split(":", 1)[1] not in ("DescribeStacks", "SearchProvisionedProducts", "SendMessageBatch",
                                            "SendMessage", "Publish", "PutEvents", "GetCallerIdentity")}

    # What the summary should say.
    skips_expected = {
        "NO_ROUTE": mix["unrouted"] + mix["nested"],
        "OPTED_OUT": mix["opted_out"],
        "NESTED_STACK": mix["nested"],
        "STACKSET_INSTANCE": mix["stackset"],
        "ALREADY_PROVISIONED": mix["held"],
    }
    skips_expected = {k: v for k, v in skips_expected.items() if v}
    skipped_total = sum(skips_expected.values())
    checks = {
        "stacks": (sweep.get("stacks"), stacks),
        "queued": (sweep.get("queued"), mix["routed"]),
        "byReason": (sweep.get("byReason"), skips_expected),
        "byOutcome": (sweep.get("byOutcome"), {"SKIPPED": skipped_total}),
        "complete": (sweep.get("complete"), True),
        "dryRun": (sweep.get("dryRun"), True),
        "accounts": (sweep.get("accounts"), [ACCOUNT]),
        "regions": (sweep.get("regions"), [REGION]),
        "unpublished": (sweep.get("unpublished", 0), 0),
        "failed": (sweep.get("failed", []), []),
    }
    for name, (got, want) in checks.items():
        if got != want:
            problems.append(f"sweep: summary {name} is {got!r}, expected {want!r}")
    depth = world.queue_depth(queue_url)
    if depth["visible"] != mix["routed"]:
        problems.append(f"sweep: the import queue holds {depth['visible']} visible items, expected {mix['routed']}")
    expected_sends = -(-mix["routed"] // 10)
    if not proxies.enabled:
        pass  # --direct: nothing counted
    elif sends != expected_sends:
        problems.append(f"sweep: {sends} SendMessageBatch calls for {mix['routed']} items, expected {expected_sends}")
    if proxies.enabled and publishes != skipped_total + 1:
        problems.append(f"sweep: {publishes} publishes for {skipped_total} skips + 1 summary")
    if others:
        problems.append(f"sweep: unexpected AWS calls during the sweep: {others}")
    per_stack = (listing + lookups) / stacks
    if proxies.enabled and per_stack >= LOOKUP_CALLS_PER_STACK_TARGET:
        problems.append(f"sweep: {per_stack:.3f} listing+lookup calls per stack "
                        f"(target < {LOOKUP_CALLS_PER_STACK_TARGET})")
    if hwm_kb is not None and hwm_kb / 1024 >= MEMORY_TARGET_MB:
        problems.append(f"sweep: peak memory {hwm_kb / 1024:.1f} MB (target < {MEMORY_TARGET_MB:.0f} MB)")
    if traffic["errors"]:
        problems.append(f"sweep: AWS error answers: {traffic['errors']}")

    return {
        "estate": {"mix": mix, "prefix": estate.prefix, "build_s": round(estate.seconds, 1),
                   "product": product},
        "request": request,
        "ok": ok,
        "wall_s": round(sweep_s, 2),
        "answer": sweep,
        "aws_calls": counts,
        "aws_upstream_s": traffic["upstream_s"],
        "aws_errors": traffic["errors"],
        "per_stack": {
            "DescribeStacks": round(listing / stacks, 4),
            "SearchProvisionedProducts": round(lookups / stacks, 4),
            "listing_and_lookups": round(per_stack, 4),
            "SendMessageBatch": round(sends / stacks, 4),
            "publish": round(publishes / stacks, 4),
            "all": round(sum(counts.values()) / stacks, 4),
        },
        "memory": {"pid": pid, "VmHWM_MB": mb(hwm_kb), "VmRSS_MB": mb(rss_kb), "VmRSS_idle_before_MB": mb(rss_idle_kb)},
        "_queue_url": queue_url, "_dlq_url": dlq_url, "_topic": topic, "_sns_queue": sns_queue,
        "_routed": estate.routed,
        "_skipped": skipped_total,
    }


def part_drain(aws: LocalAws, world: World, proxies: Proxies, templates: TemplateServer, sweep: dict,
               sample_batches: int, problems: list[str]) -> dict:
    """The first `sample_batches` batches through the sweep's (proxied) function process, one at a time, to count
    the AWS calls and template GETs per item; then the rest, timed, through a fresh process that talks to moto and
    the emulator directly (the proxy's Python hop costs about a third of the dry-run throughput on 2 cores)."""
    routed = sweep["_routed"]
    say(f"\n[2] draining {len(routed)} queued dry-run items through the event source mapping (1 poller)")
    invoke = lambda payload: aws.invoke(payload, timeout=FUNCTION_TIMEOUT_S + 30)  # noqa: E731
    proxies.reset()
    gets_before = len(templates.requests)
    sampler = EventSourceMapping(world.sqs, sweep["_queue_url"], invoke, batch_size=10, max_concurrency=1)
    # At most half the items, so that the timed drain has the rest.
    batches = min(sample_batches, len(routed) // 20) if proxies.enabled else 0
    sampled = [batch for batch in (sampler.poll_once() for _ in range(batches)) if batch is not None]
    sample_items = sum(len(batch["deleted"]) for batch in sampled)
    traffic = proxies.take()
    template_gets = len(templates.requests) - gets_before
    if any(batch["failed"] or not batch["ok"] for batch in sampled):
        problems.append(f"drain: a sampled batch failed: {[b['answer'] for b in sampled if b['failed']][:1]}")

    aws.start_function({"OUTCOME_TOPIC_ARN": sweep["_topic"], "IMPORT_QUEUE_URL": sweep["_queue_url"]},
                       timeout_s=FUNCTION_TIMEOUT_S)
    esm = EventSourceMapping(world.sqs, sweep["_queue_url"], invoke, batch_size=10, max_concurrency=1)
    result = drain(esm, len(routed) - sample_items, timeout=1800)
    log = result.pop("_log")
    items = result["records_deleted"]
    result["items_per_s"] = round(items / result["seconds"], 1) if result["seconds"] else None
    result["sample"] = {
        "items": sample_items,
        "aws_calls": traffic["calls"],
        "aws_upstream_s": traffic["upstream_s"],
        "aws_errors": traffic["errors"],
    }
    result["aws_calls_per_item"] = {k: round(v / max(sample_items, 1), 3) for k, v in traffic["calls"].items()}
    result["aws_calls_per_item_total"] = round(sum(traffic["calls"].values()) / max(sample_items, 1), 2)
    result["template_gets_per_item"] = round(template_gets / max(sample_items, 1), 3)
    result["memory_after_drain"] = {"VmHWM_MB": mb(proc_status_kb(aws.function_pid, "VmHWM")),
                                    "VmRSS_MB": mb(proc_status_kb(aws.function_pid, "VmRSS"))}
    result["invocation_s_mean"] = round(
        sum(b["ended"] - b["started"] for b in log if "ended" in b) / max(len(log), 1), 3)
    say(f"    {sample_items} items sampled through the proxy: {result['aws_calls_per_item_total']} AWS calls per item")
    say(f"    the other {items} drained in {result['seconds']:.1f} s (no proxy): {result['items_per_s']} items/s, "
        f"{result['batches']} batches")

    # Every outcome: the sweep's skips, its summary, and one PLANNED per routed stack.
    envelopes = sns_outcomes(world, sweep["_sns_queue"], sweep["_skipped"] + 1 + len(routed))
    outcomes, summaries = split_envelopes(envelopes)
    by_stack = {o["stack"]["arn"]: o for o in outcomes if o.get("outcome") != "SKIPPED"}
    planned = [arn for arn in routed if by_stack.get(arn, {}).get("outcome") == "PLANNED"]
    others = Counter(f"{o['outcome']}/{o['reason']}" for arn, o in by_stack.items() if o.get("outcome") != "PLANNED")
    result["outcomes"] = {"PLANNED": len(planned), "other_queued_outcomes": dict(others),
                          "skips_published": sum(1 for o in outcomes if o.get("outcome") == "SKIPPED"),
                          "summaries_published": len(summaries),
                          "sweep_trigger_ok": all(o.get("trigger", {}).get("id") == sweep["answer"].get("id")
                                                  for o in outcomes)}
    if len(planned) != len(routed):
        problems.append(f"drain: {len(planned)} of {len(routed)} routed stacks ended PLANNED; others: {dict(others)}")
    if len(summaries) != 1:
        problems.append(f"sweep: {len(summaries)} summaries published, expected 1")
    if result["outcomes"]["skips_published"] != sweep["_skipped"]:
        problems.append(f"sweep: {result['outcomes']['skips_published']} skip outcomes published, "
                        f"expected {sweep['_skipped']}")
    if not result["outcomes"]["sweep_trigger_ok"]:
        problems.append("drain: an outcome's trigger.id is not the sweep's id")
    if result["stopped_early"] or result["failed_records"] or result["order_violations"]:
        problems.append(f"drain: stopped_early={result['stopped_early']!r}, failed records "
                        f"{result['failed_records']}, order violations {result['order_violations']}, "
                        f"results {result['results']}")
    if traffic["errors"]:
        problems.append(f"drain: AWS error answers: {traffic['errors']}")
    return result


def part_imports(aws: LocalAws, world: World, proxies: Proxies, templates: TemplateServer, product: str,
                 count: int, latency_ms: int, problems: list[str]) -> dict:
    say(f"\n[3] real imports: {count} routed stacks, ImportAsProvisionedProduct held back {latency_ms} ms, "
        f"records take 2 x {aws.catalog_record_step_ms} ms")
    estate = build_estate(world, product, routed=count)
    topic, sns_queue = world.outcome_topic()
    queue_url, _ = world.import_queue(max_receive_count=3, visibility_timeout=600)
    aws.catalog_latency("ImportAsProvisionedProduct", latency_ms)
    try:
        aws.start_function({**proxies.env, "OUTCOME_TOPIC_ARN": topic, "IMPORT_QUEUE_URL": queue_url},
                           timeout_s=FUNCTION_TIMEOUT_S)
        proxies.reset()
        started = time.monotonic()
        ok, answer = aws.invoke({"sweep": {"dryRun": False, "stackName": f"*{estate.prefix}*"}},
                                timeout=FUNCTION_TIMEOUT_S + 30)
        sweep_s = time.monotonic() - started
        sweep_traffic = proxies.take()
        sweep = answer.get("sweep", {}) if ok and isinstance(answer, dict) else {}
        say(f"    sweep answered in {sweep_s:.2f} s: stacks={sweep.get('stacks')} queued={sweep.get('queued')}")
        if (sweep.get("stacks"), sweep.get("queued"), sweep.get("dryRun")) != (count, count, False):
            problems.append(f"imports: sweep answered {str(answer)[:300]}")

        gets_before = len(templates.requests)
        esm = EventSourceMapping(world.sqs, queue_url, lambda p: aws.invoke(p, timeout=FUNCTION_TIMEOUT_S + 30),
                                 batch_size=10, max_concurrency=1)
        result = drain(esm, count, timeout=max(600.0, count * 30.0))
        log = result.pop("_log")
        traffic = proxies.take()
        template_gets = len(templates.requests) - gets_before
    finally:
        aws.catalog_latency("ImportAsProvisionedProduct", 0)
    imports = result["records_deleted"]
    per_import = result["seconds"] / max(imports, 1)
    result.update({
        "sweep_wall_s": round(sweep_s, 2),
        "sweep_aws_calls": sweep_traffic["calls"],
        "import_latency_ms": latency_ms,
        "record_step_ms": aws.catalog_record_step_ms,
        "imports_per_minute": round(imports / result["seconds"] * 60, 1) if result["seconds"] else None,
        "seconds_per_import": round(per_import, 3),
        "aws_calls": traffic["calls"],
        "aws_upstream_s": traffic["upstream_s"],
        "aws_errors": traffic["errors"],
        "aws_calls_per_import": {k: round(v / max(imports, 1), 2) for k, v in traffic["calls"].items()},
        # The emulator GETs the artifact template once per import; the rest are the function's.
        "function_template_gets_per_import": round((template_gets - imports) / max(imports, 1), 2),
    })
    say(f"    drained in {result['seconds']:.1f} s: {result['imports_per_minute']} imports/minute, "
        f"{per_import:.2f} s per import")

    envelopes = sns_outcomes(world, sns_queue, count + 1)
    outcomes, _ = split_envelopes(envelopes)
    by_stack = {o["stack"]["arn"]: o for o in outcomes}
    imported = [arn for arn in estate.routed
                if (by_stack.get(arn, {}).get("outcome"), by_stack.get(arn, {}).get("reason"))
                == ("IMPORTED", "RECORD_SUCCEEDED")]
    holders = {pp.get("PhysicalId"): pp for pp in all_provisioned_products(world)}
    available = [arn for arn in estate.routed if holders.get(arn, {}).get("Status") == "AVAILABLE"]
    result["outcomes"] = {
        "IMPORTED": len(imported),
        "other": dict(Counter(f"{o['outcome']}/{o['reason']}" for o in outcomes
                              if o["stack"]["arn"] not in imported)),
        "held_available": len(available),
    }
    result["all_imported"] = len(imported) == len(available) == count
    if not result["all_imported"]:
        problems.append(f"imports: {len(imported)} of {count} outcomes IMPORTED, {len(available)} held AVAILABLE; "
                        f"other outcomes {result['outcomes']['other']}")
    if result["stopped_early"] or result["failed_records"]:
        problems.append(f"imports: stopped_early={result['stopped_early']!r}, "
                        f"failed records {result['failed_records']}, "
                        f"results {result['results']}")
    result["invocation_s_max"] = round(max((b["ended"] - b["started"] for b in log if "ended" in b), default=0), 2)
    return result


class SleepingFunction:
    """A fake `invoke`: sleeps `per_item_s` for each record, answers no batchItemFailures, and counts how many batches
    of each message group are in it at once."""

    def __init__(self, per_item_s: float):
        self.per_item_s = per_item_s
        self._lock = threading.Lock()
        self.active: Counter[str] = Counter()
        self.max_active: Counter[str] = Counter()
        self.max_total = 0

    def __call__(self, payload: dict):
        groups = {record["attributes"].get("MessageGroupId") for record in payload["Records"]}
        with self._lock:
            for group in groups:
                self.active[group] += 1
                self.max_active[group] = max(self.max_active[group], self.active[group])
            self.max_total = max(self.max_total, sum(1 for g in self.active if self.active[g]))
        try:
            time.sleep(self.per_item_s * len(payload["Records"]))
        finally:
            with self._lock:
                for group in groups:
                    self.active[group] -= 1
        return True, {"batchItemFailures": []}


def simulate(world: World, groups: list[str], per_item_s: float) -> dict:
    """Sends one item per entry of `groups` (in that order) to a fresh moto FIFO queue and drains it with the real
    mapping (2 pollers) into a SleepingFunction."""
    queue_url, _ = world.import_queue(max_receive_count=3, visibility_timeout=600)
    for first in range(0, len(groups), 10):
        entries = [{"Id": str(n), "MessageBody": json.dumps({"simulated": first + n}), "MessageGroupId": group,
                    "MessageDeduplicationId": uuid.uuid4().hex}
                   for n, group in enumerate(groups[first:first + 10])]
        world.sqs.send_message_batch(QueueUrl=queue_url, Entries=entries)
    function = SleepingFunction(per_item_s)
    esm = EventSourceMapping(world.sqs, queue_url, function, batch_size=10, max_concurrency=2)
    result = drain(esm, len(groups), timeout=len(groups) * per_item_s * 3 + 60)
    log = result.pop("_log")
    # From the ESM's log: a group's batches, in receive order, must not overlap. The log stamps `started` after the
    # receive and `ended` after the delete, so a next batch received between another poller's delete and its
    # `ended` stamp shows as a (sub-millisecond) overlap of bookkeeping, not of invocations.
    overlap_s = 0.0
    overlaps = 0
    for group in set(groups):
        spans = sorted((b["started"], b["ended"]) for b in log if group in (b.get("groups") or []) and "ended" in b)
        for (_, previous_end), (next_start, _) in zip(spans, spans[1:]):
            if next_start < previous_end:
                overlaps += 1
                overlap_s = max(overlap_s, previous_end - next_start)
    mixed = sum(1 for b in log if len(set(b.get("groups") or [])) > 1)
    result.update({
        "items": len(groups),
        "groups": dict(Counter(groups)),
        "per_item_s": round(per_item_s, 3),
        "max_batches_in_flight_per_group": dict(function.max_active),
        "max_groups_in_flight": function.max_total,
        "batch_log_overlaps": overlaps,
        "batch_log_max_overlap_ms": round(overlap_s * 1000, 2),
        "batches_holding_two_groups": mixed,
    })
    return result


def part_simulation(world: World, per_item_s: float, items: int, interleaved: bool, problems: list[str]) -> dict:
    say(f"\n[4] SIMULATION of the queue and the mapping (not of the function): {items} items at {per_item_s:.2f} s "
        f"each, max_concurrency=2")
    half = items // 2
    one = simulate(world, [SIM_GROUPS[0]] * items, per_item_s)
    say(f"    one group:  {one['seconds']:.1f} s")
    two = simulate(world, [SIM_GROUPS[0]] * half + [SIM_GROUPS[1]] * (items - half), per_item_s)
    say(f"    two groups: {two['seconds']:.1f} s")
    result = {
        "note": "a simulation of the SQS FIFO queue (moto) and the event source mapping (esm.py) with a fake function "
                "that sleeps the measured time per import; the real function cannot import into two account:region "
                "groups locally (one account in moto, one region in the emulator)",
        "one_group": one,
        "two_groups": two,
        "speed_up": round(one["seconds"] / two["seconds"], 2) if two["seconds"] else None,
    }
    runs = [("one group", one), ("two groups", two)]
    if interleaved:
        alternating = [SIM_GROUPS[n % 2] for n in range(items)]
        mixed = simulate(world, alternating, per_item_s)
        say(f"    two groups, sends alternating: {mixed['seconds']:.1f} s")
        result["two_groups_interleaved"] = mixed
        result["speed_up_interleaved"] = round(one["seconds"] / mixed["seconds"], 2) if mixed["seconds"] else None
        runs.append(("two groups interleaved", mixed))
    for name, run in runs:
        if any(count > 1 for count in run["max_batches_in_flight_per_group"].values()):
            problems.append(f"simulation ({name}): a group had two batches in flight at once: "
                            f"{run['max_batches_in_flight_per_group']}")
        if run["batch_log_max_overlap_ms"] > 50:
            problems.append(f"simulation ({name}): the ESM's batch log shows a group's batches overlapping by "
                            f"{run['batch_log_max_overlap_ms']} ms")
        if run["records_deleted"] != run["items"] or run["stopped_early"]:
            problems.append(f"simulation ({name}): {run['records_deleted']} of {run['items']} items done "
                            f"({run['stopped_early']})")
    # With at most one batch per group there is nothing to overlap: one ReceiveMessage takes both groups.
    if items // 2 > 10 and result["speed_up"] is not None and result["speed_up"] < 1.6:
        problems.append(f"simulation: two groups were only {result['speed_up']}x faster than one")
    return result


# ---- report -----------------------------------------------------------------------------------------------------
def table(report: dict) -> str:
    rows: list[tuple[str, str]] = []
    sweep = report.get("sweep")
    if sweep:
        answer = sweep["answer"]
        per = sweep["per_stack"]
        rows += [
            ("1 dry-run sweep", f"{report['stacks']} stacks, 1 account/region"),
            ("  wall time", f"{sweep['wall_s']:.2f} s"),
            ("  summary", f"stacks={answer.get('stacks')} queued={answer.get('queued')} "
                          f"byOutcome={answer.get('byOutcome')} complete={answer.get('complete')}"),
            ("  byReason", json.dumps(answer.get("byReason"))),
            ("  DescribeStacks + SearchPP", f"{calls(sweep['aws_calls'], 'DescribeStacks')} + "
                                            f"{calls(sweep['aws_calls'], 'SearchProvisionedProducts')} calls = "
                                            f"{per['listing_and_lookups']:.4f} per stack (target < 2)"),
            ("  SendMessageBatch", f"{calls(sweep['aws_calls'], 'SendMessageBatch')} calls = "
                                   f"{per['SendMessageBatch']:.4f} per stack"),
            ("  SNS Publish", f"{calls(sweep['aws_calls'], 'Publish')} calls = {per['publish']:.4f} per stack"),
            ("  all AWS calls", f"{sum(sweep['aws_calls'].values())} = {per['all']:.4f} per stack"),
            ("  peak memory (VmHWM)", f"{sweep['memory']['VmHWM_MB']} MB (target < {MEMORY_TARGET_MB:.0f} MB); "
                                      f"RSS idle before {sweep['memory']['VmRSS_idle_before_MB']} MB"),
        ]
    drained = report.get("drain")
    if drained:
        rows += [
            ("2 drain of dry-run items", f"{drained['records_deleted']} items in {drained['seconds']:.1f} s = "
                                         f"{drained['items_per_s']} items/s ({drained['batches']} batches, no proxy)"),
            (f"  AWS calls per item ({drained['sample']['items']} sampled)",
             f"{drained['aws_calls_per_item_total']}: " + ", ".join(
                f"{k.split(':', 1)[1]} {v}" for k, v in drained["aws_calls_per_item"].items())),
            ("  template GETs per item", f"{drained['template_gets_per_item']}"),
            ("  outcomes", f"PLANNED {drained['outcomes']['PLANNED']}, "
                           f"other {drained['outcomes']['other_queued_outcomes']}"),
            ("  memory after drain", f"VmHWM {drained['memory_after_drain']['VmHWM_MB']} MB"),
        ]
    imports = report.get("imports")
    if imports:
        rows += [
            ("3 real imports", f"{imports['records_deleted']} stacks, "
                               f"import answer +{imports['import_latency_ms']} ms, "
                               f"record 2 x {imports['record_step_ms']} ms"),
            ("  throughput", f"{imports['imports_per_minute']} imports/minute for one account:region "
                             f"({imports['seconds_per_import']:.2f} s per import, {imports['seconds']:.1f} s total)"),
            ("  AWS calls per import", ", ".join(f"{k.split(':', 1)[1]} {v}"
                                                 for k, v in imports["aws_calls_per_import"].items())),
            ("  all IMPORTED", f"{imports['all_imported']} ({imports['outcomes']})"),
        ]
    simulation = report.get("simulation")
    if simulation:
        rows += [
            ("4 SIMULATION (queue+ESM)", f"fake function sleeping {simulation['one_group']['per_item_s']:.2f} s/item, "
                                         f"max_concurrency=2"),
            (f"  {simulation['one_group']['items']} items, 1 group", f"{simulation['one_group']['seconds']:.1f} s"),
            ("  " + "+".join(str(n) for n in simulation["two_groups"]["groups"].values()) + " items, 2 groups",
             f"{simulation['two_groups']['seconds']:.1f} s"),
            ("  speed-up", f"{simulation['speed_up']}x"),
            ("  group ever 2 in flight", str(any(
                n > 1 for run in ("one_group", "two_groups")
                for n in simulation[run]["max_batches_in_flight_per_group"].values()))),
        ]
        if "two_groups_interleaved" in simulation:
            interleaved = simulation["two_groups_interleaved"]
            rows.append(("  2 groups, alternating sends", f"{interleaved['seconds']:.1f} s "
                                                          f"({simulation['speed_up_interleaved']}x; moto mixes groups)"))
    width = max(len(name) for name, _ in rows) + 2
    return "\n".join(f"{name:<{width}}{value}" for name, value in rows)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["moto-server"]:  # how BenchAws starts moto
        patch_moto_sqs_speed()
        return patched_moto_server(argv[1:])
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stacks", type=int, default=2000, help="stacks in the dry-run sweep's estate (default 2000)")
    parser.add_argument("--imports", type=int, default=40, help="stacks imported for real in part 3 (default 40)")
    parser.add_argument("--import-latency-ms", type=int, default=500,
                        help="ImportAsProvisionedProduct's answer held back by the emulator (default 500)")
    parser.add_argument("--record-step-ms", type=int, default=500,
                        help="the emulator's record step: a record ends 2 steps after the import (default 500)")
    parser.add_argument("--sim-items", type=int, default=40, help="items in the simulation of part 4 (default 40)")
    parser.add_argument("--sim-item-s", type=float, default=None,
                        help="seconds per simulated item (default: part 3's measured time per import)")
    parser.add_argument("--interleaved", action="store_true",
                        help="part 4 also sends the two groups' items alternately (shows moto mixing groups)")
    parser.add_argument("--skip", action="append", default=[], choices=["sweep", "imports", "simulation"],
                        help="leave a part out (repeatable); 'sweep' leaves out parts 1 and 2")
    parser.add_argument("--sample-batches", type=int, default=10,
                        help="part 2: batches of 10 decided through the counting proxy before the timed drain")
    parser.add_argument("--direct", action="store_true",
                        help="no counting proxy: the function talks to moto and the emulator itself (no call counts; "
                             "to see what the proxy's hop costs)")
    parser.add_argument("--stock-moto", action="store_true",
                        help="moto as LocalAws runs it, without patch_moto_sqs_speed (queuing 1,800 work items then "
                             "takes moto longer than the function's timeout)")
    parser.add_argument("--out", type=Path, default=ROOT / "target" / "bench-sweep.json")
    args = parser.parse_args(argv)

    binary = Path(os.environ.get("SC_IMPORTER_BOOTSTRAP", ROOT / "target" / "lambda" / "bootstrap" / "bootstrap"))
    freshness = binary_freshness(binary)
    if freshness["sources_newer_than_binary"]:
        say(f"WARNING: {binary} is older than {', '.join(freshness['sources_newer_than_binary'][:5])}: "
            f"`make bootstrap` first to measure the current code")
    report: dict = {"stacks": args.stacks, "counting_proxy": not args.direct,
                    "moto_sqs_speed_patch": not args.stock_moto, "binary": freshness, "machine_cpus": os.cpu_count(),
                    "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    problems: list[str] = []
    began = time.monotonic()
    logs = ROOT / "target" / "bench-sweep-logs"
    local_aws = LocalAws if args.stock_moto else BenchAws
    with local_aws(logs=logs, record_step_ms=args.record_step_ms) as aws, TemplateServer() as templates:
        world = World(aws)
        proxies = Proxies(aws.moto_url, aws.catalog_url, enabled=not args.direct)
        try:
            product, artifact = world.product_from_url("bench-sweep",
                                                       templates.serve("/bench-sweep/v1.json", HANDLE_TEMPLATE_JSON))
            if "sweep" not in args.skip:
                sweep = part_sweep(aws, world, proxies, templates, product, args.stacks, problems)
                report["sweep"] = {k: v for k, v in sweep.items() if not k.startswith("_")}
                report["drain"] = part_drain(aws, world, proxies, templates, sweep, args.sample_batches, problems)
                aws.stop_function()
            per_item_s = args.sim_item_s
            if "imports" not in args.skip:
                imports = part_imports(aws, world, proxies, templates, product, args.imports,
                                       args.import_latency_ms, problems)
                report["imports"] = imports
                per_item_s = per_item_s or imports["seconds_per_import"]
                aws.stop_function()
            if "simulation" not in args.skip:
                report["simulation"] = part_simulation(world, per_item_s or 1.5, args.sim_items, args.interleaved,
                                                       problems)
        except BaseException as error:
            problems.append(f"the benchmark broke: {type(error).__name__}: {error}")
            raise
        finally:
            proxies.close()
            save(report, problems, began, logs, args.out)

    return conclude(report, problems, args.out, table(report))


if __name__ == "__main__":
    sys.exit(main())
