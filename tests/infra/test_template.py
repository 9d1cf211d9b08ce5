"""template.yaml: what it promises, checked on the parsed template (fast), on CloudFormation's view of it after the
SAM transform (both auth modes), and by `sam validate --lint` and `sam build` themselves.

The sam binary is aws-sam-cli from its own virtual environment (`make sam-cli`; the Makefile passes SAM_CLI).
Without it these tests skip locally, but fail under CI: CI must not pass by skipping them.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest

from infra.template_resources import load_template

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
SAM_ENV = {
    "SAM_CLI_TELEMETRY": "0",
    # sam build needs the runtime's Python on PATH: pyenv provides 3.13 beside the 3.11 the repo runs on.
    "PYENV_VERSION": "3.11.7:3.12.1:3.13.0",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}
CONTRACT_ENVIRONMENT = {
    "WHOSAID_TABLE_NAME",
    "WHOSAID_IDEMPOTENCY_TABLE_NAME",
    "WHOSAID_BUCKET_NAME",
    "WHOSAID_QUEUE_URL",
    "WHOSAID_OPENAI_API_KEY_PARAMETER",
    "OPENAI_BASE_URL",
    "WHOSAID_MODEL",
    "WHOSAID_LLM_RESPONSE_FORMAT",
    "WHOSAID_EXTRACTOR",
    "WHOSAID_ASYNC_THRESHOLD_CHARS",
    "POWERTOOLS_SERVICE_NAME",
    "POWERTOOLS_METRICS_NAMESPACE",
    "POWERTOOLS_LOG_LEVEL",
}
PROTECTED_ROUTES = {
    ("/articles", "post"),
    ("/articles", "get"),
    ("/articles/{article_id}", "get"),
    ("/articles/{article_id}", "delete"),
    ("/articles/{article_id}/claims", "get"),
    ("/speakers", "get"),
    ("/speakers/{speaker}/claims", "get"),
    ("/uploads", "get"),
}
# Public in every AuthMode: the docs and the claim viewer's page and files.
DOCS_ROUTES = {("/openapi.json", "get"), ("/docs", "get"), ("/ui", "get"), ("/ui/{asset}", "get")}
API_GATEWAY_TIMEOUT_SECONDS = 29


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template(TEMPLATE)


@pytest.fixture(scope="module")
def resources(template: dict[str, Any]) -> dict[str, Any]:
    return template["Resources"]


def _props(resources: dict[str, Any], logical_id: str) -> dict[str, Any]:
    return resources[logical_id]["Properties"]


def _walk(value: Any) -> Iterator[Any]:
    yield value
    if isinstance(value, dict):
        for child in value.values():
            yield from _walk(child)
    elif isinstance(value, list):
        for child in value:
            yield from _walk(child)


def _statements(value: Any) -> Iterator[dict[str, Any]]:
    for node in _walk(value):
        if isinstance(node, dict) and isinstance(node.get("Statement"), list):
            yield from (s for s in node["Statement"] if isinstance(s, dict))


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# --- the parsed template --------------------------------------------------------------------------------------------


def test_globals_runtime_tracing_logging_and_contract_environment(template: dict[str, Any]) -> None:
    function = template["Globals"]["Function"]
    assert function["Runtime"] == "python3.13"
    assert function["Architectures"] == ["arm64"]
    assert function["Tracing"] == "Active"
    assert function["LoggingConfig"]["LogFormat"] == "JSON"
    assert "Layers" not in function  # each function has its own (test_each_function_has_its_own_layer)
    variables = function["Environment"]["Variables"]
    assert set(variables) == CONTRACT_ENVIRONMENT
    assert variables["WHOSAID_TABLE_NAME"] == {"Ref": "ArticlesTable"}
    assert variables["WHOSAID_QUEUE_URL"] == {"Ref": "IngestQueue"}
    # Only the parameter's name reaches the functions, never a key.
    assert variables["WHOSAID_OPENAI_API_KEY_PARAMETER"] == {"Ref": "OpenAIApiKeyParameter"}
    assert not any("API_KEY" in name and "PARAMETER" not in name for name in variables)


def test_parameters_and_auth_switch(template: dict[str, Any]) -> None:
    parameters = template["Parameters"]
    assert set(parameters) >= {
        "Stage",
        "ModelName",
        "OpenAIBaseUrl",
        "OpenAIApiKeyParameter",
        "Extractor",
        "AuthMode",
        "LogLevel",
    }
    assert parameters["AuthMode"]["AllowedValues"] == ["API_KEY", "IAM", "JWT"]
    assert parameters["Extractor"]["AllowedValues"] == ["auto", "llm", "rules"]
    assert parameters["LlmResponseFormat"]["AllowedValues"] == ["json_schema", "json_object", "none"]
    assert parameters["OpenAIApiKeyParameter"]["Default"] == ""
    assert re.fullmatch(parameters["OpenAIApiKeyParameter"]["AllowedPattern"], "/whosaid/openai-api-key")
    # SAM needs the Fn::If in Api Auth resolved before it runs: the language extensions transform comes first.
    assert template["Transform"] == ["AWS::LanguageExtensions", "AWS::Serverless-2016-10-31"]


FUNCTION_LAYERS = {"ApiFunction": "ApiLayer", "IngestFunction": "IngestLayer"}
HTML_PACKAGES = ("trafilatura", "lxml", "babel")
SDK_PACKAGES = ("boto3", "botocore", "s3transfer")


def _requirement_names(path: Path) -> set[str]:
    lines = (line.split("#")[0].strip() for line in path.read_text(encoding="utf-8").splitlines())
    return {re.split(r"[\[<>=!~; ]", line)[0].lower() for line in lines if line}


def _layer_requirement_files(logical_id: str) -> list[Path]:
    """The requirement files shared/Makefile's build-<logical_id> target installs."""
    makefile = (ROOT / "shared" / "Makefile").read_text(encoding="utf-8")
    match = re.search(rf"^build-{logical_id}:\n\t\$\(call layer,(.*)\)$", makefile, re.MULTILINE)
    assert match, f"shared/Makefile has no build-{logical_id} target"
    return [ROOT / "shared" / name for name in re.findall(r"-r (\S+)", match.group(1))]


def test_each_function_has_its_own_layer_built_by_the_makefile(
    template: dict[str, Any], resources: dict[str, Any]
) -> None:
    for function, layer in FUNCTION_LAYERS.items():
        assert _props(resources, function)["Layers"] == [{"Ref": layer}]
        assert resources[layer]["Properties"]["ContentUri"] == "shared/"
        assert resources[layer]["Properties"]["CompatibleRuntimes"] == [template["Globals"]["Function"]["Runtime"]]
        assert resources[layer]["Metadata"]["BuildMethod"] == "makefile"
        assert resources[layer]["Metadata"]["BuildArchitecture"] == template["Globals"]["Function"]["Architectures"][0]
        assert _layer_requirement_files(layer)


