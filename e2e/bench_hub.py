"""`make bench-hub`: the organization hub (docs/CONTRACT.md §8) on local AWS — moto + the Service Catalog emulator,
the function's `bootstrap` behind the harness's Runtime API (e2e/localaws.py), STS through the counting gate
(e2e/sts_gate.py). Not part of the pytest suite: `python e2e/bench_hub.py`. Prints a table and writes every figure
to target/bench-hub.json.

(a) AssumeRole calls per member account in steady state. Two member accounts (210987654321, 310987654321), each with
    stacks in two regions (us-east-1, eu-west-1), each stack tagged for a product of its own account and region.
    One warm function process (MEMBER_ROLE_NAME, no import queue) gets `--events` status events (default 200) as the
    hub's bus delivers them, round-robin over the stacks: the first event of each stack imports it, the later ones
    report the same import (docs/CONTRACT.md §6), every one of them reading the stack and the catalog with the member
    role. Reported: AssumeRole calls per account (the target: one per credential lifetime, not one per event — here
    1), and GetCallerIdentity calls.
    Then the renewal, watched in seconds: the gate rewrites each AssumeRole answer's Expiration to now + 300 s + R
    (`--renew-window-s`, R = 6 s by default), so the function, which renews 5 minutes before expiry, keeps credentials
    for R seconds; events flow for `--renew-run-s` (30 s). Reported: AssumeRole calls per account and the time
    between them (expected about run / R calls, a little over R apart), i.e. renewal happens and credentials are
    reused in between. The steady-state figure per hour follows from the real session: the function asks for 3600 s and
    renews when less than 300 s are left, so a busy account costs 3600 / (3600 - 300) = 1.09 AssumeRole calls per
    hour per warm execution environment (fewer when the account is idle: renewal happens at the first event after
    55 minutes); N warm environments make N times that.
(b) Imports in two accounts in parallel through the FIFO import queue. The emulator holds each
    ImportAsProvisionedProduct answer back `--import-latency-ms` (1000) and a record ends two record steps
    (`--record-step-ms`, 250) after the import. A sweep (dryRun false) queues `--imports` (16) stacks, either all in
    one account and region (one message group) or half in each of two member accounts (two groups, queued one after
    the other, as a sweep queues them); esm.EventSourceMapping drains the queue with max_concurrency = 2 and batches
    of `--batch-size` (4), into TWO function processes (the harness's own, plus a second bootstrap behind its own
    runtime_api.RuntimeApi), each batch to whichever is free, as Lambda's FIFO scaling hands one message group to
    one poller at a time. Reported: both wall times, the speed-up, how long both accounts had a batch in flight at
    once, and that no group ever had two batches in flight (counted by the invoke wrapper and read from the ESM's
    batch log); every stack must end IMPORTED in its own account's catalog.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import queue
import signal
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from pathlib import Path

from bench_report import conclude, save, say
from esm import EventSourceMapping
from estate import HANDLE_TEMPLATE_JSON, create_estate, numbered
from localaws import ACCOUNT, FUNCTION_NAME, MEMBER_ROLE_NAME, REGION, ROOT, LocalAws, invoke_url, start
from runtime_api import RuntimeApi
from sts_gate import StsGate
from world import World

MEMBERS = ("210987654321", "310987654321")
REGIONS = (REGION, "eu-west-1")
FUNCTION_TIMEOUT_S = 120.0
RENEW_BEFORE_S = 300  # the function's margin (src/aws/members.rs RENEW_BEFORE)
SESSION_S = 3600  # the session the function asks for


class SecondFunction:
    """Another execution environment of the same function: a second bootstrap behind its own RuntimeApi, with the
    environment the harness gave its own (`LocalAws.start_function` first), as LocalAws.start_function runs one. A
    timed-out invocation kills and restarts it, as there."""

    def __init__(self, aws: LocalAws, timeout_s: float, name: str = "bootstrap-2"):
        self.aws, self.name = aws, name
        self._lock = threading.RLock()
        self.process = None
        self.api = RuntimeApi(function_name=FUNCTION_NAME, timeout_s=timeout_s, region=REGION, account=ACCOUNT,
                              exit_status=lambda: None if self.process is None else self.process.popen.poll())
        self.api.on_timeout = self._restart
        self.api.start()
        self.env = {**aws._function_env, "AWS_LAMBDA_RUNTIME_API": self.api.address}
        self.process = start(name, [str(aws.function_binary)], aws.logs, env=self.env)

    def _restart(self) -> None:
        with self._lock:
            if self.process is not None and self.process.popen.poll() is None:
                os.killpg(self.process.popen.pid, signal.SIGKILL)
                self.process.popen.wait(timeout=5)
            self.process = start(self.name, [str(self.aws.function_binary)], self.aws.logs, env=self.env,
                                 log_name=self.name)

    def invoke(self, payload) -> tuple[bool, object]:
        return invoke_url(self.api.invoke_url, payload, FUNCTION_TIMEOUT_S + 30)

    def stop(self) -> None:
        with self._lock:
            if self.process is not None:
                self.process.stop()
        self.api.stop()


class EnvironmentPool:
    """An `invoke` for the event source mapping that hands each batch to a free execution environment, and counts,
    per message group, the batches in flight (max_active) and when each group had one (spans)."""

    def __init__(self, invokers: list):
        self.free: queue.Queue = queue.Queue()
        for number, invoke in enumerate(invokers):
            self.free.put((number, invoke))
        self._lock = threading.Lock()
        self.active: Counter[str] = Counter()
        self.max_active: Counter[str] = Counter()
        self.by_environment: Counter[int] = Counter()
        self.spans: defaultdict[str, list[tuple[float, float]]] = defaultdict(list)

    def __call__(self, payload: dict) -> tuple[bool, object]:
        groups = sorted({r["attributes"].get("MessageGroupId") for r in payload.get("Records", [])})
        began = time.monotonic()
        with self._lock:
            for group in groups:
                self.active[group] += 1
                self.max_active[group] = max(self.max_active[group], self.active[group])
        number, invoke = self.free.get()
        try:
            with self._lock:
                self.by_environment[number] += 1
            return invoke(payload)
        finally:
            self.free.put((number, invoke))
            ended = time.monotonic()
            with self._lock:
                for group in groups:
                    self.active[group] -= 1
                    self.spans[group].append((began, ended))


def union_length(spans: list[tuple[float, float]]) -> float:
    total, end = 0.0, -math.inf
    for a, b in sorted(spans):
        if b <= end:
            continue
        total += b - max(a, end)
        end = b
    return total


def overlap_length(first: list[tuple[float, float]], second: list[tuple[float, float]]) -> float:
    """How long at least one span of each list was open at once."""
    return union_length(first) + union_length(second) - union_length(first + second)


def hub_env(gate: StsGate, **extra: str) -> dict[str, str]:
    return {"MEMBER_ROLE_NAME": MEMBER_ROLE_NAME, "AWS_ENDPOINT_URL_STS": gate.url, **extra}


def seed(world: World, account: str, region: str, prefix: str, count: int) -> list[str]:
    """A product in the account's catalog in the region, and `count` stacks there tagged for it; returns the ARNs."""
    place = world.as_account(account, region)
    product, _ = place.product(f"{prefix}-product", HANDLE_TEMPLATE_JSON)
    return create_estate(place.cfn, numbered(f"{prefix}-{account[:3]}-{region}", count,
                                             {"sc-import:product-id": product}))


