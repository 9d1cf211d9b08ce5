"""Logger, Tracer and Metrics for every function, created once so every module logs, traces and counts alike.

Service name and metrics namespace come from POWERTOOLS_SERVICE_NAME / POWERTOOLS_METRICS_NAMESPACE when set (the
template sets them); the defaults here make local runs and tests behave the same without any environment.
"""

from __future__ import annotations

import os

from aws_lambda_powertools import Logger, Metrics, Tracer

SERVICE_NAME = os.environ.get("POWERTOOLS_SERVICE_NAME") or "whosaid"
METRICS_NAMESPACE = os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or "Whosaid"

logger = Logger(service=SERVICE_NAME)
# Powertools disables the tracer by itself outside Lambda (tests, the local stack: no X-Ray daemon there);
# in Lambda it follows the function's Tracing setting, and POWERTOOLS_TRACE_DISABLED=true switches it off.
tracer = Tracer(service=SERVICE_NAME)
metrics = Metrics(service=SERVICE_NAME, namespace=METRICS_NAMESPACE)

__all__ = ["METRICS_NAMESPACE", "SERVICE_NAME", "logger", "metrics", "tracer"]
