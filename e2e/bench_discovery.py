"""`make bench-discovery`: discovery (docs/CONTRACT.md §9) on local AWS — moto + the Service Catalog emulator, the
function's `bootstrap` behind the harness's Runtime API (e2e/localaws.py), its AWS endpoints behind the counting
proxies (e2e/forward_proxy.py). Not part of the pytest suite: `python e2e/bench_discovery.py [--products 200
--artifacts 5]`. Prints a table and writes every figure to target/bench-discovery.json.

The estate: P products (200) of A artifacts (5) each in the emulator's catalog of one account and region, every
artifact a distinct template (`world.handle_template`, labelled by product and version), served by a local
TemplateServer that counts GETs; an empty DynamoDB table for ARTIFACT_INDEX_TABLE; three stacks with no routing tag
(no rule either), each of the template of one artifact of a different product. The function runs with
DISCOVERY=on and the table, a 300 s timeout and no outcome destination, so every call counted is the decision's own.

(a) Cold index build: the first stack, in a fresh process, with the table empty. Reported: the AWS calls by
    operation (SearchProducts, ListProvisioningArtifacts, DescribeProvisioningArtifact, BatchGetItem, BatchWriteItem,
    and the rest), the template GETs the function made (every GET of the invocation less the emulator's one, at the
    import), the function's `discovery index built` line, the invocation's wall time and the process's peak memory.
    Expected: P x A templates fetched once each, P x A items in the table.
(b) Warm lookup: the second stack, in the same process. Reported: the calls beyond the stack's own (DescribeStacks,
    GetTemplate, SearchProvisionedProducts, ImportAsProvisionedProduct, DescribeRecord) — the target is none — and
    template GETs (target 0).
(c) After a restart: the third stack, in a new process with the table as (a) left it. Reported: template GETs (target
    0), BatchGetItem calls, the index line (expected from_store = P x A, fetched = 0), the calls and the wall time.

Every stack must end IMPORTED into the product and artifact whose template it has, with "discovered" in the message.
The stack's own import costs the same in all three (two record steps of `--record-step-ms`).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench_report import conclude, save, say
from bench_sweep import binary_freshness, mb, proc_status_kb
from forward_proxy import Proxies, calls
from localaws import ROOT, LocalAws
from world import INDEX_FIELDS, TemplateServer, World, discovery_index_builds, handle_template

FUNCTION_TIMEOUT_S = 300.0
INDEX_OPERATIONS = ("SearchProducts", "ListProvisioningArtifacts", "DescribeProvisioningArtifact", "BatchGetItem",
                    "BatchWriteItem")
# What deciding and importing one routed stack costs, discovery or not.
STACK_OWN_OPERATIONS = ("DescribeStacks", "GetTemplate", "SearchProvisionedProducts", "ImportAsProvisionedProduct",
                        "DescribeRecord")
# Once per cold start: the function learns its own account.
COLD_START_OPERATIONS = ("GetCallerIdentity",)


class Catalog:
    """The seeded products: `artifacts[p][a]` the id of product p's artifact a, `stack_templates[p][a]` the YAML a
    stack of that artifact's template has, `paths[p][a]` where the TemplateServer serves it."""

    def __init__(self, products: list[str], artifacts: list[list[str]], stack_templates: list[list[str]],
                 paths: list[list[str]], seconds: float):
        self.products, self.artifacts, self.stack_templates, self.paths = products, artifacts, stack_templates, paths
        self.seconds = seconds

    @property
    def artifact_count(self) -> int:
        return sum(len(ids) for ids in self.artifacts)


