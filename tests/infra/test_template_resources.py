"""Tables, queues and buckets built from a template (a fixture, then the real template.yaml) inside moto."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

import boto3
import pytest

from infra.template_resources import TEMPLATE_PATH, creation_order, load_template
from tests.support.aws_stack import REGION, moto_stack, moto_stack_resources

FIXTURE = """
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Parameters:
  ModelName: {Type: String, Default: gpt-test}
  AuthMode: {Type: String, Default: API_KEY, AllowedValues: [API_KEY, AWS_IAM]}
  OpenAIKeyParameter: {Type: String, Default: ""}
Conditions:
  UseIam: !Equals [!Ref AuthMode, AWS_IAM]
  HasKeyParameter: !Not [!Equals [!Ref OpenAIKeyParameter, ""]]
Globals:
  Function:
    Runtime: python3.13
    Environment:
      Variables:
        WHOSAID_TABLE_NAME: !Ref ArticlesTable
        WHOSAID_IDEMPOTENCY_TABLE_NAME: !Ref IdempotencyTable
        WHOSAID_BUCKET_NAME: !Ref ArticlesBucket
        WHOSAID_QUEUE_URL: !Ref IngestQueue
        WHOSAID_MODEL: !Ref ModelName
        WHOSAID_OPENAI_API_KEY_PARAMETER: !If [HasKeyParameter, !Ref OpenAIKeyParameter, !Ref AWS::NoValue]
        AUTH: !If [UseIam, iam, key]
        POWERTOOLS_SERVICE_NAME: whosaid
        WHOSAID_ASYNC_THRESHOLD_CHARS: 20000
        REGION_AND_STACK: !Sub "${AWS::Region}/${AWS::StackName}"
Resources:
  ArticlesBucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub "${AWS::StackName}-articles-${AWS::AccountId}"
      NotificationConfiguration:
        QueueConfigurations:
          - Event: s3:ObjectCreated:*
            Queue: !GetAtt IngestQueue.Arn
            Filter: {S3Key: {Rules: [{Name: prefix, Value: incoming/}]}}
  IngestQueue:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeout: 180
      RedrivePolicy:
        deadLetterTargetArn: !GetAtt [IngestDeadLetterQueue, Arn]
        maxReceiveCount: 3
  IngestDeadLetterQueue:
    Type: AWS::SQS::Queue
    Properties:
      MessageRetentionPeriod: 1209600
  ArticlesTable:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions:
        - {AttributeName: pk, AttributeType: S}
        - {AttributeName: sk, AttributeType: S}
        - {AttributeName: gsi1pk, AttributeType: S}
        - {AttributeName: gsi1sk, AttributeType: S}
        - {AttributeName: gsi2pk, AttributeType: S}
        - {AttributeName: gsi2sk, AttributeType: S}
      KeySchema:
        - {AttributeName: pk, KeyType: HASH}
        - {AttributeName: sk, KeyType: RANGE}
      GlobalSecondaryIndexes:
        - IndexName: by_speaker
          KeySchema: [{AttributeName: gsi1pk, KeyType: HASH}, {AttributeName: gsi1sk, KeyType: RANGE}]
          Projection: {ProjectionType: ALL}
        - IndexName: by_recency
          KeySchema: [{AttributeName: gsi2pk, KeyType: HASH}, {AttributeName: gsi2sk, KeyType: RANGE}]
          Projection: {ProjectionType: ALL}
      PointInTimeRecoverySpecification: {PointInTimeRecoveryEnabled: true}
      SSESpecification: {SSEEnabled: true}
  IdempotencyTable:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]
      TimeToLiveSpecification: {AttributeName: expiration, Enabled: true}
  ApiFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/api/
      Handler: api_handler.lambda_handler
      Environment:
        Variables:
          OWN_ARN: !GetAtt IngestFunction.Arn
          DLQ_ARN: !GetAtt IngestDeadLetterQueue.Arn
          JOINED: !Join ["-", [!Ref AWS::Region, !Ref ModelName]]
  IngestFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/ingest/
      Handler: ingest_handler.lambda_handler
      Environment:
        Variables:
          INGEST_ONLY: only-here
