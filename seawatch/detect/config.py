"""Detection thresholds: one pydantic model (`model/thresholds.py` declares every field with its unit
and meaning), read from TOML over those defaults; `--print-config` prints it back with the documentation.

Invalid input raises `ConfigError` naming the file, the key, the value and what is allowed: unknown
sections or keys, text where a number belongs ('16'), negative or NaN numbers, unknown severities.
"""

from __future__ import annotations

import math
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from seawatch.errors import ConfigError
from seawatch.model.severity import DEFAULT_SEVERITY, SEVERITIES
from seawatch.model.thresholds import (
    DetectionThresholds,
    GapConfig,
    IdentityConfig,
    JumpConfig,
    LoiteringConfig,
    PairConfig,
    PortVisitConfig,
    SeverityConfig,
    SpeedConfig,
    SwitchConfig,
    TracksConfig,
)

__all__ = [
    "ZONE_OVERRIDABLE",
    "DetectConfig",
    "GapConfig",
    "IdentityConfig",
    "JumpConfig",
    "LoiteringConfig",
    "PairConfig",
    "PortVisitConfig",
    "SeverityConfig",
    "SpeedConfig",
    "SwitchConfig",
    "TracksConfig",
    "validate_overrides",
]

SECTION_DOCS = {
    "tracks": "Track building and cleaning (flags, never silent drops).",
    "encounter": "Offshore encounter (GFW): two vessels close, slow, far from port, for hours.",
    "rendezvous": "Near-shore rendezvous: close and slow for 30 min away from ports, not at a berth.",
    "port_visit": "Entry, stop, exit (GFW port visits).",
    "speed_anomaly": "Go-fast: the sensor's reported speed first, a windowed median, dips tolerated.",
    "position_jump": "Judged from the track's last good fix: an out-and-back outlier is one jump.",
    "severity": "How loudly each event type asks for a watch officer (carried as `severity`).",
}


class DetectConfig(DetectionThresholds):
    """The detection thresholds (model/thresholds.py) with their loading, checking and printing."""

    @classmethod
    def defaults(cls) -> DetectConfig:
        """The documented defaults (declared in model/thresholds.py)."""
        return _DEFAULTS

    @classmethod
    def from_file(cls, path: Path | str) -> DetectConfig:
        p = Path(path)
        try:
            text = p.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"{p}: cannot read config: {exc.strerror or exc}") from exc
        return cls.from_toml_text(text, str(p), base=cls.defaults())

    @classmethod
    def from_toml_text(cls, text: str, where: str, base: DetectConfig | None = None) -> DetectConfig:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{where}: invalid TOML: {exc}") from exc
        return (base or cls.defaults()).merged(data, where)

    def merged(self, data: dict[str, Any], where: str) -> DetectConfig:
        """These values over this config; every key and value checked (ConfigError says which)."""
        known = list(type(self).model_fields)
        changes: dict[str, Any] = {}
        for section, values in data.items():
            if section not in known:
                raise ConfigError(f"{where}: unknown section [{section}] (known: {', '.join(sorted(known))})")
            if not isinstance(values, dict):
                raise ConfigError(f"{where}: [{section}] must be a table")
            current: BaseModel = getattr(self, section)
            changes[section] = _validated(
                type(current), {**current.model_dump(), **values}, f"{where}: [{section}] "
            )
        return self.model_copy(update=changes)

    def section(self, name: str) -> Any:
        return getattr(self, name)

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump()

    def to_toml(self) -> str:
        """Every threshold in force, each with its unit and meaning ([zone]: overridable per zone)."""
        lines = [
            "# Seawatch event detection: every threshold in force, with its unit and meaning.",
            "# `seawatch detect --config FILE` reads a file of this shape (any subset). [zone]: a zone's",
            "# GeoJSON property `overrides = {detector: {threshold: value}}` may change it inside the zone;",
            "# `overrides = {severity: {type: level}}` changes an event type's severity there.",
            "",
        ]
        for name in type(self).model_fields:
            section: BaseModel = getattr(self, name)
            if name in SECTION_DOCS:
                lines.append(f"# {SECTION_DOCS[name]}")
            lines.append(f"[{name}]")
            for key, info in type(section).model_fields.items():
                extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
                unit = f"[{extra['unit']}] " if extra.get("unit") else ""
                zone = "[zone] " if extra.get("zone") else ""
                lines.append(
                    f"{key} = {_toml_value(getattr(section, key))}  # {zone}{unit}{info.description or ''}"
                )
            lines.append("")
        return "\n".join(lines)


