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
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from infra.template_resources import load_template

ROOT = Path(__file__).resolve().parent.parent
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
}
DOCS_ROUTES = {("/openapi.json", "get"), ("/docs", "get")}
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
    assert parameters["AuthMode"]["AllowedValues"] == ["API_KEY", "IAM"]
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
    visibility = _props(resources, "IngestQueue")["VisibilityTimeout"]
    assert visibility >= 6 * ingest["Timeout"]


def test_api_routes_and_auth(resources: dict[str, Any]) -> None:
    events = _props(resources, "ApiFunction")["Events"]
    routes = {}
    for event in events.values():
        assert event["Type"] == "Api"
        assert event["Properties"]["RestApiId"] == {"Ref": "WhosaidApi"}
        routes[(event["Properties"]["Path"], event["Properties"]["Method"].lower())] = event["Properties"]
    assert set(routes) == PROTECTED_ROUTES | DOCS_ROUTES
    for route in PROTECTED_ROUTES:
        assert "Auth" not in routes[route], f"{route} must use the API's default auth"
    public = {"Fn::If": ["UseIamAuth", {"Authorizer": "NONE"}, {"ApiKeyRequired": False}]}
    for route in DOCS_ROUTES:
        assert routes[route]["Auth"] == public
    auth = _props(resources, "WhosaidApi")["Auth"]["Fn::If"]
    assert auth[0] == "UseIamAuth"
    assert auth[1] == {"DefaultAuthorizer": "AWS_IAM"}
    assert auth[2]["ApiKeyRequired"] is True
    assert auth[2]["UsagePlan"]["CreateUsagePlan"] == "PER_API"


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


def test_no_wildcard_grants(template: dict[str, Any]) -> None:
    for statement in _statements(template):
        if statement.get("Effect") != "Allow":
            continue  # the TLS-only bucket policy denies s3:* on purpose
        for action in _as_list(statement.get("Action", [])):
            assert isinstance(action, str) and "*" not in action, statement
        assert statement.get("Principal") != "*", statement


def test_functions_use_policy_templates_only(resources: dict[str, Any]) -> None:
    allowed = {
        "DynamoDBCrudPolicy",
        "S3CrudPolicy",
        "SQSSendMessagePolicy",
        "SSMParameterWithSlashPrefixReadPolicy",
    }
    for logical_id in ("ApiFunction", "IngestFunction"):
        for policy in _props(resources, logical_id)["Policies"]:
            if "Fn::If" in policy:  # the key parameter's read policy exists only when a parameter is given
                condition, when_set, when_unset = policy["Fn::If"]
                assert condition == "HasOpenAIApiKeyParameter"
                assert when_unset == {"Ref": "AWS::NoValue"}
                policy = when_set
            [name] = policy
            assert name in allowed, f"{logical_id}: {name}"


def test_outputs(template: dict[str, Any]) -> None:
    assert set(template["Outputs"]) >= {
        "ApiUrl",
        "ArticlesTableName",
        "ArticlesBucketName",
        "IngestQueueUrl",
        "ApiKeyId",
    }


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


def _translated(sam_cli: Path, **parameters: str) -> dict[str, Any]:
    python = sam_cli.parent / "python"
    assignments = [f"{name}={value}" for name, value in parameters.items()]
    result = _run([str(python), str(ROOT / "tests" / "sam_translate.py"), str(TEMPLATE), *assignments], timeout=300)
    return json.loads(result.stdout)


def _security(translated: dict[str, Any]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    [api] = [r for r in translated["Resources"].values() if r["Type"] == "AWS::ApiGateway::RestApi"]
    return {
        (path, method): operation.get("security", [])
        for path, operations in api["Properties"]["Body"]["paths"].items()
        for method, operation in operations.items()
    }


def _role_policy_names(translated: dict[str, Any], role: str) -> list[dict[str, Any]]:
    return [policy["PolicyDocument"] for policy in translated["Resources"][role]["Properties"].get("Policies", [])]


def test_api_key_mode_deploys_a_usage_plan_and_public_docs(sam_cli: Path) -> None:
    translated = _translated(sam_cli, AuthMode="API_KEY")
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
    # GET /speakers queries the by_claims index: the API role may query the articles table's indexes, that table's
    # only (the CRUD policy template's table/<name>/index/* resource, with the table by reference).
    statements = list(_statements(_role_policy_names(translated, "ApiFunctionRole")))
    index_resources = [
        resource
        for s in statements
        if "dynamodb:Query" in _as_list(s["Action"])
        for resource in _as_list(s["Resource"])
        if "/index/*" in json.dumps(resource)
    ]
    assert any(r["Fn::Sub"][1] == {"tableName": {"Ref": "ArticlesTable"}} for r in index_resources), index_resources


def test_iam_mode_signs_every_route_but_the_docs(sam_cli: Path) -> None:
    translated = _translated(sam_cli, AuthMode="IAM", OpenAIApiKeyParameter="/whosaid/openai-api-key")
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


def test_events_invoke_the_snapstart_alias(sam_cli: Path) -> None:
    # SnapStart applies to published versions only: $LATEST would initialise from scratch on every cold start.
    resources = _translated(sam_cli)["Resources"]
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


def test_sam_build(sam_cli: Path, tmp_path: Path) -> None:
    build_dir = tmp_path / "build"
    started = time.monotonic()
    _run(
        [str(sam_cli), "build", "--template-file", str(TEMPLATE), "--build-dir", str(build_dir)],
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
