"""Radar targets from NMEA 0183: `TTM` (range/bearing), `TLL` (lat/lon), with own ship from `OSD`/`GGA`/`RMC`.

Lines may carry an NMEA 4.10 tag block naming the site and time: `\\s:<site>,c:<epoch s>*hh\\$RATTM,...`.
The site comes from the tag-block station, else from the talker (see `sources/sensors.py`); a line
from a site that is not configured is rejected with a message naming it. A TTM position is computed
from the own-ship position (GGA/RMC from the same station, when fresh) or else the configured site.

Every field is checked (numbers, units, flags, bearing 0–360, range within the site's reach:
`radar_sentences.py` for the sentences on their own); a bad line becomes a `Rejected` with the reason,
never an exception. `RSD` and `TLB` are validated and kept
as state (range scale, target labels) but produce no observations.
"""

from __future__ import annotations

import io
import logging
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import polars as pl
from pyproj import Geod

from seawatch.model.observation import Observation, Rejected, SensorKind
from seawatch.sources.radar_sentences import (
    KNOTS_PER_UNIT,
    METRES_PER_UNIT,
    OWN_SHIP_MAX_AGE_S,
    RadarFieldError,
    RadarSentence,
    _tag_time,
    parse_radar_sentence,
    split_tag_block,
)
from seawatch.sources.sensors import RadarSite, SensorConfig
from seawatch.sources.sniffers import sniff_radar as sniff_radar  # re-exported: registered below

log = logging.getLogger(__name__)

_GEOD = Geod(ellps="WGS84")


# ---------------------------------------------------------------- decoder
@dataclass
class _OwnShip:
    lat: float | None = None
    lon: float | None = None
    fix_time: datetime | None = None
    heading_deg: float | None = None
    day: date | None = None