def test_the_api_layer_has_no_html_extraction_and_no_layer_ships_the_sdk() -> None:
    api = set().union(*map(_requirement_names, _layer_requirement_files("ApiLayer")))
    ingest = set().union(*map(_requirement_names, _layer_requirement_files("IngestLayer")))
    assert {"aws-lambda-powertools", "pydantic", "openai"} <= api
    assert not api & {*HTML_PACKAGES, "tqdm"}
    assert "trafilatura" in ingest and api <= ingest
    assert not (api | ingest) & set(SDK_PACKAGES)
    # `pip install -e .` installs the whole set: both layers' files and shared/requirements.txt (boto3, tqdm).
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    for path in {*_layer_requirement_files("IngestLayer"), ROOT / "shared" / "requirements.txt"}:
        assert f'"shared/{path.name}"' in pyproject


def test_snapstart_on_both_functions_behind_an_alias(resources: dict[str, Any]) -> None:
    for function in FUNCTION_LAYERS:
        properties = _props(resources, function)
        assert properties["SnapStart"] == {"ApplyOn": "PublishedVersions"}
        assert properties["AutoPublishAlias"] == "live"
        # Without it only a code change publishes a version: a new layer would never reach the alias.
        assert properties["AutoPublishAliasAllProperties"] is True


def test_functions_are_thin_handlers_with_safe_timeouts(template: dict[str, Any], resources: dict[str, Any]) -> None:
    api = _props(resources, "ApiFunction")
    ingest = _props(resources, "IngestFunction")
    assert (api["CodeUri"], api["Handler"]) == ("functions/api", "api_handler.lambda_handler")
    assert (ingest["CodeUri"], ingest["Handler"]) == ("functions/ingest", "ingest_handler.lambda_handler")
    assert api["Timeout"] < API_GATEWAY_TIMEOUT_SECONDS


def test_a_failing_message_reaches_the_dead_letter_queue_in_minutes(resources: dict[str, Any]) -> None:
    from whosaid.ingest.processor import RETRY_BASE_FRACTION
    from whosaid.service.articles import RUN_LEASE_SECONDS

    timeout = _props(resources, "IngestFunction")["Timeout"]
    queue = _props(resources, "IngestQueue")
    visibility = queue["VisibilityTimeout"]
    # A live extraction is never taken over (lease > timeout), and the redelivery of a message whose function
    # crashed mid-extraction finds the lease lapsed (lease < visibility) and takes the article over.
    assert timeout < RUN_LEASE_SECONDS < visibility
    # Each delivery runs at most `timeout`; a reported failure comes back after its backoff, a crash after the
    # visibility timeout; after maxReceiveCount deliveries the next receive moves the message to the DLQ.
    worst = sum(
        max(timeout + timeout * RETRY_BASE_FRACTION * 2**attempt, visibility)
        for attempt in range(queue["RedrivePolicy"]["maxReceiveCount"])
    )
    assert worst <= 20 * 60, worst  # README and template say 19 minutes
    [event] = _props(resources, "IngestFunction")["Events"].values()
    assert event["Properties"]["BatchSize"] == 1  # the timeout is sized for one article


# Public in every AuthMode: API_KEY has no authorizer to switch off, IAM and JWT do.
PUBLIC_AUTH = {"Fn::If": ["UseAuthorizer", {"Authorizer": "NONE"}, {"ApiKeyRequired": False}]}


def _api_routes(resources: dict[str, Any]) -> tuple[dict[tuple[str, str], Any], dict[tuple[str, str], Any]]:
    """(routes always there, CORS preflight routes that exist only with CorsAllowedOrigins), by (path, method)."""
    routes, preflights = {}, {}
    for event in _props(resources, "ApiFunction")["Events"].values():
        target = routes
        if "Fn::If" in event:
            condition, event, absent = event["Fn::If"]
            assert (condition, absent) == ("HasCorsOrigins", {"Ref": "AWS::NoValue"})
            target = preflights
        assert event["Type"] == "Api"
        assert event["Properties"]["RestApiId"] == {"Ref": "WhosaidApi"}
        target[(event["Properties"]["Path"], event["Properties"]["Method"].lower())] = event["Properties"]
    return routes, preflights


def test_api_routes_and_auth(resources: dict[str, Any]) -> None:
    routes, _ = _api_routes(resources)
    assert set(routes) == PROTECTED_ROUTES | DOCS_ROUTES
    for route in PROTECTED_ROUTES:
        assert "Auth" not in routes[route], f"{route} must use the API's default auth"
    for route in DOCS_ROUTES:
        assert routes[route]["Auth"] == PUBLIC_AUTH
    auth = _props(resources, "WhosaidApi")["Auth"]["Fn::If"]
    assert auth[0] == "UseIamAuth"
    assert auth[1] == {"DefaultAuthorizer": "AWS_IAM"}
    jwt, api_key = auth[2]["Fn::If"][1:]
    assert auth[2]["Fn::If"][0] == "UseJwtAuth"
    assert jwt["DefaultAuthorizer"] == "CognitoAuthorizer"
    assert jwt["Authorizers"]["CognitoAuthorizer"]["UserPoolArn"] == {
        "Fn::If": ["HasJwtUserPoolArn", {"Ref": "JwtUserPoolArn"}, {"Fn::GetAtt": ["UserPool", "Arn"]}]
    }
    assert api_key["ApiKeyRequired"] is True
    assert api_key["UsagePlan"]["CreateUsagePlan"] == "PER_API"
    # The OpenAPI helper makes the documented security schemes follow this.
    assert _props(resources, "ApiFunction")["Environment"]["Variables"]["WHOSAID_AUTH_MODE"] == {"Ref": "AuthMode"}


def test_ingest_reads_the_queue_with_partial_batch_failures(resources: dict[str, Any]) -> None:
    [event] = _props(resources, "IngestFunction")["Events"].values()
    assert event["Type"] == "SQS"
    assert event["Properties"]["Queue"] == {"Fn::GetAtt": ["IngestQueue", "Arn"]}
    assert event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert 1 <= event["Properties"]["BatchSize"] <= 10


def test_queue_has_a_dead_letter_queue_and_encryption(resources: dict[str, Any]) -> None:
    queue = _props(resources, "IngestQueue")
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": ["IngestDeadLetterQueue", "Arn"]},
        "maxReceiveCount": 3,
    }
    assert queue["SqsManagedSseEnabled"] is True
    assert _props(resources, "IngestDeadLetterQueue")["SqsManagedSseEnabled"] is True


