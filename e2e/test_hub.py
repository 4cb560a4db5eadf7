"""The organization hub (docs/CONTRACT.md §8) end to end: one function importing the stacks of two accounts in two
regions on this machine.

- The hub is moto's default account (123456789012, the `local` keys); a member account's stacks, buckets and products
  are made with the credentials moto's STS hands out for the member role there (`World.as_account`): moto keeps
  CloudFormation, S3 and SQS per account and region, and the Service Catalog emulator one catalog per account and
  region, learning the caller's account from moto ("Accounts and regions" in emulator/README.md).
- The function runs with `MEMBER_ROLE_NAME`; its STS endpoint is a gate (sts_gate.py) in front of moto that refuses
  AssumeRole for the accounts a test names (IAM's trust-policy check, which moto does not make) and counts every
  AssumeRole by account.
- Events are the member's status events as the hub's bus delivers them (`World.forwarded_event`: the event's
  `account` and `region` are the stack's).

Every test makes its stacks under fresh names and sweeps only its own prefix: the session's moto holds every other
test's stacks too."""

from __future__ import annotations

import json
import uuid

import pytest

from esm import EventSourceMapping
from estate import HANDLE_TEMPLATE_JSON, HANDLE_TEMPLATE_YAML
from localaws import ACCOUNT, MEMBER_ROLE_NAME, REGION
from sts_gate import StsGate
from test_e2e import assert_contract_shape, only_outcome, unique
from world import QUEUE_TEMPLATE_JSON, QUEUE_TEMPLATE_YAML, World

MEMBER = "210987654321"
# A member account whose role does not trust the hub (the gate refuses AssumeRole there).
REFUSED = "444455556666"
OTHER_REGION = "eu-west-1"
EXTERNAL_ID = "hub-e2e-external-id"


def role_arn(account: str) -> str:
    return f"arn:aws:iam::{account}:role/{MEMBER_ROLE_NAME}"


@pytest.fixture(scope="module")
def gate(aws):
    with StsGate(aws.moto_url, refused={REFUSED}) as sts:
        yield sts


@pytest.fixture
def hub(aws, gate, destinations):
    """Starts the function as the organization hub (member role, STS through the gate) with both destinations;
    `hub(**env)` adds to its environment. The gate's counts start from zero."""

    def start(**env: str) -> StsGate:
        gate.reset()
        aws.start_function({**destinations["env"], "MEMBER_ROLE_NAME": MEMBER_ROLE_NAME,
                            "AWS_ENDPOINT_URL_STS": gate.url, **env})
        return gate

    return start


def outcomes_via_sns(world: World, destinations: dict, expected: int, timeout: float = 15.0) -> list[dict]:
    return [json.loads(m["Message"]) for m in world.drain(destinations["sns_queue"], expected, timeout)
            if m["MessageAttributes"]["outcome"]["Value"] != "SWEEP_SUMMARY"]


def place_of(stack_arn: str) -> tuple[str, str]:
    """(account, region) of a stack ARN."""
    _, _, _, region, account, _ = stack_arn.split(":", 5)
    return account, region


def test_a_member_accounts_stack_is_imported_in_that_account_and_region(aws, world, destinations, hub):
    sts = hub(MEMBER_ROLE_EXTERNAL_ID=EXTERNAL_ID)
    member = world.as_account(MEMBER, OTHER_REGION)
    product, artifact = member.product(unique("queue"), QUEUE_TEMPLATE_JSON)
    name = unique("member-api")
    arn = member.stack(name, QUEUE_TEMPLATE_YAML, {"sc-import:product-id": product})
    assert place_of(arn) == (MEMBER, OTHER_REGION), arn
    event = World.forwarded_event(arn)
    assert (event["account"], event["region"], event["resources"]) == (MEMBER, OTHER_REGION, [arn])

    ok, answer = aws.invoke(event)

    assert ok, answer
    outcome = only_outcome(answer)
    assert (outcome["outcome"], outcome["reason"], outcome["retryable"]) == ("IMPORTED", "RECORD_SUCCEEDED", False)
    assert outcome["stack"] == {"arn": arn, "name": name, "status": "CREATE_COMPLETE", "account": MEMBER,
                                "region": OTHER_REGION}
    assert outcome["target"] == {"productId": product, "provisioningArtifactId": artifact,
                                 "provisionedProductName": name}
    # The member's catalog in the stack's region holds it; the hub's (either region) and the member's other don't.
    [holder] = member.holders_of(arn)
    assert (holder["ProductId"], holder["Status"], holder["Name"]) == (product, "AVAILABLE", name)
    assert holder["Arn"].split(":")[3:5] == [OTHER_REGION, MEMBER], holder["Arn"]
    assert not world.holders_of(arn)
    assert not world.as_account(ACCOUNT, OTHER_REGION).holders_of(arn)
    assert not world.as_account(MEMBER, REGION).holders_of(arn)
    # The outcome reaches the hub's destinations, with the member's account and region.
    [via_sns] = outcomes_via_sns(world, destinations, 1)
    assert via_sns == outcome
    [via_events] = world.drain(destinations["events_queue"], 1)
    assert via_events["detail"]["stack"]["account"] == MEMBER and via_events["resources"] == [arn]

    # A second member stack in the member's other region: the same credentials (one AssumeRole per account), new
    # clients for that region.
    member_us = world.as_account(MEMBER, REGION)
    product_us, _ = member_us.product(unique("queue"), QUEUE_TEMPLATE_JSON)
    arn_us = member_us.stack(unique("member-us"), QUEUE_TEMPLATE_YAML, {"sc-import:product-id": product_us})

    ok, answer = aws.invoke(World.forwarded_event(arn_us))

    assert ok, answer
    second = only_outcome(answer)
    assert (second["outcome"], second["stack"]["account"], second["stack"]["region"]) == ("IMPORTED", MEMBER, REGION)
    assert len(member_us.holders_of(arn_us)) == 1 and not member.holders_of(arn_us)
    assert sts.counts() == {MEMBER: 1}, f"AssumeRole calls by account: {sts.counts()}"
    [assumed] = sts.assume_role_log
    assert (assumed["roleArn"], assumed["externalId"], assumed["durationSeconds"]) == (
        role_arn(MEMBER), EXTERNAL_ID, "3600"), assumed
    # The function asked STS for its own account once (the hub's own stacks use its own credentials).
    assert sts.actions["GetCallerIdentity"] == 1, sts.actions


