"""Detection thresholds: typed sections read from TOML over the documented defaults (defaults.toml)."""

from __future__ import annotations

import math
import tomllib
from dataclasses import asdict, dataclass, field, fields, replace
from importlib import resources
from pathlib import Path
from typing import Any

from seawatch.errors import ConfigError
from seawatch.model.severity import DEFAULT_SEVERITY, SEVERITIES, default_severity
from seawatch.model.zone import canonical_zone_kind
from seawatch.timeutil import parse_utc


@dataclass(frozen=True)
class TracksConfig:
    earliest_time: str = "2000-01-01T00:00:00Z"
    max_future_s: float = 300.0
    min_speed_dt_s: float = 10.0
    bin_s: float = 600.0

    @property
    def earliest_epoch_s(self) -> float:
        return parse_utc(self.earliest_time).timestamp()


@dataclass(frozen=True)
class GapConfig:
    enabled: bool = True
    min_gap_s: float = 21600.0
    min_shore_distance_m: float = 18520.0


@dataclass(frozen=True)
class PairConfig:
    enabled: bool = True
    max_distance_m: float = 500.0
    min_duration_s: float = 7200.0
    max_sog_kn: float = 2.0
    min_port_distance_m: float = 10000.0
    max_interruption_s: float = 1200.0


@dataclass(frozen=True)
class LoiteringConfig:
    enabled: bool = True
    max_sog_kn: float = 2.0
    min_duration_s: float = 14400.0
    min_shore_distance_m: float = 37040.0
    max_interruption_s: float = 1200.0


@dataclass(frozen=True)
class SpeedConfig:
    enabled: bool = True
    min_sog_kn: float = 25.0
    min_duration_s: float = 600.0
    max_interruption_s: float = 300.0
    window_s: float = 120.0
    exempt_ship_types: tuple[int, ...] = (35, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 51, 55)
    exempt_mmsi_prefixes: tuple[str, ...] = ("111",)


@dataclass(frozen=True)
class JumpConfig:
    enabled: bool = True
    min_implied_sog_kn: float = 60.0
    min_distance_m: float = 1000.0
    non_ais_min_distance_m: float = 5000.0


@dataclass(frozen=True)
class IdentityConfig:
    enabled: bool = True
    min_jumps: int = 3
    window_s: float = 3600.0
    max_quiet_s: float = 21600.0
    check_mmsi: bool = True


@dataclass(frozen=True)
class PortVisitConfig:
    enabled: bool = True
    entry_distance_m: float = 3000.0
    exit_distance_m: float = 4000.0
    stop_max_sog_kn: float = 1.0
    min_stop_s: float = 900.0


@dataclass(frozen=True)
class SwitchConfig:
    enabled: bool = True


@dataclass(frozen=True)
class SeverityConfig:
    """`alert` or `notice` per event type (defaults: model/severity.py); a zone may override them."""

    dark_target: str = DEFAULT_SEVERITY["dark_target"]
    speed_anomaly: str = DEFAULT_SEVERITY["speed_anomaly"]
    watchlist_hit: str = DEFAULT_SEVERITY["watchlist_hit"]
    encounter: str = DEFAULT_SEVERITY["encounter"]
    rendezvous: str = DEFAULT_SEVERITY["rendezvous"]
    ais_gap: str = DEFAULT_SEVERITY["ais_gap"]
    zone_entry: str = DEFAULT_SEVERITY["zone_entry"]
    zone_exit: str = DEFAULT_SEVERITY["zone_exit"]
    loitering: str = DEFAULT_SEVERITY["loitering"]
    port_visit: str = DEFAULT_SEVERITY["port_visit"]
    position_jump: str = DEFAULT_SEVERITY["position_jump"]
    identity_conflict: str = DEFAULT_SEVERITY["identity_conflict"]
    sensor_silent: str = DEFAULT_SEVERITY["sensor_silent"]
    watched_zone_kinds: tuple[str, ...] = ("protected_area", "custom")  # model.zone.ZONE_KINDS

    def of(self, event_type: str) -> str:
        return str(getattr(self, event_type, "")) or default_severity(event_type)


def _rendezvous() -> PairConfig:
    return PairConfig(
        max_distance_m=250.0, min_duration_s=1800.0, max_sog_kn=math.inf, min_port_distance_m=3000.0
    )


# thresholds a zone may override (evaluated per fix or per bin inside the zone)
ZONE_OVERRIDABLE: dict[str, frozenset[str]] = {
    "ais_gap": frozenset({"min_gap_s", "min_shore_distance_m"}),
    "encounter": frozenset({"max_sog_kn", "min_port_distance_m"}),
    "rendezvous": frozenset({"max_sog_kn", "min_port_distance_m"}),
    "loitering": frozenset({"max_sog_kn", "min_shore_distance_m"}),
    "speed_anomaly": frozenset({"min_sog_kn"}),
}


