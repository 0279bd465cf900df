"""Scenario files: typed, strictly validated models of one exercise (see scenarios/README.md).

A scenario is a TOML file. Every table rejects unknown keys; every number has a range; ports must exist
in the World Port Index; explicit routes must not cross land. Errors become `ConfigError` naming the
file, the key path (`behaviours[2].speed_kn`) and the offending value.
"""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from seawatch.errors import ConfigError

LonLat = tuple[Annotated[float, Field(ge=-180, le=180)], Annotated[float, Field(ge=-90, le=90)]]
BBox = tuple[float, float, float, float]  # lon_min, lat_min, lon_max, lat_max

SHIP_CATEGORIES = (
    "cargo",
    "tanker",
    "fishing",
    "passenger",
    "pleasure",
    "tug",
    "reefer",
    "go_fast",
    "high_speed_craft",
    "law_enforcement",
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_bbox(value: BBox) -> BBox:
    lon0, lat0, lon1, lat1 = value
    if not (-180 <= lon0 < lon1 <= 180 and -90 <= lat0 < lat1 <= 90):
        raise ValueError("must be [lon_min, lat_min, lon_max, lat_max] with min < max")
    return value


class AisReceiver(_Strict):
    """A shore AIS receiver: hears vessels within range_m, losing a fraction `loss` of messages near it,
    more (`edge_loss`) towards the edge of its range (sim/detection.py)."""

    id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.\-]{1,32}$")]
    lat: Annotated[float, Field(ge=-90, le=90)]
    lon: Annotated[float, Field(ge=-180, le=180)]
    range_m: Annotated[float, Field(gt=0, le=500_000)] = 74_000.0
    loss: Annotated[float, Field(ge=0, le=1)] = 0.05
    # slots lost with range: `loss` up to full_range_fraction × range_m, rising to edge_loss at range_m
    edge_loss: Annotated[float, Field(ge=0, le=1)] = 0.3
    full_range_fraction: Annotated[float, Field(ge=0, le=1)] = 0.5


class SatellitePass(_Strict):
    """A satellite AIS pass: hears every vessel inside `area` during the pass, with loss."""

    id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.\-]{1,32}$")]
    start_h: Annotated[float, Field(ge=0)]
    duration_min: Annotated[float, Field(gt=0, le=60)] = 12.0
    area: BBox
    loss: Annotated[float, Field(ge=0, le=1)] = 0.3

    _bbox = field_validator("area")(_check_bbox)


class AisConfig(_Strict):
    """AIS reporting. Real class A reports every 2-10 s moving (3 min at anchor), class B every 30 s; the
    simulator thins every vessel to at most one position per `min_report_interval_s` to keep files small."""

    min_report_interval_s: Annotated[float, Field(ge=2, le=600)] = 30.0
    static_interval_s: Annotated[float, Field(ge=60, le=3600)] = 360.0
    garbage_lines: Annotated[int, Field(ge=0, le=100_000)] = 0
    receivers: list[AisReceiver] = Field(default_factory=list)
    satellite_passes: list[SatellitePass] = Field(default_factory=list)