def test_a_member_role_that_cannot_be_assumed_fails_access_denied_naming_the_role(aws, world, destinations, hub):
    sts = hub()
    refused = world.as_account(REFUSED, REGION)  # seeded with moto's STS directly: only the function is refused
    product, _ = refused.product(unique("queue"), QUEUE_TEMPLATE_JSON)
    name = unique("refused")
    arn = refused.stack(name, QUEUE_TEMPLATE_YAML, {"sc-import:product-id": product})

    ok, answer = aws.invoke(World.forwarded_event(arn))

    assert ok, answer
    outcome = only_outcome(answer)
    assert (outcome["outcome"], outcome["reason"], outcome["retryable"]) == ("FAILED", "ACCESS_DENIED", False)
    assert role_arn(REFUSED) in outcome["message"], outcome["message"]
    assert (outcome["stack"]["account"], outcome["stack"]["region"], outcome["stack"]["arn"]) == (REFUSED, REGION, arn)
    assert "record" not in outcome
    assert not refused.holders_of(arn), "nothing imported"
    [via_sns] = outcomes_via_sns(world, destinations, 1)
    assert via_sns["reason"] == "ACCESS_DENIED"

    # A manual request naming the stack in that account and region: the same verdict.
    ok, answer = aws.invoke({"stackName": name, "account": REFUSED, "region": REGION})
    assert ok, answer
    manual = only_outcome(answer)
    assert (manual["outcome"], manual["reason"], manual["retryable"]) == ("FAILED", "ACCESS_DENIED", False)
    assert role_arn(REFUSED) in manual["message"], manual["message"]
    assert sts.refused_calls[REFUSED] == sts.counts()[REFUSED] >= 2, "a refusal is not kept: each request asks STS"

    # A sweep over that account reports it as not swept; a trusted member next to it is swept.
    ok, answer = aws.invoke({"sweep": {"dryRun": True, "stackName": f"{name}*", "accounts": [REFUSED, MEMBER]}})
    assert ok, answer
    sweep = answer["sweep"]
    assert sweep["stacks"] == 0 and sweep["complete"] is True, sweep
    [failed] = sweep["failed"]
    assert failed["account"] == REFUSED and role_arn(REFUSED) in failed["message"], sweep
    assert not refused.holders_of(arn)


