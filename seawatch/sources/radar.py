"""Radar targets from NMEA 0183: `TTM` (range/bearing), `TLL` (lat/lon), with own ship from `OSD`/`GGA`/`RMC`.

Lines may carry an NMEA 4.10 tag block naming the site and time: `\\s:<site>,c:<epoch s>*hh\\$RATTM,...`.
The site comes from the tag-block station, else from the talker (see `sources/sensors.py`); a line
from a site that is not configured is rejected with a message naming it. A TTM position is computed
from the own-ship position (GGA/RMC from the same station, when fresh) or else the configured site.

Every field is checked (numbers, units, flags, bearing 0–360, range within the site's reach); a bad
line becomes a `Rejected` with the reason, never an exception. `RSD` and `TLB` are validated and kept
as state (range scale, target labels) but produce no observations.
"""

from __future__ import annotations

import io
import logging
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import polars as pl
import pynmea2
from pyproj import Geod

from seawatch.model.observation import Observation, Rejected, SensorKind
from seawatch.sources.sensors import RadarSite, SensorConfig
from seawatch.sources.sniffers import sniff_radar as sniff_radar  # re-exported: registered below

log = logging.getLogger(__name__)

_GEOD = Geod(ellps="WGS84")
METRES_PER_UNIT = {"N": 1852.0, "K": 1000.0, "S": 1609.344}
KNOTS_PER_UNIT = {"N": 1.0, "K": 1 / 1.852, "S": 1609.344 / 1852.0}
OWN_SHIP_MAX_AGE_S = 60.0
RADAR_SENTENCES = ("TTM", "TLL", "OSD", "RSD", "TLB", "GGA", "RMC")

_NUM = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_HMS = re.compile(r"^(\d{2})(\d{2})(\d{2})(\.\d+)?$")
_LAT = re.compile(r"^(\d{2})(\d{2}(\.\d+)?)$")
_LON = re.compile(r"^(\d{3})(\d{2}(\.\d+)?)$")
_TAG = re.compile(r"^\\([^\\]*)\\(.*)$")


class RadarFieldError(ValueError):
    """A field of a radar sentence is malformed; the message names the field."""


@dataclass(frozen=True, slots=True)
class RadarSentence:
    """The checked fields of one radar sentence (units as sent; `time_utc` is time of day or None)."""

    kind: str
    talker: str
    fields: dict[str, Any]


# ---------------------------------------------------------------- field checks
def _num(value: str, name: str, required: bool = False) -> float | None:
    if value == "":
        if required:
            raise RadarFieldError(f"missing {name}")
        return None
    if not _NUM.match(value):
        raise RadarFieldError(f"invalid {name}: {value!r}")
    return float(value)


def _flag(value: str, name: str, allowed: str, required: bool = False) -> str | None:
    if value == "":
        if required:
            raise RadarFieldError(f"missing {name}")
        return None
    if len(value) != 1 or value not in allowed:
        raise RadarFieldError(f"invalid {name}: {value!r} (expected one of {', '.join(allowed)})")
    return value


def _hms(value: str, name: str = "UTC time") -> time | None:
    if value == "":
        return None
    m = _HMS.match(value)
    if not m:
        raise RadarFieldError(f"invalid {name}: {value!r}")
    hh, mm, ss = int(m.group(1)), int(m.group(2)), int(m.group(3))
    frac = float(m.group(4)) if m.group(4) else 0.0
    if hh > 23 or mm > 59 or ss > 60:
        raise RadarFieldError(f"invalid {name}: {value!r}")
    return time(hh, mm, min(ss, 59), round(frac * 1e6) % 1_000_000, tzinfo=UTC)