_DEFAULTS = DetectConfig()


def _validated(model: type[BaseModel], values: dict[str, Any], where: str) -> Any:
    try:
        result = model.model_validate(values)
    except ValidationError as exc:
        raise ConfigError(_explain(exc, model, values, where)) from None
    if isinstance(result, TracksConfig):
        try:
            result.earliest_epoch_s  # noqa: B018 - validates the time text
        except ValueError as exc:
            raise ConfigError(
                f"{where}earliest_time = {result.earliest_time!r}: not an ISO 8601 time"
            ) from exc
    return result


def _explain(exc: ValidationError, model: type[BaseModel], values: dict[str, Any], where: str) -> str:
    """'<where> key = value: <what is allowed>' for the first error."""
    err = exc.errors()[0]
    key = str(err["loc"][0]) if err["loc"] else "?"
    if err["type"] == "extra_forbidden":
        known = ", ".join(sorted(model.model_fields))
        return f"{where.rstrip(' .')}: unknown threshold {key!r} (known: {known})"
    value = values.get(key)
    info = model.model_fields.get(key)
    extra = info.json_schema_extra if info is not None and isinstance(info.json_schema_extra, dict) else {}
    unit = f" ({extra['unit']})" if extra.get("unit") else ""
    allowed = {
        "float_type": f"expected a number{unit}",
        "int_type": "expected an integer",
        "bool_type": "expected true or false",
        "string_type": "expected text",
        "greater_than_equal": f"expected a non-negative number{unit}",
        "literal_error": f"expected one of {', '.join(SEVERITIES)}",
        "tuple_type": "expected a list",
    }.get(err["type"], err["msg"])
    if err["type"] == "greater_than_equal" and isinstance(value, float) and math.isnan(value):
        allowed = f"expected a number{unit}, not NaN"
    return f"{where}{key} = {value!r}: {allowed}"


# thresholds a zone may override (evaluated per fix or per bin inside the zone): marked zone=True
ZONE_OVERRIDABLE: dict[str, frozenset[str]] = {
    name: frozenset(
        key
        for key, info in type(getattr(_DEFAULTS, name)).model_fields.items()
        if isinstance(info.json_schema_extra, dict) and info.json_schema_extra.get("zone")
    )
    for name in ("ais_gap", "encounter", "rendezvous", "loitering", "speed_anomaly")
}


def validate_overrides(overrides: dict[str, dict[str, Any]], config: DetectConfig, where: str) -> None:
    """Check a zone's overrides: known detector, overridable threshold, right type; or `severity`
    (event type -> alert/notice) for events inside the zone (for zone_entry/zone_exit: of the zone)."""
    for detector, values in overrides.items():
        if detector == "severity":
            _validate_severity_override(values, where)
            continue
        allowed = ZONE_OVERRIDABLE.get(detector)
        if allowed is None:
            raise ConfigError(
                f"{where}: overrides for {detector!r}: no per-zone thresholds "
                f"(zone-overridable: {', '.join(sorted(ZONE_OVERRIDABLE))})"
            )
        if not isinstance(values, dict):
            raise ConfigError(f"{where}: overrides.{detector} must map thresholds to values")
        for key in values:
            if key not in allowed:
                raise ConfigError(
                    f"{where}: {detector}.{key} cannot be overridden per zone "
                    f"(allowed: {', '.join(sorted(allowed))})"
                )
        current: BaseModel = config.section(detector)
        _validated(type(current), {**current.model_dump(), **values}, f"{where}: {detector}.")


def _validate_severity_override(values: Any, where: str) -> None:
    if not isinstance(values, dict):
        raise ConfigError(f"{where}: overrides.severity must map event types to {' or '.join(SEVERITIES)}")
    for event_type, value in values.items():
        if event_type not in DEFAULT_SEVERITY:
            known = ", ".join(sorted(DEFAULT_SEVERITY))
            raise ConfigError(f"{where}: severity.{event_type}: unknown event type (known: {known})")
        if value not in SEVERITIES:
            raise ConfigError(
                f"{where}: severity.{event_type} = {value!r}: expected one of {', '.join(SEVERITIES)}"
            )


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and math.isinf(value):
        return "inf"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return repr(value)