def test_rules_route_by_account_and_region(aws, world, destinations, hub):
    prefix = f"route-{uuid.uuid4().hex[:6]}"
    member_eu = world.as_account(MEMBER, OTHER_REGION)
    member_us = world.as_account(MEMBER, REGION)
    hub_eu = world.as_account(ACCOUNT, OTHER_REGION)
    member_product, member_artifact = member_eu.product(unique("member-queue"), QUEUE_TEMPLATE_JSON)
    hub_product, hub_artifact = world.product(unique("hub-queue"), QUEUE_TEMPLATE_JSON)
    rules = [
        {"stackName": f"{prefix}-*", "account": MEMBER, "region": "eu-*", "productId": member_product},
        {"stackName": f"{prefix}-*", "account": "1234567890??", "region": REGION, "productId": hub_product},
    ]
    sts = hub(IMPORT_RULES=json.dumps(rules))
    # No routing tags: only the rules decide.
    in_member_eu = member_eu.stack(f"{prefix}-member-eu", QUEUE_TEMPLATE_YAML, {"team": "payments"})
    in_hub_us = world.stack(f"{prefix}-hub-us", QUEUE_TEMPLATE_YAML, {"team": "payments"})
    in_member_us = member_us.stack(f"{prefix}-member-us", QUEUE_TEMPLATE_YAML, {"team": "payments"})
    in_hub_eu = hub_eu.stack(f"{prefix}-hub-eu", QUEUE_TEMPLATE_YAML, {"team": "payments"})

    outcomes = {}
    for arn in (in_member_eu, in_hub_us, in_member_us, in_hub_eu):
        ok, answer = aws.invoke(World.forwarded_event(arn))
        assert ok, answer
        outcomes[arn] = only_outcome(answer)

    member_imported, hub_imported = outcomes[in_member_eu], outcomes[in_hub_us]
    assert (member_imported["outcome"], member_imported["target"]["productId"],
            member_imported["target"]["provisioningArtifactId"]) == ("IMPORTED", member_product, member_artifact)
    assert (hub_imported["outcome"], hub_imported["target"]["productId"],
            hub_imported["target"]["provisioningArtifactId"]) == ("IMPORTED", hub_product, hub_artifact)
    assert [pp["ProductId"] for pp in member_eu.holders_of(in_member_eu)] == [member_product]
    assert [pp["ProductId"] for pp in world.holders_of(in_hub_us)] == [hub_product]
    for arn in (in_member_us, in_hub_eu):  # the right account in the wrong region, and the reverse
        assert (outcomes[arn]["outcome"], outcomes[arn]["reason"]) == ("SKIPPED", "NO_ROUTE"), outcomes[arn]
        assert (outcomes[arn]["stack"]["account"], outcomes[arn]["stack"]["region"]) == place_of(arn)
    assert not member_us.holders_of(in_member_us) and not hub_eu.holders_of(in_hub_eu)
    assert sts.counts() == {MEMBER: 1}, sts.counts()

    # A manual request names a stack by name in an account and region (both, exact); its fields override the rules.
    other_product, other_artifact = member_us.product(unique("member-us-queue"), QUEUE_TEMPLATE_JSON)
    ok, answer = aws.invoke({"stackName": f"{prefix}-member-us", "account": MEMBER, "region": REGION,
                             "productId": other_product, "dryRun": True})
    assert ok, answer
    manual = only_outcome(answer)
    assert (manual["outcome"], manual["stack"]["arn"], manual["target"]["provisioningArtifactId"]) == (
        "PLANNED", in_member_us, other_artifact), manual
    ok, answer = aws.invoke({"stackName": f"{prefix}-member-us", "account": MEMBER})
    assert ok, answer
    assert only_outcome(answer)["reason"] == "INVALID_REQUEST", "an account without a region"
    assert sts.counts() == {MEMBER: 1}, sts.counts()


def seed_place(world: World, prefix: str, routed: int, unrouted: int) -> tuple[list[str], list[str]]:
    """A product in the world's catalog and `routed` stacks tagged for it, `unrouted` without a tag; returns the
    (routed, unrouted) ARNs."""
    product, _ = world.product(unique("handle"), HANDLE_TEMPLATE_JSON)
    tag = world.account[-4:] + "-" + world.region
    routed_arns = [world.stack(f"{prefix}-{tag}-r{n}", HANDLE_TEMPLATE_YAML, {"sc-import:product-id": product})
                   for n in range(routed)]
    unrouted_arns = [world.stack(f"{prefix}-{tag}-u{n}", HANDLE_TEMPLATE_YAML, {}) for n in range(unrouted)]
    return routed_arns, unrouted_arns