def _coord(value: str, hemi: str, name: str, lat: bool) -> float:
    pattern = _LAT if lat else _LON
    m = pattern.match(value)
    if not m or hemi not in ("NS" if lat else "EW") or hemi == "":
        raise RadarFieldError(f"invalid {name}: {value!r} {hemi!r}")
    deg = int(m.group(1)) + float(m.group(2)) / 60.0
    if deg > (90 if lat else 180):
        raise RadarFieldError(f"invalid {name}: {value!r} out of range")
    return -deg if hemi in "SW" else deg


def _target_number(value: str, required: bool) -> int:
    n = _num(value, "target number", required)
    if n is None:
        return 0
    if n != int(n) or not 0 <= n <= 999:
        raise RadarFieldError(f"invalid target number: {value!r}")
    return int(n)


def _pad(data: list[str], n: int) -> list[str]:
    return data + [""] * (n - len(data))


def _check_ttm(d: list[str]) -> dict[str, Any]:
    d = _pad(d, 15)
    bearing = _num(d[2], "bearing", True)
    assert bearing is not None
    if not 0.0 <= bearing <= 360.0:
        raise RadarFieldError(f"bearing {bearing} outside 0-360")
    return {
        "target_number": _target_number(d[0], True),
        "distance": _num(d[1], "target distance", True),
        "bearing_deg": bearing % 360.0,
        "bearing_ref": _flag(d[3], "bearing type", "TR", True),
        "speed": _num(d[4], "target speed"),
        "course_deg": _num(d[5], "target course"),
        "course_ref": _flag(d[6], "course type", "TR"),
        "cpa_distance": _num(d[7], "distance CPA"),
        "cpa_time_min": _num(d[8], "time of CPA"),
        "units": _flag(d[9], "speed units", "NKS", True),
        "name": d[10],
        "status": _flag(d[11], "target status", "LQT"),
        "reference": _flag(d[12], "reference target", "R"),
        "time_utc": _hms(d[13]),
        "acquisition": _flag(d[14], "type of acquisition", "AMR"),
    }


def _check_tll(d: list[str]) -> dict[str, Any]:
    d = _pad(d, 9)
    return {
        "target_number": _target_number(d[0], False),
        "lat": _coord(d[1], d[2], "latitude", True),
        "lon": _coord(d[3], d[4], "longitude", False),
        "name": d[5],
        "time_utc": _hms(d[6]),
        "status": _flag(d[7], "target status", "LQT"),
        "reference": _flag(d[8], "reference target", "R"),
    }


def _check_osd(d: list[str]) -> dict[str, Any]:
    d = _pad(d, 9)
    return {
        "heading_deg": _num(d[0], "heading", True),
        "heading_status": _flag(d[1], "heading status", "AV"),
        "course_deg": _num(d[2], "vessel course true"),
        "course_ref": _flag(d[3], "course reference", "BMWRP"),
        "speed": _num(d[4], "vessel speed"),
        "speed_ref": _flag(d[5], "speed reference", "BMWRP"),
        "set_deg": _num(d[6], "vessel set"),
        "drift": _num(d[7], "vessel drift"),
        "units": _flag(d[8], "speed units", "NKS"),
    }


def _check_rsd(d: list[str]) -> dict[str, Any]:
    d = _pad(d, 13)
    names = [
        "origin1_range", "origin1_bearing", "vrm1", "ebl1", "origin2_range", "origin2_bearing",
        "vrm2", "ebl2", "cursor_range", "cursor_bearing", "range_scale",
    ]  # fmt: skip
    out: dict[str, Any] = {n: _num(v, n.replace("_", " ")) for n, v in zip(names, d[:11], strict=True)}
    out["range_unit"] = _flag(d[11], "range units", "NKS")
    out["display_rotation"] = _flag(d[12], "display rotation", "CHN")
    return out


def _check_tlb(d: list[str]) -> dict[str, Any]:
    if len(d) % 2:
        raise RadarFieldError("TLB needs number,label pairs")
    labels: dict[int, str] = {}
    for i in range(0, len(d), 2):
        n = _num(d[i], "target number", True)
        assert n is not None
        if n != int(n):
            raise RadarFieldError(f"invalid target number: {d[i]!r}")
        labels[int(n)] = d[i + 1]
    return {"labels": labels}


