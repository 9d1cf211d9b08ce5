"""Build the template's DynamoDB tables, SQS queues and S3 buckets with boto3 clients (moto or a local stack).

template.yaml is the single source of truth: tests and `make run` create exactly what it declares, named
`{prefix}-{LogicalId}`, and get back the functions' environment variables resolved against what was created.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_PATH = REPO_ROOT / "template.yaml"

TABLE = "AWS::DynamoDB::Table"
QUEUE = "AWS::SQS::Queue"
BUCKET = "AWS::S3::Bucket"
SUPPORTED_TYPES = (TABLE, QUEUE, BUCKET)
FUNCTION_TYPES = ("AWS::Serverless::Function", "AWS::Lambda::Function")

ACCOUNT_ID = "123456789012"  # moto's default account: a local stack never talks to a real one


# --- loading ------------------------------------------------------------------------------------------------------


class CloudFormationLoader(yaml.SafeLoader):
    """SafeLoader that turns CloudFormation short-form tags (!Ref, !GetAtt, !Sub, ...) into their long forms."""


def _construct_tag(loader: yaml.Loader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if tag_suffix in ("Ref", "Condition"):
        return {tag_suffix: value}
    if tag_suffix == "GetAtt" and isinstance(value, str):
        resource, _, attribute = value.partition(".")  # "Queue.Arn"; attributes may contain dots themselves
        value = [resource, attribute]
    return {f"Fn::{tag_suffix}": value}


CloudFormationLoader.add_multi_constructor("!", _construct_tag)


def load_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    """template.yaml as plain data, intrinsic functions in their long form ({"Ref": ...}, {"Fn::GetAtt": [...]})."""
    with Path(path).open(encoding="utf-8") as handle:
        template = yaml.load(handle, Loader=CloudFormationLoader)
    if not isinstance(template, dict):
        raise ValueError(f"{path} is not a CloudFormation template")
    return template


# --- intrinsic functions ------------------------------------------------------------------------------------------


class Unresolvable(Exception):
    """A value that cannot be known locally (a function's ARN, a resource not built here): the caller drops it."""


# What template.yaml uses, and so all the resolver implements; a new one in the template fails loudly, naming itself.
SUPPORTED_INTRINSICS = (
    "Ref",
    "Condition",
    "Fn::GetAtt",
    "Fn::Sub",
    "Fn::Join",
    "Fn::If",
    "Fn::Equals",
    "Fn::Not",
    "Fn::And",
    "Fn::Or",
)


class UnsupportedIntrinsic(Exception):
    """An intrinsic function the local resolver does not implement (not an Unresolvable: it is never dropped)."""

    def __init__(self, intrinsic: str, where: str = "") -> None:
        self.intrinsic, self.where = intrinsic, where
        place = f" in {where}" if where else ""
        super().__init__(
            f"{intrinsic}{place}: the local template resolver (infra/template_resources.py) implements only "
            f"{', '.join(SUPPORTED_INTRINSICS)}; implement {intrinsic} there or use one of those"
        )


class _NoValue:
    """AWS::NoValue: the property is removed."""


NO_VALUE = _NoValue()


@dataclass
class CreatedResource:
    logical_id: str
    type: str
    ref: str  # what !Ref returns: table name, queue URL, bucket name
    attributes: dict[str, str] = field(default_factory=dict)  # what !GetAtt returns


@dataclass
class CreatedStack:
    resources: dict[str, CreatedResource]
    function_environments: dict[str, dict[str, str]]  # per function: Globals and its own Variables, resolved
    conditions: dict[str, bool]  # every template condition, evaluated

    @property
    def environment(self) -> dict[str, str]:
        """Every function's environment in one mapping: for tests that run the handlers in one process."""
        merged: dict[str, str] = {}
        for environment in self.function_environments.values():
            merged.update(environment)
        return merged


class Resolver:
    """Evaluates the template's intrinsic functions (SUPPORTED_INTRINSICS) against parameters, conditions and the
    resources created so far; any other raises UnsupportedIntrinsic."""

    def __init__(
        self,
        template: Mapping[str, Any],
        *,
        region: str,
        stack_name: str,
        parameters: Mapping[str, str] | None = None,
    ) -> None:
        self.template = template
        self.resources: dict[str, CreatedResource] = {}
        self.pseudo: dict[str, Any] = {
            "AWS::Region": region,
            "AWS::AccountId": ACCOUNT_ID,
            "AWS::StackName": stack_name,
            "AWS::StackId": f"arn:aws:cloudformation:{region}:{ACCOUNT_ID}:stack/{stack_name}/local",
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::NoValue": NO_VALUE,
        }
        self.parameters: dict[str, Any] = {}
        for name, spec in (template.get("Parameters") or {}).items():
            if parameters and name in parameters:
                self.parameters[name] = parameters[name]
            elif isinstance(spec, dict) and "Default" in spec:
                default = spec["Default"]
                is_list = str(spec.get("Type", "")).startswith("List<") or spec.get("Type") == "CommaDelimitedList"
                self.parameters[name] = str(default).split(",") if is_list and isinstance(default, str) else default
        self._conditions: dict[str, bool] = {}

    def condition(self, name: str) -> bool:
        if name not in self._conditions:
            conditions = self.template.get("Conditions") or {}
            if name not in conditions:
                raise Unresolvable(f"unknown condition {name}")
            self._conditions[name] = bool(self.resolve(conditions[name]))
        return self._conditions[name]

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            items = [self.resolve(item) for item in value]
            return [item for item in items if item is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) != 1:
            resolved = {key: self.resolve(item) for key, item in value.items()}
            return {key: item for key, item in resolved.items() if item is not NO_VALUE}
        ((key, arg),) = value.items()
        if key == "Ref":
            return self._ref(arg)
        if key == "Condition" and isinstance(arg, str):
            return self.condition(arg)
        if key == "Fn::GetAtt":
            resource, attribute = arg if isinstance(arg, list) else str(arg).split(".", 1)
            created = self.resources.get(self.resolve(resource))
            if created is None or attribute not in created.attributes:
                raise Unresolvable(f"!GetAtt {resource}.{attribute}")
            return created.attributes[attribute]
        if key == "Fn::Sub":
            return self._sub(arg)
        if key == "Fn::If":
            name, if_true, if_false = arg
            return self.resolve(if_true if self.condition(name) else if_false)
        if key == "Fn::Equals":
            left, right = (self.resolve(item) for item in arg)
            return str(left) == str(right)
        if key == "Fn::Not":
            return not self.resolve(arg[0])
        if key == "Fn::And":
            return all(self.resolve(item) for item in arg)
        if key == "Fn::Or":
            return any(self.resolve(item) for item in arg)
        if key == "Fn::Join":
            delimiter, items = arg
            return str(delimiter).join(str(item) for item in self.resolve(items))
        if key.startswith("Fn::"):
            raise UnsupportedIntrinsic(key)
        # A plain one-key mapping (e.g. {"Variables": {...}}): resolve its value.
        resolved = self.resolve(arg)
        return NO_VALUE if resolved is NO_VALUE else {key: resolved}

    def _ref(self, name: str) -> Any:
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        if name in self.resources:
            return self.resources[name].ref
        raise Unresolvable(f"!Ref {name}")

    def _sub(self, arg: Any) -> str:
        template, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1] or {})
        values = {name: self.resolve(item) for name, item in variables.items()}

        def replace(match: re.Match[str]) -> str:
            expression = match.group(1)
            if expression.startswith("!"):  # ${!Literal} is the escape for a literal ${Literal}
                return "${" + expression[1:] + "}"
            if expression in values:
                return str(values[expression])
            if "." in expression and expression not in self.pseudo:
                return str(self.resolve({"Fn::GetAtt": expression.split(".", 1)}))
            return str(self._ref(expression))

        return re.sub(r"\$\{([^}]+)\}", replace, template)


