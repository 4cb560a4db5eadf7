"""Discovery and new versions (docs/CONTRACT.md §9) end to end: the function behind its Runtime API, moto, and the
Service Catalog emulator with SearchProducts and CreateProvisioningArtifact's `ImportFromPhysicalId`.

- Discovery looks at every product of the stack's account and region, so each test's templates carry a label of its
  own (`world.handle_template`): a test's stack matches only the products that test made, whatever earlier tests
  left in the catalog. Artifact templates are served by one TemplateServer for the module, which counts the GETs.
  The test of the fingerprint store works in a region no other test uses, so that its index holds exactly its own
  products and its counts are exact.
- The module runs on an emulator of its own (its switches differ from every other file's, so it starts empty), with
  versions that take 300 ms to become AVAILABLE; the two tests that need a slow version or an artifact quota restart
  it with theirs, and come last.
- What the function learns while it builds its index it logs as one `discovery index built` line per build
  (`world.discovery_index_builds` reads them from `aws.function_log()`)."""

from __future__ import annotations

import json
import re
import urllib.request
import uuid
from collections import Counter

import pytest

from localaws import ACCOUNT, DEFAULT_TIMEOUT_S, REGION, wait_until
from test_e2e import only_outcome, unique
from world import INDEX_FIELDS, TemplateServer, World, discovery_index_builds, handle_template

FAST_VERSIONS = ("--version-creating-ms", "300")
# A version that is still CREATING when a 12 s invocation (4 s to decide: 8 s are kept to publish) runs out of time.
SLOW_VERSIONS = ("--version-creating-ms", "10000")
SHORT_TIMEOUT_S = 12
STORE_REGION = "us-west-2"
VERSION_NAME = re.compile(r"imported-[0-9a-f]{12}")
LEFT_OUT = "left out of the discovery index"

pytestmark = pytest.mark.emulator(*FAST_VERSIONS)


@pytest.fixture(scope="module")
def templates():
    with TemplateServer() as server:
        yield server


def labelled(kind: str) -> str:
    return f"{kind} {uuid.uuid4().hex[:8]}"


def serve_product(world, templates: TemplateServer, name: str, *bodies: str) -> tuple[str, list[str], list[str]]:
    """A product whose artifacts v1, v2, … hold `bodies`, each served by the TemplateServer at a path of its own;
    returns (product id, artifact ids, paths), oldest first."""
    paths = [f"/{name}/v{number}.json" for number in range(1, len(bodies) + 1)]
    product, artifacts = world.product_versions(name, [templates.serve(path, body) for path, body in
                                                       zip(paths, bodies)])
    return product, artifacts, paths


def start(aws, destinations, timeout_s: float = DEFAULT_TIMEOUT_S, **env: str) -> None:
    aws.start_function({**destinations["env"], **env}, timeout_s=timeout_s)


def decide(aws, payload) -> dict:
    ok, answer = aws.invoke(payload)
    assert ok, answer
    return only_outcome(answer)


def route_of(outcome: dict) -> tuple[str, str, str]:
    target = outcome.get("target", {})
    return target.get("productId"), target.get("provisioningArtifactId"), target.get("provisionedProductName")


def holder_of(world, arn: str) -> tuple[str, str, str]:
    [holder] = world.holders_of(arn)
    return holder["ProductId"], holder["ProvisioningArtifactId"], holder["Status"]


def artifact_ids(world, product: str) -> list[str]:
    return [artifact["Id"] for artifact in world.artifacts(product)]