@dataclass
class RadarNmeaDecoder:
    """Turns radar NMEA lines into radar `Observation`s (or `Rejected`), keeping own-ship state per site.

    `default_day` gives the date for lines whose only time is a UTC time of day (no tag block, no RMC).
    """

    sensors: SensorConfig
    source: str = ""
    enforce_checksum: bool = True
    default_day: date | None = None
    counts: dict[str, int] = field(default_factory=dict)
    _own: dict[str, _OwnShip] = field(default_factory=dict)
    _labels: dict[str, dict[int, str]] = field(default_factory=dict)

    def _count(self, key: str) -> None:
        self.counts[key] = self.counts.get(key, 0) + 1

    def _reject(self, raw: str, reason: str, line_no: int | None) -> list[Observation | Rejected]:
        self._count("rejected")
        return [Rejected(raw=raw, reason=reason, source=self.source, line_no=line_no)]

    def feed(self, line: str | bytes, line_no: int | None = None) -> list[Observation | Rejected]:
        raw = line.decode("ascii", "replace") if isinstance(line, bytes) else line
        raw = raw.strip()
        if not raw:
            return []
        try:
            tags, sentence = split_tag_block(raw, self.enforce_checksum)
            parsed = parse_radar_sentence(sentence, self.enforce_checksum)
        except RadarFieldError as exc:
            return self._reject(raw, str(exc), line_no)
        station = tags.get("s") or None
        site = self.sensors.radar_site(station, parsed.talker)
        if site is None:
            who = f"station {station!r}" if station else "no tag-block station"
            return self._reject(
                raw, f"unknown radar site: {who}, talker {parsed.talker!r} not configured", line_no
            )
        try:
            when = _tag_time(tags["c"]) if "c" in tags else None
        except (ValueError, OverflowError, OSError):
            return self._reject(raw, f"invalid tag-block time c:{tags['c']!r}", line_no)
        own = self._own.setdefault(site.id, _OwnShip())
        if when is None and parsed.fields.get("time_utc") is not None:
            day = own.day or self.default_day
            if day is not None:
                when = datetime.combine(day, parsed.fields["time_utc"])
        self._count(parsed.kind)
        if parsed.kind in ("GGA", "RMC"):
            own.lat, own.lon, own.fix_time = parsed.fields["lat"], parsed.fields["lon"], when
            if parsed.kind == "RMC" and parsed.fields.get("date"):
                own.day = parsed.fields["date"]
            return []
        if parsed.kind == "OSD":
            own.heading_deg = parsed.fields["heading_deg"]
            return []
        if parsed.kind == "TLB":
            self._labels.setdefault(site.id, {}).update(parsed.fields["labels"])
            return []
        if parsed.kind == "RSD":
            return []
        if when is None:
            return self._reject(raw, "no time: no tag-block c: and no UTC time with a known date", line_no)
        try:
            obs = self._target(parsed, site, own, when, raw)
        except RadarFieldError as exc:
            return self._reject(raw, str(exc), line_no)
        self._count("observations")
        return [obs]

    def _origin(self, site: RadarSite, own: _OwnShip, when: datetime) -> tuple[float, float]:
        fresh = (
            own.lat is not None
            and own.lon is not None
            and (own.fix_time is None or abs((when - own.fix_time).total_seconds()) <= OWN_SHIP_MAX_AGE_S)
        )
        if fresh:
            assert own.lat is not None and own.lon is not None
            return own.lat, own.lon
        if site.has_position:
            return site.lat, site.lon
        raise RadarFieldError(f"no position for radar {site.id!r}: not configured and no own-ship fix")

    def _target(
        self, p: RadarSentence, site: RadarSite, own: _OwnShip, when: datetime, raw: str
    ) -> Observation:
        f = p.fields
        number = f["target_number"]
        label = f.get("name") or self._labels.get(site.id, {}).get(number) or None
        extra: dict[str, Any] = {"sentence": p.kind, "status": f.get("status"), "name": label}
        if p.kind == "TTM":
            olat, olon = self._origin(site, own, when)
            bearing = f["bearing_deg"]
            if f["bearing_ref"] == "R":
                if own.heading_deg is None:
                    raise RadarFieldError("relative bearing but no own-ship heading (OSD)")
                bearing = (bearing + own.heading_deg) % 360.0
            range_m = f["distance"] * METRES_PER_UNIT[f["units"]]
            if range_m > site.range_m:
                raise RadarFieldError(
                    f"range {range_m:.0f} m beyond radar {site.id!r} reach {site.range_m:.0f} m"
                )
            lon, lat, _ = _GEOD.fwd(olon, olat, bearing, range_m)
            speed = f["speed"] * KNOTS_PER_UNIT[f["units"]] if f["speed"] is not None else None
            course = f["course_deg"]
            if course is not None and f["course_ref"] == "R" and own.heading_deg is not None:
                course = (course + own.heading_deg) % 360.0
            extra |= {"range_m": range_m, "bearing_deg": bearing}
        else:  # TLL
            lat, lon, speed, course = f["lat"], f["lon"], None, None
            if site.has_position:
                az, _, range_m = _GEOD.inv(site.lon, site.lat, lon, lat)
                extra["bearing_deg"] = float(az) % 360.0
                if range_m > site.range_m:
                    raise RadarFieldError(
                        f"target {range_m:.0f} m from radar {site.id!r}, beyond reach {site.range_m:.0f} m"
                    )
            else:
                range_m = 0.0
            extra["range_m"] = range_m
        extra["sigma_m"] = site.position_sigma_m(float(extra["range_m"]))
        if "bearing_deg" in extra:  # the error ellipse: range error along the bearing, bearing error across
            extra["range_sigma_m"] = site.range_sigma_m
            extra["cross_sigma_m"] = max(1.0, float(extra["range_m"]) * math.radians(site.bearing_sigma_deg))
        return Observation(
            time=when,
            lat=float(lat),
            lon=float(lon),
            sensor=SensorKind.RADAR,
            source=self.source,
            target_ref=f"{site.id}:{number}",
            sog_kn=speed,
            cog_deg=course,
            station=site.id,
            length_m=None,
            extra=extra,
        )


