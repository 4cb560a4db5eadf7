"""What the demo and the end-to-end tests set up in the local AWS: templates, products and their versions, stacks, the
DynamoDB table of artifact fingerprints, and the topic, bus and queues that receive the function's outcomes — and how
to read the outcomes, and the function's discovery index lines, back."""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from functools import cached_property
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from esm import queue_depth
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

# Discovery and new versions (docs/CONTRACT.md §9), for the demo: a product's template, and a stack that drifted from it
# by one extra resource.
LEDGER_TEMPLATE_YAML = """AWSTemplateFormatVersion: 2010-09-09
Description: the ledger's queue
Resources:
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Sub '${AWS::StackName}-ledger'
"""

LEDGER_TEMPLATE_JSON = json.dumps(
    {
        "Resources": {
            "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": {"Fn::Sub": "${AWS::StackName}-ledger"}}}
        },
        "Description": "the ledger's queue",
        "AWSTemplateFormatVersion": "2010-09-09",
    },
    indent=2,
)

LEDGER_DRIFTED_TEMPLATE_YAML = LEDGER_TEMPLATE_YAML + """  Audit:
    Type: AWS::SNS::Topic
"""

EVENT_SOURCE = "sc-stack-importer.local"

# The line the function logs each time it builds or refreshes a scope's discovery index (docs/CONTRACT.md §9).
INDEX_BUILT = "discovery index built"
INDEX_FIELDS = ("products", "artifacts", "from_store", "fetched", "unreadable")


def handle_template(label: str, handles: int = 1, transform: str | None = None) -> tuple[str, str]:
    """A template of `handles` WaitConditionHandles (`Handle0`, `Handle1`, …: moto creates nothing for them, so a
    stack of it is CREATE_COMPLETE at once) whose Description is `label`, as (YAML, JSON): the stack gets the YAML,
    an artifact the JSON, one template in two forms, as in the wild. A distinct label gives a distinct template, so
    discovery tests can tell their own products from every other product in the shared catalog; one more handle is
    one extra resource (a drifted stack). `transform` adds a `Transform` section (YAML only: for stacks)."""
    assert re.fullmatch(r"[A-Za-z0-9 ._/-]+", label), "a label that needs no quoting in either form"
    resources = {f"Handle{n}": {"Type": "AWS::CloudFormation::WaitConditionHandle"} for n in range(handles)}
    yaml = "AWSTemplateFormatVersion: 2010-09-09\n" + f"Description: {label}\n"
    if transform:
        yaml += f"Transform: {transform}\n"
    yaml += "Resources:\n" + "".join(f"  {name}:\n    Type: AWS::CloudFormation::WaitConditionHandle\n"
                                     for name in resources)
    body = json.dumps({"Resources": resources, "Description": label, "AWSTemplateFormatVersion": "2010-09-09"})
    return yaml, body


def discovery_index_builds(log: str) -> list[dict]:
    """Every `discovery index built` line of the function's log (`LocalAws.function_log`), in order, as its fields:
    `account` and `region` (strings; the fields of the span the line is logged in) and the counts of INDEX_FIELDS and
    `ms` (ints). tracing writes span fields before the message (`invoke{requestId=…}:build{account=… region=…}:`) and
    the event's after it, each as `key=value` or, for some strings, `key="value"`."""
    builds = []
    for line in log.splitlines():
        if INDEX_BUILT not in line:
            continue
        fields = {key: quoted if quoted else bare for key, quoted, bare in
                  re.findall(r'(\w+)=(?:"([^"]*)"|([^\s{}"]+))', line)}
        for key in (*INDEX_FIELDS, "ms"):
            if key in fields and fields[key].isdigit():
                fields[key] = int(fields[key])
        builds.append(fields)
    return builds