# ---- (a) AssumeRole in steady state ---------------------------------------------------------------------------
def part_assume_role(aws: LocalAws, world: World, gate: StsGate, events: int, stacks_per_place: int,
                     renew_window_s: float, renew_run_s: float, problems: list[str]) -> dict:
    prefix = f"sts-{uuid.uuid4().hex[:4]}"
    arns = [arn for account in MEMBERS for region in REGIONS
            for arn in seed(world, account, region, prefix, stacks_per_place)]
    say(f"\n[a] {len(arns)} stacks in {len(MEMBERS)} member accounts x {len(REGIONS)} regions; {events} events "
        f"through one warm function")
    topic, _ = world.outcome_topic()
    aws.start_function(hub_env(gate, OUTCOME_TOPIC_ARN=topic), timeout_s=FUNCTION_TIMEOUT_S)
    gate.session_s = None
    gate.reset()
    reasons: Counter[str] = Counter()
    accounts_seen: Counter[str] = Counter()
    started = time.monotonic()
    for number in range(events):
        arn = arns[number % len(arns)]
        ok, answer = aws.invoke(World.forwarded_event(arn))
        outcome = (answer.get("outcomes") or [{}])[0] if ok and isinstance(answer, dict) else {}
        reasons[f"{outcome.get('outcome')}/{outcome.get('reason')}"] += 1
        accounts_seen[outcome.get("stack", {}).get("account")] += 1
    seconds = time.monotonic() - started
    assumed = gate.counts()
    steady = {
        "events": events,
        "stacks": len(arns),
        "seconds": round(seconds, 1),
        "outcomes": dict(reasons),
        "events_per_account": dict(accounts_seen),
        "assume_role_per_account": {account: assumed.get(account, 0) for account in MEMBERS},
        "assume_role_requests": [{k: v for k, v in entry.items() if k != "time"} for entry in gate.assume_role_log],
        "get_caller_identity": gate.actions.get("GetCallerIdentity", 0),
    }
    say(f"    {seconds:.1f} s; outcomes {dict(reasons)}; AssumeRole per account {steady['assume_role_per_account']}")
    if reasons.get("IMPORTED/RECORD_SUCCEEDED", 0) != events:
        problems.append(f"(a) not every event reported IMPORTED: {dict(reasons)}")
    if any(assumed.get(account, 0) != 1 for account in MEMBERS) or set(assumed) - set(MEMBERS):
        problems.append(f"(a) AssumeRole calls per account {assumed}, expected 1 each")

    # Renewal, in seconds instead of an hour: credentials that expire 300 s + R after they are handed out.
    say(f"    renewal: sessions of {RENEW_BEFORE_S} + {renew_window_s:g} s (the gate rewrites Expiration), events for "
        f"{renew_run_s:g} s")
    aws.start_function(hub_env(gate, OUTCOME_TOPIC_ARN=topic), timeout_s=FUNCTION_TIMEOUT_S)
    gate.session_s = RENEW_BEFORE_S + renew_window_s
    gate.reset()
    sent = 0
    began = time.monotonic()
    try:
        while time.monotonic() - began < renew_run_s:
            ok, answer = aws.invoke(World.forwarded_event(arns[sent % len(arns)]))
            sent += 1
            if not ok:
                problems.append(f"(a) renewal: an invocation failed: {str(answer)[:200]}")
                break
            time.sleep(0.05)
    finally:
        gate.session_s = None
    run = time.monotonic() - began
    log = list(gate.assume_role_log)
    per_account = {account: [round(e["time"] - began, 2) for e in log if e["account"] == account]
                   for account in MEMBERS}
    intervals = {account: [round(b - a, 2) for a, b in zip(times, times[1:])] for account, times in per_account.items()}
    # Calls at 0, R, 2R, … (each a little over R apart: renewal waits for the next event after the window).
    expected = round(run / renew_window_s)
    renewal = {
        "session_s": RENEW_BEFORE_S + renew_window_s,
        "fresh_for_s": renew_window_s,
        "run_s": round(run, 1),
        "events": sent,
        "assume_role_per_account": {account: len(times) for account, times in per_account.items()},
        "assume_role_at_s": per_account,
        "intervals_s": intervals,
        "expected_per_account_about": expected,
    }
    say(f"    renewal: {sent} events in {run:.1f} s; AssumeRole per account "
        f"{renewal['assume_role_per_account']} (about {expected} expected), intervals {intervals}")
    for account, times in per_account.items():
        if not expected - 1 <= len(times) <= expected + 1:
            problems.append(f"(a) renewal: {len(times)} AssumeRole calls for {account} in {run:.0f} s with credentials "
                            f"fresh for {renew_window_s:g} s (about {expected} expected)")
        if any(gap < renew_window_s * 0.9 for gap in intervals[account]):
            problems.append(f"(a) renewal: credentials for {account} renewed before their window ended: "
                            f"{intervals[account]}")
    aws.stop_function()
    per_hour = SESSION_S / (SESSION_S - RENEW_BEFORE_S)
    return {
        "steady": steady,
        "renewal": renewal,
        "per_account_per_hour": {
            "session_s": SESSION_S,
            "renew_before_s": RENEW_BEFORE_S,
            "assume_role_per_hour": round(per_hour, 3),
            "note": "per warm execution environment, for an account with events at least every few minutes; an idle "
                    "account renews at its first event after 55 minutes, so fewer; N warm environments: N times",
        },
    }