def seed_catalog(world: World, templates: TemplateServer, products: int, artifacts: int, workers: int) -> Catalog:
    """P products of A artifacts with distinct templates, created on `workers` threads (boto3 clients are
    thread-safe; the emulator takes concurrent requests)."""
    prefix = f"disc-{uuid.uuid4().hex[:6]}"
    started = time.monotonic()

    def one(number: int) -> tuple[str, list[str], list[str], list[str]]:
        name = f"{prefix}-p{number:04d}"
        forms = [handle_template(f"{name} v{version}") for version in range(1, artifacts + 1)]
        paths = [f"/{name}/v{version}.json" for version in range(1, artifacts + 1)]
        urls = [templates.serve(path, artifact_json) for path, (_, artifact_json) in zip(paths, forms)]
        product, ids = world.product_versions(name, urls)
        return product, ids, [stack_yaml for stack_yaml, _ in forms], paths

    with ThreadPoolExecutor(workers, thread_name_prefix="seed") as pool:
        seeded = list(pool.map(one, range(products)))
    return Catalog([s[0] for s in seeded], [s[1] for s in seeded], [s[2] for s in seeded], [s[3] for s in seeded],
                   time.monotonic() - started)


def picks(products: int, artifacts: int) -> list[tuple[int, int]]:
    """(product, artifact) of the three stacks: three different products, spread over the catalog, and over the
    versions (the newest, the oldest, one in the middle)."""
    return [(products // 4, artifacts - 1), (products // 2, 0), ((3 * products) // 4, artifacts // 2)]


def phase(aws: LocalAws, world: World, proxies: Proxies, templates: TemplateServer, catalog: Catalog,
          pick: tuple[int, int], label: str, problems: list[str]) -> dict:
    """One untagged stack of the picked artifact's template, its status event through the function; the calls, the
    template GETs, the index lines it logged and the time."""
    product_number, artifact_number = pick
    product = catalog.products[product_number]
    artifact = catalog.artifacts[product_number][artifact_number]
    name = f"{label}-{uuid.uuid4().hex[:6]}"
    arn = world.stack(name, catalog.stack_templates[product_number][artifact_number], {"team": "bench"})
    builds_before = len(discovery_index_builds(aws.function_log()))
    gets_before = len(templates.requests)
    proxies.reset()
    started = time.monotonic()
    ok, answer = aws.invoke(world.status_event(arn), timeout=FUNCTION_TIMEOUT_S + 30)
    wall_s = time.monotonic() - started
    traffic = proxies.take()
    gets = templates.requests[gets_before:]
    outcome = (answer.get("outcomes") or [{}])[0] if ok and isinstance(answer, dict) else {}
    target = outcome.get("target", {})
    # The emulator GETs the artifact's template once when it imports; every other GET is the function's.
    emulator_gets = 1 if outcome.get("record") else 0
    result = {
        "stack": name,
        "expected": {"productId": product, "provisioningArtifactId": artifact},
        "outcome": {k: outcome.get(k) for k in ("outcome", "reason", "message", "target")},
        "wall_s": round(wall_s, 2),
        "aws_calls": traffic["calls"],
        "aws_upstream_s": traffic["upstream_s"],
        "aws_errors": traffic["errors"],
        "template_gets": len(gets) - emulator_gets,
        "template_gets_all": len(gets),
        "index_builds": discovery_index_builds(aws.function_log())[builds_before:],
        "memory": {"VmHWM_MB": mb(proc_status_kb(aws.function_pid, "VmHWM")),
                   "VmRSS_MB": mb(proc_status_kb(aws.function_pid, "VmRSS"))},
    }
    if not ok:
        problems.append(f"{label}: the invocation failed: {str(answer)[:300]}")
    elif (outcome.get("outcome"), outcome.get("reason")) != ("IMPORTED", "RECORD_SUCCEEDED") \
            or (target.get("productId"), target.get("provisioningArtifactId")) != (product, artifact) \
            or "discovered" not in (outcome.get("message") or ""):
        problems.append(f"{label}: expected IMPORTED (discovered) into {product}/{artifact}, got "
                        f"{json.dumps(result['outcome'])[:400]}")
    if traffic["errors"]:
        problems.append(f"{label}: AWS error answers: {traffic['errors']}")
    return result


def beyond_own(counts: dict[str, int], cold_start: bool = False) -> dict[str, int]:
    """The calls that are not the stack's own (nor, on a cold start, the function's own account)."""
    expected = STACK_OWN_OPERATIONS + (COLD_START_OPERATIONS if cold_start else ())
    return {key: count for key, count in counts.items() if key.split(":", 1)[1] not in expected}


def index_line(build: dict | None) -> str:
    if not build:
        return "(no `discovery index built` line)"
    return " ".join(f"{key}={build.get(key)}" for key in (*INDEX_FIELDS, "ms"))


def operations_line(counts: dict[str, int], operations: tuple[str, ...]) -> str:
    return ", ".join(f"{operation} {calls(counts, operation)}" for operation in operations)


def table(report: dict) -> str:
    size = report.get("catalog")
    if not size:
        return "catalog: not seeded"
    rows: list[tuple[str, str]] = [("catalog", f"{size['products']} products x {size['artifacts_per_product']} "
                                               f"artifacts = {size['artifacts']} distinct templates "
                                               f"(seeded in {size['seed_s']} s)")]
    cold, warm, restart = report.get("cold"), report.get("warm"), report.get("restart")
    if cold:
        rows += [
            ("(a) cold index build", f"{cold['wall_s']:.2f} s for the first invocation (index + import)"),
            ("  index calls", operations_line(cold["aws_calls"], INDEX_OPERATIONS)),
            ("  template GETs (function)", f"{cold['template_gets']} (one per artifact: "
                                           f"{size['artifacts']})"),
            ("  stack's own calls", operations_line(cold["aws_calls"], STACK_OWN_OPERATIONS)),
            ("  other calls", json.dumps(beyond_own({k: v for k, v in cold["aws_calls"].items()
                                                     if k.split(":", 1)[1] not in INDEX_OPERATIONS},
                                                    cold_start=True))),
            ("  index line", index_line(cold["index_builds"][0] if cold["index_builds"] else None)),
            ("  table items after", str(report.get("table_items_after_cold"))),
            ("  peak memory (VmHWM)", f"{cold['memory']['VmHWM_MB']} MB"),
        ]
    if warm:
        rows += [
            ("(b) warm lookup", f"{warm['wall_s']:.2f} s (same process, another stack)"),
            ("  calls beyond the stack's own", f"{json.dumps(beyond_own(warm['aws_calls']))} (target: none)"),
            ("  template GETs (function)", f"{warm['template_gets']} (target 0)"),
            ("  stack's own calls", operations_line(warm["aws_calls"], STACK_OWN_OPERATIONS)),
            ("  index lines", str(len(warm["index_builds"])) + " (0: the warm index was reused)"),
        ]
    if restart:
        rows += [
            ("(c) after a restart", f"{restart['wall_s']:.2f} s for the new process's first invocation"),
            ("  template GETs (function)", f"{restart['template_gets']} (target 0)"),
            ("  index calls", operations_line(restart["aws_calls"], INDEX_OPERATIONS)),
            ("  index line", index_line(restart["index_builds"][0] if restart["index_builds"] else None)),
            ("  all calls", json.dumps(restart["aws_calls"])),
        ]
    width = max(len(name) for name, _ in rows) + 2
    return "\n".join(f"{name:<{width}}{value}" for name, value in rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=200, help="products in the catalog (default 200)")
    parser.add_argument("--artifacts", type=int, default=5, help="artifacts per product (default 5)")
    parser.add_argument("--record-step-ms", type=int, default=200,
                        help="the emulator's record step: an import's record ends 2 steps after it (default 200)")
    parser.add_argument("--seed-workers", type=int, default=4, help="threads seeding the catalog (default 4)")
    parser.add_argument("--out", type=Path, default=ROOT / "target" / "bench-discovery.json")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if args.products < 4 or args.artifacts < 1:
        parser.error("--products must be at least 4 (three stacks of three products) and --artifacts at least 1")

    binary = Path(os.environ.get("SC_IMPORTER_BOOTSTRAP", ROOT / "target" / "lambda" / "bootstrap" / "bootstrap"))
    freshness = binary_freshness(binary)
    if freshness["sources_newer_than_binary"]:
        say(f"WARNING: {binary} is older than {', '.join(freshness['sources_newer_than_binary'][:5])}: "
            f"`make bootstrap` first to measure the current code")
    report: dict = {"binary": freshness, "machine_cpus": os.cpu_count(),
                    "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    problems: list[str] = []
    began = time.monotonic()
    logs = ROOT / "target" / "bench-discovery-logs"
    with LocalAws(logs=logs, record_step_ms=args.record_step_ms) as aws, TemplateServer() as templates:
        world = World(aws)
        proxies = Proxies(aws.moto_url, aws.catalog_url)
        try:
            say(f"seeding {args.products} products x {args.artifacts} artifacts ...")
            catalog = seed_catalog(world, templates, args.products, args.artifacts, args.seed_workers)
            total = catalog.artifact_count
            report["catalog"] = {"products": args.products, "artifacts_per_product": args.artifacts,
                                 "artifacts": total, "seed_s": round(catalog.seconds, 1)}
            say(f"    seeded in {catalog.seconds:.1f} s")
            table_name = world.artifact_index_table()
            env = {**proxies.env, "DISCOVERY": "on", "ARTIFACT_INDEX_TABLE": table_name}
            cold_pick, warm_pick, restart_pick = picks(args.products, args.artifacts)

            say("\n[a] cold index build: the first stack, a fresh process, an empty table")
            aws.start_function(env, timeout_s=FUNCTION_TIMEOUT_S)
            cold = report["cold"] = phase(aws, world, proxies, templates, catalog, cold_pick, "cold", problems)
            items = report["table_items_after_cold"] = len(world.index_items(table_name))
            say(f"    {cold['wall_s']:.2f} s; {operations_line(cold['aws_calls'], INDEX_OPERATIONS)}; "
                f"template GETs {cold['template_gets']}; table items {items}")
            [build] = cold["index_builds"] or [{}]
            if (build.get("fetched"), build.get("from_store")) != (total, 0):
                problems.append(f"(a) index line {index_line(build)}: expected fetched={total} from_store=0")
            if cold["template_gets"] != total:
                problems.append(f"(a) {cold['template_gets']} template GETs by the function for {total} artifacts")
            if items != total:
                problems.append(f"(a) {items} items in the table for {total} artifacts")

            say("\n[b] warm lookup: a second stack, the same process")
            warm = report["warm"] = phase(aws, world, proxies, templates, catalog, warm_pick, "warm", problems)
            extra = beyond_own(warm["aws_calls"])
            say(f"    {warm['wall_s']:.2f} s; calls beyond the stack's own {extra}; "
                f"template GETs {warm['template_gets']}")
            if extra or warm["template_gets"]:
                problems.append(f"(b) the warm lookup made calls beyond the stack's own: {extra}, "
                                f"{warm['template_gets']} template GETs")
            if warm["index_builds"]:
                problems.append(f"(b) the warm lookup built the index again: {warm['index_builds']}")

            say("\n[c] after a restart: a third stack, a new process, the table as (a) left it")
            aws.stop_function()
            aws.start_function(env, timeout_s=FUNCTION_TIMEOUT_S)
            restart = report["restart"] = phase(aws, world, proxies, templates, catalog, restart_pick, "restart",
                                                problems)
            say(f"    {restart['wall_s']:.2f} s; template GETs {restart['template_gets']}; "
                f"{operations_line(restart['aws_calls'], INDEX_OPERATIONS)}")
            [build] = restart["index_builds"] or [{}]
            if (build.get("fetched"), build.get("from_store")) != (0, total):
                problems.append(f"(c) index line {index_line(build)}: expected fetched=0 from_store={total}")
            if restart["template_gets"]:
                problems.append(f"(c) {restart['template_gets']} template GETs after the restart (target 0)")
        except BaseException as error:
            problems.append(f"the benchmark broke: {type(error).__name__}: {error}")
            raise
        finally:
            aws.stop_function()
            proxies.close()
            save(report, problems, began, logs, args.out)

    return conclude(report, problems, args.out, table(report))


if __name__ == "__main__":
    sys.exit(main())