def test_only_the_articles_bucket_may_send_to_the_queue(resources: dict[str, Any]) -> None:
    [statement] = _props(resources, "IngestQueuePolicy")["PolicyDocument"]["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Principal"] == {"Service": "s3.amazonaws.com"}
    assert statement["Action"] == "sqs:SendMessage"
    assert statement["Condition"]["StringEquals"]["aws:SourceAccount"] == {"Ref": "AWS::AccountId"}
    # The policy names the bucket by the same fixed name the bucket gets (it must exist before the bucket does).
    bucket_name = _props(resources, "ArticlesBucket")["BucketName"]["Fn::Sub"]
    source_arn = statement["Condition"]["ArnEquals"]["aws:SourceArn"]["Fn::Sub"]
    assert source_arn == "arn:${AWS::Partition}:s3:::" + bucket_name


def test_bucket_is_private_encrypted_tls_only_and_notifies_the_queue(resources: dict[str, Any]) -> None:
    bucket = resources["ArticlesBucket"]
    props = bucket["Properties"]
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    [rule] = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in {"AES256", "aws:kms"}
    [notification] = props["NotificationConfiguration"]["QueueConfigurations"]
    assert notification["Event"] == "s3:ObjectCreated:*"
    assert notification["Queue"] == {"Fn::GetAtt": ["IngestQueue", "Arn"]}
    assert notification["Filter"]["S3Key"]["Rules"] == [{"Name": "prefix", "Value": "incoming/"}]
    assert "IngestQueuePolicy" in _as_list(bucket["DependsOn"])

    policy = _props(resources, "ArticlesBucketPolicy")
    assert policy["Bucket"] == {"Ref": "ArticlesBucket"}
    [deny] = policy["PolicyDocument"]["Statement"]
    assert deny["Effect"] == "Deny"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert {"Fn::GetAtt": ["ArticlesBucket", "Arn"]} in deny["Resource"]


@pytest.mark.parametrize("logical_id", ["ArticlesTable", "IdempotencyTable"])
def test_tables_are_on_demand_recoverable_and_encrypted(resources: dict[str, Any], logical_id: str) -> None:
    table = _props(resources, logical_id)
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert table["SSESpecification"] == {"SSEEnabled": True}


