"""Print template.yaml as CloudFormation will deploy it, for given parameter values (run with aws-sam-cli's Python).

    .venv-sam/bin/python tests/support/sam_translate.py template.yaml AuthMode=IAM OpenAIApiKeyParameter=/whosaid/key
    .venv-sam/bin/python tests/support/sam_translate.py template.yaml --serve   # JSON lines of parameters in and out

Applies what CloudFormation applies at deploy time, in its order: AWS::LanguageExtensions (which resolves the
template's Fn::If over parameters) and then the SAM transform. Local code paths are replaced by placeholder S3 URIs,
as `sam package` would, and managed policies are not looked up (no AWS access). Used by tests/infra/test_template.py, in
aws-sam-cli's own virtual environment because samcli and samtranslator pin their own boto3.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from samcli.lib.cfn_language_extensions.sam_integration import expand_language_extensions
from samcli.yamlhelper import yaml_parse
from samtranslator.translator.transform import transform


class _NoManagedPolicies:
    def load(self) -> dict[str, str]:
        return {}


def translate(template_path: str, parameters: dict[str, str]) -> dict[str, Any]:
    template = yaml_parse(Path(template_path).read_text(encoding="utf-8"))
    expanded = expand_language_extensions(template, parameter_values=parameters, enabled=True).expanded_template
    for resource in expanded.get("Resources", {}).values():
        properties = resource.get("Properties") or {}
        for uri in ("CodeUri", "ContentUri"):
            if isinstance(properties.get(uri), str):
                properties[uri] = "s3://placeholder-bucket/placeholder-key"
    return transform(expanded, parameters, _NoManagedPolicies())


if __name__ == "__main__":
    path, *assignments = sys.argv[1:]
    if assignments == ["--serve"]:
        # One translation per input line (a JSON object of parameter values), one JSON line out for each, until the
        # input ends: importing samcli is most of a run's time, and the tests need a translation per parameter set.
        for line in sys.stdin:
            print(json.dumps(translate(path, json.loads(line)), default=str), flush=True)
    else:
        values = dict(assignment.split("=", 1) for assignment in assignments)
        json.dump(translate(path, values), sys.stdout, indent=1, default=str)
