"""Building a CloudFormation estate in moto, fast: thousands of stacks for the sweep tests (docs/CONTRACT.md §1d), the
demo and the 2,000-stack benchmark, plus the stacks a sweep must tell apart: nested stacks, StackSet instances,
stacks Service Catalog launched, stacks a provisioned product already holds, and stacks in a status that is not
importable.

What moto does, measured with moto 5.2.5 (the pinned version) on this 2-core machine:
- The cheapest stack is one `AWS::CloudFormation::WaitConditionHandle` (`HANDLE_TEMPLATE_YAML`): moto creates nothing
  for it (it is one of its "null models") and the stack is CREATE_COMPLETE when CreateStack answers. 2,000 such stacks
  take about 21 s one after another, about 17 s with 2 threads (the server's CPU is the limit; more threads do not
  help). Stack names are checked for duplicates by a scan of every stack, so creation slows a little as the estate
  grows.
- moto's CloudFormation is not thread-safe: concurrent CreateStack calls now and then fail with HTTP 500 (moto's
  "OrderedDict mutated during iteration" in the duplicate-name check, before anything is created). `create_stack`
  retries those.
- DescribeStacks without StackName lists live stacks only (deleted ones go to ListStacks), 50 per page, with the
  last stack's id as `NextToken` (moto/cloudformation/responses.py). Listing 2,000 stacks: 40 pages, about 2 s. A
  token names a stack: if that stack is deleted between two pages, the next page fails (HTTP 500). ListStacks does
  not paginate at all.
- Nested stacks: an `AWS::CloudFormation::Stack` resource whose TemplateURL moto can read from its own S3 (moto does
  not fetch the URL, it parses bucket and key out of it: `https://s3.amazonaws.com/<bucket>/<key>` or
  `http://localhost:<port>/<bucket>/<key>` work; `http://127.0.0.1:<port>/<bucket>/<key>` does not, it is read as
  the virtual-hosted bucket "127") creates a child `<parent>-<logical id>-<12 random characters>`, CREATE_COMPLETE,
  listed by DescribeStacks without StackName like any stack, without tags, and WITHOUT `ParentId`/`RootId`: moto's
  stack model has no such fields. `patched_moto_server` (run this file as `python estate.py moto-server -H
  127.0.0.1 -p PORT`) is moto's server with a patch that sets them, as CloudFormation does (and with esm.py's fix of
  moto's FIFO redelivery order).
- A CreateStack that fails while creating resources (e.g. a nested TemplateURL moto cannot read) answers an error yet
  leaves the stack behind in CREATE_IN_PROGRESS for good.
- StackSets: moto names a self-managed instance's stack `StackSet:<set name>` and hides service-managed ones, neither
  as CloudFormation does (`StackSet-<set name>-<uuid>`); `stackset_instance_stack` creates a plain stack so named,
  which is all DescribeStacks shows of a real instance.
"""

from __future__ import annotations

import json
import secrets
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from botocore.exceptions import ClientError

try:  # botocore keeps it in `parsers`; some versions also export it from `exceptions`
    from botocore.parsers import ResponseParserError
except ImportError:  # pragma: no cover
    from botocore.exceptions import ResponseParserError  # type: ignore[no-redef]

HANDLE_TEMPLATE_YAML = """AWSTemplateFormatVersion: 2010-09-09
Description: an estate stack
Resources:
  Handle:
    Type: AWS::CloudFormation::WaitConditionHandle
"""

# The same template as a product's artifact may hold it: JSON, other key order.
HANDLE_TEMPLATE_JSON = json.dumps(
    {
        "Resources": {"Handle": {"Type": "AWS::CloudFormation::WaitConditionHandle"}},
        "Description": "an estate stack",
        "AWSTemplateFormatVersion": "2010-09-09",
    },
    indent=2,
)

# Worth it on 2 cores (about 20% faster than one thread); more threads only add moto's retried 500s.
DEFAULT_WORKERS = 2


@dataclass
class StackSpec:
    name: str
    template: str = HANDLE_TEMPLATE_YAML
    tags: dict[str, str] = field(default_factory=dict)


def numbered(prefix: str, count: int, tags: dict[str, str] | None = None, template: str = HANDLE_TEMPLATE_YAML,
             start: int = 0) -> list[StackSpec]:
    """`count` stacks `<prefix>-00000`, `<prefix>-00001`, … with the same template and tags."""
    return [StackSpec(f"{prefix}-{number:05d}", template, dict(tags or {})) for number in range(start, start + count)]


def _is_moto_server_error(error: Exception) -> bool:
    if isinstance(error, ResponseParserError):  # moto's 500 is an HTML page
        return True
    if isinstance(error, ClientError):
        return error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) >= 500
    return False