def test_table_keys_follow_the_contract(resources: dict[str, Any]) -> None:
    articles = _props(resources, "ArticlesTable")
    assert articles["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    indexes = {index["IndexName"]: index for index in articles["GlobalSecondaryIndexes"]}
    assert set(indexes) == {"by_speaker", "by_recency", "by_claims"}
    assert [k["AttributeName"] for k in indexes["by_speaker"]["KeySchema"]] == ["gsi1pk", "gsi1sk"]
    assert [k["AttributeName"] for k in indexes["by_recency"]["KeySchema"]] == ["gsi2pk", "gsi2sk"]
    # The speaker directory: read most claims first, and the listing shows the entry items' own attributes.
    assert [k["AttributeName"] for k in indexes["by_claims"]["KeySchema"]] == ["gsi3pk", "gsi3sk"]
    assert indexes["by_claims"]["Projection"] == {"ProjectionType": "ALL"}
    defined = {a["AttributeName"]: a["AttributeType"] for a in articles["AttributeDefinitions"]}
    assert defined["gsi3pk"] == defined["gsi3sk"] == "S"
    idempotency = _props(resources, "IdempotencyTable")
    assert idempotency["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert idempotency["TimeToLiveSpecification"] == {"AttributeName": "expiration", "Enabled": True}


def test_article_listing_index_projects_every_listed_field_but_the_text(resources: dict[str, Any]) -> None:
    # GET /articles reads this index: a field missing here would be silently absent from listings, and the text
    # would make every page read up to ~300 KB per article.
    from whosaid.storage.records import ArticleRecord

    articles = _props(resources, "ArticlesTable")
    recency = next(i for i in articles["GlobalSecondaryIndexes"] if i["IndexName"] == "by_recency")
    assert recency["Projection"]["ProjectionType"] == "INCLUDE"
    projected = set(recency["Projection"]["NonKeyAttributes"])
    assert projected == (set(ArticleRecord.model_fields) - {"text"}) | {"entity"}


def test_upload_items_carry_only_what_the_recency_index_projects(resources: dict[str, Any]) -> None:
    # GET /uploads reads the same index (its UPLOADS partition): an upload attribute it does not project would be
    # silently missing from the listing.
    from whosaid.storage.records import ArticleError
    from whosaid.storage.uploads import UploadStore

    written: dict[str, Any] = {}

    class Recorder:
        def put_item(self, attributes: dict[str, Any], operation: str) -> None:
            written.update(attributes)

    UploadStore(Recorder()).record(  # type: ignore[arg-type]  # only put_item is used
        upload_id="upl_0",
        origin={"key": "incoming/a.txt"},
        status="failed",
        now="t",
        article_id="a",
        error=ArticleError(code="invalid_input", message="bad"),
    )
    articles = _props(resources, "ArticlesTable")
    recency = next(i for i in articles["GlobalSecondaryIndexes"] if i["IndexName"] == "by_recency")
    assert set(written) <= set(recency["Projection"]["NonKeyAttributes"]) | {"pk", "sk", "gsi2pk", "gsi2sk"}


def test_no_wildcard_grants(template: dict[str, Any]) -> None:
    for statement in _statements(template):
        if statement.get("Effect") != "Allow":
            continue  # the TLS-only bucket policy denies s3:* on purpose
        for action in _as_list(statement.get("Action", [])):
            assert isinstance(action, str) and "*" not in action, statement
        assert statement.get("Principal") != "*", statement


# SAM policy templates that are as narrow as the function needs (one queue, one parameter, one secret). The CRUD
# templates are not: DynamoDBCrudPolicy adds Scan and every index, S3CrudPolicy every key and bucket configuration.
NARROW_POLICY_TEMPLATES = {
    "SQSSendMessagePolicy",
    "SSMParameterWithSlashPrefixReadPolicy",
    "AWSSecretsManagerGetSecretValuePolicy",
}
ARTICLE_ITEM_ACTIONS = {
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchGetItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:Query",
}
# What each function's code calls (storage/articles.py, ingest/processor.py), on which resource.
EXPECTED_GRANTS = {
    "ApiFunction": {
        ("ArticlesTable", ""): ARTICLE_ITEM_ACTIONS,
        ("ArticlesTable", "/index/by_speaker"): {"dynamodb:Query"},
        ("ArticlesTable", "/index/by_recency"): {"dynamodb:Query"},
        ("ArticlesTable", "/index/by_claims"): {"dynamodb:Query"},
        ("ArticlesBucket", "/articles/*"): {
            "s3:GetObject",
            "s3:PutObject",
            "s3:DeleteObject",
            "s3:DeleteObjectVersion",
        },
        ("ArticlesBucket", ""): {"s3:ListBucket"},
    },
    "IngestFunction": {
        ("ArticlesTable", ""): ARTICLE_ITEM_ACTIONS,
        ("ArticlesTable", "/index/by_speaker"): {"dynamodb:Query"},
        ("IdempotencyTable", ""): {
            "dynamodb:GetItem",
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
            "dynamodb:DeleteItem",
        },
        ("ArticlesBucket", "/incoming/*"): {"s3:GetObject", "s3:GetObjectVersion"},
        ("ArticlesBucket", "/articles/*"): {"s3:GetObject", "s3:PutObject", "s3:DeleteObjectVersion"},
        ("ArticlesBucket", ""): {"s3:ListBucket"},
    },
}


def _inline_statements(resources: dict[str, Any], logical_id: str) -> list[dict[str, Any]]:
    return [
        s for policy in _props(resources, logical_id)["Policies"] if "Statement" in policy for s in policy["Statement"]
    ]


def _grant_target(resource: Any) -> tuple[str, str]:
    """(logical id, suffix) of `!GetAtt X.Arn` ("") or `!Sub ${X.Arn}<suffix>`; anything else fails the test."""
    if "Fn::GetAtt" in resource:
        assert resource["Fn::GetAtt"][1] == "Arn", resource
        return resource["Fn::GetAtt"][0], ""
    match = re.fullmatch(r"\$\{(\w+)\.Arn\}(/\S+)", resource["Fn::Sub"])
    assert match, resource
    return match.group(1), match.group(2)


def test_functions_use_narrow_policy_templates_and_explicit_statements(resources: dict[str, Any]) -> None:
    for logical_id in ("ApiFunction", "IngestFunction"):
        for policy in _props(resources, logical_id)["Policies"]:
            if "Fn::If" in policy:  # the key parameter's read policy exists only when a parameter is given
                condition, when_set, when_unset = policy["Fn::If"]
                assert condition == "HasOpenAIApiKeyParameter"
                assert when_unset == {"Ref": "AWS::NoValue"}
                policy = when_set
            if "Statement" in policy:
                continue  # checked grant by grant below
            [name] = policy
            assert name in NARROW_POLICY_TEMPLATES, f"{logical_id}: {name}"


def test_only_the_ingest_function_changes_message_visibility(resources: dict[str, Any]) -> None:
    # Its one queue statement: the redelivery backoff of the messages it failed, on its own queue only.
    def queue_statements(logical_id: str) -> list[dict[str, Any]]:
        return [s for s in _inline_statements(resources, logical_id) if str(s["Action"]).startswith("sqs:")]

    assert queue_statements("IngestFunction") == [
        {"Effect": "Allow", "Action": "sqs:ChangeMessageVisibility", "Resource": {"Fn::GetAtt": ["IngestQueue", "Arn"]}}
    ]
    assert queue_statements("ApiFunction") == []


@pytest.mark.parametrize("logical_id", ["ApiFunction", "IngestFunction"])
def test_s3_and_dynamodb_grants_are_what_the_function_calls(resources: dict[str, Any], logical_id: str) -> None:
    grants: dict[tuple[str, str], set[str]] = {}
    for statement in _inline_statements(resources, logical_id):
        if not any(a.startswith(("s3:", "dynamodb:")) for a in _as_list(statement["Action"])):
            continue  # e.g. queue actions: scoped by their own tests
        assert statement["Effect"] == "Allow" and "Condition" not in statement, statement
        for resource in _as_list(statement["Resource"]):
            grants.setdefault(_grant_target(resource), set()).update(_as_list(statement["Action"]))
    assert grants == EXPECTED_GRANTS[logical_id]
    actions = {action for granted in grants.values() for action in granted}
    # Never bucket configuration or deletion, never a table scan or every index.
    assert not {a for a in actions if a.startswith(("s3:PutBucket", "s3:DeleteBucket", "s3:PutLifecycle"))}
    assert "dynamodb:Scan" not in actions
    # Object actions only on a prefix of the bucket; the bucket ARN itself only for listing key names.
    for (target, suffix), granted in grants.items():
        if target == "ArticlesBucket":
            assert suffix in ("/articles/*", "/incoming/*") or granted == {"s3:ListBucket"}, (suffix, granted)
    # Only the ingest function deletes nothing it did not write: no DeleteObject for uploads or bodies.
    if logical_id == "IngestFunction":
        assert "s3:DeleteObject" not in actions


def test_pagination_secret_is_generated_and_only_the_api_reads_it(resources: dict[str, Any]) -> None:
    secret = resources["PaginationSecret"]
    assert secret["Type"] == "AWS::SecretsManager::Secret"
    generated = secret["Properties"]["GenerateSecretString"]
    assert generated["PasswordLength"] >= 32
    assert "SecretString" not in secret["Properties"]  # nothing in the template: Secrets Manager generates it
    api = _props(resources, "ApiFunction")
    assert api["Environment"]["Variables"]["WHOSAID_PAGINATION_SECRET_ARN"] == {"Ref": "PaginationSecret"}
    reads = [p for p in api["Policies"] if "AWSSecretsManagerGetSecretValuePolicy" in p]
    assert reads == [{"AWSSecretsManagerGetSecretValuePolicy": {"SecretArn": {"Ref": "PaginationSecret"}}}]
    ingest = _props(resources, "IngestFunction")
    assert "WHOSAID_PAGINATION_SECRET_ARN" not in (ingest.get("Environment") or {}).get("Variables", {})
    assert "secretsmanager" not in json.dumps(ingest["Policies"]).lower()


@pytest.mark.parametrize("logical_id", ["ArticlesTable", "IdempotencyTable"])
def test_tables_have_deletion_protection(template: dict[str, Any], resources: dict[str, Any], logical_id: str) -> None:
    assert _props(resources, logical_id)["DeletionProtectionEnabled"] == {"Fn::If": ["ProtectTables", True, False]}
    assert template["Conditions"]["ProtectTables"] == {"Fn::Equals": [{"Ref": "TableDeletionProtection"}, "true"]}
    assert template["Parameters"]["TableDeletionProtection"]["Default"] == "true"


def test_outputs(template: dict[str, Any]) -> None:
    outputs = template["Outputs"]
    assert set(outputs) >= {
        "ApiUrl",
        "ArticlesTableName",
        "ArticlesBucketName",
        "IngestQueueUrl",
        "ApiKeyId",
        "AlarmTopicArn",
        "DashboardUrl",
        "UserPoolId",
        "UserPoolClientId",
    }
    assert outputs["AlarmTopicArn"]["Value"] == {"Ref": "AlarmTopic"}
    assert "${Dashboard}" in outputs["DashboardUrl"]["Value"]["Fn::Sub"]
    assert outputs["UserPoolId"]["Condition"] == outputs["UserPoolClientId"]["Condition"] == "CreateUserPool"


# --- operations: alarms, topic, dashboard, logs ---------------------------------------------------------------------

SERVICE = [{"Name": "service", "Value": "whosaid"}]  # powertools' default dimension (POWERTOOLS_SERVICE_NAME)
API_DIMENSIONS = [
    {"Name": "ApiName", "Value": {"Fn::Sub": "whosaid-${Stage}"}},
    {"Name": "Stage", "Value": {"Ref": "Stage"}},
]
ALARMS = {
    # logical id: (namespace, metric, dimensions, threshold parameter)
    "DeadLetterQueueAlarm": (
        "AWS/SQS",
        "ApproximateNumberOfMessagesVisible",
        [{"Name": "QueueName", "Value": {"Fn::GetAtt": ["IngestDeadLetterQueue", "QueueName"]}}],
        "DlqMessagesThreshold",
    ),
    "ApiFunctionErrorsAlarm": (
        "AWS/Lambda",
        "Errors",
        [{"Name": "FunctionName", "Value": {"Ref": "ApiFunction"}}],
        "FunctionErrorsThreshold",
    ),
    "ApiFunctionThrottlesAlarm": (
        "AWS/Lambda",
        "Throttles",
        [{"Name": "FunctionName", "Value": {"Ref": "ApiFunction"}}],
        "FunctionThrottlesThreshold",
    ),
    "IngestFunctionErrorsAlarm": (
        "AWS/Lambda",
        "Errors",
        [{"Name": "FunctionName", "Value": {"Ref": "IngestFunction"}}],
        "FunctionErrorsThreshold",
    ),
    "IngestFunctionThrottlesAlarm": (
        "AWS/Lambda",
        "Throttles",
        [{"Name": "FunctionName", "Value": {"Ref": "IngestFunction"}}],
        "FunctionThrottlesThreshold",
    ),
    "Api5xxRateAlarm": ("AWS/ApiGateway", "5XXError", API_DIMENSIONS, "Api5xxRateThreshold"),
    "ApiLatencyP99Alarm": ("AWS/ApiGateway", "Latency", API_DIMENSIONS, "ApiLatencyP99ThresholdMs"),
    "ExtractionFailuresAlarm": ("Whosaid", "ExtractionFailures", SERVICE, "ExtractionFailuresPerHourThreshold"),
    "LlmTokensAlarm": ("Whosaid", "LlmTokens", SERVICE, "LlmTokensPerHourThreshold"),
}


@pytest.mark.parametrize("logical_id", sorted(ALARMS))
def test_alarm(template: dict[str, Any], resources: dict[str, Any], logical_id: str) -> None:
    namespace, metric, dimensions, threshold = ALARMS[logical_id]
    alarm = resources[logical_id]
    assert alarm["Type"] == "AWS::CloudWatch::Alarm"
    props = alarm["Properties"]
    assert (props["Namespace"], props["MetricName"], props["Dimensions"]) == (namespace, metric, dimensions)
    assert props["Threshold"] == {"Ref": threshold}
    parameter = template["Parameters"][threshold]
    assert parameter["Type"] == "Number" and "Default" in parameter
    assert props["AlarmActions"] == [{"Ref": "AlarmTopic"}]
    assert props["ComparisonOperator"].startswith("GreaterThan")
    assert props["TreatMissingData"] == "notBreaching"  # no traffic is not an incident


def test_alarm_statistics_and_periods(resources: dict[str, Any]) -> None:
    assert _props(resources, "ApiLatencyP99Alarm")["ExtendedStatistic"] == "p99"
    assert _props(resources, "Api5xxRateAlarm")["Statistic"] == "Average"  # 5XXError is 0/1 per request: a rate
    for logical_id in ("ExtractionFailuresAlarm", "LlmTokensAlarm"):
        assert _props(resources, logical_id)["Period"] == 3600
        assert _props(resources, logical_id)["Statistic"] == "Sum"


def test_every_alarm_in_the_template_is_tested(resources: dict[str, Any]) -> None:
    alarms = {k for k, v in resources.items() if v["Type"] == "AWS::CloudWatch::Alarm"}
    assert alarms == set(ALARMS)


def test_product_metrics_the_alarms_read_are_emitted() -> None:
    # The Whosaid namespace's alarms read metrics by name: a renamed metric would leave them silent forever.
    source = "\n".join(path.read_text() for path in (ROOT / "shared" / "whosaid").rglob("*.py"))
    for _, metric, dimensions, _ in ALARMS.values():
        if dimensions is SERVICE:
            assert f'name="{metric}"' in source, metric
    for handler in ("functions/api/api_handler.py", "functions/ingest/ingest_handler.py"):
        assert "@metrics.log_metrics(capture_cold_start_metric=True)" in (ROOT / handler).read_text(), handler


def test_alarm_topic_is_encrypted_with_a_key_cloudwatch_may_use(
    template: dict[str, Any], resources: dict[str, Any]
) -> None:
    topic = _props(resources, "AlarmTopic")
    assert topic["KmsMasterKeyId"] == {"Ref": "AlarmTopicKey"}
    key = _props(resources, "AlarmTopicKey")
    assert key["EnableKeyRotation"] is True
    [cloudwatch] = [
        s for s in key["KeyPolicy"]["Statement"] if s["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    ]
    assert set(cloudwatch["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey"}
    subscription = resources["AlarmEmailSubscription"]
    assert subscription["Condition"] == "HasAlarmEmail"
    assert subscription["Properties"]["Protocol"] == "email"
    assert subscription["Properties"]["TopicArn"] == {"Ref": "AlarmTopic"}
    assert template["Parameters"]["AlarmEmail"]["Default"] == ""
    assert template["Conditions"]["HasAlarmEmail"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "AlarmEmail"}, ""]}]}


def test_dashboard_shows_the_alarms_and_the_product_metrics(resources: dict[str, Any]) -> None:
    body, variables = _props(resources, "Dashboard")["DashboardBody"]["Fn::Sub"]
    assert set(variables) == {"ApiName", "QueueName", "DeadLetterQueueName"}
    # Valid JSON once CloudFormation substitutes the ${...} references (all inside strings).
    dashboard = json.loads(re.sub(r"\$\{[^}]+\}", "x", body))
    assert len(dashboard["widgets"]) >= 6
    for alarm in ALARMS:
        assert "${" + alarm + ".Arn}" in body, alarm
    for metric in ("LlmTokens", "ExtractionFailures", "ColdStart", "5XXError", "Latency", "Throttles", "Errors"):
        assert f'"{metric}"' in body, metric


def test_api_access_logs_are_json_in_their_own_log_group(resources: dict[str, Any]) -> None:
    setting = _props(resources, "WhosaidApi")["AccessLogSetting"]
    assert setting["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]}
    assert _props(resources, "ApiAccessLogGroup")["RetentionInDays"] > 0
    # Every variable quoted, so the line is JSON whatever the values (an absent one is "-").
    line = json.loads(setting["Format"])
    assert all(isinstance(v, str) and v.startswith("$context.") for v in line.values()), line
    assert {"requestId", "ip", "caller", "method", "path", "status", "latency", "errors"} <= set(line)
    assert line["requestId"] == "$context.requestId" and line["ip"] == "$context.identity.sourceIp"
    assert "apiKey" not in line  # the key's id at most, never the key
    assert _props(resources, "ApiGatewayAccount")["CloudWatchRoleArn"] == {"Fn::GetAtt": ["ApiGatewayLogsRole", "Arn"]}
    assert resources["ApiGatewayAccount"]["Condition"] == "CreateApiGatewayLogsRole"


# --- security: CORS, WAF, JWT ---------------------------------------------------------------------------------------


def test_cors_is_off_by_default_and_preflights_are_public(template: dict[str, Any], resources: dict[str, Any]) -> None:
    assert template["Parameters"]["CorsAllowedOrigins"]["Default"] == ""
    assert template["Conditions"]["HasCorsOrigins"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "CorsAllowedOrigins"}, ""]}]
    }
    pattern = template["Parameters"]["CorsAllowedOrigins"]["AllowedPattern"]
    assert re.fullmatch(pattern, "") and re.fullmatch(pattern, CORS_ORIGINS)
    assert not re.fullmatch(pattern, "*") and not re.fullmatch(pattern, "https://a.example, https://b.example")
    _, preflights = _api_routes(resources)
    assert set(preflights) == {(path, "options") for path, _ in PROTECTED_ROUTES}
    for route in preflights.values():
        assert route["Auth"] == PUBLIC_AUTH
    variables = _props(resources, "ApiFunction")["Environment"]["Variables"]
    assert variables["WHOSAID_CORS_ALLOWED_ORIGINS"] == {"Ref": "CorsAllowedOrigins"}
    for response in _props(resources, "WhosaidApi")["GatewayResponses"].values():
        condition, _, absent = response["ResponseParameters"]["Fn::If"]
        assert (condition, absent) == ("HasCorsOrigins", {"Ref": "AWS::NoValue"})
    assert "Cors" not in _props(resources, "WhosaidApi")  # see the template's comment on the preflight routes


