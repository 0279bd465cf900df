"""Secrets never reach the logs: a logging filter that masks tokens and passwords in every record.

It rewrites the message and each string argument (uvicorn's access log formats its arguments itself,
so `?token=...` in a logged WebSocket path is masked there too). Installed on the root, uvicorn and
uvicorn.access handlers by `install_redaction()`.
"""

from __future__ import annotations

import logging
import re
from typing import Any

MASK = "[redacted]"
_PATTERNS = (
    # query or form fields: ?token=..., &password=..., access_token=...
    re.compile(r"(?i)((?:^|[?&;\s])(?:[a-z_]*token|password|passwd|secret|api_key)=)[^&\s\"']+"),
    # headers and JSON: Authorization: Bearer x, "password": "x", seawatch_session=x
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+"),
    re.compile(r"(?i)(\"(?:[a-z_]*password|[a-z_]*token|secret)\"\s*:\s*\")[^\"]*"),
    re.compile(r"(?i)(seawatch_session=)[^;\s\"']+"),
)


def redact(text: str) -> str:
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + MASK, text)
    return text


def _redact_arg(value: Any) -> Any:
    return redact(value) if isinstance(value, str) else value


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_redact_arg(a) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: _redact_arg(v) for k, v in record.args.items()}
        return True


_FILTER = RedactSecrets()
LOGGERS = ("", "uvicorn", "uvicorn.error", "uvicorn.access", "seawatch")


def install_redaction() -> None:
    """Add the filter to every handler of the root and uvicorn loggers (filters on a handler see the
    records propagated from child loggers; filters on a logger would not)."""
    for name in LOGGERS:
        for handler in logging.getLogger(name).handlers:
            if _FILTER not in handler.filters:
                handler.addFilter(_FILTER)