def create_stack(cfn, spec: StackSpec, attempts: int = 8) -> str:
    """Creates one stack and returns its ARN, retrying moto's thread-safety 500s. The stack must end up
    CREATE_COMPLETE when CreateStack answers (true of every template moto creates synchronously)."""
    tags = [{"Key": key, "Value": value} for key, value in spec.tags.items()]
    failed_before = False
    for attempt in range(attempts):
        try:
            return cfn.create_stack(StackName=spec.name, TemplateBody=spec.template, Tags=tags)["StackId"]
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code")
            if code == "AlreadyExistsException" and failed_before:
                # An earlier attempt failed after moto had stored the stack: it is there.
                return cfn.describe_stacks(StackName=spec.name)["Stacks"][0]["StackId"]
            if not _is_moto_server_error(error) or attempt == attempts - 1:
                raise
        except ResponseParserError:
            if attempt == attempts - 1:
                raise
        failed_before = True
        time.sleep(0.01 * (attempt + 1))
    raise AssertionError("unreachable")


def create_estate(cfn, stacks: Iterable[StackSpec], workers: int = DEFAULT_WORKERS,
                  progress: Callable[[int], None] | None = None) -> list[str]:
    """Creates the stacks (on `workers` threads: boto3 clients are thread-safe) and returns their ARNs in the order
    given. `progress(n)` is called with the number created so far, every 100 stacks."""
    specs = list(stacks)
    if workers <= 1:
        arns = []
        for number, spec in enumerate(specs, 1):
            arns.append(create_stack(cfn, spec))
            if progress and number % 100 == 0:
                progress(number)
        return arns
    done = 0

    def one(spec: StackSpec) -> str:
        nonlocal done
        arn = create_stack(cfn, spec)
        done += 1  # approximate under threads; only for progress
        if progress and done % 100 == 0:
            progress(done)
        return arn

    with ThreadPoolExecutor(workers, thread_name_prefix="estate") as pool:
        return list(pool.map(one, specs))


def list_live_stacks(cfn) -> tuple[list[dict], int]:
    """Every stack DescribeStacks lists without StackName (every page); returns (stacks, pages)."""
    stacks: list[dict] = []
    pages = 0
    token = None
    while True:
        answer = cfn.describe_stacks(**({"NextToken": token} if token else {}))
        pages += 1
        stacks.extend(answer.get("Stacks", []))
        token = answer.get("NextToken")
        if not token:
            return stacks, pages


# ---- the stacks a sweep must tell apart --------------------------------------------------------------------------
@dataclass
class NestedStack:
    parent_arn: str
    child_arn: str
    child_name: str
    # DescribeStacks' ParentId of the child: None on plain moto (see the module docstring).
    parent_id: str | None


def nested_stack(cfn, s3, bucket: str, parent_name: str, child_template: str = HANDLE_TEMPLATE_YAML,
                 tags: dict[str, str] | None = None) -> NestedStack:
    """A root stack `parent_name` whose resource `Child` is a nested stack with `child_template` (uploaded to
    `bucket` in moto's S3). The child is named `<parent>-Child-<random>`."""
    key = f"nested/{parent_name}-child.yaml"
    s3.put_object(Bucket=bucket, Key=key, Body=child_template.encode())
    parent_template = {
        "Resources": {
            "Child": {
                "Type": "AWS::CloudFormation::Stack",
                # moto reads bucket and key from this URL in its own S3; it does not fetch it.
                "Properties": {"TemplateURL": f"https://s3.amazonaws.com/{bucket}/{key}"},
            }
        }
    }
    parent_arn = create_stack(cfn, StackSpec(parent_name, json.dumps(parent_template), dict(tags or {})))
    resources = cfn.list_stack_resources(StackName=parent_arn)["StackResourceSummaries"]
    physical = next(r["PhysicalResourceId"] for r in resources if r["LogicalResourceId"] == "Child")
    child = cfn.describe_stacks(StackName=physical)["Stacks"][0]  # moto: the name; CloudFormation: the ARN
    return NestedStack(parent_arn, child["StackId"], child["StackName"], child.get("ParentId"))


def stackset_instance_stack(cfn, stackset_name: str, template: str = HANDLE_TEMPLATE_YAML,
                            tags: dict[str, str] | None = None) -> str:
    """A stack named as a StackSet names its instances, `StackSet-<set name>-<uuid>`; returns its ARN."""
    return create_stack(cfn, StackSpec(f"StackSet-{stackset_name}-{uuid.uuid4()}", template, dict(tags or {})))


def catalog_launched_stack(cfn, account: str, template: str = HANDLE_TEMPLATE_YAML,
                           tags: dict[str, str] | None = None) -> str:
    """A stack named as Service Catalog names the stacks it launches, `SC-<account>-pp-<13 characters>`."""
    suffix = "".join(secrets.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(13))
    return create_stack(cfn, StackSpec(f"SC-{account}-pp-{suffix}", template, dict(tags or {})))