# ---- (b) two accounts in parallel ----------------------------------------------------------------------------
def queue_and_drain(aws: LocalAws, world: World, gate: StsGate, places: list[tuple[str, str, int]],
                    batch_size: int, topic: str, sns_queue: str, problems: list[str], label: str) -> dict:
    """Seeds the stacks, queues them with one sweep, drains with two pollers into two function processes."""
    prefix = f"par-{uuid.uuid4().hex[:4]}"
    arns = {}
    for account, region, count in places:
        arns[(account, region)] = seed(world, account, region, prefix, count)
    queue_url, _ = world.import_queue(max_receive_count=3, visibility_timeout=int(FUNCTION_TIMEOUT_S) + 30)
    aws.start_function(hub_env(gate, OUTCOME_TOPIC_ARN=topic, IMPORT_QUEUE_URL=queue_url),
                       timeout_s=FUNCTION_TIMEOUT_S)
    second = SecondFunction(aws, FUNCTION_TIMEOUT_S)
    gate.reset()
    try:
        accounts = sorted({account for account, _, _ in places})
        regions = sorted({region for _, region, _ in places})
        ok, answer = aws.invoke({"sweep": {"dryRun": False, "stackName": f"{prefix}-*", "accounts": accounts,
                                           "regions": regions}})
        sweep = answer.get("sweep", {}) if ok and isinstance(answer, dict) else {}
        total = sum(count for _, _, count in places)
        if sweep.get("queued") != total:
            problems.append(f"(b) {label}: the sweep queued {sweep.get('queued')} of {total}: {str(answer)[:300]}")
        pool = EnvironmentPool([aws.invoke, second.invoke])
        esm = EventSourceMapping(world.sqs, queue_url, pool, batch_size=batch_size, max_concurrency=2)
        started = time.monotonic()
        batches = esm.run_until_empty(timeout=total * 10 + 60)
        seconds = time.monotonic() - started
    finally:
        second.stop()
        aws.stop_function()
    outcomes = [json.loads(m["Message"]) for m in world.drain(sns_queue, total + 1, timeout=20)]
    outcomes = [o for o in outcomes if "outcome" in o]
    by_reason = Counter(f"{o['outcome']}/{o['reason']}" for o in outcomes)
    imported = {o["stack"]["arn"] for o in outcomes if o["outcome"] == "IMPORTED"}
    every = [arn for group in arns.values() for arn in group]
    held_right = all(len(world.as_account(account, region).holders_of(arn)) == 1
                     for (account, region), group in arns.items() for arn in group)
    # From the ESM's batch log too: a group's batches must not overlap (`started` is stamped after the receive,
    # `ended` after the delete, so sub-millisecond overlaps are bookkeeping, not invocations).
    log_overlap_ms = 0.0
    for group in {g for b in batches for g in b["groups"]}:
        spans = sorted((b["started"], b["ended"]) for b in batches if group in b["groups"])
        for (_, end), (begin, _) in zip(spans, spans[1:]):
            log_overlap_ms = max(log_overlap_ms, (end - begin) * 1000)
    groups = sorted(pool.spans)
    both_in_flight = overlap_length(pool.spans[groups[0]], pool.spans[groups[1]]) if len(groups) == 2 else 0.0
    result = {
        "places": [{"account": a, "region": r, "stacks": n} for a, r, n in places],
        "sweep": {k: sweep.get(k) for k in ("stacks", "queued", "accounts", "regions", "complete")},
        "seconds": round(seconds, 2),
        "wall_s_per_import": round(seconds / total, 2),
        "batches": len(batches),
        "batch_groups": [sorted(set(b["groups"])) for b in batches],
        "batches_holding_two_groups": sum(1 for b in batches if len(set(b["groups"])) > 1),
        "batches_by_environment": dict(pool.by_environment),
        "max_batches_in_flight_per_group": dict(pool.max_active),
        "batch_log_max_overlap_ms": round(max(log_overlap_ms, 0.0), 2),
        "groups_both_in_flight_s": round(both_in_flight, 2),
        "outcomes": dict(by_reason),
        "all_imported_in_own_catalog": imported == set(every) and held_right,
        "assume_role_per_account": gate.counts(),
        "failed_batches": sum(1 for b in batches if not b["ok"] or b["failed"]),
    }
    say(f"    {label}: {total} imports in {seconds:.1f} s ({result['wall_s_per_import']} s of wall time each); "
        f"{len(batches)} batches {result['batch_groups']}; environments {dict(pool.by_environment)}; "
        f"groups both in flight {both_in_flight:.1f} s; outcomes {dict(by_reason)}")
    if not result["all_imported_in_own_catalog"]:
        problems.append(f"(b) {label}: not every stack IMPORTED into its own account's catalog: {dict(by_reason)}")
    if any(n > 1 for n in pool.max_active.values()):
        problems.append(f"(b) {label}: a group had two batches in flight: {dict(pool.max_active)}")
    if log_overlap_ms > 50:
        problems.append(f"(b) {label}: the ESM's batch log shows a group's batches overlapping by "
                        f"{log_overlap_ms:.0f} ms")
    if result["failed_batches"]:
        problems.append(f"(b) {label}: {result['failed_batches']} batch(es) failed or left records")
    return result