class World:
    """The local AWS as one account and region sees it: by default the hub's (moto's default account, REGION, the
    `local` keys); `as_account` gives another account's or region's, for the organization hub (docs/CONTRACT.md §8)."""

    def __init__(self, aws: LocalAws, account: str = ACCOUNT, region: str = REGION):
        self.aws = aws
        self.account = account
        self.region = region
        # None: the `local` keys (moto's default account); else the member role's, from moto's STS.
        self.credentials = aws.account_credentials(account)

        def client(service: str):
            return aws.client(service, region=region, credentials=self.credentials)

        self.cfn = client("cloudformation")
        self.s3 = client("s3")
        self.sns = client("sns")
        self.sqs = client("sqs")
        self.events = client("events")
        self.catalog = client("servicecatalog")
        self._client = client
        self.bucket = f"templates-{uuid.uuid4().hex[:8]}"
        if region == "us-east-1":
            self.s3.create_bucket(Bucket=self.bucket)
        else:
            self.s3.create_bucket(Bucket=self.bucket, CreateBucketConfiguration={"LocationConstraint": region})

    def as_account(self, account: str, region: str | None = None) -> "World":
        """The same local AWS as `account` sees it in `region` (default this world's region): for an account other
        than moto's default, with the credentials moto's STS hands out for the member role there
        (`LocalAws.account_credentials`), so the stacks, buckets and products it creates are that account's, in that
        region (moto keeps CloudFormation, S3 and SQS per account and region; the emulator one catalog per account
        and region)."""
        return World(self.aws, account, region or self.region)

    # ---- Service Catalog -------------------------------------------------------------------------------------------
    def template_url(self, key: str, body: str) -> str:
        """A pre-signed GET URL of the template in S3, the kind of URL Service Catalog hands out for an artifact."""
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=body.encode())
        return self.s3.generate_presigned_url("get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=3600)

    def product(self, name: str, template: str) -> tuple[str, str]:
        """A product whose first artifact is `template`; returns (product id, artifact id)."""
        return self.product_from_url(name, self.template_url(f"{name}/v1.json", template))

    def product_from_url(self, name: str, url: str) -> tuple[str, str]:
        """A product whose first artifact's template is read from `url`; returns (product id, artifact id)."""
        answer = self.catalog.create_product(
            Name=name,
            Owner="platform",
            ProductType="CLOUD_FORMATION_TEMPLATE",
            ProvisioningArtifactParameters={
                "Name": "v1",
                "Info": {"LoadTemplateFromURL": url},
                "Type": "CLOUD_FORMATION_TEMPLATE",
            },
            IdempotencyToken=uuid.uuid4().hex,
        )
        return answer["ProductViewDetail"]["ProductViewSummary"]["ProductId"], answer["ProvisioningArtifactDetail"]["Id"]

    def product_versions(self, name: str, urls: list[str]) -> tuple[str, list[str]]:
        """A product whose artifacts `v1`, `v2`, … are read from `urls`, created in that order (the last is the
        newest); returns (product id, artifact ids in the same order)."""
        product, first = self.product_from_url(name, urls[0])
        return product, [first] + [self.artifact_from_url(product, f"v{n}", url) for n, url in enumerate(urls[1:], 2)]

    def artifact_from_url(self, product: str, name: str, url: str) -> str:
        """Adds an artifact whose template is read from `url` to the product; returns its id."""
        answer = self.catalog.create_provisioning_artifact(
            ProductId=product,
            Parameters={"Name": name, "Info": {"LoadTemplateFromURL": url}, "Type": "CLOUD_FORMATION_TEMPLATE"},
            IdempotencyToken=uuid.uuid4().hex,
        )
        return answer["ProvisioningArtifactDetail"]["Id"]

    def artifacts(self, product: str) -> list[dict]:
        """The product's artifacts (ListProvisioningArtifacts: `Id`, `Name`, `Description`, `Active` …), oldest
        first."""
        return self.catalog.list_provisioning_artifacts(ProductId=product)["ProvisioningArtifactDetails"]

    def describe_artifact(self, product: str, artifact: str) -> dict:
        """DescribeProvisioningArtifact's answer: `ProvisioningArtifactDetail`, `Info` (`TemplateUrl`) and
        `Status` (CREATING, AVAILABLE or FAILED)."""
        return self.catalog.describe_provisioning_artifact(ProductId=product, ProvisioningArtifactId=artifact)

    def provisioned_products(self) -> list[dict]:
        answer = self.catalog.search_provisioned_products(AccessLevelFilter={"Key": "Account", "Value": "self"})
        return answer.get("ProvisionedProducts", [])

    def holders(self, stack_arn: str) -> list[dict]:
        """The provisioned products that hold the stack."""
        return [pp for pp in self.provisioned_products() if pp.get("PhysicalId") == stack_arn]

    def holders_of(self, stack_arn: str) -> list[dict]:
        """The provisioned products that hold the stack, looked up by physical id (every page), so that it does not
        depend on how many provisioned products the catalog holds (`holders` reads the first page of 20)."""
        found: list[dict] = []
        token = None
        while True:
            answer = self.catalog.search_provisioned_products(
                AccessLevelFilter={"Key": "Account", "Value": "self"},
                Filters={"SearchQuery": [f"physicalId:{stack_arn}"]},
                PageSize=100,
                **({"PageToken": token} if token else {}),
            )
            found += [pp for pp in answer.get("ProvisionedProducts", []) if pp.get("PhysicalId") == stack_arn]
            token = answer.get("NextPageToken")
            if not token:
                return found

    def wait_for_record(self, record_id: str, timeout: float = 30.0) -> dict:
        """The record once it has ended (SUCCEEDED or FAILED)."""
        deadline = time.monotonic() + timeout
        while True:
            detail = self.catalog.describe_record(Id=record_id)["RecordDetail"]
            if detail["Status"] in ("SUCCEEDED", "FAILED") or time.monotonic() > deadline:
                return detail
            time.sleep(0.2)

    # ---- CloudFormation --------------------------------------------------------------------------------------------
    def stack(self, name: str, template: str, tags: dict[str, str]) -> str:
        arn = self.cfn.create_stack(
            StackName=name, TemplateBody=template, Tags=[{"Key": k, "Value": v} for k, v in tags.items()]
        )["StackId"]
        status = self.cfn.describe_stacks(StackName=arn)["Stacks"][0]["StackStatus"]
        assert status == "CREATE_COMPLETE", f"{name} is {status}"
        return arn

    @staticmethod
    def status_event(stack_arn: str, status: str = "CREATE_COMPLETE", account: str = ACCOUNT,
                     region: str = REGION) -> dict:
        """The "CloudFormation Stack Status Change" event EventBridge delivers for a stack (of `account` in
        `region`: by default the hub's)."""
        return {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "CloudFormation Stack Status Change",
            "source": "aws.cloudformation",
            "account": account,
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "region": region,
            "resources": [stack_arn],
            "detail": {"stack-id": stack_arn, "status-details": {"status": status, "status-reason": ""}},
        }

    @staticmethod
    def forwarded_event(stack_arn: str, status: str = "CREATE_COMPLETE") -> dict:
        """The status event of a stack in any account and region as the hub's bus delivers it (docs/CONTRACT.md §8):
        the member's rule forwards it, and EventBridge keeps its `account` and `region`, the stack's, read here from
        the stack's ARN (`arn:aws:cloudformation:<region>:<account>:stack/…`)."""
        _, _, _, region, account, _ = stack_arn.split(":", 5)
        return World.status_event(stack_arn, status, account=account, region=region)

    # ---- the artifact-fingerprint store (docs/CONTRACT.md §9, ARTIFACT_INDEX_TABLE) ----------------------------------
    @cached_property
    def dynamodb(self):
        return self._client("dynamodb")

    def artifact_index_table(self) -> str:
        """A fresh DynamoDB table as the function's ARTIFACT_INDEX_TABLE wants it (hash key `artifactId`, a
        string; on demand); returns its name."""
        name = f"artifact-index-{uuid.uuid4().hex[:8]}"
        self.dynamodb.create_table(
            TableName=name,
            KeySchema=[{"AttributeName": "artifactId", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "artifactId", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        self.dynamodb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 0.2, "MaxAttempts": 50})
        return name

    def index_items(self, table: str) -> list[dict]:
        """Every item of the table (every page of a Scan), as plain strings: `{"artifactId": …, "fingerprint": …}`."""
        items, start = [], None
        while True:
            answer = self.dynamodb.scan(TableName=table, **({"ExclusiveStartKey": start} if start else {}))
            items += [{key: value.get("S", value) for key, value in item.items()} for item in answer["Items"]]
            start = answer.get("LastEvaluatedKey")
            if not start:
                return items

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

    # ---- the import queue (docs/CONTRACT.md §7) ---------------------------------------------------------------------
    def import_queue(self, max_receive_count: int = 3, visibility_timeout: int = 2) -> tuple[str, str]:
        """A FIFO import queue `imports-<hex>.fifo` (no content-based deduplication: the sender names each message's
        deduplication id) whose redrive policy moves a message received `max_receive_count` times to a FIFO
        dead-letter queue `imports-<hex>-dlq.fifo`; returns (queue URL, dead-letter queue URL). moto moves such a
        message when the queue is next read, as SQS does."""
        name = f"imports-{uuid.uuid4().hex[:8]}"
        fifo = {"FifoQueue": "true", "ContentBasedDeduplication": "false"}
        dlq_url = self.sqs.create_queue(QueueName=f"{name}-dlq.fifo", Attributes=fifo)["QueueUrl"]
        dlq_arn = self.sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        redrive = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(max_receive_count)}
        url = self.sqs.create_queue(
            QueueName=f"{name}.fifo",
            Attributes={
                **fifo,
                "VisibilityTimeout": str(visibility_timeout),
                "RedrivePolicy": json.dumps(redrive),
            },
        )["QueueUrl"]
        return url, dlq_url

    def queue_depth(self, url: str) -> dict[str, int]:
        """The queue's approximate counts (esm.queue_depth)."""
        return queue_depth(self.sqs, url)

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


class TemplateServer:
    """A plain-HTTP server for artifact templates on a loopback address (never outside 127.0.0.0/8), recording every
    request. `answers[path]` is a list of bodies: each GET of the path takes the next one, the last one repeats, so a
    template can change between the function's read and the catalog's (a test device: real artifact templates do
    not change)."""

    def __init__(self, host: str = "127.0.0.1"):
        assert host.startswith("127."), "loopback only"
        self.answers: dict[str, list[str]] = {}
        self.requests: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args) -> None:
                pass

            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                server.requests.append(path)
                bodies = server.answers.get(path)
                if not bodies:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = (bodies.pop(0) if len(bodies) > 1 else bodies[0]).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._server = ThreadingHTTPServer((host, 0), Handler)
        self._server.daemon_threads = True
        self.base_url = f"http://{host}:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def serve(self, path: str, *bodies: str) -> str:
        """Serves `bodies` at `path` in turn; returns the URL."""
        self.answers[path] = list(bodies)
        return f"{self.base_url}{path}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> "TemplateServer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