@dataclass(frozen=True)
class DetectConfig:
    tracks: TracksConfig = field(default_factory=TracksConfig)
    ais_gap: GapConfig = field(default_factory=GapConfig)
    encounter: PairConfig = field(default_factory=PairConfig)
    rendezvous: PairConfig = field(default_factory=_rendezvous)
    loitering: LoiteringConfig = field(default_factory=LoiteringConfig)
    speed_anomaly: SpeedConfig = field(default_factory=SpeedConfig)
    position_jump: JumpConfig = field(default_factory=JumpConfig)
    identity_conflict: IdentityConfig = field(default_factory=IdentityConfig)
    port_visit: PortVisitConfig = field(default_factory=PortVisitConfig)
    zone: SwitchConfig = field(default_factory=SwitchConfig)
    watchlist: SwitchConfig = field(default_factory=SwitchConfig)
    severity: SeverityConfig = field(default_factory=SeverityConfig)

    @classmethod
    def defaults(cls) -> DetectConfig:
        """The documented defaults, read from the bundled defaults.toml."""
        text = resources.files("seawatch.detect").joinpath("defaults.toml").read_text(encoding="utf-8")
        return cls.from_toml_text(text, "defaults.toml", base=cls())

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
        return (base or cls()).merged(data, where)

    def merged(self, data: dict[str, Any], where: str) -> DetectConfig:
        changes: dict[str, Any] = {}
        known = {f.name for f in fields(self)}
        for section, values in data.items():
            if section not in known:
                raise ConfigError(f"{where}: unknown section [{section}] (known: {', '.join(sorted(known))})")
            if not isinstance(values, dict):
                raise ConfigError(f"{where}: [{section}] must be a table")
            changes[section] = _merge_section(getattr(self, section), values, f"{where}: [{section}]")
        return replace(self, **changes)

    def section(self, name: str) -> Any:
        return getattr(self, name)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_toml(self) -> str:
        lines: list[str] = []
        for name, values in self.to_dict().items():
            lines.append(f"[{name}]")
            lines.extend(f"{key} = {_toml_value(value)}" for key, value in values.items())
            lines.append("")
        return "\n".join(lines)


def _merge_section(current: Any, values: dict[str, Any], where: str) -> Any:
    types = {f.name: f.type for f in fields(current)}
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key not in types:
            raise ConfigError(f"{where}: unknown threshold {key!r} (known: {', '.join(sorted(types))})")
        out[key] = _coerce(getattr(current, key), value, f"{where} {key}")
    result = replace(current, **out)
    if isinstance(result, SeverityConfig):
        if "watched_zone_kinds" in out:  # one list of kinds: older names mapped, unknown ones refused
            try:
                kinds = tuple(canonical_zone_kind(k) for k in out["watched_zone_kinds"])
            except ValueError as exc:
                raise ConfigError(f"{where} watched_zone_kinds: {exc}") from None
            result = replace(result, watched_zone_kinds=kinds)
        for key, value in out.items():
            if key != "watched_zone_kinds" and value not in SEVERITIES:
                raise ConfigError(f"{where} {key}: expected one of {', '.join(SEVERITIES)}, got {value!r}")
    if isinstance(result, TracksConfig):
        try:
            result.earliest_epoch_s  # noqa: B018 - validates the time text
        except ValueError as exc:
            raise ConfigError(
                f"{where} earliest_time: not an ISO 8601 time: {result.earliest_time!r}"
            ) from exc
    return result


def _coerce(default: Any, value: Any, where: str) -> Any:
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: expected true or false, got {value!r}")
        return value
    if isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where}: expected an integer, got {value!r}")
        return value
    if isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{where}: expected a number, got {value!r}")
        if math.isnan(value) or value < 0:
            raise ConfigError(f"{where}: expected a non-negative number, got {value!r}")
        return float(value)
    if isinstance(default, str):
        if not isinstance(value, str):
            raise ConfigError(f"{where}: expected text, got {value!r}")
        return value
    if isinstance(default, tuple):
        if not isinstance(value, list):
            raise ConfigError(f"{where}: expected a list, got {value!r}")
        kind = type(default[0]) if default else type(value[0]) if value else str
        if not all(isinstance(v, kind) and not isinstance(v, bool) for v in value):
            raise ConfigError(f"{where}: expected a list of {kind.__name__}, got {value!r}")
        return tuple(value)
    raise ConfigError(f"{where}: unsupported value {value!r}")


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
        for key, value in values.items():
            if key not in allowed:
                raise ConfigError(
                    f"{where}: {detector}.{key} cannot be overridden per zone "
                    f"(allowed: {', '.join(sorted(allowed))})"
                )
            _coerce(getattr(config.section(detector), key), value, f"{where}: {detector}.{key}")


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
