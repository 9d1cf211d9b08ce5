"""The HTTP API: `app` is the powertools APIGatewayRestResolver with every route registered.

A handler is `return app.resolve(event, context)`; OpenAPI is served at /openapi.json, Swagger UI at /docs and the
claim viewer at /ui.
"""

from whosaid.api import routes as _routes  # noqa: F401  (registers the routes on app)
from whosaid.api import viewer as _viewer  # noqa: F401  (registers /ui, the claim viewer's files)
from whosaid.api.app import app

__all__ = ["app"]