class Radar(_Strict):
    """A coastal radar site emitting TTM (range/bearing from the site) or TLL (lat/lon) per target."""

    id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.\-]{1,32}$")]
    talker: Annotated[str, Field(pattern=r"^[A-Z]{2}$")] = "RA"
    lat: Annotated[float, Field(ge=-90, le=90)]
    lon: Annotated[float, Field(ge=-180, le=180)]
    range_m: Annotated[float, Field(gt=0, le=200_000)] = 40_000.0
    bearing_sigma_deg: Annotated[float, Field(ge=0, le=10)] = 0.3
    range_sigma_m: Annotated[float, Field(ge=0, le=1000)] = 25.0
    detection_probability: Annotated[float, Field(gt=0, le=1)] = 0.9
    # probability of detection falls with range: detection_probability up to full_range_fraction ×
    # range_m, then down to edge_detection_probability at range_m (sim/detection.py)
    edge_detection_probability: Annotated[float, Field(ge=0, le=1)] = 0.6
    full_range_fraction: Annotated[float, Field(ge=0, le=1)] = 0.5
    clutter_per_scan: Annotated[float, Field(ge=0, le=50)] = 0.05
    report_interval_s: Annotated[float, Field(ge=1, le=600)] = 30.0
    sweep_period_s: Annotated[float, Field(ge=0.5, le=60)] = 2.5
    # "staggered": as a real ARPA, each target is reported once per report interval at the moment the
    # beam crosses it, in a sweep of its own (targets spread over the interval); "scan": every target of
    # the site at the same instant (an idealised radar; only for comparisons)
    timing: Literal["staggered", "scan"] = "staggered"
    sentence: Literal["TTM", "TLL"] = "TTM"


class SarPass(_Strict):
    """A satellite SAR scene: vessels inside the footprint at `start_h` are detected with probability."""

    scene_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.\-]{1,64}$")]
    start_h: Annotated[float, Field(ge=0)]
    area: BBox
    detection_probability: Annotated[float, Field(gt=0, le=1)] = 0.9
    position_sigma_m: Annotated[float, Field(ge=0, le=2000)] = 60.0
    false_alarms: Annotated[int, Field(ge=0, le=1000)] = 1

    _bbox = field_validator("area")(_check_bbox)


class Traffic(_Strict):
    """Background traffic: port-to-port transits on searoute sea lanes, fishing trips, anchored and moored
    vessels. `ports` are WPI names or UN/LOCODEs; empty means every WPI port inside the area."""

    vessels: Annotated[int, Field(ge=0, le=20_000)] = 30
    ports: list[str] = Field(default_factory=list)
    mix: dict[str, Annotated[float, Field(ge=0)]] = Field(
        default_factory=lambda: {
            "cargo": 0.35,
            "tanker": 0.2,
            "fishing": 0.2,
            "passenger": 0.1,
            "pleasure": 0.1,
            "tug": 0.05,
        }
    )
    anchored: Annotated[int, Field(ge=0, le=5000)] = 0
    moored: Annotated[int, Field(ge=0, le=5000)] = 0
    class_b_fraction: Annotated[float, Field(ge=0, le=1)] = 0.5  # of fishing and pleasure craft

    @field_validator("mix")
    @classmethod
    def _mix_known(cls, value: dict[str, float]) -> dict[str, float]:
        for key in value:
            if key not in SHIP_CATEGORIES:
                raise ValueError(f"unknown ship category {key!r} (known: {', '.join(SHIP_CATEGORIES)})")
        if value and sum(value.values()) <= 0:
            raise ValueError("weights must not all be zero")
        return value


class Zone(_Strict):
    """A zone polygon written to zones.geojson; crossings of AIS tracks become zone_entry / zone_exit."""

    id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.\-]{1,64}$")]
    name: str = ""
    kind: Literal["territorial_sea", "eez", "protected_area", "user"] = "user"
    polygon: Annotated[list[LonLat], Field(min_length=3)]


class VesselSpec(_Strict):
    """Identity and sensor behaviour of an injected vessel (static data is generated when not given)."""

    category: Literal[SHIP_CATEGORIES] = "cargo"  # type: ignore[valid-type]
    name: str | None = None
    mmsi: Annotated[int, Field(ge=100_000_000, le=999_999_999)] | None = None
    imo: Annotated[int, Field(ge=1_000_000, le=9_999_999)] | None = None
    callsign: str | None = None
    length_m: Annotated[float, Field(gt=0, le=500)] | None = None
    ais: bool = True
    ais_class: Literal["A", "B"] | None = None
    watchlisted: bool = False