def review_in_progress_stack(cfn, name: str, template: str = HANDLE_TEMPLATE_YAML) -> str:
    """A stack in REVIEW_IN_PROGRESS (a CREATE change set not executed): listed by DescribeStacks, not importable."""
    answer = cfn.create_change_set(
        StackName=name, ChangeSetName=f"c{uuid.uuid4().hex[:12]}", ChangeSetType="CREATE", TemplateBody=template
    )
    return answer["StackId"]


def updated_stack(cfn, spec: StackSpec, description: str = "an estate stack, updated") -> str:
    """A stack in UPDATE_COMPLETE: created from `spec`, then updated with another Description (the update's template
    is the stack's template from then on)."""
    arn = create_stack(cfn, spec)
    template = spec.template.replace("Description: an estate stack", f"Description: {description}")
    if template == spec.template:
        template = spec.template + f"\n# {description}\n"
    cfn.update_stack(StackName=arn, TemplateBody=template)
    return arn


def held_stack(world, name: str, template: str = HANDLE_TEMPLATE_YAML, tags: dict[str, str] | None = None,
               product: tuple[str, str] | None = None, timeout: float = 30.0) -> dict:
    """A stack a provisioned product already holds: created, then imported with the emulator's
    ImportAsProvisionedProduct (into `product` = (product id, artifact id), or a new product whose artifact is
    `template`), and waited for until its record ended. Returns {"arn", "productId", "artifactId",
    "provisionedProductId", "recordId", "status"}. The emulator runs one import at a time: call this before the
    function imports anything, or when it is idle."""
    arn = create_stack(world.cfn, StackSpec(name, template, dict(tags or {})))
    product_id, artifact_id = product or world.product(f"{name}-product", template)
    record = world.catalog.import_as_provisioned_product(
        ProductId=product_id,
        ProvisioningArtifactId=artifact_id,
        ProvisionedProductName=name,
        PhysicalId=arn,
        IdempotencyToken=uuid.uuid4().hex,
    )["RecordDetail"]
    ended = world.wait_for_record(record["RecordId"], timeout)
    return {
        "arn": arn,
        "productId": product_id,
        "artifactId": artifact_id,
        "provisionedProductId": record["ProvisionedProductId"],
        "recordId": record["RecordId"],
        "status": ended["Status"],
    }


# ---- a mixed estate ----------------------------------------------------------------------------------------------
@dataclass
class Estate:
    """The ARNs of a mixed estate, by what a sweep should decide about them (docs/CONTRACT.md §1d)."""

    prefix: str
    routed: list[str] = field(default_factory=list)  # tagged sc-import:product-id: each needs an import
    unrouted: list[str] = field(default_factory=list)  # no routing tag: NO_ROUTE unless a rule routes them
    opted_out: list[str] = field(default_factory=list)  # sc-import:skip=true: OPTED_OUT
    nested: list[NestedStack] = field(default_factory=list)  # children: NESTED_STACK; parents carry no routing tag
    stackset: list[str] = field(default_factory=list)  # StackSet-<name>-<uuid>: STACKSET_INSTANCE
    held: list[dict] = field(default_factory=list)  # held by a provisioned product: ALREADY_PROVISIONED
    not_importable: list[str] = field(default_factory=list)  # REVIEW_IN_PROGRESS: never listed by a sweep
    seconds: float = 0.0

    @property
    def nested_parents(self) -> list[str]:
        return [nested.parent_arn for nested in self.nested]

    @property
    def all_importable_status(self) -> list[str]:
        """Every stack in an importable status (CREATE_COMPLETE), nested children included."""
        return [
            *self.routed,
            *self.unrouted,
            *self.opted_out,
            *self.nested_parents,
            *(nested.child_arn for nested in self.nested),
            *self.stackset,
            *(held["arn"] for held in self.held),
        ]