# ---- discovery ----------------------------------------------------------------------------------------------------
def test_an_unrouted_stack_is_discovered_by_its_template_and_imported_into_the_newest_matching_artifact(
        aws, world, destinations, templates):
    label = labelled("discovered")
    stack_yaml, artifact_json = handle_template(label)
    _, other_json = handle_template(f"{label} other")
    # v1 and v3 hold the stack's template (JSON, where the stack has YAML), v2 another one.
    product, (_, _, v3), _ = serve_product(world, templates, unique("discovered"), artifact_json, other_json,
                                           artifact_json)
    start(aws, destinations, DISCOVERY="on")
    name = unique("found")
    arn = world.stack(name, stack_yaml, {"team": "payments"})  # no routing tag, no rule

    outcome = decide(aws, world.status_event(arn))

    assert (outcome["outcome"], outcome["reason"]) == ("IMPORTED", "RECORD_SUCCEEDED"), outcome
    assert "discovered" in outcome["message"], outcome["message"]
    assert route_of(outcome) == (product, v3, name)
    assert not outcome["target"].get("versionCreated"), outcome["target"]
    assert holder_of(world, arn) == (product, v3, "AVAILABLE")
    [build] = discovery_index_builds(aws.function_log())
    assert (build.get("account"), build.get("region")) == (ACCOUNT, REGION), build
    assert build["products"] >= 1 and build["artifacts"] >= 3, build

    # A template no product holds: NO_ROUTE as before, decided on the index just built (not built again).
    stray_yaml, _ = handle_template(labelled("stray"))
    stray = world.stack(unique("stray"), stray_yaml, {})

    skipped = decide(aws, world.status_event(stray))

    assert (skipped["outcome"], skipped["reason"]) == ("SKIPPED", "NO_ROUTE"), skipped
    assert len(discovery_index_builds(aws.function_log())) == 1, "the warm index was not reused"
    assert not world.holders_of(stray)

    # DISCOVERY off (the default): an unrouted stack of the same template is NO_ROUTE, as in v1; no index is built.
    start(aws, destinations)
    undiscovered = world.stack(unique("undiscovered"), stack_yaml, {})

    off = decide(aws, world.status_event(undiscovered))

    assert (off["outcome"], off["reason"]) == ("SKIPPED", "NO_ROUTE"), off
    assert discovery_index_builds(aws.function_log()) == []
    assert not world.holders_of(undiscovered)


def test_a_template_held_by_two_products_is_an_ambiguous_route_naming_both(aws, world, destinations, templates):
    stack_yaml, artifact_json = handle_template(labelled("ambiguous"))
    first, [first_artifact], _ = serve_product(world, templates, unique("twin-a"), artifact_json)
    second, _, _ = serve_product(world, templates, unique("twin-b"), artifact_json)
    start(aws, destinations, DISCOVERY="on")
    arn = world.stack(unique("twin"), stack_yaml, {})

    outcome = decide(aws, world.status_event(arn))

    assert (outcome["outcome"], outcome["reason"]) == ("FAILED", "AMBIGUOUS_ROUTE"), outcome
    assert first in outcome["message"] and second in outcome["message"], outcome["message"]
    assert "record" not in outcome
    assert not world.holders_of(arn)
    [via_sns] = world.drain(destinations["sns_queue"], 1)
    assert via_sns["MessageAttributes"]["reason"]["Value"] == "AMBIGUOUS_ROUTE"

    # A tag decides before discovery: the same template, routed to one of them, is imported there.
    name = unique("twin-tagged")
    tagged = world.stack(name, stack_yaml, {"sc-import:product-id": first})

    routed = decide(aws, world.status_event(tagged))

    assert (routed["outcome"], route_of(routed)) == ("IMPORTED", (first, first_artifact, name)), routed
    assert "discovered" not in routed["message"], routed["message"]


def test_a_product_whose_template_cannot_be_read_is_left_out_and_another_is_still_discovered(
        aws, world, destinations, templates):
    stack_yaml, artifact_json = handle_template(labelled("readable"))
    # Under /unreadable/: a path nothing is served at (404), and a body that is no template.
    missing, [missing_artifact] = world.product_versions(
        unique("missing"), [f"{templates.base_url}/unreadable/{unique('missing')}.json"])
    garbage, [garbage_artifact] = world.product_versions(
        unique("garbage"), [templates.serve(f"/unreadable/{unique('garbage')}.json", "this is not a template")])
    product, [artifact], _ = serve_product(world, templates, unique("readable"), artifact_json)
    start(aws, destinations, DISCOVERY="on")
    name = unique("readable")
    arn = world.stack(name, stack_yaml, {})

    outcome = decide(aws, world.status_event(arn))

    assert (outcome["outcome"], outcome["reason"]) == ("IMPORTED", "RECORD_SUCCEEDED"), outcome
    assert "discovered" in outcome["message"], outcome["message"]
    assert route_of(outcome) == (product, artifact, name)
    log = aws.function_log()
    left_out = [line for line in log.splitlines() if LEFT_OUT in line]
    for unreadable, its_artifact in ((missing, missing_artifact), (garbage, garbage_artifact)):
        assert any(unreadable in line or its_artifact in line for line in left_out), (unreadable, left_out)
    [build] = discovery_index_builds(log)
    assert build["unreadable"] >= 2, build