class AisOff(_Strict):
    off_h: Annotated[float, Field(ge=0)]
    on_h: Annotated[float, Field(gt=0)] | None = None  # None: stays off

    @model_validator(mode="after")
    def _order(self) -> AisOff:
        if self.on_h is not None and self.on_h <= self.off_h:
            raise ValueError(f"on_h ({self.on_h}) must be after off_h ({self.off_h})")
        return self


class Spoof(_Strict):
    """Between start_h and end_h the vessel reports a fixed false position instead of its true one."""

    start_h: Annotated[float, Field(ge=0)]
    end_h: Annotated[float, Field(gt=0)]
    lon: Annotated[float, Field(ge=-180, le=180)]
    lat: Annotated[float, Field(ge=-90, le=90)]


class Route(_Strict):
    waypoints: list[LonLat] = Field(default_factory=list)
    from_port: str | None = None
    to_port: str | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Route:
        if self.waypoints and (self.from_port or self.to_port):
            raise ValueError("give either waypoints or from_port/to_port, not both")
        if not self.waypoints and not (self.from_port and self.to_port):
            raise ValueError("needs waypoints (at least 2) or both from_port and to_port")
        if self.waypoints and len(self.waypoints) < 2:
            raise ValueError("waypoints needs at least 2 points")
        return self


class Transit(_Strict):
    """One vessel sails a route at speed: covers AIS gaps, spoofing, zone incursions, watchlisted vessels."""

    kind: Literal["transit"]
    id: str
    route: Route
    speed_kn: Annotated[float, Field(gt=0, le=60)]
    start_h: Annotated[float, Field(ge=0)] = 0.0
    vessel: VesselSpec = VesselSpec()
    ais_off: list[AisOff] = Field(default_factory=list)
    spoof: list[Spoof] = Field(default_factory=list)


class GoFast(_Strict):
    """A go-fast run: a small open boat at 35-45 kn along waypoints, without AIS by default."""

    kind: Literal["go_fast"]
    id: str
    route: Route
    speed_kn: Annotated[float, Field(gt=0, le=60)] = 40.0
    start_h: Annotated[float, Field(ge=0)] = 0.0
    vessel: VesselSpec = VesselSpec(category="go_fast", ais=False, length_m=11.0)


class Meet(_Strict):
    """Two vessels approach a point, stay together (drifting < 1 kn, < 200 m apart) and part.
    `dark` is the index (0/1) of the vessel that switches AIS off from dark_from_h to dark_to_h."""

    kind: Literal["meet"]
    id: str
    at: LonLat
    start_h: Annotated[float, Field(ge=0)]
    duration_h: Annotated[float, Field(gt=0, le=72)] = 3.0
    approach_nm: Annotated[float, Field(gt=0, le=300)] = 25.0
    approach_bearing_deg: Annotated[float, Field(ge=0, lt=360)] | None = None  # where vessel 0 comes from
    approach_speed_kn: Annotated[float, Field(gt=2, le=30)] = 11.0
    vessels: Annotated[list[VesselSpec], Field(min_length=2, max_length=2)] = Field(
        default_factory=lambda: [VesselSpec(category="reefer"), VesselSpec(category="fishing")]
    )
    dark: Literal[0, 1] | None = None
    dark_from_h: Annotated[float, Field(ge=0)] | None = None
    dark_to_h: Annotated[float, Field(gt=0)] | None = None


class Loiter(_Strict):
    """One vessel approaches a point and drifts there (< 1.5 kn) for duration_h, then leaves."""

    kind: Literal["loiter"]
    id: str
    at: LonLat
    start_h: Annotated[float, Field(ge=0)]
    duration_h: Annotated[float, Field(gt=0, le=72)] = 6.0
    approach_nm: Annotated[float, Field(gt=0, le=300)] = 25.0
    approach_bearing_deg: Annotated[float, Field(ge=0, lt=360)] = 0.0
    approach_speed_kn: Annotated[float, Field(gt=2, le=30)] = 10.0
    vessel: VesselSpec = VesselSpec(category="fishing")


