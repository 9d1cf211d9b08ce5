"""The API through its handler: routes, errors, CORS, the OpenAPI document, uploads, the ways in."""