def part_parallel(aws: LocalAws, world: World, gate: StsGate, imports: int, batch_size: int, latency_ms: int,
                  problems: list[str]) -> dict:
    say(f"\n[b] {imports} real imports through the FIFO queue, ImportAsProvisionedProduct +{latency_ms} ms, record "
        f"2 x {aws.record_step_ms} ms; 2 pollers, 2 function processes, batches of {batch_size}")
    topic, sns_queue = world.outcome_topic()
    aws.catalog_latency("ImportAsProvisionedProduct", latency_ms)
    try:
        half = imports // 2
        one = queue_and_drain(aws, world, gate, [(MEMBERS[0], REGION, imports)], batch_size, topic, sns_queue,
                              problems, "one group")
        two = queue_and_drain(aws, world, gate, [(MEMBERS[0], REGION, half), (MEMBERS[1], REGION, imports - half)],
                              batch_size, topic, sns_queue, problems, "two groups")
    finally:
        aws.catalog_latency("ImportAsProvisionedProduct", 0)
    speed_up = round(one["seconds"] / two["seconds"], 2) if two["seconds"] else None
    say(f"    speed-up {speed_up}x")
    if speed_up is not None and speed_up < 1.5:
        problems.append(f"(b) two accounts were only {speed_up}x faster than one")
    if two["groups_both_in_flight_s"] < 0.5 * two["seconds"]:
        problems.append(f"(b) the two accounts' batches were in flight together only "
                        f"{two['groups_both_in_flight_s']} s of {two['seconds']} s")
    return {"import_latency_ms": latency_ms, "record_step_ms": aws.record_step_ms, "batch_size": batch_size,
            "one_group": one, "two_groups": two, "speed_up": speed_up}


