"""Every detection threshold, declared once: value, unit and meaning (pydantic, unknown keys refused).

Read by the detectors (through detect/config.py's `DetectConfig`), by the simulator's ground truth
(sim/truth.py: a model, below both, so truth shares definitions but no detection code) and printed by
`seawatch detect --print-config`. `unit` and `zone` (overridable per zone) ride in each field's
`json_schema_extra`. Definitions follow PRODUCT.md (Global Fishing Watch / Skylight) and issue 11.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from seawatch.model.severity import DEFAULT_SEVERITY
from seawatch.model.zone import canonical_zone_kind
from seawatch.timeutil import parse_utc

Level = Literal["alert", "notice"]
DARK_DISTANCE_M = 1_500.0  # no AIS vessel within this of a contact => dark target (fusion's default)
DARK_MIN_RADAR_CONTACTS = 3  # a radar-only dark target needs this many plots (one stray plot is clutter)
# an AIS vessel unheard this long is silent: its radar contacts are then dark (fusion projects it no
# further; the truth marks its contacts dark from then on). Shorter would call receiver gaps dark.
AIS_SILENT_S = 1_800.0


def num(default: float, unit: str, description: str, zone: bool = False) -> Any:
    """A non-negative number (an integer is taken as a number; text such as '16' is refused)."""
    extra: dict[str, Any] = {"unit": unit, "zone": zone}
    return Field(default, ge=0, strict=True, description=description, json_schema_extra=extra)


def count(default: int, description: str) -> Any:
    return Field(default, ge=0, strict=True, description=description, json_schema_extra={"unit": "count"})


def flag(default: bool, description: str) -> Any:
    return Field(default, strict=True, description=description, json_schema_extra={"unit": ""})


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


class TracksConfig(Section):
    """Track building and cleaning (flags, never silent drops)."""

    earliest_time: Annotated[
        str,
        Field(
            strict=True,
            description="fixes before this are flagged `before_2000` and not used",
            json_schema_extra={"unit": "ISO 8601 UTC"},
        ),
    ] = "2000-01-01T00:00:00Z"
    max_future_s: float = num(
        300.0, "s", "fixes later than now + this are flagged `future` (now: wall clock)"
    )
    min_speed_dt_s: float = num(
        10.0, "s", "implied speed (when no SOG is reported) only from fixes this far apart"
    )
    bin_s: float = num(600.0, "s", "time bin for the pair (encounter, rendezvous) and loitering detectors")

    @property
    def earliest_epoch_s(self) -> float:
        return parse_utc(self.earliest_time).timestamp()


class GapConfig(Section):
    enabled: bool = flag(True, "report ais_gap")
    min_gap_s: float = num(21600.0, "s", "no AIS position for at least this long (6 h)", zone=True)
    min_shore_distance_m: float = num(
        18520.0, "m", "the gap must start at least this far from shore (10 nm)", zone=True
    )


class PairConfig(Section):
    enabled: bool = flag(True, "report this pair event")
    max_distance_m: float = num(500.0, "m", "both vessels within this distance in each bin")
    min_duration_s: float = num(7200.0, "s", "for at least this long")
    max_sog_kn: float = num(
        2.0, "kn", "mean speed of the two vessels in each bin below this (inf: no limit)", zone=True
    )
    min_port_distance_m: float = num(10000.0, "m", "bin midpoint at least this far from any port", zone=True)
    max_interruption_s: float = num(
        1200.0, "s", "bins with no fix from either vessel are tolerated up to this long"
    )
    berth_max_sog_kn: float = num(0.5, "kn", "a bin where both vessels are at most this fast ...")
    berth_shore_distance_m: float = num(
        2000.0,
        "m",
        "... within this of the coastline (on land: a dock) is two ships at one berth: no pair bin",
    )


class LoiteringConfig(Section):
    enabled: bool = flag(True, "report loitering")
    max_sog_kn: float = num(2.0, "kn", "speed in each bin below this ...", zone=True)
    min_duration_s: float = num(14400.0, "s", "... for at least this long (4 h)")
    min_shore_distance_m: float = num(37040.0, "m", "at least this far from shore (20 nm)", zone=True)
    max_interruption_s: float = num(1200.0, "s", "bins without a fix are tolerated up to this long")


class SpeedConfig(Section):
    enabled: bool = flag(True, "report speed_anomaly (go-fast)")
    min_sog_kn: float = num(
        25.0, "kn", "go-fast: median speed over the trailing window at or above this ...", zone=True
    )
    min_duration_s: float = num(600.0, "s", "... sustained this long (first to last fast fix)")
    window_s: float = num(120.0, "s", "trailing window of the median (a fix and those this long before it)")
    max_interruption_s: float = num(
        300.0, "s", "fast fixes further apart end the run (slower fixes between are a tolerated dip)"
    )
    exempt_ship_types: tuple[int, ...] = Field(
        default=(35, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 51, 55),
        description="AIS ship types never flagged: 35 military, 40-49 high-speed, 51 SAR, 55 law enforcement",
        json_schema_extra={"unit": "AIS ship type"},
    )
    exempt_mmsi_prefixes: tuple[str, ...] = Field(
        default=("111",),
        description="MMSI prefixes never flagged (111: SAR aircraft)",
        json_schema_extra={"unit": ""},
    )


class JumpConfig(Section):
    enabled: bool = flag(True, "report position_jump")
    min_implied_sog_kn: float = num(
        60.0, "kn", "a fix implying more than this from the track's last good fix ..."
    )
    min_distance_m: float = num(1000.0, "m", "... and at least this far from it (GPS noise is no jump)")
    non_ais_sigma_factor: float = num(
        3.5,
        "sigma",
        "radar/satellite fixes that carry their position error: also at least this many times the"
        " combined 1-sigma error of the two fixes (range-dependent cross-range error of a radar plot)",
    )
    non_ais_min_distance_m: float = num(
        5000.0,
        "m",
        "radar/satellite fixes of unknown error: also at least this far (3.5 sigma of two plots ~1 km off"
        " at 40 nm)",
    )


class IdentityConfig(Section):
    enabled: bool = flag(True, "report identity_conflict")
    min_jumps: int = count(3, "one MMSI at two places at once: this many jumps ...")
    window_s: float = num(3600.0, "s", "... each within this time of the previous one")
    max_quiet_s: float = num(21600.0, "s", "a conflict stays one event until this long passes without a jump")
    check_mmsi: bool = flag(True, "also report invalid MMSIs (not a ship, SAR aircraft, AtoN, SART... form)")


class PortVisitConfig(Section):
    enabled: bool = flag(True, "report port_visit (entry, stop, exit)")
    entry_distance_m: float = num(3000.0, "m", "a stay starts at the first fix within this of a port ...")
    exit_distance_m: float = num(4000.0, "m", "... and ends at the first fix beyond this")
    stop_max_sog_kn: float = num(1.0, "kn", "a visit needs a stop: fixes at most this fast ...")
    min_stop_s: float = num(900.0, "s", "... spanning at least this long (passing a terminal is no visit)")
    max_stop_gap_s: float = num(
        1800.0, "s", "slow fixes further apart are no one stop (a silence is no stop)"
    )


class SwitchConfig(Section):
    enabled: bool = flag(True, "report these events")


def _level(event_type: str) -> Any:
    return Field(
        default=DEFAULT_SEVERITY[event_type],
        description=f"severity of {event_type}",
        json_schema_extra={"unit": "alert | notice"},
    )


class SeverityConfig(Section):
    """`alert` or `notice` per event type (a zone may override them: `overrides.severity`)."""

    dark_target: Level = _level("dark_target")
    speed_anomaly: Level = _level("speed_anomaly")
    watchlist_hit: Level = _level("watchlist_hit")
    encounter: Level = _level("encounter")
    rendezvous: Level = _level("rendezvous")
    ais_gap: Level = _level("ais_gap")
    zone_entry: Level = _level("zone_entry")
    zone_exit: Level = _level("zone_exit")
    loitering: Level = _level("loitering")
    port_visit: Level = _level("port_visit")
    position_jump: Level = _level("position_jump")
    identity_conflict: Level = _level("identity_conflict")
    sensor_silent: Level = _level("sensor_silent")
    watched_zone_kinds: tuple[str, ...] = Field(
        default=("protected_area", "custom"),  # model.zone.ZONE_KINDS (older names mapped)
        description="entering a zone of these kinds is an alert (zone_entry elsewhere: its level above)",
        json_schema_extra={"unit": "zone kinds"},
    )

    @field_validator("watched_zone_kinds", mode="after")
    @classmethod
    def _known_kinds(cls, kinds: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(canonical_zone_kind(k) for k in kinds)  # one list of kinds; unknown ones refused

    def of(self, event_type: str) -> str:
        return str(getattr(self, event_type, "")) or DEFAULT_SEVERITY.get(event_type, "notice")


def rendezvous_defaults() -> PairConfig:
    return PairConfig(
        max_distance_m=250.0,
        min_duration_s=1800.0,
        max_sog_kn=3.0,  # a tug and its tow, two ferries in convoy are no rendezvous
        min_port_distance_m=3000.0,  # the port-visit radius: moored side by side in port is a port stay
    )


class DetectionThresholds(BaseModel):
    """Every section: what `seawatch detect --print-config` shows (detect/config.py's `DetectConfig`
    adds reading TOML and checking zone overrides)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tracks: TracksConfig = Field(default_factory=TracksConfig)
    ais_gap: GapConfig = Field(default_factory=GapConfig)
    encounter: PairConfig = Field(default_factory=PairConfig)
    rendezvous: PairConfig = Field(default_factory=rendezvous_defaults)
    loitering: LoiteringConfig = Field(default_factory=LoiteringConfig)
    speed_anomaly: SpeedConfig = Field(default_factory=SpeedConfig)
    position_jump: JumpConfig = Field(default_factory=JumpConfig)
    identity_conflict: IdentityConfig = Field(default_factory=IdentityConfig)
    port_visit: PortVisitConfig = Field(default_factory=PortVisitConfig)
    zone: SwitchConfig = Field(default_factory=SwitchConfig)
    watchlist: SwitchConfig = Field(default_factory=SwitchConfig)
    severity: SeverityConfig = Field(default_factory=SeverityConfig)
