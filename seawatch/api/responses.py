"""`JSON`: a response rendered with orjson (fast for large GeoJSON collections)."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi.responses import Response


class JSON(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)