# --- dependencies -------------------------------------------------------------------------------------------------


def _references(value: Any) -> Iterable[str]:
    """Logical ids a property value mentions through Ref, GetAtt or Sub."""
    if isinstance(value, list):
        for item in value:
            yield from _references(item)
    elif isinstance(value, dict):
        for key, arg in value.items():
            if key == "Ref" and isinstance(arg, str):
                yield arg
            elif key == "Fn::GetAtt":
                yield arg[0] if isinstance(arg, list) else str(arg).split(".", 1)[0]
            elif key == "Fn::Sub":
                text = arg if isinstance(arg, str) else arg[0]
                for expression in re.findall(r"\$\{([^}!][^}]*)\}", text):
                    yield expression.split(".", 1)[0]
                if isinstance(arg, list):
                    yield from _references(arg[1:])
            else:
                yield from _references(arg)


def creation_order(resources: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Supported resources, each after the supported resources it references (DLQ before queue before bucket)."""
    wanted = {name: spec for name, spec in resources.items() if spec.get("Type") in SUPPORTED_TYPES}
    order: list[str] = []
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if name in order or name in visiting:  # a cycle is CloudFormation's problem; sam validate rejects it
            return
        visiting.add(name)
        spec = wanted[name]
        for dependency in sorted({*_references(spec.get("Properties")), *_as_list(spec.get("DependsOn"))}):
            if dependency in wanted:
                visit(dependency)
        visiting.discard(name)
        order.append(name)

    # Tables first, then queues, then buckets, so that independent resources come out in a readable order.
    for name in sorted(wanted, key=lambda n: (SUPPORTED_TYPES.index(wanted[n]["Type"]), n)):
        visit(name)
    return order


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


# --- creation -----------------------------------------------------------------------------------------------------


def _error_code(exc: Exception) -> str:
    return str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))


def _create_table(dynamodb: Any, name: str, props: Mapping[str, Any], region: str) -> CreatedResource:
    billing = props.get("BillingMode", "PROVISIONED")
    default_throughput = {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
    request: dict[str, Any] = {
        "TableName": name,
        "KeySchema": props["KeySchema"],
        "AttributeDefinitions": props["AttributeDefinitions"],
        "BillingMode": billing,
    }
    if billing == "PROVISIONED":
        request["ProvisionedThroughput"] = props.get("ProvisionedThroughput", default_throughput)
    for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        indexes = []
        for index in props.get(key) or []:
            index = {k: v for k, v in index.items() if k in ("IndexName", "KeySchema", "Projection")}
            if key == "GlobalSecondaryIndexes" and billing == "PROVISIONED":
                index["ProvisionedThroughput"] = default_throughput
            indexes.append(index)
        if indexes:
            request[key] = indexes
    if stream := props.get("StreamSpecification"):
        request["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": stream["StreamViewType"]}
    try:
        description = dynamodb.create_table(**request)["TableDescription"]
    except Exception as exc:
        if _error_code(exc) != "ResourceInUseException":
            raise
        description = dynamodb.describe_table(TableName=name)["Table"]
    dynamodb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 60})

    ttl = props.get("TimeToLiveSpecification")
    if ttl and ttl.get("Enabled"):
        try:
            dynamodb.update_time_to_live(
                TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["AttributeName"]}
            )
        except Exception as exc:  # already enabled on a re-run
            if _error_code(exc) != "ValidationException":
                raise
    arn = description.get("TableArn") or f"arn:aws:dynamodb:{region}:{ACCOUNT_ID}:table/{name}"
    attributes = {"Arn": arn}
    if description.get("LatestStreamArn"):
        attributes["StreamArn"] = description["LatestStreamArn"]
    return CreatedResource(name, TABLE, ref=name, attributes=attributes)


_QUEUE_ATTRIBUTES = (
    "DelaySeconds",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "VisibilityTimeout",
    "FifoQueue",
    "ContentBasedDeduplication",
    "KmsMasterKeyId",
    "KmsDataKeyReusePeriodSeconds",
    "SqsManagedSseEnabled",
)


def _create_queue(sqs: Any, name: str, props: Mapping[str, Any]) -> CreatedResource:
    attributes = {key: _scalar(props[key]) for key in _QUEUE_ATTRIBUTES if key in props}
    if redrive := props.get("RedrivePolicy"):
        attributes["RedrivePolicy"] = json.dumps(
            {"deadLetterTargetArn": redrive["deadLetterTargetArn"], "maxReceiveCount": int(redrive["maxReceiveCount"])}
        )
    attributes.pop("KmsMasterKeyId", None)  # no KMS locally
    if attributes.get("FifoQueue") == "true" and not name.endswith(".fifo"):
        name += ".fifo"
    try:
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    except Exception as exc:  # exists with other attributes (a re-run after a template change): bring it in line
        if _error_code(exc) not in ("QueueAlreadyExists", "QueueNameExists", "AWS.SimpleQueueService.QueueNameExists"):
            raise
        url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
        attributes.pop("FifoQueue", None)
        if attributes:
            sqs.set_queue_attributes(QueueUrl=url, Attributes=attributes)
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return CreatedResource(name, QUEUE, ref=url, attributes={"Arn": arn, "QueueName": name, "QueueUrl": url})


def _create_bucket(s3: Any, name: str, props: Mapping[str, Any], region: str) -> CreatedResource:
    request: dict[str, Any] = {"Bucket": name}
    if region != "us-east-1":
        request["CreateBucketConfiguration"] = {"LocationConstraint": region}
    try:
        s3.create_bucket(**request)
    except Exception as exc:
        if _error_code(exc) not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
            raise
    queue_configurations = []
    for config in (props.get("NotificationConfiguration") or {}).get("QueueConfigurations") or []:
        entry: dict[str, Any] = {"QueueArn": config["Queue"], "Events": [config["Event"]]}
        rules = ((config.get("Filter") or {}).get("S3Key") or {}).get("Rules") or []
        if rules:
            entry["Filter"] = {"Key": {"FilterRules": [{"Name": r["Name"], "Value": r["Value"]} for r in rules]}}
        queue_configurations.append(entry)
    if queue_configurations:
        s3.put_bucket_notification_configuration(
            Bucket=name, NotificationConfiguration={"QueueConfigurations": queue_configurations}
        )
    attributes = {
        "Arn": f"arn:aws:s3:::{name}",
        "DomainName": f"{name}.s3.amazonaws.com",
        "RegionalDomainName": f"{name}.s3.{region}.amazonaws.com",
    }
    return CreatedResource(name, BUCKET, ref=name, attributes=attributes)


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def physical_name(prefix: str, logical_id: str, resource_type: str) -> str:
    name = f"{prefix}-{logical_id}"
    return name.lower() if resource_type == BUCKET else name  # bucket names are lowercase only


def _resource_region(client: Any) -> str:
    return str(getattr(getattr(client, "meta", None), "region_name", None) or "us-east-1")


def create_stack(
    *,
    dynamodb: Any,
    s3: Any,
    sqs: Any,
    template: Mapping[str, Any] | None = None,
    prefix: str = "whosaid-local",
    parameters: Mapping[str, str] | None = None,
) -> CreatedStack:
    """Create the template's tables, queues and buckets; return them and the functions' resolved environment."""
    template = load_template() if template is None else template
    region = _resource_region(dynamodb)
    resolver = Resolver(template, region=region, stack_name=prefix, parameters=parameters)
    resources = template.get("Resources") or {}
    for logical_id in creation_order(resources):
        spec = resources[logical_id]
        with _naming(logical_id):
            if "Condition" in spec and not resolver.condition(spec["Condition"]):
                continue
            props = _resolve_properties(resolver, spec.get("Properties") or {})
        name = physical_name(prefix, logical_id, spec["Type"])
        if spec["Type"] == TABLE:
            created = _create_table(dynamodb, name, props, region)
        elif spec["Type"] == QUEUE:
            created = _create_queue(sqs, name, props)
        else:
            created = _create_bucket(s3, name, props, region)
        created.logical_id = logical_id
        resolver.resources[logical_id] = created
    environments = {}
    for logical_id, spec in resources.items():
        if spec.get("Type") in FUNCTION_TYPES:
            with _naming(logical_id):
                environments[logical_id] = function_environment(template, resolver, logical_id)
    with _naming("Conditions"):
        conditions = {name: resolver.condition(name) for name in template.get("Conditions") or {}}
    return CreatedStack(resources=resolver.resources, function_environments=environments, conditions=conditions)


@contextmanager
def _naming(where: str) -> Iterator[None]:
    """An UnsupportedIntrinsic met while resolving `where` (a logical id) says so."""
    try:
        yield
    except UnsupportedIntrinsic as exc:
        if exc.where:
            raise
        raise UnsupportedIntrinsic(exc.intrinsic, where) from None


def _resolve_properties(resolver: Resolver, properties: Mapping[str, Any]) -> dict[str, Any]:
    """Each property resolved on its own, so one unknowable property (a Lambda ARN) drops only itself."""
    resolved: dict[str, Any] = {}
    for key, value in properties.items():
        if key == "NotificationConfiguration" and isinstance(value, dict):
            value = {k: v for k, v in value.items() if k == "QueueConfigurations"}  # only SQS targets exist here
        try:
            item = resolver.resolve(value)
        except (Unresolvable, KeyError, IndexError, TypeError, ValueError):
            continue
        if item is not NO_VALUE:
            resolved[key] = item
    return resolved


def function_environment(template: Mapping[str, Any], resolver: Resolver, function_id: str) -> dict[str, str]:
    """Globals.Function.Environment.Variables merged with the function's own, resolved; unknowable ones dropped,
    as Lambda gives each function only its own variables."""
    raw: dict[str, Any] = dict(
        (((template.get("Globals") or {}).get("Function") or {}).get("Environment") or {}).get("Variables") or {}
    )
    spec = (template.get("Resources") or {}).get(function_id) or {}
    raw.update((((spec.get("Properties") or {}).get("Environment") or {}).get("Variables")) or {})
    environment: dict[str, str] = {}
    for name, value in raw.items():
        try:
            resolved = resolver.resolve(value)
        except (Unresolvable, KeyError, IndexError, TypeError, ValueError):
            continue
        if resolved is NO_VALUE or isinstance(resolved, dict | list):
            continue
        environment[name] = _scalar(resolved)
    return environment


__all__ = [
    "SUPPORTED_INTRINSICS",
    "CloudFormationLoader",
    "CreatedResource",
    "CreatedStack",
    "Resolver",
    "Unresolvable",
    "UnsupportedIntrinsic",
    "create_stack",
    "creation_order",
    "function_environment",
    "load_template",
]