class SharedMmsi(_Strict):
    """Two vessels far apart transmit the same MMSI (identity fraud)."""

    kind: Literal["shared_mmsi"]
    id: str
    mmsi: Annotated[int, Field(ge=100_000_000, le=999_999_999)]
    routes: Annotated[list[Route], Field(min_length=2, max_length=2)]
    speed_kn: Annotated[float, Field(gt=0, le=40)] = 11.0
    start_h: Annotated[float, Field(ge=0)] = 0.0
    category: Literal[SHIP_CATEGORIES] = "tanker"  # type: ignore[valid-type]


Behaviour = Annotated[Transit | GoFast | Meet | Loiter | SharedMmsi, Field(discriminator="kind")]


class Scenario(_Strict):
    name: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_\-]{0,63}$")]
    description: str = ""
    start: datetime
    duration_h: Annotated[float, Field(gt=0, le=24 * 14)] = 12.0
    seed: Annotated[int, Field(ge=0)] = 0
    area: BBox
    ais: AisConfig = AisConfig()
    radars: list[Radar] = Field(default_factory=list)
    sar_passes: list[SarPass] = Field(default_factory=list)
    traffic: Traffic = Traffic()
    zones: list[Zone] = Field(default_factory=list)
    behaviours: list[Behaviour] = Field(default_factory=list)

    _bbox = field_validator("area")(_check_bbox)

    @field_validator("start")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    @model_validator(mode="after")
    def _unique_ids(self) -> Scenario:
        seen: set[str] = set()
        for i, beh in enumerate(self.behaviours):
            if beh.id in seen:
                raise ValueError(f"behaviours[{i}].id = {beh.id!r} is used twice")
            seen.add(beh.id)
        return self

    @property
    def start_epoch_s(self) -> float:
        return self.start.timestamp()

    @property
    def end_epoch_s(self) -> float:
        return self.start_epoch_s + self.duration_h * 3600.0


def _format_loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("transit", "go_fast", "meet", "loiter", "shared_mmsi") and out.endswith("]"):
            continue  # discriminated-union tag in the path: not a key the user wrote
        else:
            out += f".{part}" if out else str(part)
    return out


def parse_scenario(data: dict[str, Any], origin: str = "<scenario>") -> Scenario:
    """Validate a scenario mapping; errors name the key path and the value."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors()[:5]:
            where = _format_loc(tuple(err["loc"]))
            value = err.get("input")
            if err["type"] == "extra_forbidden":
                problems.append(f"unknown key {where!r}")
            elif err["type"] == "missing":
                problems.append(f"missing key {where!r}")
            else:
                problems.append(f"{where} = {value!r}: {err['msg']}")
        raise ConfigError(f"{origin}: " + "; ".join(problems)) from None


def scenario_names() -> list[str]:
    folder = resources.files("seawatch.sim") / "scenarios"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml"))


def load_scenario(name_or_path: str | Path, *, check_geo: bool = True) -> Scenario:
    """A shipped scenario by name (`caribbean-gofast`) or a TOML file path, validated (and geo-checked)."""
    text_path = Path(name_or_path)
    if text_path.suffix == ".toml" or text_path.exists():
        if not text_path.is_file():
            raise ConfigError(f"scenario file not found: {text_path}")
        origin, raw = str(text_path), text_path.read_text(encoding="utf-8")
    else:
        names = scenario_names()
        if str(name_or_path) not in names:
            raise ConfigError(f"unknown scenario {str(name_or_path)!r} (shipped: {', '.join(names)})")
        ref = resources.files("seawatch.sim") / "scenarios" / f"{name_or_path}.toml"
        origin, raw = f"{name_or_path}.toml", ref.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(raw)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{origin}: not valid TOML: {exc}") from None
    scenario = parse_scenario(data, origin)
    if check_geo:
        from seawatch.sim.checks import check_scenario_geo

        check_scenario_geo(scenario, origin)
    return scenario
