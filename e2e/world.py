"""What the demo and the end-to-end tests set up in the local AWS: templates, a product, stacks, and the topic, bus and
queues that receive the function's outcomes — and how to read the outcomes back."""

from __future__ import annotations

import json
import time
import uuid

from localaws import ACCOUNT, REGION, LocalAws

QUEUE_TEMPLATE_YAML = """AWSTemplateFormatVersion: 2010-09-09
Description: a queue for the payments team
Resources:
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Sub '${AWS::StackName}-jobs'
Outputs:
  QueueArn:
    Value: !GetAtt Queue.Arn
"""

# The same template as the product's artifact holds it: JSON, long-form intrinsics, other key order.
QUEUE_TEMPLATE_JSON = json.dumps(
    {
        "Outputs": {"QueueArn": {"Value": {"Fn::GetAtt": ["Queue", "Arn"]}}},
        "Resources": {
            "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": {"Fn::Sub": "${AWS::StackName}-jobs"}}}
        },
        "Description": "a queue for the payments team",
        "AWSTemplateFormatVersion": "2010-09-09",
    },
    indent=2,
)

TOPIC_TEMPLATE_YAML = """AWSTemplateFormatVersion: 2010-09-09
Resources:
  Topic:
    Type: AWS::SNS::Topic
"""

EVENT_SOURCE = "sc-stack-importer.local"


class World:
    def __init__(self, aws: LocalAws):
        self.aws = aws
        self.cfn = aws.client("cloudformation")
        self.s3 = aws.client("s3")
        self.sns = aws.client("sns")
        self.sqs = aws.client("sqs")
        self.events = aws.client("events")
        self.catalog = aws.client("servicecatalog")
        self.bucket = f"templates-{uuid.uuid4().hex[:8]}"
        self.s3.create_bucket(Bucket=self.bucket)

    # ---- Service Catalog -------------------------------------------------------------------------------------------
    def template_url(self, key: str, body: str) -> str:
        """A pre-signed GET URL of the template in S3, the kind of URL Service Catalog hands out for an artifact."""
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=body.encode())
        return self.s3.generate_presigned_url("get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=3600)

    def product(self, name: str, template: str) -> tuple[str, str]:
        """A product whose first artifact is `template`; returns (product id, artifact id)."""
        answer = self.catalog.create_product(
            Name=name,
            Owner="platform",
            ProductType="CLOUD_FORMATION_TEMPLATE",
            ProvisioningArtifactParameters={
                "Name": "v1",
                "Info": {"LoadTemplateFromURL": self.template_url(f"{name}/v1.json", template)},
                "Type": "CLOUD_FORMATION_TEMPLATE",
            },
            IdempotencyToken=uuid.uuid4().hex,
        )
        return answer["ProductViewDetail"]["ProductViewSummary"]["ProductId"], answer["ProvisioningArtifactDetail"]["Id"]

    def provisioned_products(self) -> list[dict]:
        answer = self.catalog.search_provisioned_products(AccessLevelFilter={"Key": "Account", "Value": "self"})
        return answer.get("ProvisionedProducts", [])

    # ---- CloudFormation --------------------------------------------------------------------------------------------
    def stack(self, name: str, template: str, tags: dict[str, str]) -> str:
        arn = self.cfn.create_stack(
            StackName=name, TemplateBody=template, Tags=[{"Key": k, "Value": v} for k, v in tags.items()]
        )["StackId"]
        status = self.cfn.describe_stacks(StackName=arn)["Stacks"][0]["StackStatus"]
        assert status == "CREATE_COMPLETE", f"{name} is {status}"
        return arn

    @staticmethod
    def status_event(stack_arn: str, status: str = "CREATE_COMPLETE") -> dict:
        """The "CloudFormation Stack Status Change" event EventBridge delivers for a stack."""
        return {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "CloudFormation Stack Status Change",
            "source": "aws.cloudformation",
            "account": ACCOUNT,
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "region": REGION,
            "resources": [stack_arn],
            "detail": {"stack-id": stack_arn, "status-details": {"status": status, "status-reason": ""}},
        }

    # ---- outcome destinations --------------------------------------------------------------------------------------
    def queue(self, name: str) -> tuple[str, str]:
        url = self.sqs.create_queue(QueueName=f"{name}-{uuid.uuid4().hex[:6]}")["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        return url, arn

    def outcome_topic(self) -> tuple[str, str]:
        """An SNS topic subscribed by an SQS queue; returns (topic ARN, queue URL)."""
        topic = self.sns.create_topic(Name=f"outcomes-{uuid.uuid4().hex[:6]}")["TopicArn"]
        url, arn = self.queue("outcomes-sns")
        self.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
        return topic, url

    def outcome_bus(self) -> tuple[str, str]:
        """An EventBridge bus with a rule for the function's outcome events to an SQS queue; returns (bus, queue URL)."""
        bus = f"platform-{uuid.uuid4().hex[:6]}"
        self.events.create_event_bus(Name=bus)
        url, arn = self.queue("outcomes-events")
        self.events.put_rule(
            Name="import-outcomes",
            EventBusName=bus,
            EventPattern=json.dumps({"source": [EVENT_SOURCE], "detail-type": ["Stack Import Outcome"]}),
        )
        self.events.put_targets(Rule="import-outcomes", EventBusName=bus, Targets=[{"Id": "queue", "Arn": arn}])
        return bus, url

    def drain(self, queue_url: str, expected: int, timeout: float = 10.0) -> list[dict]:
        """Reads messages until `expected` arrived (or the timeout), deleting them."""
        messages: list[dict] = []
        deadline = time.monotonic() + timeout
        while len(messages) < expected and time.monotonic() < deadline:
            answer = self.sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
            for message in answer.get("Messages", []):
                messages.append(json.loads(message["Body"]))
                self.sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
        return messages