def test_the_index_kept_in_dynamodb_outlives_the_process_so_a_restarted_function_fetches_no_template(
        aws, world, destinations, templates):
    # A region no other test uses: the scope's index is exactly these two products, whatever the module left
    # elsewhere (an unreadable artifact is not stored, so it would be read again after a restart).
    place = world.as_account(ACCOUNT, STORE_REGION)
    table = world.artifact_index_table()  # in the function's own region
    first_yaml, first_json = handle_template(labelled("stored-a"))
    second_yaml, second_json = handle_template(labelled("stored-b"))
    first, [first_artifact], _ = serve_product(place, templates, unique("stored-a"), first_json)
    second, [second_artifact], [second_path] = serve_product(place, templates, unique("stored-b"), second_json)
    env = {"DISCOVERY": "on", "ARTIFACT_INDEX_TABLE": table}
    start(aws, destinations, **env)
    name = unique("stored-a")
    arn = place.stack(name, first_yaml, {})
    gets_before = len(templates.requests)

    outcome = decide(aws, World.forwarded_event(arn))

    assert (outcome["outcome"], route_of(outcome)) == ("IMPORTED", (first, first_artifact, name)), outcome
    [cold] = discovery_index_builds(aws.function_log())
    assert (cold.get("account"), cold.get("region")) == (ACCOUNT, STORE_REGION), cold
    assert {key: cold[key] for key in INDEX_FIELDS} == {"products": 2, "artifacts": 2, "from_store": 0, "fetched": 2,
                                                         "unreadable": 0}, cold
    assert Counter(templates.requests[gets_before:])[second_path] == 1, "each template is fetched once"
    items = world.index_items(table)
    fingerprints = {item["artifactId"]: item.get("fingerprint") for item in items}
    assert set(fingerprints) == {first_artifact, second_artifact}, items
    assert fingerprints[first_artifact] and fingerprints[first_artifact] != fingerprints[second_artifact]

    # A new process (a cold start): what it knows comes from the table.
    aws.stop_function()
    start(aws, destinations, **env)
    name = unique("stored-b")
    arn = place.stack(name, second_yaml, {})
    gets_before = len(templates.requests)

    outcome = decide(aws, World.forwarded_event(arn))

    assert (outcome["outcome"], route_of(outcome)) == ("IMPORTED", (second, second_artifact, name)), outcome
    assert "discovered" in outcome["message"], outcome["message"]
    [warm] = discovery_index_builds(aws.function_log())
    assert {key: warm[key] for key in INDEX_FIELDS} == {"products": 2, "artifacts": 2, "from_store": 2, "fetched": 0,
                                                         "unreadable": 0}, warm
    # The only GET is the emulator's, of the imported artifact's template; the function fetched none.
    assert templates.requests[gets_before:] == [second_path]
    assert len(world.index_items(table)) == 2


