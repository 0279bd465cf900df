"""The published contract: `/openapi.json` (routes plus the live WebSocket's messages) and `/docs`,
Swagger UI served from the node itself (no CDN: a coast guard's node may have no internet).

The Swagger UI files come from the npm package `swagger-ui-dist`, copied into `web/dist/swagger/`
by the web build (`make web`).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse
from pydantic import TypeAdapter

from seawatch.api.live_messages import LiveMessage
from seawatch.api.models import Problem
from seawatch.api.problems import PROBLEM_TYPE

_REF = "#/components/schemas/{model}"
SWAGGER_ASSETS = "/swagger"  # web/dist/swagger, served by the page's static mount


def _add_schema(schemas: dict[str, Any], name: str, annotation: Any) -> None:
    body = TypeAdapter(annotation).json_schema(ref_template=_REF, mode="serialization")
    for inner, definition in body.pop("$defs", {}).items():
        schemas.setdefault(inner, definition)
    schemas[name] = body


def openapi_schema(app: FastAPI) -> dict[str, Any]:
    """The app's OpenAPI document, with `LiveMessage` (what `/api/live` pushes) among its schemas and
    every error described as it is sent: problem+json (FastAPI's default 422 shape is never sent)."""
    if app.openapi_schema is None:
        schema = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        schemas = schema.setdefault("components", {}).setdefault("schemas", {})
        _add_schema(schemas, "LiveMessage", LiveMessage)
        schemas["LiveMessage"]["description"] = "A message of the WebSocket /api/live."
        _add_schema(schemas, "Problem", Problem)
        for name in ("HTTPValidationError", "ValidationError"):
            schemas.pop(name, None)
        error = {
            "description": "Error (RFC 9457): 401, 403, 404, 413, 422, 429...",
            "content": {PROBLEM_TYPE: {"schema": {"$ref": _REF.format(model="Problem")}}},
        }
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                responses.pop("422", None)
                responses["default"] = error
                for status, answer in responses.items():  # a documented error without a body shape
                    if status[0] in "45" and not answer.get("content"):
                        answer["content"] = error["content"]
        app.openapi_schema = schema
    return app.openapi_schema


def install_docs(app: FastAPI) -> None:
    """Serve `/openapi.json` and `/docs` (create the app with `docs_url=None, redoc_url=None`)."""
    app.openapi = lambda: openapi_schema(app)  # type: ignore[method-assign]

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} – API",
            swagger_js_url=f"{SWAGGER_ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{SWAGGER_ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{SWAGGER_ASSETS}/favicon-32x32.png",
        )