def test_waf_is_off_by_default_and_rate_limits_the_stage(template: dict[str, Any], resources: dict[str, Any]) -> None:
    assert template["Parameters"]["EnableWaf"]["Default"] == "false"
    assert template["Conditions"]["UseWaf"] == {"Fn::Equals": [{"Ref": "EnableWaf"}, "true"]}
    assert resources["ApiWebAcl"]["Condition"] == resources["ApiWebAclAssociation"]["Condition"] == "UseWaf"
    [rule] = _props(resources, "ApiWebAcl")["Rules"]
    assert rule["Statement"]["RateBasedStatement"]["Limit"] == {"Ref": "WafRateLimit"}
    _, parts = _props(resources, "ApiWebAclAssociation")["ResourceArn"]["Fn::Join"]
    # The stage by SAM's reference, so the association is created after the stage exists.
    assert {"Ref": "WhosaidApi"} in parts and {"Ref": "WhosaidApi.Stage"} in parts


def test_jwt_user_pool_is_created_only_without_an_existing_one(
    template: dict[str, Any], resources: dict[str, Any]
) -> None:
    assert template["Parameters"]["JwtUserPoolArn"]["Default"] == ""
    assert template["Conditions"]["CreateUserPool"] == {
        "Fn::And": [{"Condition": "UseJwtAuth"}, {"Fn::Not": [{"Condition": "HasJwtUserPoolArn"}]}]
    }
    assert resources["UserPool"]["Condition"] == resources["UserPoolClient"]["Condition"] == "CreateUserPool"
    assert _props(resources, "UserPool")["AdminCreateUserConfig"] == {"AllowAdminCreateUserOnly": True}
    assert _props(resources, "UserPoolClient")["GenerateSecret"] is False


