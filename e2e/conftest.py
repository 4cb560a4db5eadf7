"""One local AWS for the whole end-to-end session; a fresh function (and outcome destinations) per test.

A test that needs the Service Catalog emulator in a strict mode says so with a marker, e.g.
`@pytest.mark.emulator("--failed-import-keeps-name")` or `@pytest.mark.emulator(record_step_ms=4000)`; the emulator
is restarted (empty) only when the switches differ from the running one's, so tests that share switches are best
kept together. Latencies set at run time through the emulator's control endpoint are cleared after every test.
"""

from __future__ import annotations

import pytest

from localaws import ROOT, LocalAws
from world import EVENT_SOURCE, World

RECORD_STEP_MS = 300


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "emulator(*switches, record_step_ms=N): the test's Service Catalog emulator runs with these switches"
    )


@pytest.fixture(scope="session")
def aws():
    with LocalAws(logs=ROOT / "target" / "e2e-logs", record_step_ms=RECORD_STEP_MS) as local:
        yield local


@pytest.fixture
def catalog(request, aws):
    """The Service Catalog emulator as the test's `emulator` marker asks (default: no switch)."""
    marker = request.node.get_closest_marker("emulator")
    switches = tuple(marker.args) if marker else ()
    step = marker.kwargs.get("record_step_ms") if marker else None
    aws.use_catalog(switches, step)
    yield aws.catalog_url
    aws.clear_catalog_latency()


@pytest.fixture
def world(aws, catalog):
    return World(aws)


@pytest.fixture
def destinations(aws, world):
    """An SNS topic and an EventBridge bus, each read back through an SQS queue, and the function environment that
    publishes to both. Whatever function the test starts is stopped after it."""
    topic, sns_queue = world.outcome_topic()
    bus, events_queue = world.outcome_bus()
    env = {"OUTCOME_TOPIC_ARN": topic, "OUTCOME_EVENT_BUS": bus, "OUTCOME_EVENT_SOURCE": EVENT_SOURCE}
    yield {"topic": topic, "bus": bus, "sns_queue": sns_queue, "events_queue": events_queue, "env": env}
    aws.stop_function()


@pytest.fixture
def function(aws, destinations):
    """The function configured with both destinations, with the harness's default timeout."""
    aws.start_function(destinations["env"])
    return destinations
