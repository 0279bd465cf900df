"""The per-user profile's body (`/api/me/profile`): what the page restores on any browser after login.

Known keys have a declared shape, checked here (a bad value is a 422 naming the key):
- `language`: one of the page's languages (seawatch.i18n.LANGUAGES);
- `alerts.severity`: which events the alert panel lists (`alert`, `all`; `notice`);
- `alerts.show_handled`: also list acknowledged and dismissed alerts;
- `filters`: the picture's filters (ship type, track sources, minimum speed, zone);
- `map.view`: centre and zoom of the map;
- `map.layers`: the reference overlays switched off.
Other keys (`[a-z][a-z0-9_.-]*`) hold any JSON, for settings a panel adds before it is declared here. Each
value is at most 4 KiB of JSON, a profile at most 64 keys and 32 KiB.
"""

from __future__ import annotations

import re
from typing import Any, Literal, get_args

import orjson
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

from seawatch.i18n import LANGUAGES

MAX_PROFILE_KEYS = 64
MAX_PROFILE_VALUE_BYTES = 4096
MAX_PROFILE_BYTES = 32 * 1024
PROFILE_KEY_PATTERN = r"^[a-z][a-z0-9_.-]{0,63}$"
Language = Literal["en", "es", "fr", "nl", "ht", "pap"]
TrackSource = Literal["ais", "radar", "dark", "partner"]
ALL_SOURCES: tuple[TrackSource, ...] = ("ais", "radar", "dark", "partner")
if set(get_args(Language)) != set(LANGUAGES):
    raise RuntimeError("schemas_profile.Language must list seawatch.i18n.LANGUAGES")


class FilterProfile(BaseModel):
    """The picture's filters as the page keeps them."""

    model_config = ConfigDict(extra="forbid")
    ship_type: str = Field(
        default="", max_length=40, pattern=r"^[a-z_]*$", description="a ship category, '' all"
    )
    sources: list[TrackSource] = Field(
        default_factory=lambda: list(ALL_SOURCES), max_length=4, description="track classes shown"
    )
    min_speed_kn: float = Field(default=0, ge=0, le=80)
    zone: str = Field(default="", max_length=200, description="a zone id, '' anywhere")


class MapView(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-540, le=540, description="the map's centre; beyond ±180 after panning across it")
    zoom: float = Field(ge=0, le=22)


class LayersProfile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    hidden: list[str] = Field(default_factory=list, max_length=32, description="overlays switched off")

    @field_validator("hidden")
    @classmethod
    def _names(cls, hidden: list[str]) -> list[str]:
        for name in hidden:
            if not re.fullmatch(r"[a-z][a-z0-9_-]{0,39}", name):
                raise ValueError(f"layer name {name!r}: lower-case letters, digits, _ - (at most 40)")
        return hidden


KNOWN_KEYS: dict[str, TypeAdapter[Any]] = {
    "language": TypeAdapter(Language),
    "alerts.severity": TypeAdapter(Literal["alert", "notice", "all"]),
    "alerts.show_handled": TypeAdapter(bool),
    "filters": TypeAdapter(FilterProfile),
    "map.view": TypeAdapter(MapView),
    "map.layers": TypeAdapter(LayersProfile),
}


def _first_error(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    return f"{where}: {first['msg']}" if where else str(first["msg"])


def profile_bytes(values: dict[str, Any]) -> int:
    """The profile's size as the node keeps it (its JSON)."""
    return len(orjson.dumps(values))


class ProfileIn(BaseModel):
    """Keys to set; a null value removes the key."""

    model_config = ConfigDict(extra="forbid")
    values: dict[str, Any] = Field(max_length=MAX_PROFILE_KEYS)

    @field_validator("values")
    @classmethod
    def _valid(cls, values: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in values.items():
            if not re.fullmatch(PROFILE_KEY_PATTERN, key):
                raise ValueError(f"key {key!r}: lower-case letters, digits, _ . - (at most 64)")
            if len(orjson.dumps(value)) > MAX_PROFILE_VALUE_BYTES:
                raise ValueError(f"key {key!r}: value over {MAX_PROFILE_VALUE_BYTES} bytes of JSON")
            adapter = KNOWN_KEYS.get(key)
            if adapter is not None and value is not None:
                try:
                    value = adapter.dump_python(adapter.validate_python(value, strict=False), mode="json")
                except ValidationError as error:
                    raise ValueError(f"key {key!r}: {_first_error(error)}") from None
            out[key] = value
        return out


class ProfileOut(BaseModel):
    user: str
    values: dict[str, Any]
