"""The HTTP API: `app` is the powertools APIGatewayRestResolver with every route registered.

A handler is `return app.resolve(event, context)`; OpenAPI is served at /openapi.json and Swagger UI at /docs.
"""

from whosaid.api import routes as _routes  # noqa: F401  (registers the routes on app)
from whosaid.api.app import app

__all__ = ["app"]