# ---------------------------------------------------------------- files
def iter_radar_file(
    path: str | Path, sensors: SensorConfig, enforce_checksum: bool = True
) -> Iterator[Observation | Rejected]:
    """Observations and rejects of a radar NMEA file (plain or gzip), in file order; a damaged gzip
    file gives its good lines and a `truncated_input` reject."""
    from seawatch.sources.formats import read_input

    path = Path(path)
    data, cut = read_input(path)
    decoder = RadarNmeaDecoder(sensors, source=str(path), enforce_checksum=enforce_checksum)
    lines = io.StringIO(data.decode("ascii", errors="replace"), newline=None)  # as a text-mode file reads
    for i, line in enumerate(lines, start=1):
        yield from decoder.feed(line, line_no=i)
    if cut is not None:
        yield cut


def observations_to_frame(items: list[Observation]) -> pl.DataFrame:
    """Radar or satellite observations as POSITION_SCHEMA rows plus `target_ref`, `station`, `sigma_m`,
    `length_m`, `scene_id`, `confidence` extra columns."""
    from seawatch.model.columns import conform_positions

    frame = pl.DataFrame(
        {
            "t": [o.time.timestamp() for o in items],
            "mmsi": [o.mmsi for o in items],
            "lat": [o.lat for o in items],
            "lon": [o.lon for o in items],
            "sog_kn": [o.sog_kn for o in items],
            "cog_deg": [o.cog_deg for o in items],
            "heading_deg": [o.heading_deg for o in items],
            "sensor": [o.sensor.value for o in items],
            "source": [o.source for o in items],
            "target_ref": [o.target_ref for o in items],
            "station": [o.station for o in items],
            "sigma_m": [o.extra.get("sigma_m") for o in items],
            "range_sigma_m": [o.extra.get("range_sigma_m") for o in items],
            "cross_sigma_m": [o.extra.get("cross_sigma_m") for o in items],
            "bearing_deg": [o.extra.get("bearing_deg") for o in items],
            "length_m": [o.length_m for o in items],
            "scene_id": [o.extra.get("scene_id") for o in items],
            "confidence": [o.extra.get("confidence") for o in items],
        },
        schema_overrides={
            "mmsi": pl.Int64,
            "sog_kn": pl.Float64,
            "cog_deg": pl.Float64,
            "heading_deg": pl.Float64,
            "target_ref": pl.Utf8,
            "station": pl.Utf8,
            "sigma_m": pl.Float64,
            "range_sigma_m": pl.Float64,
            "cross_sigma_m": pl.Float64,
            "bearing_deg": pl.Float64,
            "length_m": pl.Float64,
            "scene_id": pl.Utf8,
            "confidence": pl.Float64,
        },
    )
    return conform_positions(frame)


def load_radar_file(
    path: str | Path, sensors: SensorConfig, enforce_checksum: bool = True
) -> tuple[pl.DataFrame, list[Rejected], dict[str, int]]:
    """Bulk form: (positions frame, rejects, counts) of a radar NMEA file."""
    obs: list[Observation] = []
    rejects: list[Rejected] = []
    for item in iter_radar_file(path, sensors, enforce_checksum):
        if isinstance(item, Rejected):
            rejects.append(item)
        else:
            obs.append(item)
    counts = {"radar": len(obs), "rejected": len(rejects)}
    return observations_to_frame(obs), rejects, counts


# ---------------------------------------------------------------- format registry
def _sensors_for(path: Path, sites: SensorConfig | None) -> SensorConfig:
    """The sites given by the caller merged over any `sensors.toml` beside the file."""
    from seawatch.sources.sensors import sensors_for_inputs

    beside = sensors_for_inputs([path])
    return beside if sites is None else beside.merged(sites)


def _register() -> None:
    from seawatch.sources.formats import FormatSpec, LoadResult, register_format

    def load(path: Path, sites: SensorConfig | None = None) -> LoadResult:
        frame, rejects, counts = load_radar_file(path, _sensors_for(path, sites))
        return LoadResult(positions=frame, rejects=rejects, counts=counts)

    def iterate(path: Path, sites: SensorConfig | None = None) -> Iterator[Observation | Rejected]:
        return iter_radar_file(path, _sensors_for(path, sites))

    register_format(
        FormatSpec(
            name="radar-nmea",
            sniff=sniff_radar,
            load=load,
            iterate=iterate,
            priority=20,
            description="radar targets, NMEA TTM/TLL with tag blocks (sensor sites from sensors.toml)",
        )
    )


_register()