"""


@pytest.fixture
def fixture_template(tmp_path: Path) -> dict[str, Any]:
    path = tmp_path / "template.yaml"
    path.write_text(FIXTURE, encoding="utf-8")
    return load_template(path)


def test_short_form_tags_become_long_forms(fixture_template: dict[str, Any]) -> None:
    resources = fixture_template["Resources"]
    assert resources["IngestQueue"]["Properties"]["RedrivePolicy"]["deadLetterTargetArn"] == {
        "Fn::GetAtt": ["IngestDeadLetterQueue", "Arn"]
    }
    queue_config = resources["ArticlesBucket"]["Properties"]["NotificationConfiguration"]["QueueConfigurations"][0]
    assert queue_config["Queue"] == {"Fn::GetAtt": ["IngestQueue", "Arn"]}
    variables = fixture_template["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["WHOSAID_TABLE_NAME"] == {"Ref": "ArticlesTable"}
    assert variables["AUTH"] == {"Fn::If": ["UseIam", "iam", "key"]}
    assert fixture_template["Conditions"]["HasKeyParameter"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "OpenAIKeyParameter"}, ""]}]
    }


def test_creation_order_puts_dependencies_first(fixture_template: dict[str, Any]) -> None:
    order = creation_order(fixture_template["Resources"])
    assert set(order) == {"ArticlesBucket", "IngestQueue", "IngestDeadLetterQueue", "ArticlesTable", "IdempotencyTable"}
    assert order.index("IngestDeadLetterQueue") < order.index("IngestQueue") < order.index("ArticlesBucket")


def test_fixture_resources_and_environment(monkeypatch: pytest.MonkeyPatch, fixture_template: dict[str, Any]) -> None:
    with moto_stack_resources(monkeypatch, template=fixture_template) as stack:
        env = stack.environment
        assert env["WHOSAID_TABLE_NAME"] == "whosaid-test-ArticlesTable"
        assert env["WHOSAID_IDEMPOTENCY_TABLE_NAME"] == "whosaid-test-IdempotencyTable"
        assert env["WHOSAID_BUCKET_NAME"] == "whosaid-test-articlesbucket"
        assert env["WHOSAID_QUEUE_URL"].endswith("/whosaid-test-IngestQueue")
        assert env["WHOSAID_MODEL"] == "gpt-test"
        assert env["AUTH"] == "key"
        assert env["WHOSAID_ASYNC_THRESHOLD_CHARS"] == "20000"
        assert env["REGION_AND_STACK"] == f"{REGION}/whosaid-test"
        assert env["DLQ_ARN"] == stack.resources["IngestDeadLetterQueue"].attributes["Arn"]
        assert env["JOINED"] == f"{REGION}-gpt-test"
        # AWS::NoValue and another function's ARN cannot be known locally: dropped, not stringified.
        for dropped in ("WHOSAID_OPENAI_API_KEY_PARAMETER", "OWN_ARN"):
            assert dropped not in env
        # Each function gets Globals and its own Variables only, as Lambda gives them.
        api, ingest = stack.function_environments["ApiFunction"], stack.function_environments["IngestFunction"]
        assert api["DLQ_ARN"] == env["DLQ_ARN"] and "INGEST_ONLY" not in api
        assert ingest["INGEST_ONLY"] == "only-here" and "DLQ_ARN" not in ingest
        assert api["WHOSAID_TABLE_NAME"] == ingest["WHOSAID_TABLE_NAME"] == "whosaid-test-ArticlesTable"
        assert stack.conditions == {"UseIam": False, "HasKeyParameter": False}
        import os

        assert os.environ["WHOSAID_TABLE_NAME"] == "whosaid-test-ArticlesTable"

        _assert_matches_template(fixture_template, stack.resources, env)


def test_rerun_on_existing_resources_is_fine(monkeypatch: pytest.MonkeyPatch, fixture_template: dict[str, Any]) -> None:
    from infra.template_resources import create_stack

    with moto_stack(monkeypatch, template=fixture_template) as env:
        again = create_stack(
            dynamodb=boto3.client("dynamodb", region_name=REGION),
            s3=boto3.client("s3", region_name=REGION),
            sqs=boto3.client("sqs", region_name=REGION),
            template=fixture_template,
            prefix="whosaid-test",
        ).environment
        assert again == env


def test_parameter_switches_condition(monkeypatch: pytest.MonkeyPatch, fixture_template: dict[str, Any]) -> None:
    from infra.template_resources import Resolver

    resolver = Resolver(fixture_template, region=REGION, stack_name="s", parameters={"AuthMode": "AWS_IAM"})
    assert resolver.condition("UseIam") is True
    assert resolver.resolve({"Fn::If": ["UseIam", "iam", "key"]}) == "iam"
    assert resolver.resolve({"Fn::Sub": ["${A}-${!Literal}", {"A": {"Ref": "AWS::Partition"}}]}) == "aws-${Literal}"


@pytest.mark.parametrize(
    ("yaml_value", "intrinsic"),
    [
        ("!Select [0, [a, b]]", "Fn::Select"),
        ("!ImportValue SomeExport", "Fn::ImportValue"),
        ("!Base64 x", "Fn::Base64"),
    ],
)
def test_an_intrinsic_the_template_does_not_use_fails_naming_it_and_the_resource(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, yaml_value: str, intrinsic: str
) -> None:
    """The resolver implements what template.yaml uses; anything else is an error, never a silently dropped value."""
    from infra.template_resources import SUPPORTED_INTRINSICS, UnsupportedIntrinsic

    path = tmp_path / "template.yaml"
    path.write_text(FIXTURE.replace("VisibilityTimeout: 180", f"VisibilityTimeout: {yaml_value}"), encoding="utf-8")
    with pytest.raises(UnsupportedIntrinsic) as raised, moto_stack_resources(monkeypatch, template=load_template(path)):
        pass
    assert (raised.value.intrinsic, raised.value.where) == (intrinsic, "IngestQueue")
    assert str(raised.value).startswith(f"{intrinsic} in IngestQueue: the local template resolver")
    assert intrinsic not in SUPPORTED_INTRINSICS

    # In a function's own variable: the error names the function.
    path.write_text(FIXTURE.replace('!Join ["-", [!Ref AWS::Region, !Ref ModelName]]', yaml_value), encoding="utf-8")
    assert yaml_value in path.read_text(encoding="utf-8")
    template = load_template(path)
    with (
        pytest.raises(UnsupportedIntrinsic, match=f"{intrinsic} in ApiFunction"),
        moto_stack_resources(monkeypatch, template=template),
    ):
        pass


def test_the_resolver_implements_exactly_the_intrinsics_template_yaml_uses() -> None:
    from infra.template_resources import SUPPORTED_INTRINSICS

    if not TEMPLATE_PATH.exists():
        pytest.skip("template.yaml not written yet")
    used: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, dict):
            for key, item in value.items():
                if key.startswith("Fn::") or key == "Ref" or (key == "Condition" and isinstance(item, str)):
                    used.add(key)
                walk(item)

    template = load_template()
    walk({name: section for name, section in template.items() if name != "Resources"})
    for spec in template["Resources"].values():
        walk(spec.get("Properties"))  # a resource's own Condition key names a condition, not the intrinsic
    assert used == set(SUPPORTED_INTRINSICS)


def _assert_matches_template(template: dict[str, Any], resources: dict[str, Any], env: dict[str, str]) -> None:
    """Every table, queue and bucket in the template exists in moto with the template's keys, indexes and wiring."""
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    sqs = boto3.client("sqs", region_name=REGION)
    s3 = boto3.client("s3", region_name=REGION)
    declared = template["Resources"]
    for logical_id, spec in declared.items():
        props = spec.get("Properties") or {}
        if spec["Type"] == "AWS::DynamoDB::Table":
            table = dynamodb.describe_table(TableName=resources[logical_id].ref)["Table"]
            assert table["KeySchema"] == props["KeySchema"]
            assert {(a["AttributeName"], a["AttributeType"]) for a in table["AttributeDefinitions"]} == {
                (a["AttributeName"], a["AttributeType"]) for a in props["AttributeDefinitions"]
            }
            expected_gsis = {g["IndexName"]: g for g in props.get("GlobalSecondaryIndexes") or []}
            actual_gsis = {g["IndexName"]: g for g in table.get("GlobalSecondaryIndexes") or []}
            assert set(actual_gsis) == set(expected_gsis)
            for name, gsi in expected_gsis.items():
                assert actual_gsis[name]["KeySchema"] == gsi["KeySchema"]
                assert actual_gsis[name]["Projection"]["ProjectionType"] == gsi["Projection"]["ProjectionType"]
            if props.get("BillingMode") == "PAY_PER_REQUEST":
                assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
            ttl = props.get("TimeToLiveSpecification")
            described_ttl = dynamodb.describe_time_to_live(TableName=resources[logical_id].ref)
            if ttl and ttl.get("Enabled"):
                assert described_ttl["TimeToLiveDescription"]["TimeToLiveStatus"] == "ENABLED"
                assert described_ttl["TimeToLiveDescription"]["AttributeName"] == ttl["AttributeName"]
        elif spec["Type"] == "AWS::SQS::Queue":
            attributes = sqs.get_queue_attributes(QueueUrl=resources[logical_id].ref, AttributeNames=["All"])[
                "Attributes"
            ]
            if "VisibilityTimeout" in props:
                assert attributes["VisibilityTimeout"] == str(props["VisibilityTimeout"])
            if "RedrivePolicy" in props:
                redrive = json.loads(attributes["RedrivePolicy"])
                dlq_id = props["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
                assert redrive["deadLetterTargetArn"] == resources[dlq_id].attributes["Arn"]
                assert int(redrive["maxReceiveCount"]) == int(props["RedrivePolicy"]["maxReceiveCount"])
        elif spec["Type"] == "AWS::S3::Bucket":
            bucket = resources[logical_id].ref
            s3.head_bucket(Bucket=bucket)
            declared_configs = (props.get("NotificationConfiguration") or {}).get("QueueConfigurations") or []
            actual = s3.get_bucket_notification_configuration(Bucket=bucket).get("QueueConfigurations") or []
            assert len(actual) == len(declared_configs)
            for want, got in zip(declared_configs, actual, strict=True):
                queue_id = want["Queue"]["Fn::GetAtt"][0]
                assert got["QueueArn"] == resources[queue_id].attributes["Arn"]
                assert got["Events"] == [want["Event"]]
                rules = want.get("Filter", {}).get("S3Key", {}).get("Rules", [])
                got_rules = got.get("Filter", {}).get("Key", {}).get("FilterRules", [])
                assert {(r["Name"].lower(), r["Value"]) for r in got_rules} == {
                    (r["Name"].lower(), r["Value"]) for r in rules
                }


def _notified_queue(template: dict[str, Any]) -> tuple[str, str, str]:
    """(bucket id, queue id, key prefix) of the template's first S3 → SQS notification."""
    for logical_id, spec in template["Resources"].items():
        if spec["Type"] != "AWS::S3::Bucket":
            continue
        for config in (spec.get("Properties", {}).get("NotificationConfiguration") or {}).get(
            "QueueConfigurations"
        ) or []:
            rules = config.get("Filter", {}).get("S3Key", {}).get("Rules", [])
            prefix = next((r["Value"] for r in rules if r["Name"].lower() == "prefix"), "")
            return logical_id, config["Queue"]["Fn::GetAtt"][0], prefix
    raise AssertionError("the template wires no bucket to a queue")


@pytest.mark.parametrize("source", ["fixture", "template.yaml"])
def test_upload_under_prefix_reaches_the_queue(
    monkeypatch: pytest.MonkeyPatch, fixture_template: dict[str, Any], source: str
) -> None:
    if source == "template.yaml":
        if not TEMPLATE_PATH.exists():
            pytest.skip("template.yaml not written yet")
        template = load_template()
    else:
        template = fixture_template
    bucket_id, queue_id, prefix = _notified_queue(template)
    with moto_stack_resources(monkeypatch, template=template) as stack:
        s3 = boto3.client("s3", region_name=REGION)
        sqs = boto3.client("sqs", region_name=REGION)
        bucket = stack.resources[bucket_id].ref
        queue_url = stack.resources[queue_id].ref
        _drain(sqs, queue_url)  # S3 sends a test event when notifications are configured
        s3.put_object(Bucket=bucket, Key="elsewhere/a.txt", Body=b"ignored")
        s3.put_object(Bucket=bucket, Key=f"{prefix}a.txt", Body=b"Hazem Qassem said hello.")
        bodies = [json.loads(m["Body"]) for m in _drain(sqs, queue_url)]
        # S3 URL-encodes keys in notifications (moto even encodes "/"): consumers must unquote_plus them.
        keys = [unquote_plus(r["s3"]["object"]["key"]) for body in bodies for r in body.get("Records", [])]
        assert keys == [f"{prefix}a.txt"]


def _drain(sqs: Any, queue_url: str) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    while batch := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages"):
        messages.extend(batch)
        for message in batch:
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return messages


def test_real_template_builds_in_moto(monkeypatch: pytest.MonkeyPatch) -> None:
    if not TEMPLATE_PATH.exists():
        pytest.skip("template.yaml not written yet")
    template = load_template()
    with moto_stack_resources(monkeypatch, template=template) as stack:
        env = stack.environment
        # The contract's logical ids and the variables every function reads.
        assert env["WHOSAID_TABLE_NAME"] == stack.resources["ArticlesTable"].ref
        assert env["WHOSAID_IDEMPOTENCY_TABLE_NAME"] == stack.resources["IdempotencyTable"].ref
        assert env["WHOSAID_BUCKET_NAME"] == stack.resources["ArticlesBucket"].ref
        assert env["WHOSAID_QUEUE_URL"] == stack.resources["IngestQueue"].ref
        _assert_matches_template(template, stack.resources, env)
        # The generated pagination secret is not built locally: its ARN resolves to nothing, so local runs sign
        # next_token values with WHOSAID_PAGINATION_SECRET or the derived key (service/secrets.py), never a dead ARN.
        assert "WHOSAID_PAGINATION_SECRET_ARN" not in env

        dynamodb = boto3.client("dynamodb", region_name=REGION)
        articles = dynamodb.describe_table(TableName=env["WHOSAID_TABLE_NAME"])["Table"]
        assert articles["KeySchema"] == [
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ]
        gsis = articles["GlobalSecondaryIndexes"]
        indexes = {g["IndexName"]: [k["AttributeName"] for k in g["KeySchema"]] for g in gsis}
        assert indexes == {
            "by_speaker": ["gsi1pk", "gsi1sk"],
            "by_recency": ["gsi2pk", "gsi2sk"],
            "by_claims": ["gsi3pk", "gsi3sk"],
        }
        ttl = dynamodb.describe_time_to_live(TableName=env["WHOSAID_IDEMPOTENCY_TABLE_NAME"])["TimeToLiveDescription"]
        assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expiration"}

        sqs = boto3.client("sqs", region_name=REGION)
        redrive = json.loads(
            sqs.get_queue_attributes(QueueUrl=env["WHOSAID_QUEUE_URL"], AttributeNames=["RedrivePolicy"])["Attributes"][
                "RedrivePolicy"
            ]
        )
        assert redrive["deadLetterTargetArn"] == stack.resources["IngestDeadLetterQueue"].attributes["Arn"]
        assert int(redrive["maxReceiveCount"]) == 3