def _check_gga(msg: Any) -> dict[str, Any]:
    if not msg.lat or not msg.lon:
        raise RadarFieldError("missing own-ship position")
    return {"lat": float(msg.latitude), "lon": float(msg.longitude), "time_utc": _hms(msg.data[0])}


def _check_rmc(msg: Any) -> dict[str, Any]:
    if not msg.lat or not msg.lon:
        raise RadarFieldError("missing own-ship position")
    day = None
    if msg.data[8]:
        try:
            day = datetime.strptime(msg.data[8], "%d%m%y").date()
        except ValueError as exc:
            raise RadarFieldError(f"invalid date: {msg.data[8]!r}") from exc
    return {
        "lat": float(msg.latitude),
        "lon": float(msg.longitude),
        "time_utc": _hms(msg.data[0]),
        "date": day,
        "sog_kn": _num(msg.data[6], "speed"),
        "cog_deg": _num(msg.data[7], "course"),
    }


_CHECKERS = {"TTM": _check_ttm, "TLL": _check_tll, "OSD": _check_osd, "RSD": _check_rsd, "TLB": _check_tlb}


def parse_radar_sentence(sentence: str, enforce_checksum: bool = True) -> RadarSentence:
    """Parse and check one NMEA radar sentence (no tag block). Raises RadarFieldError with the reason."""
    sentence = sentence.strip()
    if not sentence.startswith(("$", "!")) or len(sentence) < 7:
        raise RadarFieldError("not an NMEA sentence")
    body, star, given = sentence[1:].partition("*")
    if star:
        calc = 0
        for ch in body.encode("ascii", "replace"):
            calc ^= ch
        if given[:2].upper() != f"{calc:02X}" and enforce_checksum:
            raise RadarFieldError(f"checksum mismatch: got {given[:2]!r}, computed {calc:02X}")
    head, _, rest = body.partition(",")
    talker, kind = head[:-3], head[-3:]
    data = rest.split(",") if rest else []
    if kind in _CHECKERS:
        return RadarSentence(kind, talker, _CHECKERS[kind](data))
    if kind in ("GGA", "RMC"):
        try:
            msg = pynmea2.parse(sentence, check=False)
            fields = _check_gga(msg) if kind == "GGA" else _check_rmc(msg)
        except (pynmea2.ParseError, ValueError, TypeError, IndexError) as exc:
            raise RadarFieldError(f"invalid {kind}: {exc}") from exc
        return RadarSentence(kind, talker, fields)
    raise RadarFieldError(f"unsupported sentence {kind!r}")


# ---------------------------------------------------------------- tag blocks
def split_tag_block(line: str, enforce_checksum: bool = False) -> tuple[dict[str, str], str]:
    """`\\s:site,c:123*hh\\$RATTM...` -> ({'s': 'site', 'c': '123'}, '$RATTM...').

    With `enforce_checksum`, a tag block whose `*hh` does not match raises RadarFieldError."""
    m = _TAG.match(line)
    if not m:
        return {}, line
    body, star, given = m.group(1).partition("*")
    if star and enforce_checksum:
        calc = 0
        for ch in body.encode("ascii", "replace"):
            calc ^= ch
        if given[:2].upper() != f"{calc:02X}":
            raise RadarFieldError(f"tag block checksum mismatch: got {given[:2]!r}, computed {calc:02X}")
    tags: dict[str, str] = {}
    for part in body.split(","):
        key, sep, value = part.partition(":")
        if sep:
            tags[key] = value
    return tags, m.group(2)


def _tag_time(value: str) -> datetime:
    epoch = float(value)
    if epoch > 1e11:  # some feeds send milliseconds
        epoch /= 1000.0
    return datetime.fromtimestamp(epoch, tz=UTC)


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