def build_estate(world, product_id: str | None = None, routed: int = 0, unrouted: int = 0, opted_out: int = 0,
                 nested: int = 0, stackset: int = 0, held: int = 0, not_importable: int = 0,
                 template: str = HANDLE_TEMPLATE_YAML, tags: dict[str, str] | None = None, prefix: str | None = None,
                 workers: int = DEFAULT_WORKERS) -> Estate:
    """A mixed estate under a fresh name prefix (`est-<hex>` unless given), every stack with `template` (except nested
    parents, whose template holds the nested stack) and `tags`: `routed` stacks tagged `sc-import:product-id` =
    `product_id` (required when routed > 0), `unrouted` without a routing tag, `opted_out` tagged `sc-import:skip` =
    `true`, `nested` parent/child pairs (neither carries a routing tag, and moto gives the child no tags at all),
    `stackset` StackSet instances, `held` stacks already imported, each into a product of its own whose artifact is
    `template`, and `not_importable` stacks in REVIEW_IN_PROGRESS. Plain stacks are created on `workers` threads, the
    others one after another (`held` ones wait for their import record: about two record steps each)."""
    if routed and not product_id:
        raise ValueError("routed stacks need a product_id")
    prefix = prefix or f"est-{uuid.uuid4().hex[:6]}"
    common = dict(tags or {})
    started = time.monotonic()
    estate = Estate(prefix)
    specs = [
        *numbered(f"{prefix}-routed", routed, {**common, "sc-import:product-id": product_id or ""}, template),
        *numbered(f"{prefix}-unrouted", unrouted, common, template),
        *numbered(f"{prefix}-optout", opted_out, {**common, "sc-import:skip": "true"}, template),
    ]
    arns = create_estate(world.cfn, specs, workers)
    estate.routed = arns[:routed]
    estate.unrouted = arns[routed : routed + unrouted]
    estate.opted_out = arns[routed + unrouted :]
    for number in range(nested):
        estate.nested.append(
            nested_stack(world.cfn, world.s3, world.bucket, f"{prefix}-parent-{number:05d}", template, common)
        )
    for number in range(stackset):
        estate.stackset.append(stackset_instance_stack(world.cfn, f"{prefix}-set{number}", template, common))
    for number in range(held):
        estate.held.append(held_stack(world, f"{prefix}-held-{number:05d}", template, common))
    for number in range(not_importable):
        estate.not_importable.append(review_in_progress_stack(world.cfn, f"{prefix}-review-{number:05d}", template))
    estate.seconds = time.monotonic() - started
    return estate


# ---- moto with nested stacks that know their parent ---------------------------------------------------------------
def patch_moto_nested_stacks() -> None:
    """Makes moto (in this process) give a nested stack `ParentId` (the stack whose resource created it) and `RootId`
    (the top of the chain), as CloudFormation does; root stacks keep neither. moto 5.2.5's stack model has no such
    fields; its serializer emits `parent_id`/`root_id` attributes as `ParentId`/`RootId` once they exist."""
    import moto.cloudformation.models as models

    stack_class = models.Stack
    if getattr(stack_class, "_sc_nested_patch", False):
        return
    create = stack_class.create_from_cloudformation_json.__func__

    def create_nested(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        child = create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
        parent_id = kwargs.get("StackId")
        if parent_id:
            child.parent_id = parent_id
        return child

    def root_id(self):
        parent_id = getattr(self, "parent_id", None)
        if not parent_id:
            return None
        stacks = models.cloudformation_backends[self.account_id][self.region_name].stacks
        seen = {self.stack_id}
        while parent_id in stacks and getattr(stacks[parent_id], "parent_id", None) and parent_id not in seen:
            seen.add(parent_id)
            parent_id = stacks[parent_id].parent_id
        return parent_id

    stack_class.parent_id = None
    stack_class.root_id = property(root_id)
    stack_class.create_from_cloudformation_json = classmethod(create_nested)
    stack_class._sc_nested_patch = True


def patched_moto_server(argv: Sequence[str]) -> int:
    """`moto_server` (same arguments) with `patch_moto_nested_stacks` and esm.py's `patch_moto_sqs_fifo_redelivery`
    applied."""
    from esm import patch_moto_sqs_fifo_redelivery

    patch_moto_nested_stacks()
    patch_moto_sqs_fifo_redelivery()
    from moto.server import main

    return main(list(argv)) or 0


# ---- the benchmark -----------------------------------------------------------------------------------------------
def benchmark(count: int = 2000, workers: int = DEFAULT_WORKERS) -> dict:
    """Starts local AWS (moto + the emulator, as the tests do), creates `count` stacks and lists them."""
    from localaws import ROOT, LocalAws
    from world import World

    with LocalAws(logs=ROOT / "target" / "estate-logs") as aws:
        world = World(aws)
        started = time.monotonic()
        arns = create_estate(world.cfn, numbered(f"bench-{uuid.uuid4().hex[:4]}", count), workers)
        created = time.monotonic() - started
        started = time.monotonic()
        stacks, pages = list_live_stacks(world.cfn)
        listed = time.monotonic() - started
        return {"stacks": len(arns), "workers": workers, "create_s": round(created, 2),
                "listed": len(stacks), "pages": pages, "list_s": round(listed, 2)}


def main(argv: Sequence[str]) -> int:
    if argv[:1] == ["moto-server"]:
        return patched_moto_server(argv[1:])
    if argv[:1] == ["benchmark"]:
        count = int(argv[1]) if len(argv) > 1 else 2000
        workers = int(argv[2]) if len(argv) > 2 else DEFAULT_WORKERS
        print(json.dumps(benchmark(count, workers)))
        return 0
    print("usage: estate.py moto-server [moto_server arguments] | estate.py benchmark [COUNT [WORKERS]]",
          file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