def test_a_sweep_over_two_accounts_and_two_regions_queues_one_message_group_per_account_and_region(
        aws, world, destinations, hub):
    queue_url, _ = world.import_queue(max_receive_count=5, visibility_timeout=5)
    sts = hub(IMPORT_QUEUE_URL=queue_url)
    prefix = f"hubsweep-{uuid.uuid4().hex[:6]}"
    places = [(account, region) for account in (ACCOUNT, MEMBER) for region in (REGION, OTHER_REGION)]
    routed: dict[tuple[str, str], list[str]] = {}
    unrouted: list[str] = []
    for account, region in places:
        routed[(account, region)], skipped = seed_place(world.as_account(account, region), prefix, 2, 1)
        unrouted += skipped
    request = {"dryRun": True, "stackName": f"{prefix}-*", "accounts": [ACCOUNT, MEMBER],
               "regions": [REGION, OTHER_REGION]}

    ok, answer = aws.invoke({"sweep": request})

    assert ok, answer
    sweep = answer["sweep"]
    assert (sweep["stacks"], sweep["queued"], sweep["byReason"], sweep["complete"]) == (12, 8, {"NO_ROUTE": 4}, True), \
        sweep
    assert (sweep["accounts"], sweep["regions"]) == ([ACCOUNT, MEMBER], [REGION, OTHER_REGION]), sweep
    assert "failed" not in sweep, sweep
    assert world.queue_depth(queue_url)["visible"] == 8

    batches = EventSourceMapping(world.sqs, queue_url, aws.invoke, batch_size=10, max_concurrency=1) \
        .run_until_empty(timeout=60)

    assert all(batch["ok"] and not batch["failed"] for batch in batches), batches
    # Each work item went to its stack's `<account>:<region>` message group: four groups.
    grouped = [(group, json.loads(body)["importStack"]["stackArn"])
               for batch in batches for group, body in zip(batch["groups"], batch["bodies"])]
    assert sorted(arn for _, arn in grouped) == sorted(arn for arns in routed.values() for arn in arns)
    assert all(group == ":".join(place_of(arn)) for group, arn in grouped), grouped
    assert {group for group, _ in grouped} == {f"{account}:{region}" for account, region in places}
    outcomes = outcomes_via_sns(world, destinations, 12 + 1)
    assert len(outcomes) == 12 and all(o["trigger"] == {"kind": "sweep", "id": sweep["id"]} for o in outcomes)
    for outcome in outcomes:
        assert_contract_shape({**outcome, "trigger": {**outcome["trigger"], "kind": "event"}})
        assert (outcome["stack"]["account"], outcome["stack"]["region"]) == place_of(outcome["stack"]["arn"]), outcome
    planned = sorted(o["stack"]["arn"] for o in outcomes if o["outcome"] == "PLANNED")
    assert planned == sorted(arn for arns in routed.values() for arn in arns)
    assert sorted(o["stack"]["arn"] for o in outcomes if o["reason"] == "NO_ROUTE") == sorted(unrouted)
    assert not any(world.as_account(*place_of(arn)).holders_of(arn) for arns in routed.values() for arn in arns), \
        "a dry run imports nothing"
    assert sts.counts() == {MEMBER: 1}, f"one AssumeRole for the sweep and its 8 items: {sts.counts()}"


def organization_accounts(world: World) -> list[dict]:
    organizations = world.aws.client("organizations")
    accounts, token = [], None
    while True:
        answer = organizations.list_accounts(**({"NextToken": token} if token else {}))
        accounts += answer["Accounts"]
        token = answer.get("NextToken")
        if not token:
            return accounts


def test_a_sweep_of_every_account_lists_the_organizations_active_accounts(aws, world, destinations, hub):
    """moto's Organizations: the hub (moto's default account) creates the organization, so it is its management
    account, and CreateAccount makes member accounts with random ids (ACTIVE); CloseAccount makes one SUSPENDED."""
    organizations = aws.client("organizations")
    try:
        organizations.create_organization(FeatureSet="ALL")
    except organizations.exceptions.AlreadyInOrganizationException:
        pass
    created = []
    for label in ("active", "closed"):
        status = organizations.create_account(Email=f"{label}-{uuid.uuid4().hex[:6]}@example.com",
                                              AccountName=f"hub-e2e-{label}")["CreateAccountStatus"]
        assert status["State"] == "SUCCEEDED", status
        created.append(status["AccountId"])
    active, closed = created
    organizations.close_account(AccountId=closed)
    prefix = f"orgsweep-{uuid.uuid4().hex[:6]}"
    routed: list[str] = []
    for account in (ACCOUNT, active, closed):
        arns, _ = seed_place(world.as_account(account, REGION), prefix, 1, 0)
        routed += arns
    expected_accounts = sorted(a["Id"] for a in organization_accounts(world) if a["Status"] == "ACTIVE")
    assert ACCOUNT in expected_accounts and active in expected_accounts and closed not in expected_accounts
    sts = hub()

    ok, answer = aws.invoke({"sweep": {"dryRun": True, "stackName": f"{prefix}-*", "accounts": ["*"]}})

    assert ok, answer
    sweep = answer["sweep"]
    assert sweep["accounts"] == expected_accounts, sweep
    assert (sweep["stacks"], sweep.get("byOutcome"), sweep["complete"]) == (2, {"PLANNED": 2}, True), sweep
    assert "failed" not in sweep, sweep
    outcomes = outcomes_via_sns(world, destinations, 2 + 1)
    assert sorted(o["stack"]["arn"] for o in outcomes) == sorted(routed[:2]), "the SUSPENDED account is not swept"
    assert sts.counts().get(closed, 0) == 0
    assert sts.counts().get(active) == 1, sts.counts()
