"""Sensor-site configuration: which radars exist, where they stand, how far and how well they see.

A site file is TOML (the simulator writes one as `sensors.toml` beside its radar output)::

    [[radar]]
    id = "KIN-1"              # station id used in the tag block `s:`
    talker = "RA"             # NMEA talker; used to find the site when a line has no tag block
    lat = 17.94
    lon = -76.78
    range_m = 44000           # instrumented range; farther contacts are rejected
    bearing_sigma_deg = 0.5   # 1-sigma bearing error
    range_sigma_m = 30        # 1-sigma range error
    report_interval_s = 30    # optional: how often it reports each target (else the tracker learns it)

    [[satellite]]             # optional: per-provider position error of detections
    id = "ksat"
    position_sigma_m = 200
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seawatch.errors import ConfigError

SENSORS_FILE_NAME = "sensors.toml"


@dataclass(frozen=True, slots=True)
class RadarSite:
    """One radar: its station id, NMEA talker, position and accuracy."""

    id: str
    talker: str = "RA"
    lat: float = math.nan
    lon: float = math.nan
    range_m: float = 48_000.0
    bearing_sigma_deg: float = 0.5
    range_sigma_m: float = 30.0
    report_interval_s: float | None = None  # revisit of each target; None: learned from the data

    def position_sigma_m(self, range_m: float) -> float:
        """Isotropic 1-sigma position error at a range: the larger of range and cross-range error."""
        return max(self.range_sigma_m, range_m * math.radians(self.bearing_sigma_deg))

    @property
    def has_position(self) -> bool:
        return math.isfinite(self.lat) and math.isfinite(self.lon)


@dataclass(frozen=True, slots=True)
class SatelliteSensor:
    """A satellite detection provider and the 1-sigma position error of its detections."""

    id: str
    position_sigma_m: float = 200.0


@dataclass(frozen=True, slots=True)
class SensorConfig:
    """All configured sensors. Look-ups by tag-block station first, then by talker."""

    radars: tuple[RadarSite, ...] = ()
    satellites: tuple[SatelliteSensor, ...] = ()
    source: str = ""
    _by_id: dict[str, RadarSite] = field(default_factory=dict, compare=False, repr=False)
    _by_talker: dict[str, RadarSite] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for site in self.radars:
            self._by_id[site.id] = site
            # a talker names a site only when exactly one site uses it
            if site.talker in self._by_talker:
                self._by_talker[site.talker] = RadarSite(id="", talker=site.talker)
            else:
                self._by_talker[site.talker] = site

    def radar_site(self, station: str | None, talker: str | None) -> RadarSite | None:
        """The site a radar line comes from: its tag-block station if given, else its talker."""
        if station:
            return self._by_id.get(station)
        if talker:
            site = self._by_talker.get(talker)
            return site if site is not None and site.id else None
        return None

    def satellite_sigma_m(self, provider: str | None, default_m: float = 200.0) -> float:
        for sat in self.satellites:
            if sat.id == provider:
                return sat.position_sigma_m
        return default_m

    def revisit_s(self) -> dict[str, float]:
        """Site id -> configured report interval (for `FusionConfig.revisit_s`)."""
        return {s.id: s.report_interval_s for s in self.radars if s.report_interval_s is not None}

    def merged(self, other: SensorConfig) -> SensorConfig:
        radars = {s.id: s for s in self.radars} | {s.id: s for s in other.radars}
        sats = {s.id: s for s in self.satellites} | {s.id: s for s in other.satellites}
        return SensorConfig(tuple(radars.values()), tuple(sats.values()), source=other.source or self.source)


def _float(entry: dict[str, Any], key: str, where: str, default: float | None = None) -> float:
    value = entry.get(key, default)
    if value is None:
        raise ConfigError(f"{where}: missing '{key}'")
    try:
        return float(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: '{key}' must be a number, got {value!r}") from exc


def parse_sensors(doc: dict[str, Any], source: str = "<config>") -> SensorConfig:
    """Build a SensorConfig from a parsed TOML document; errors name the file and entry."""
    radars: list[RadarSite] = []
    for i, entry in enumerate(doc.get("radar", []) or []):
        where = f"{source}: [[radar]] #{i + 1}"
        if not isinstance(entry, dict) or not entry.get("id"):
            raise ConfigError(f"{where}: needs an 'id'")
        lat = _float(entry, "lat", where, math.nan)
        lon = _float(entry, "lon", where, math.nan)
        if (math.isfinite(lat) and not -90 <= lat <= 90) or (math.isfinite(lon) and not -180 <= lon <= 180):
            raise ConfigError(f"{where}: position {lat}, {lon} out of range")
        site = RadarSite(
            id=str(entry["id"]),
            talker=str(entry.get("talker", "RA")),
            lat=lat,
            lon=lon,
            range_m=_float(entry, "range_m", where, 48_000.0),
            bearing_sigma_deg=_float(entry, "bearing_sigma_deg", where, 0.5),
            range_sigma_m=_float(entry, "range_sigma_m", where, 30.0),
            report_interval_s=(
                _float(entry, "report_interval_s", where) if "report_interval_s" in entry else None
            ),
        )
        if site.range_m <= 0 or site.bearing_sigma_deg <= 0 or site.range_sigma_m <= 0:
            raise ConfigError(f"{where}: range_m and sigmas must be positive")
        if site.report_interval_s is not None and not 0 < site.report_interval_s <= 3600:
            got = site.report_interval_s
            raise ConfigError(f"{where}: report_interval_s = {got}: expected more than 0 and at most 3600")
        radars.append(site)
    sats = [
        SatelliteSensor(
            id=str(e.get("id", f"sat{i}")), position_sigma_m=_float(e, "position_sigma_m", source, 200.0)
        )
        for i, e in enumerate(doc.get("satellite", []) or [])
    ]
    ids = [s.id for s in radars]
    if len(ids) != len(set(ids)):
        raise ConfigError(f"{source}: duplicate radar ids in {ids}")
    return SensorConfig(tuple(radars), tuple(sats), source=source)


def load_sensors(path: str | Path) -> SensorConfig:
    """Read a sensor-site TOML file."""
    path = Path(path)
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: sensor file not found") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from exc
    return parse_sensors(doc, str(path))


def sensors_for_inputs(paths: Iterable[str | Path], explicit: str | Path | None = None) -> SensorConfig:
    """The explicit sensors file if given, merged over any `sensors.toml` found beside the inputs."""
    config = SensorConfig()
    seen: set[Path] = set()
    for p in paths:
        if str(p) == "-":
            continue
        candidate = Path(p).resolve().parent / SENSORS_FILE_NAME
        if candidate not in seen and candidate.is_file():
            seen.add(candidate)
            config = config.merged(load_sensors(candidate))
    if explicit is not None:
        config = config.merged(load_sensors(explicit))
    return config
