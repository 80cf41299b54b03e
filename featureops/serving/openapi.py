"""The feature server's OpenAPI schema, completed: the bearer auth scheme, and the error
answers every route can give (401, 413, 422, 503, as ``{"detail": "<one line>"}``), so a
client generated from ``/openapi.json`` (or a schemathesis run) knows every answer.

The schema is built once, on the first request for it; nothing here runs per request.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from featureops.serving.models import ErrorResponse

BEARER = "bearer"
SECURED = {"security": [{BEARER: []}]}
RETRY_AFTER_HEADER = {"Retry-After": {"description": "Seconds to wait before retrying.",
                                      "schema": {"type": "integer"}}}
#: Answers any route can give, besides its own.
STANDARD_ERRORS: dict[str, dict[str, Any]] = {
    "401": {"description": "Auth is on and the bearer token is missing or wrong."},
    "413": {"description": "The body is over serving.max_body_bytes, or names more "
                           "entities than serving.max_entities."},
    "422": {"description": "The request does not match this schema."},
    "503": {"description": "The online store is unreachable, slow or busy; retry after "
                           "Retry-After seconds.", "headers": RETRY_AFTER_HEADER},
}


def complete_openapi(app: FastAPI) -> None:
    """Make ``app.openapi()`` return the completed schema."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version,
                                 description=app.description, routes=app.routes)
            _complete(schema)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _complete(schema: dict[str, Any]) -> None:
    components = schema.setdefault("components", {})
    components.setdefault("securitySchemes", {})[BEARER] = {
        "type": "http", "scheme": "bearer",
        "description": "A token of FEATUREOPS_SERVE_TOKEN (the server's), or of the view's "
                       "producer for pushes."}
    components.setdefault("schemas", {}).setdefault("ErrorResponse",
                                                    ErrorResponse.model_json_schema())
    error_content = {"application/json": {
        "schema": {"$ref": "#/components/schemas/ErrorResponse"}}}
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            # a route that declares a 401 of its own (pushes: the producer's token) takes a
            # bearer token; the core routes declare theirs (SECURED) when auth is on
            if "security" not in operation and "401" in responses:
                operation["security"] = [{BEARER: []}]
            for code, answer in STANDARD_ERRORS.items():
                responses.setdefault(code, {**answer, "content": error_content})
