"""Errors as problem+json (RFC 9457), mapped in one place; 4xx answers name the offending field."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from seawatch.errors import ConfigError, InputError, NotFoundError, PermissionDenied, SeawatchError

PROBLEM_TYPE = "application/problem+json"
_TITLES = {
    400: "Bad request",
    401: "Authentication required",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Request too large",
    415: "Unsupported media type",
    422: "Invalid input",
    429: "Too many requests",
    500: "Internal error",
}


def problem(
    status: int, detail: str, instance: str = "", headers: Mapping[str, str] | None = None, **extra: Any
) -> JSONResponse:
    body = {"type": "about:blank", "title": _TITLES.get(status, "Error"), "status": status, "detail": detail}
    if instance:
        body["instance"] = instance
    body.update(extra)
    headers = dict(headers or {})
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return JSONResponse(body, status_code=status, media_type=PROBLEM_TYPE, headers=headers or None)


class FieldError(SeawatchError):
    """Bad value of one named request field (→ 422 naming it)."""

    def __init__(
        self, field: str, message: str, kind: str | None = None, ctx: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
        self.kind = kind
        self.ctx = ctx


class Refusal(SeawatchError):
    """A refusal that is not a bad request field (a 409 conflict, a wrong password...): answered with
    `status`, the English `detail` as before, and one `errors` entry in the 422s' shape whose `type` is a
    stable code (e.g. asset_exists, last_admin) and `ctx` its values, so a page can word it."""

    def __init__(
        self, status: int, detail: str, field: str, kind: str, ctx: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.field = field
        self.kind = kind
        self.ctx = ctx


def field_problem(
    field: str, message: str, kind: str | None = None, ctx: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """One entry of a 422's `errors`: the field and the server's text, plus (when known) the pydantic-style
    error `type` (e.g. string_too_long) and its `ctx` (e.g. max_length) so a page can say it in its reader's
    language."""
    entry: dict[str, Any] = {"field": field, "message": message}
    if kind:
        entry["type"] = kind
    plain = {k: v for k, v in (ctx or {}).items() if isinstance(v, str | int | float | bool)}
    if plain:
        entry["ctx"] = plain
    return entry


def _field_name(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        parts = parts[1:] or parts
    return ".".join(parts)


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def on_validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            field_problem(_field_name(e.get("loc", ())), e.get("msg", ""), e.get("type"), e.get("ctx"))
            for e in exc.errors()
        ]
        first = errors[0] if errors else {"field": "", "message": "invalid request"}
        detail = f"{first['field']}: {first['message']}"
        return problem(422, detail, request.url.path, errors=errors)

    @app.exception_handler(FieldError)
    async def on_field(request: Request, exc: FieldError) -> JSONResponse:
        errors = [field_problem(exc.field, exc.message, exc.kind, exc.ctx)]
        return problem(422, str(exc), request.url.path, errors=errors)

    @app.exception_handler(Refusal)
    async def on_refusal(request: Request, exc: Refusal) -> JSONResponse:
        errors = [field_problem(exc.field, exc.detail, exc.kind, exc.ctx)]
        return problem(exc.status, exc.detail, request.url.path, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem(exc.status_code, str(exc.detail), request.url.path, headers=exc.headers)

    @app.exception_handler(SeawatchError)
    async def on_seawatch(request: Request, exc: SeawatchError) -> JSONResponse:
        status = 400
        if isinstance(exc, NotFoundError):
            status = 404
        elif isinstance(exc, PermissionDenied):
            status = 403
        elif isinstance(exc, InputError | ConfigError):
            status = 400
        return problem(status, str(exc), request.url.path)