# ---- report -----------------------------------------------------------------------------------------------------
def table(report: dict) -> str:
    rows: list[tuple[str, str]] = []
    a = report.get("assume_role")
    if a:
        steady, renewal, hourly = a["steady"], a["renewal"], a["per_account_per_hour"]
        rows += [
            ("(a) AssumeRole, steady state", f"{steady['events']} events, {steady['stacks']} stacks, "
                                             f"{len(MEMBERS)} accounts x {len(REGIONS)} regions, one warm function"),
            ("  AssumeRole per account", ", ".join(f"{k}: {v}" for k, v in steady["assume_role_per_account"].items())
             + f" (events per account: {', '.join(str(v) for v in steady['events_per_account'].values())})"),
            ("  GetCallerIdentity", str(steady["get_caller_identity"])),
            ("  outcomes", json.dumps(steady["outcomes"])),
            ("  renewal (session 300+R s)", f"R = {renewal['fresh_for_s']:g} s, {renewal['run_s']} s of events: "
                                            + ", ".join(f"{k}: {v}" for k, v in
                                                        renewal["assume_role_per_account"].items())
                                            + f" (about {renewal['expected_per_account_about']} expected)"),
            ("  renewal intervals (s)", json.dumps(renewal["intervals_s"])),
            ("  per account per hour", f"{hourly['assume_role_per_hour']} = {hourly['session_s']} / "
                                       f"({hourly['session_s']} - {hourly['renew_before_s']}) per warm environment"),
        ]
    b = report.get("parallel")
    if b:
        one, two = b["one_group"], b["two_groups"]
        rows += [
            ("(b) imports through the queue", f"import +{b['import_latency_ms']} ms, record 2 x "
                                              f"{b['record_step_ms']} ms, batches of {b['batch_size']}, 2 pollers, "
                                              f"2 function processes"),
            (f"  {one['sweep']['queued']} imports, 1 group", f"{one['seconds']:.1f} s ({one['wall_s_per_import']} s "
                                                             f"of wall time per import)"),
            (f"  {two['sweep']['queued']} imports, 2 accounts", f"{two['seconds']:.1f} s "
                                                                f"({two['wall_s_per_import']} s of wall time per "
                                                                f"import); both in flight "
                                                                f"{two['groups_both_in_flight_s']} s"),
            ("  speed-up", f"{b['speed_up']}x"),
            ("  max batches in flight/group", f"one group {one['max_batches_in_flight_per_group']}, two "
                                              f"{two['max_batches_in_flight_per_group']}"),
            ("  batches per environment", f"one group {one['batches_by_environment']}, two "
                                          f"{two['batches_by_environment']}"),
            ("  AssumeRole (2 environments)", f"one group {one['assume_role_per_account']}, two "
                                              f"{two['assume_role_per_account']}"),
            ("  all IMPORTED, own catalog", f"{one['all_imported_in_own_catalog']}, "
                                            f"{two['all_imported_in_own_catalog']}"),
        ]
    width = max(len(name) for name, _ in rows) + 2
    return "\n".join(f"{name:<{width}}{value}" for name, value in rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=200, help="(a) events through one warm function (200)")
    parser.add_argument("--stacks-per-place", type=int, default=5, help="(a) stacks per account and region (5)")
    parser.add_argument("--renew-window-s", type=float, default=6.0,
                        help="(a) seconds the renewal run's credentials stay fresh (expiry - 300 s) (6)")
    parser.add_argument("--renew-run-s", type=float, default=30.0, help="(a) length of the renewal run (30)")
    parser.add_argument("--imports", type=int, default=16, help="(b) imports per run (16)")
    parser.add_argument("--batch-size", type=int, default=4, help="(b) the mapping's batch size (4)")
    parser.add_argument("--import-latency-ms", type=int, default=1000,
                        help="(b) ImportAsProvisionedProduct's answer held back by the emulator (1000)")
    parser.add_argument("--record-step-ms", type=int, default=250, help="the emulator's record step (250)")
    parser.add_argument("--skip", action="append", default=[], choices=["assume-role", "parallel"])
    parser.add_argument("--out", type=Path, default=ROOT / "target" / "bench-hub.json")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)

    report: dict = {"machine_cpus": os.cpu_count(), "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    "members": list(MEMBERS), "regions": list(REGIONS)}
    problems: list[str] = []
    began = time.monotonic()
    logs = ROOT / "target" / "bench-hub-logs"
    with LocalAws(logs=logs, record_step_ms=args.record_step_ms) as aws, StsGate(aws.moto_url) as gate:
        world = World(aws)
        try:
            if "assume-role" not in args.skip:
                report["assume_role"] = part_assume_role(aws, world, gate, args.events, args.stacks_per_place,
                                                         args.renew_window_s, args.renew_run_s, problems)
            if "parallel" not in args.skip:
                report["parallel"] = part_parallel(aws, world, gate, args.imports, args.batch_size,
                                                   args.import_latency_ms, problems)
        except BaseException as error:
            problems.append(f"the benchmark broke: {type(error).__name__}: {error}")
            raise
        finally:
            save(report, problems, began, logs, args.out)

    return conclude(report, problems, args.out, table(report))


if __name__ == "__main__":
    sys.exit(main())