# --- aws-sam-cli ----------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sam_cli() -> Path:
    configured = os.environ.get("SAM_CLI", "")
    path = Path(configured) if configured else ROOT / ".venv-sam" / "bin" / "sam"
    if not path.is_absolute():
        path = ROOT / path
    if not (path.is_file() and os.access(path, os.X_OK)):
        message = f"aws-sam-cli not found at {path} (run `make sam-cli`, or set SAM_CLI)"
        if os.environ.get("CI"):
            pytest.fail(message + ": CI must run the SAM tests, not skip them")
        pytest.skip(message)
    return path


def _run(command: list[str], *, timeout: int) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        command,
        cwd=ROOT,
        env={**os.environ, **SAM_ENV},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, f"{' '.join(command[:3])} failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    return result


def test_sam_validate_lint(sam_cli: Path) -> None:
    _run([str(sam_cli), "validate", "--lint", "--template-file", str(TEMPLATE)], timeout=300)


def test_sam_validate_translates_the_template(sam_cli: Path) -> None:
    _run(
        [str(sam_cli), "validate", "--language-extensions", "--template-file", str(TEMPLATE), "--region", "us-east-1"],
        timeout=300,
    )


class _Translator:
    """tests/support/sam_translate.py serving translations (`--serve`) in aws-sam-cli's Python: importing samcli is
    most of what one translation costs (about 1.5 s), so the module's tests share one process."""

    def __init__(self, sam_cli: Path, errors: IO[bytes]) -> None:
        script = ROOT / "tests" / "support" / "sam_translate.py"
        self._errors = errors
        self._process = subprocess.Popen(
            [str(sam_cli.parent / "python"), str(script), str(TEMPLATE), "--serve"],
            cwd=ROOT,
            env={**os.environ, **SAM_ENV},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errors,  # a file, not a pipe: nothing reads it until a translation fails
            text=True,
        )

    def translated(self, **parameters: str) -> dict[str, Any]:
        assert self._process.stdin is not None and self._process.stdout is not None
        self._process.stdin.write(json.dumps(parameters) + "\n")
        self._process.stdin.flush()
        line = self._process.stdout.readline()
        if not line:
            self._errors.seek(0)
            pytest.fail(f"sam_translate.py failed for {parameters}:\n{self._errors.read()[-4000:].decode()}")
        return dict(json.loads(line))

    def close(self) -> None:
        assert self._process.stdin is not None
        self._process.stdin.close()  # end of input: the server returns
        self._process.wait(timeout=30)


@pytest.fixture(scope="module")
def sam_translator(sam_cli: Path) -> Iterator[_Translator]:
    with tempfile.TemporaryFile() as errors:
        translator = _Translator(sam_cli, errors)
        yield translator
        translator.close()


