"""One local AWS for the whole end-to-end session; a fresh function (and outcome destinations) per test."""

from __future__ import annotations

import pytest

from localaws import ROOT, LocalAws
from world import EVENT_SOURCE, World


@pytest.fixture(scope="session")
def aws():
    with LocalAws(logs=ROOT / "target" / "e2e-logs", record_step_ms=300) as local:
        yield local


@pytest.fixture
def world(aws):
    return World(aws)


@pytest.fixture
def function(aws, world):
    """The function configured with an SNS topic and an EventBridge bus, each read back through an SQS queue."""
    topic, sns_queue = world.outcome_topic()
    bus, events_queue = world.outcome_bus()
    aws.start_function({"OUTCOME_TOPIC_ARN": topic, "OUTCOME_EVENT_BUS": bus, "OUTCOME_EVENT_SOURCE": EVENT_SOURCE})
    yield {"topic": topic, "bus": bus, "sns_queue": sns_queue, "events_queue": events_queue}
    aws.stop_function()