# ---- new versions -------------------------------------------------------------------------------------------------
def test_a_drifted_stack_routed_to_a_product_gets_a_new_version_and_is_imported_into_it(
        aws, world, destinations, templates):
    label = labelled("drift")
    _, product_json = handle_template(label)
    drifted_yaml, _ = handle_template(label, handles=2)  # one extra resource
    product, [v1], _ = serve_product(world, templates, unique("drift"), product_json)
    start(aws, destinations, NEW_VERSION_ON_MISMATCH="on")
    name = unique("drifted")
    arn = world.stack(name, drifted_yaml, {"sc-import:product-id": product})

    planned = decide(aws, {"stackArn": arn, "dryRun": True})

    assert (planned["outcome"], planned["reason"]) == ("PLANNED", "ELIGIBLE"), planned
    assert "version" in planned["message"], planned["message"]
    assert artifact_ids(world, product) == [v1], "a dry run creates nothing"

    outcome = decide(aws, world.status_event(arn))

    assert (outcome["outcome"], outcome["reason"]) == ("IMPORTED", "RECORD_SUCCEEDED"), outcome
    assert outcome["target"].get("versionCreated") is True, outcome["target"]
    created = outcome["target"]["provisioningArtifactId"]
    assert route_of(outcome) == (product, created, name)
    artifacts = world.artifacts(product)
    assert [artifact["Id"] for artifact in artifacts] == [v1, created], artifacts
    assert VERSION_NAME.fullmatch(artifacts[1]["Name"]), artifacts[1]
    assert arn in artifacts[1].get("Description", ""), artifacts[1]
    detail = world.describe_artifact(product, created)
    assert detail["Status"] == "AVAILABLE", detail
    with urllib.request.urlopen(detail["Info"]["TemplateUrl"], timeout=10) as answer:
        assert "Handle1" in answer.read().decode(), "the new version holds the stack's template"
    assert holder_of(world, arn) == (product, created, "AVAILABLE")

    # A second stack with the same drift matches the version just made: imported there, no other version.
    twin_name = unique("drifted-twin")
    twin = world.stack(twin_name, drifted_yaml, {"sc-import:product-id": product})

    again = decide(aws, world.status_event(twin))

    assert (again["outcome"], route_of(again)) == ("IMPORTED", (product, created, twin_name)), again
    assert not again["target"].get("versionCreated"), again["target"]
    assert artifact_ids(world, product) == [v1, created]


def test_a_stack_or_rule_that_says_no_and_a_template_with_a_transform_get_no_version(
        aws, world, destinations, templates):
    label = labelled("no-version")
    _, product_json = handle_template(label)
    drifted_yaml, _ = handle_template(label, handles=2)
    transformed_yaml, _ = handle_template(label, transform="AWS::LanguageExtensions")
    product, [v1], _ = serve_product(world, templates, unique("no-version"), product_json)
    prefix = unique("ruled")
    rules = [{"stackName": f"{prefix}-*", "productId": product, "newVersion": False}]
    start(aws, destinations, NEW_VERSION_ON_MISMATCH="on", IMPORT_RULES=json.dumps(rules))
    stacks = {
        "tag": world.stack(unique("tag-says-no"), drifted_yaml,
                           {"sc-import:product-id": product, "sc-import:new-version": "false"}),
        "rule": world.stack(f"{prefix}-drifted", drifted_yaml, {}),
        "transform": world.stack(unique("transformed"), transformed_yaml, {"sc-import:product-id": product}),
    }

    outcomes = {why: decide(aws, world.status_event(arn)) for why, arn in stacks.items()}

    for why, outcome in outcomes.items():
        assert (outcome["outcome"], outcome["reason"]) == ("FAILED", "TEMPLATE_MISMATCH"), (why, outcome)
        assert not outcome.get("target", {}).get("versionCreated"), (why, outcome)
        assert not world.holders_of(stacks[why])
    assert "Transform" in outcomes["transform"]["message"], outcomes["transform"]["message"]
    assert artifact_ids(world, product) == [v1], "no version was created"