def _api_body(translated: dict[str, Any]) -> dict[str, Any]:
    [api] = [r for r in translated["Resources"].values() if r["Type"] == "AWS::ApiGateway::RestApi"]
    return dict(api["Properties"]["Body"])


def _security(translated: dict[str, Any]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    return {
        (path, method): operation.get("security", [])
        for path, operations in _api_body(translated)["paths"].items()
        for method, operation in operations.items()
    }


def _condition(translated: dict[str, Any], value: Any) -> bool:
    """A translated condition, its parameters already substituted by the language extensions."""
    if isinstance(value, str):
        return _condition(translated, translated["Conditions"][value])
    ((function, args),) = value.items()
    if function == "Condition":
        return _condition(translated, args)
    if function == "Fn::Equals":
        return bool(args[0] == args[1])
    if function == "Fn::Not":
        return not _condition(translated, args[0])
    if function == "Fn::And":
        return all(_condition(translated, a) for a in args)
    assert function == "Fn::Or", value
    return any(_condition(translated, a) for a in args)


def _deployed(translated: dict[str, Any], logical_id: str) -> bool:
    resource = translated["Resources"].get(logical_id)
    return resource is not None and ("Condition" not in resource or _condition(translated, resource["Condition"]))


def _role_policy_names(translated: dict[str, Any], role: str) -> list[dict[str, Any]]:
    return [policy["PolicyDocument"] for policy in translated["Resources"][role]["Properties"].get("Policies", [])]


def test_api_key_mode_deploys_a_usage_plan_and_public_docs(sam_translator: _Translator) -> None:
    translated = sam_translator.translated(AuthMode="API_KEY")
    types = {r["Type"] for r in translated["Resources"].values()}
    assert {"AWS::ApiGateway::UsagePlan", "AWS::ApiGateway::ApiKey", "AWS::ApiGateway::UsagePlanKey"} <= types
    security = _security(translated)
    assert set(security) == PROTECTED_ROUTES | DOCS_ROUTES
    for route in PROTECTED_ROUTES:
        assert security[route] == [{"api_key": []}], route
    for route in DOCS_ROUTES:
        assert security[route] == [], route
    # No key parameter given: no SSM read grant.
    assert "ssm:GetParameter" not in json.dumps(_role_policy_names(translated, "ApiFunctionRole"))
    # GET /speakers queries the by_claims index: the deployed API role may query it by name, and no index/* at all.
    # (The local language-extensions step renders `!Sub ${ArticlesTable.Arn}/...` as its text; CloudFormation's does
    # not. The parsed-template tests above check the references themselves.)
    statements = list(_statements(_role_policy_names(translated, "ApiFunctionRole")))
    index_resources = [
        json.dumps(resource)
        for s in statements
        if "dynamodb:Query" in _as_list(s["Action"])
        for resource in _as_list(s["Resource"])
        if "/index/" in json.dumps(resource)
    ]
    assert any("ArticlesTable" in r and r.endswith('/index/by_claims"') for r in index_resources), index_resources
    assert not any("index/*" in r for r in index_resources)
    # The generated pagination secret: the API's only Secrets Manager grant, on that one secret.
    [read] = [s for s in statements if "secretsmanager:GetSecretValue" in _as_list(s["Action"])]
    assert read["Resource"] == {"Fn::Sub": ["${secretArn}", {"secretArn": {"Ref": "PaginationSecret"}}]}
    assert "secretsmanager" not in json.dumps(_role_policy_names(translated, "IngestFunctionRole"))
    # Defaults: no CORS (no OPTIONS method, no origin on the gateway's errors), no WAF, no user pool.
    assert not any(method == "options" for _, method in security)
    responses = _api_body(translated)["x-amazon-apigateway-gateway-responses"]
    assert not any("Access-Control" in json.dumps(r) for r in responses.values())
    for logical_id in ("ApiWebAcl", "ApiWebAclAssociation", "UserPool", "UserPoolClient"):
        assert not _deployed(translated, logical_id), logical_id


def test_iam_mode_signs_every_route_but_the_docs(sam_translator: _Translator) -> None:
    translated = sam_translator.translated(AuthMode="IAM", OpenAIApiKeyParameter="/whosaid/openai-api-key")
    types = {r["Type"] for r in translated["Resources"].values()}
    assert "AWS::ApiGateway::UsagePlan" not in types
    security = _security(translated)
    for route in PROTECTED_ROUTES:
        assert security[route] == [{"AWS_IAM": []}], route
    for route in DOCS_ROUTES:
        assert security[route] in ([], [{"NONE": []}]), route
    for role in ("ApiFunctionRole", "IngestFunctionRole"):
        statements = list(_statements(_role_policy_names(translated, role)))
        [read] = [s for s in statements if "ssm:GetParameter" in _as_list(s["Action"])]
        # Scoped to that one parameter (the name keeps its leading slash: the WithSlashPrefix template).
        pattern, variables = read["Resource"]["Fn::Sub"]
        assert pattern.endswith(":parameter${parameterName}")
        assert variables == {"parameterName": "/whosaid/openai-api-key"}


CORS_ORIGINS = "https://app.example.com,https://admin.example.com"


@pytest.mark.parametrize("auth_mode", ["API_KEY", "IAM", "JWT"])
def test_cors_origins_open_public_preflights_on_every_path(sam_translator: _Translator, auth_mode: str) -> None:
    translated = sam_translator.translated(AuthMode=auth_mode, CorsAllowedOrigins=CORS_ORIGINS)
    security = _security(translated)
    protected_paths = {path for path, _ in PROTECTED_ROUTES}
    assert {path for path, method in security if method == "options"} == protected_paths
    for path in protected_paths:
        # No key, signature or token on a preflight: a browser sends none.
        assert security[(path, "options")] in ([], [{"NONE": []}]), (auth_mode, path)
    # The gateway's own errors (401, 403, 429) carry the caller's origin back, so a browser can read them.
    responses = _api_body(translated)["x-amazon-apigateway-gateway-responses"]
    for name in ("DEFAULT_4XX", "DEFAULT_5XX"):
        parameters = responses[name]["responseParameters"]
        assert parameters["gatewayresponse.header.Access-Control-Allow-Origin"] == "method.request.header.origin"
    variables = translated["Resources"]["ApiFunction"]["Properties"]["Environment"]["Variables"]
    assert variables["WHOSAID_CORS_ALLOWED_ORIGINS"] == CORS_ORIGINS
    assert variables["WHOSAID_AUTH_MODE"] == auth_mode


def test_jwt_mode_uses_the_stacks_cognito_user_pool(sam_translator: _Translator) -> None:
    translated = sam_translator.translated(AuthMode="JWT")
    assert _deployed(translated, "UserPool") and _deployed(translated, "UserPoolClient")
    assert translated["Resources"]["UserPoolClient"]["Properties"]["UserPoolId"] == {"Ref": "UserPool"}
    types = {r["Type"] for r in translated["Resources"].values()}
    assert "AWS::ApiGateway::UsagePlan" not in types
    security = _security(translated)
    for route in PROTECTED_ROUTES:
        assert security[route] == [{"CognitoAuthorizer": []}], route
    for route in DOCS_ROUTES:
        assert security[route] in ([], [{"NONE": []}]), route
    scheme = _api_body(translated)["components"]["securitySchemes"]["CognitoAuthorizer"]
    assert scheme["x-amazon-apigateway-authorizer"] == {
        "type": "cognito_user_pools",
        "providerARNs": [{"Fn::GetAtt": ["UserPool", "Arn"]}],
    }
    assert {"UserPoolId", "UserPoolClientId"} <= set(translated["Outputs"])


def test_jwt_mode_with_an_existing_user_pool_creates_none(sam_translator: _Translator) -> None:
    pool = "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_Example1"
    translated = sam_translator.translated(AuthMode="JWT", JwtUserPoolArn=pool)
    assert not _deployed(translated, "UserPool") and not _deployed(translated, "UserPoolClient")
    scheme = _api_body(translated)["components"]["securitySchemes"]["CognitoAuthorizer"]
    assert scheme["x-amazon-apigateway-authorizer"]["providerARNs"] == [pool]


def test_waf_on_associates_a_rate_limited_web_acl_with_the_stage(sam_translator: _Translator) -> None:
    translated = sam_translator.translated(EnableWaf="true", WafRateLimit="500")
    assert _deployed(translated, "ApiWebAcl") and _deployed(translated, "ApiWebAclAssociation")
    acl = translated["Resources"]["ApiWebAcl"]["Properties"]
    assert acl["Scope"] == "REGIONAL" and acl["DefaultAction"] == {"Allow": {}}
    [rule] = acl["Rules"]
    assert rule["Action"] == {"Block": {}}
    assert rule["Statement"]["RateBasedStatement"] == {"Limit": "500", "AggregateKeyType": "IP"}
    association = translated["Resources"]["ApiWebAclAssociation"]["Properties"]
    assert association["WebACLArn"] == {"Fn::GetAtt": ["ApiWebAcl", "Arn"]}
    assert "WhosaidApi" in json.dumps(association["ResourceArn"])


def test_events_invoke_the_snapstart_alias(sam_translator: _Translator) -> None:
    # SnapStart applies to published versions only: $LATEST would initialise from scratch on every cold start.
    resources = sam_translator.translated()["Resources"]
    [api] = [r for r in resources.values() if r["Type"] == "AWS::ApiGateway::RestApi"]
    uris = {
        json.dumps(operation["x-amazon-apigateway-integration"]["uri"])
        for operations in api["Properties"]["Body"]["paths"].values()
        for operation in operations.values()
    }
    assert uris and all("${ApiFunctionAliaslive}" in uri for uri in uris)
    permissions = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::Lambda::Permission"]
    assert permissions and all(p["FunctionName"] == {"Ref": "ApiFunctionAliaslive"} for p in permissions)
    [mapping] = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::Lambda::EventSourceMapping"]
    assert mapping["FunctionName"] == {"Ref": "IngestFunctionAliaslive"}


# CPython 3.13's bytecode magic number (importlib.util.MAGIC_NUMBER under 3.13; this suite runs on 3.11).
CPYTHON_313_MAGIC = (3571).to_bytes(2, "little") + b"\r\n"
UNCHECKED_HASH_FLAGS = 0b01  # PEP 552: hash-based, source not checked


# `sam build --cached` reuses a layer or function whose source directory (shared/, functions/...) has not changed
# since the last build: it keeps the source hashes in build.toml beside the build directory and the built artifacts
# in the cache directory, so both must outlive the test run (under .aws-sam/, gitignored). A cold run (a clean
# clone, CI) builds everything, as before; a warm one copies the layers from the cache.
SAM_TEST_BUILD = ROOT / ".aws-sam" / "test-build"


def test_sam_build(sam_cli: Path) -> None:
    build_dir, cache_dir = SAM_TEST_BUILD / "build", SAM_TEST_BUILD / "cache"
    started = time.monotonic()
    _run(
        [
            str(sam_cli),
            "build",
            "--template-file",
            str(TEMPLATE),
            "--build-dir",
            str(build_dir),
            "--cached",
            "--cache-dir",
            str(cache_dir),
        ],
        timeout=900,
    )
    elapsed = time.monotonic() - started
    print(f"sam build took {elapsed:.1f} s")

    layers = {name: build_dir / name / "python" for name in FUNCTION_LAYERS.values()}
    for name, layer in layers.items():
        assert (layer / "whosaid" / "models.py").is_file()
        assert (layer / "whosaid" / "ingest" / "processor.py").is_file()
        assert (layer / "aws_lambda_powertools").is_dir()
        assert (layer / "openai").is_dir()
        # Binary wheels for the functions' architecture and runtime, not this machine's.
        assert list((layer / "pydantic_core").glob("*.cpython-313-aarch64-linux-gnu.so"))
        # The AWS SDK is the runtime's: none in a layer (README, "Layers").
        assert not [p for p in layer.iterdir() if p.name.split("-")[0] in SDK_PACKAGES], name
        # Bytecode for the runtime's Python, used without checking the source, beside every module; no tests.
        for module in (layer / "whosaid" / "models.py", layer / "pydantic" / "main.py"):
            pyc = module.parent / "__pycache__" / f"{module.stem}.cpython-313.pyc"
            header = pyc.read_bytes()[:8]
            assert header[:4] == CPYTHON_313_MAGIC, pyc
            assert int.from_bytes(header[4:8], "little") == UNCHECKED_HASH_FLAGS, pyc
        sources = list(layer.rglob("*.py"))
        compiled = {p.parent.parent / p.name.replace(".cpython-313.pyc", ".py") for p in layer.rglob("*.pyc")}
        assert not [p for p in sources if p not in compiled][:5]
        assert not [p for p in layer.rglob("*.pyc") if ".cpython-313." not in p.name][:5]
        assert not [p for p in layer.rglob("tests") if p.is_dir()][:5]
        assert not (layer / "whosaid.egg-info").exists()
    assert not [p for p in layers["ApiLayer"].iterdir() if p.name.split("-")[0] in (*HTML_PACKAGES, "tqdm")]
    assert (layers["IngestLayer"] / "trafilatura").is_dir()
    assert (build_dir / "ApiFunction" / "api_handler.py").is_file()
    assert (build_dir / "IngestFunction" / "ingest_handler.py").is_file()
    built = load_template(build_dir / "template.yaml")
    for name in layers:
        assert built["Resources"][name]["Properties"]["ContentUri"] == name
