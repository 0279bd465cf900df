"""Every real AIS vector decodes to its expected fields, through the live decoder and the bulk path.

Vectors we reject on purpose (documented in `seawatch.sources.nmea`):
- pyais `test_type_25_very_short`, `test_type_26_very_short`, `test_type_22_very_short`,
  `test_msg_too_short_enum_is_none` (the single-sentence ones: 28-bit type 21, 24-bit type 1): payloads far
  shorter than their type allows -> `truncated_payload` (pyais decodes the few bits and fills the
  rest with None; a coast guard picture must not take them as reports).
- the two pyais vectors marked `incomplete_multipart`: fragment 1 of 2 only -> `orphan_fragment`
  (pyais decodes the partial payload).
- libais type 8 from `338789000`: fragment 1 of 2 only, with 4 fill bits on a fragment that is not
  the last -> `bad_fill_bits` (libais decodes the partial payload).
- libais type 4 from `2442102` with lon 190.0097 and type 3 from `263716060` with lat -93.99:
  positions beyond the globe -> `impossible_lon` / `impossible_lat`.

Not compared: comm-state accessors (`is_sotdma`...: pyais properties, not fields), spare fields
(`spare_1`...: pyais's `asdict()` leaves them out, as we do), type 17
lat/lon against libais (pyais gives them in raw 1/10 minutes, libais in degrees), libais `rot`
(libais does not round the turn rate as pyais does), libais ship types of 100 and above (pyais maps
undefined ship type codes to 0, "not available"). `PYAIS_WRONG` lists vector fields we consider wrong.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from seawatch.model.observation import Rejected
from seawatch.sources.ais_convert import DecodedAis
from tests.shared import require_shared
from tests.sources.ais_helpers import bulk_decode, json_lines, live_decode, load_json, strip_trailer

PYAIS_REJECTED = {
    "test_type_25_very_short": "truncated_payload",
    "test_type_26_very_short": "truncated_payload",
    "test_type_22_very_short": "truncated_payload",
    "test_msg_too_short_enum_is_none": "truncated_payload",
}
NOT_FIELDS = ("spare", "is_", "communication_state")  # spares and pyais accessors, not asdict() fields
# vector fields we consider wrong: (test, field) -> why
PYAIS_WRONG = {
    ("test_msg_type_19", "lon"): "extracted as True from a computed assertion; the payload gives -88.810392",
}
LIBAIS_REJECTED = {2442102: "impossible_lon", 263716060: "impossible_lat", 338789000: "bad_fill_bits"}


def _pyais_vectors() -> list[dict[str, Any]]:
    return load_json(require_shared("ais-vectors-pyais", "decode_vectors.json"))  # type: ignore[no-any-return]


def _expected_value(value: Any) -> Any:
    if isinstance(value, dict) and "__bytes_hex__" in value:
        return bytes.fromhex(value["__bytes_hex__"])
    return value


def _check_pyais_vector(vec: dict[str, Any], decoded: list[DecodedAis | Rejected]) -> int:
    skip = set(vec.get("sentence_level_fields", [])) | set(vec.get("comm_state_fields", []))
    rounding = vec.get("round_ndigits", {})
    name = vec["test"]
    reject = "orphan_fragment" if vec.get("incomplete_multipart") else PYAIS_REJECTED.get(name)
    if reject is not None:
        assert decoded and all(isinstance(d, Rejected) for d in decoded), name
        assert {d.reason.split(":")[0] for d in decoded if isinstance(d, Rejected)} == {reject}
        return 0
    messages = [d for d in decoded if isinstance(d, DecodedAis)]
    assert len(messages) == 1, (name, decoded)
    fields = messages[0].fields
    checked = 0
    for key, want in vec["expected"].items():
        if (
            (name, key) in PYAIS_WRONG
            or key in skip
            or key.startswith(("spare", "is_", "communication_state"))
            or (isinstance(want, dict) and "__unresolved__" in want)
        ):
            continue
        assert key in fields, (name, key)
        got = fields[key]
        want = _expected_value(want)
        if key in rounding and got is not None:
            got = round(got, rounding[key])
        assert got == want, (name, key, got, want)
        checked += 1
    return checked


def test_every_pyais_vector_decodes_to_expected_fields_live() -> None:
    total = 0
    for vec in _pyais_vectors():
        total += _check_pyais_vector(vec, live_decode(vec["sentences"], enforce_checksum=False))
    assert total >= 600  # the README counts 663 checkable expectations (ours: minus the rejected vectors)


def test_every_pyais_vector_decodes_to_expected_fields_bulk() -> None:
    for vec in _pyais_vectors():
        result = bulk_decode(vec["sentences"], enforce_checksum=False)
        decoded: list[DecodedAis | Rejected] = list(result.rejects)
        for rec in result.iter_records():
            fields = {k: v for k, v in rec.items() if k not in ("received_at", "station", "source")}
            decoded.append(DecodedAis(fields, ""))
        _check_pyais_vector(vec, decoded)


# libais names -> pyais names, with the comparison tolerance (libais floats are float32)
LIBAIS_FIELDS: dict[str, tuple[str, float]] = {
    "id": ("msg_type", 0),
    "repeat_indicator": ("repeat", 0),
    "mmsi": ("mmsi", 0),
    "nav_status": ("status", 0),
    "sog": ("speed", 1e-4),
    "cog": ("course", 1e-4),
    "true_heading": ("heading", 0),
    "x": ("lon", 1e-6),
    "y": ("lat", 1e-6),
    "timestamp": ("second", 0),
    "position_accuracy": ("accuracy", 0),
    "raim": ("raim", 0),
    "special_manoeuvre": ("maneuver", 0),
    "name": ("shipname", 0),
    "callsign": ("callsign", 0),
    "imo_num": ("imo", 0),
    "type_and_cargo": ("ship_type", 0),
    "dim_a": ("to_bow", 0),
    "dim_b": ("to_stern", 0),
    "dim_c": ("to_port", 0),
    "dim_d": ("to_starboard", 0),
    "draught": ("draught", 1e-4),
    "destination": ("destination", 0),
    "eta_month": ("month", 0),
    "eta_day": ("day", 0),
    "eta_hour": ("hour", 0),
    "eta_minute": ("minute", 0),
    "dte": ("dte", 0),
    "year": ("year", 0),
    "month": ("month", 0),
    "day": ("day", 0),
    "hour": ("hour", 0),
    "minute": ("minute", 0),
    "second": ("second", 0),
    "dest_mmsi": ("dest_mmsi", 0),
    "text": ("text", 0),
    "part_num": ("partno", 0),
    "dac": ("dac", 0),
    "fi": ("fid", 0),
}


def _same(got: Any, want: Any, tol: float) -> bool:
    if isinstance(want, str) and isinstance(got, str):
        return got.rstrip("@ ") == want.rstrip("@ ")
    if isinstance(want, bool) or isinstance(got, bool):
        return bool(got) == bool(want)
    if isinstance(want, float) or isinstance(got, float):
        return got is not None and math.isclose(float(got), float(want), rel_tol=1e-6, abs_tol=tol)
    return bool(got == want)


def test_every_libais_vector_matches_on_shared_fields() -> None:
    vectors = load_json(require_shared("ais-vectors-libais", "decode_vectors.json"))
    compared = 0
    for vec in vectors:
        expected = vec["result"]
        decoded = live_decode(vec["nmea"], enforce_checksum=False)
        if expected["mmsi"] in LIBAIS_REJECTED:
            assert [d.reason.split(":")[0] for d in decoded if isinstance(d, Rejected)] == [
                LIBAIS_REJECTED[expected["mmsi"]]
            ]
            continue
        messages = [d for d in decoded if isinstance(d, DecodedAis)]
        assert len(messages) == 1, (vec["nmea"], decoded)
        fields = messages[0].fields
        for lib_name, want in expected.items():
            if lib_name not in LIBAIS_FIELDS or (lib_name == "timestamp" and expected["id"] in (4, 11)):
                continue
            name, tol = LIBAIS_FIELDS[lib_name]
            if name not in fields or (name == "ship_type" and want >= 100):
                continue
            if expected["id"] == 17 and name in ("lat", "lon"):
                continue
            if name == "text":  # pyais also turns the last partial 6-bit group into a character
                assert fields[name].startswith(want.rstrip("@ ")), (vec["nmea"], fields[name], want)
            else:
                assert _same(fields[name], want, tol), (vec["nmea"], lib_name, fields[name], want)
            compared += 1
        # the raishub trailer gives the receive time and station
        if "raishub" in vec["nmea"][0]:
            assert messages[0].station == "raishub"
            assert messages[0].received_at is not None
    assert compared > 240


# gpsd-style names in libais's JSON output -> pyais names
TYPEEXAMPLE_FIELDS = {
    "type": "msg_type", "mmsi": "mmsi", "lat": "lat", "lon": "lon", "speed": "speed", "course": "course",
    "heading": "heading", "status": "status", "shipname": "shipname", "callsign": "callsign",
    "destination": "destination", "to_bow": "to_bow", "to_stern": "to_stern", "to_port": "to_port",
    "to_starboard": "to_starboard", "draught": "draught", "shiptype": "ship_type", "imo": "imo",
    "second": "second", "accuracy": "accuracy", "raim": "raim", "repeat": "repeat", "epfd": "epfd",
    "dte": "dte", "ais_version": "ais_version",
}  # fmt: skip


def test_libais_type_examples_match_libais_json() -> None:
    lines = require_shared("ais-vectors-libais", "typeexamples.nmea").read_text().splitlines()
    expected = json_lines(require_shared("ais-vectors-libais", "typeexamples.json"))
    assert len(lines) == len(expected) == 26
    compared = 0
    for line, want in zip(lines, expected, strict=True):
        decoded = live_decode([line])
        messages = [d for d in decoded if isinstance(d, DecodedAis)]
        if not messages:
            # libais decodes these too; ours rejects them (documented reasons only)
            reasons = {d.reason.split(":")[0] for d in decoded if isinstance(d, Rejected)}
            assert reasons <= {"invalid_mmsi", "truncated_payload", "impossible_lat", "impossible_lon"}, line
            continue
        fields = messages[0].fields
        assert messages[0].received_at is not None  # the NAIS trailer carries the receive time
        for key, value in want.items():
            name = TYPEEXAMPLE_FIELDS.get(key)
            if name is None or name not in fields or value is None:
                continue
            if fields["msg_type"] == 17 and name in ("lat", "lon"):
                continue
            if name == "imo":
                value = int(value)
            assert _same(fields[name], value, 1e-4), (line, key, fields[name], value)
            compared += 1
    assert compared > 100


def test_libais_tag_block_sample_gives_time_and_station() -> None:
    lines = require_shared("ais-vectors-libais", "tagblock.nmea").read_text().splitlines()
    expected = json_lines(require_shared("ais-vectors-libais", "tagblock.json"))
    decoded = [d for d in live_decode(lines) if isinstance(d, DecodedAis)]
    assert len(decoded) == len(expected) == 4
    got = sorted(decoded, key=lambda d: (d.fields["mmsi"], d.received_at))
    want = sorted(expected, key=lambda e: (e["mmsi"], e["tagblock_timestamp"]))
    for dec, exp in zip(got, want, strict=True):
        assert dec.station == exp["tagblock_station"]
        assert dec.received_at is not None
        assert dec.received_at.strftime("%Y-%m-%dT%H:%M:%S.000000Z") == exp["tagblock_timestamp"]
        assert dec.fields["mmsi"] == exp["mmsi"]
        assert dec.fields["msg_type"] == exp["type"]


def test_kystverket_every_line_has_its_time_and_station() -> None:
    path = require_shared("ais-nmea-tagblock-kystverket", "norwegian_2024-12-09.nmea")
    lines = path.read_text().splitlines()
    decoded = live_decode(lines)
    assert not [d for d in decoded if isinstance(d, Rejected)]
    messages = [d for d in decoded if isinstance(d, DecodedAis)]
    by_line = {d.line_no: d for d in messages}
    used = 0
    for i, line in enumerate(lines, start=1):
        if i not in by_line:
            continue
        used += 1
        dec = by_line[i]
        if line.startswith("\\"):
            tag = line[1 : line.index("*")]
            fields = dict(part.split(":", 1) for part in tag.split(","))
            assert dec.station == fields["s"]
            assert dec.received_at is not None and dec.received_at.timestamp() == int(fields["c"])
        else:
            assert dec.station is None and dec.received_at is None
    assert used == len(messages) == 196
    # the same through the bulk path
    result = bulk_decode(lines)
    records = list(result.iter_records())
    assert len(records) == 196
    assert [(r["station"], r["received_at"]) for r in records] == [
        (d.station, None if d.received_at is None else d.received_at.timestamp()) for d in messages
    ]


@pytest.mark.parametrize("name", ["test.aivdm", "typeexamples.nmea"])
def test_libais_files_decode_the_same_with_or_without_trailers(name: str) -> None:
    lines = require_shared("ais-vectors-libais", name).read_text().splitlines()
    with_trailer = [d for d in live_decode(lines) if isinstance(d, DecodedAis)]
    without = [d for d in live_decode([strip_trailer(x) for x in lines]) if isinstance(d, DecodedAis)]
    assert [d.fields for d in with_trailer] == [d.fields for d in without]
    assert len(without) > 20


def test_group_tagged_fragments_join_even_when_only_the_first_names_the_station() -> None:
    lines = require_shared("ais-vectors-pyais", "raw", "mixed.txt").read_text().splitlines()
    group = [x for x in lines if x.startswith("\\g:") and "27300" in x]
    assert len(group) == 2 and "s:" not in group[1]
    (msg,) = [d for d in live_decode(group) if isinstance(d, DecodedAis)]
    assert msg.fields["msg_type"] == 5 and msg.station == "b003669710"
    assert msg.received_at is not None and msg.received_at.timestamp() == 1428621738