def test_without_new_version_on_mismatch_a_tag_asking_for_a_version_is_a_mismatch_and_such_a_rule_fails_init(
        aws, world, destinations, templates):
    label = labelled("switch-off")
    _, product_json = handle_template(label)
    drifted_yaml, _ = handle_template(label, handles=2)
    product, [v1], _ = serve_product(world, templates, unique("switch-off"), product_json)
    start(aws, destinations)
    arn = world.stack(unique("asks"), drifted_yaml, {"sc-import:product-id": product, "sc-import:new-version": "true"})

    outcome = decide(aws, world.status_event(arn))

    assert (outcome["outcome"], outcome["reason"]) == ("FAILED", "TEMPLATE_MISMATCH"), outcome
    assert "NEW_VERSION_ON_MISMATCH" in outcome["message"], outcome["message"]
    assert artifact_ids(world, product) == [v1]
    assert not world.holders_of(arn)

    # A rule asking for versions while the switch is off is a configuration error: the function does not start.
    rules = [{"stackName": "asks-*", "productId": product, "newVersion": True}]
    start(aws, destinations, IMPORT_RULES=json.dumps(rules))
    wait_until("the function's init to fail", lambda: aws.function_pid is None, timeout=15)

    ok, answer = aws.invoke(world.status_event(arn))

    assert not ok and answer.get("errorType") == "Runtime.ConfigurationError", answer
    assert "newVersion" in answer["errorMessage"] or "NEW_VERSION_ON_MISMATCH" in answer["errorMessage"], answer
    assert artifact_ids(world, product) == [v1]


@pytest.mark.emulator(*SLOW_VERSIONS)
def test_a_version_still_creating_at_the_deadline_is_out_of_time_and_the_retry_imports_into_that_same_version(
        aws, world, destinations, templates):
    label = labelled("slow")
    _, product_json = handle_template(label)
    drifted_yaml, _ = handle_template(label, handles=2)
    product, [v1], _ = serve_product(world, templates, unique("slow"), product_json)
    start(aws, destinations, timeout_s=SHORT_TIMEOUT_S, NEW_VERSION_ON_MISMATCH="on")
    name = unique("slow")
    arn = world.stack(name, drifted_yaml, {"sc-import:product-id": product})
    event = world.status_event(arn)

    ok, answer = aws.invoke(event)

    # A retryable outcome of an event is an error, so that Lambda retries the event; the outcome is published.
    assert not ok and answer.get("errorType") == "RetryableOutcome", answer
    assert "OUT_OF_TIME" in answer["errorMessage"], answer
    [first] = [json.loads(m["Message"]) for m in world.drain(destinations["sns_queue"], 1)]
    assert (first["outcome"], first["reason"], first["retryable"]) == ("FAILED", "OUT_OF_TIME", True), first
    artifacts = world.artifacts(product)
    assert len(artifacts) == 2 and artifacts[0]["Id"] == v1, artifacts
    created = artifacts[1]["Id"]
    assert VERSION_NAME.fullmatch(artifacts[1]["Name"]), artifacts[1]
    assert created in first["message"], first["message"]
    assert world.describe_artifact(product, created)["Status"] == "CREATING"
    assert not world.holders_of(arn)

    # Lambda retries the event: a new process (nothing kept in memory) with time enough for the version to be ready.
    start(aws, destinations, NEW_VERSION_ON_MISMATCH="on")

    second = decide(aws, event)

    assert (second["outcome"], second["reason"]) == ("IMPORTED", "RECORD_SUCCEEDED"), second
    assert second["target"].get("versionCreated") is True, second["target"]
    assert route_of(second) == (product, created, name)
    assert artifact_ids(world, product) == [v1, created], "the retry made no second version"
    assert holder_of(world, arn) == (product, created, "AVAILABLE")


@pytest.mark.emulator(*FAST_VERSIONS, "--artifact-limit", "2")
def test_a_product_at_its_artifact_quota_is_a_version_limit_and_gets_no_new_artifact(
        aws, world, destinations, templates):
    label = labelled("quota")
    _, product_json = handle_template(label)
    _, other_json = handle_template(f"{label} other")
    drifted_yaml, _ = handle_template(label, handles=2)
    product, artifacts, _ = serve_product(world, templates, unique("quota"), product_json, other_json)
    start(aws, destinations, NEW_VERSION_ON_MISMATCH="on")
    arn = world.stack(unique("over-quota"), drifted_yaml, {"sc-import:product-id": product})

    outcome = decide(aws, world.status_event(arn))

    assert (outcome["outcome"], outcome["reason"]) == ("FAILED", "VERSION_LIMIT"), outcome
    assert "record" not in outcome
    assert artifact_ids(world, product) == artifacts, "no artifact was created"
    assert not world.holders_of(arn)
