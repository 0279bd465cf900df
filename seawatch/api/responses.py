"""`JSON`: a response rendered with orjson (fast for large GeoJSON collections).

A `JSONResponse` so that OpenAPI documents the route's `response_model` as its JSON body.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi.responses import JSONResponse


class JSON(JSONResponse):
    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)
