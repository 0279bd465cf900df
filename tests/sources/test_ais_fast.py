"""The vectorised bulk decoder gives exactly pyais's values: on every real line, and on hypothesis-made
messages encoded with pyais's own encoder."""

from __future__ import annotations

import functools
import glob
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyais import decode as pyais_decode
from pyais import encode_dict

from seawatch.sources.ais_bulk import decode_bytes
from seawatch.sources.ais_convert import plain
from seawatch.sources.ais_fast import iter_dicts
from seawatch.sources.formats import open_binary
from seawatch.sources.tagblock import xor_checksum
from tests.shared import require_shared
from tests.sources.ais_helpers import bulk_decode, load_json, records_equal, same_value, strip_trailer


def _real_nmea_files() -> list[Path]:
    root = require_shared()
    files = []
    for pattern in ("ais-vectors-*/**/*", "ais-nmea-tagblock-*/*"):
        for name in glob.glob(str(root / pattern), recursive=True):
            p = Path(name)
            if p.is_file() and p.suffix not in (".json", ".md"):
                files.append(p)
    return sorted(files)


def _real_lines() -> list[str]:
    """Every real AIS line we have, with receiver trailers removed so the fast path can take them."""
    lines: list[str] = []
    for p in _real_nmea_files():
        lines += [strip_trailer(x) for x in open_binary(p).decode("ascii", "replace").splitlines()]
    for vec in load_json(require_shared("ais-vectors-libais", "decode_vectors.json")):
        lines += [strip_trailer(x) for x in vec["nmea"]]
    for vec in load_json(require_shared("ais-vectors-pyais", "decode_vectors.json")):
        lines += vec["sentences"]
    return lines


def _assert_paths_agree(lines: list[str], enforce_checksum: bool) -> int:
    fast = bulk_decode(lines, enforce_checksum=enforce_checksum, fast=True)
    slow = bulk_decode(lines, enforce_checksum=enforce_checksum, fast=False)
    fast_records = list(fast.iter_records())
    slow_records = list(slow.iter_records())
    assert len(fast_records) == len(slow_records)
    for a, b in zip(fast_records, slow_records, strict=True):
        assert records_equal(a, b), (a, b)
    assert [(r.line_no, r.reason, r.raw) for r in fast.rejects] == [
        (r.line_no, r.reason, r.raw) for r in slow.rejects
    ]
    assert fast.positions_frame().equals(slow.positions_frame())
    assert fast.statics_frame().equals(slow.statics_frame())
    assert fast.counts - Counter(decoded_fast=fast.n_fast) == slow.counts
    return fast.n_fast


@pytest.mark.parametrize("enforce_checksum", [True, False])
def test_fast_path_equals_pyais_path_on_every_real_line(enforce_checksum: bool) -> None:
    n_fast = _assert_paths_agree(_real_lines(), enforce_checksum)
    assert n_fast > 1000  # most real lines go through numpy


def test_fast_path_equals_pyais_path_on_real_files_as_they_are() -> None:
    for path in _real_nmea_files():
        _assert_paths_agree(open_binary(path).decode("ascii", "replace").splitlines(), True)


def _pyais_dict(sentences: list[str]) -> dict[str, Any]:
    return {k: plain(v) for k, v in pyais_decode(*sentences).asdict(enum_as_int=True).items()}


def test_fast_records_equal_pyais_decode_directly() -> None:
    """Independent of our pyais path: every fast-decoded single line against `pyais.decode`."""
    lines = [x for x in _real_lines() if x.startswith("!")]
    result = bulk_decode(lines, enforce_checksum=False)
    line_no = result.fast.line.tolist()
    checked = 0
    for no, rec in zip(line_no, iter_dicts(result.fast), strict=True):
        sentence = lines[no - 1]
        if not sentence.startswith("!") or sentence.split(",")[1] != "1":
            continue
        want = _pyais_dict([sentence])
        got = {k: v for k, v in rec.items() if k not in ("received_at", "station", "source")}
        assert records_equal(got, want), (sentence, got, want)
        checked += 1
    assert checked > 1000


# -- hypothesis: encode with pyais, decode with ours -----------------------------------------------

lat_deg = st.one_of(st.just(91.0), st.floats(-90, 90, allow_nan=False).map(lambda v: round(v, 5)))
lon_deg = st.one_of(st.just(181.0), st.floats(-180, 180, allow_nan=False).map(lambda v: round(v, 5)))
mmsi = st.integers(100_000, 999_999_999)
position_common = {
    "mmsi": mmsi,
    "repeat": st.integers(0, 3),
    "speed": st.one_of(st.just(102.3), st.integers(0, 1022).map(lambda v: v / 10)),
    "accuracy": st.booleans(),
    "lon": lon_deg,
    "lat": lat_deg,
    "course": st.one_of(st.just(360.0), st.integers(0, 3599).map(lambda v: v / 10)),
    "heading": st.one_of(st.just(511), st.integers(0, 359)),
    "second": st.integers(0, 63),
    "raim": st.booleans(),
}
type_1_2_3 = st.fixed_dictionaries({
    "msg_type": st.sampled_from([1, 2, 3]),
    "status": st.integers(0, 15),
    "turn": st.integers(-128, 127),
    "maneuver": st.integers(0, 3),
    "radio": st.integers(0, (1 << 19) - 1),
    **position_common,
})  # fmt: skip
type_18 = st.fixed_dictionaries({
    "msg_type": st.just(18),
    "reserved_1": st.integers(0, 255),
    "cs": st.booleans(), "display": st.booleans(), "dsc": st.booleans(), "band": st.booleans(),
    "msg22": st.booleans(), "assigned": st.booleans(),
    "radio": st.integers(0, (1 << 20) - 1),
    **position_common,
})  # fmt: skip
text = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -.", max_size=20)
type_5 = st.fixed_dictionaries({
    "msg_type": st.just(5), "mmsi": mmsi, "ais_version": st.integers(0, 3), "imo": st.integers(0, 999999999),
    "callsign": text.map(lambda s: s[:7]), "shipname": text, "ship_type": st.integers(0, 255),
    "to_bow": st.integers(0, 511), "to_stern": st.integers(0, 511), "to_port": st.integers(0, 63),
    "to_starboard": st.integers(0, 63), "epfd": st.integers(0, 15), "month": st.integers(0, 12),
    "day": st.integers(0, 31), "hour": st.integers(0, 24), "minute": st.integers(0, 60),
    "draught": st.integers(0, 255).map(lambda v: v / 10), "destination": text, "dte": st.booleans(),
})  # fmt: skip
type_24 = st.fixed_dictionaries({
    "msg_type": st.just(24), "mmsi": st.one_of(mmsi, st.integers(980_000_000, 989_999_999)),
    "partno": st.integers(0, 1), "shipname": text, "mothership_mmsi": mmsi,
    "ship_type": st.integers(0, 99), "vendorid": text.map(lambda s: s[:3]),
    "callsign": text.map(lambda s: s[:7]),
    "to_bow": st.integers(0, 511), "to_stern": st.integers(0, 511), "to_port": st.integers(0, 63),
    "to_starboard": st.integers(0, 63),
})  # fmt: skip
type_27 = st.fixed_dictionaries({
    "msg_type": st.just(27), "mmsi": mmsi, "accuracy": st.booleans(), "raim": st.booleans(),
    "status": st.integers(0, 15), "lon": st.floats(-180, 180).map(lambda v: round(v, 3)),
    "lat": st.floats(-90, 90).map(lambda v: round(v, 3)), "speed": st.integers(0, 63),
    "course": st.integers(0, 511), "gnss": st.booleans(),
})  # fmt: skip


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(type_1_2_3, type_18, type_5, type_24, type_27), min_size=1, max_size=12),
       st.sampled_from(["VDM", "VDO"]))  # fmt: skip
def test_round_trip_pyais_encoder_to_fast_path(messages: list[dict[str, Any]], kind: str) -> None:
    lines: list[str] = []
    expected: list[dict[str, Any]] = []
    for i, msg in enumerate(messages):
        sentences = encode_dict(msg, talker_id="AI", sentence_type=kind, seq_id=i % 10 if i % 2 else None)
        lines += sentences
        expected.append(_pyais_dict(sentences))
    result = bulk_decode(lines)
    assert not result.rejects
    records = list(result.iter_records())
    assert len(records) == len(expected)
    for rec, want in zip(records, expected, strict=True):
        got = {k: v for k, v in rec.items() if k not in ("received_at", "station", "source")}
        assert records_equal(got, want), (got, want)
    # types 1, 2, 3, 18, 27 and single-sentence or paired type 5 / 24 all go through numpy
    assert result.n_fast == len(records)


ARMOUR = "0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVW`abcdefghijklmnopqrstuvw"


@st.composite
def random_sentence(draw: st.DrawFn) -> str:
    payload = draw(st.text(alphabet=ARMOUR, min_size=0, max_size=60))
    if draw(st.booleans()):  # make the type one of the common ones
        payload = draw(st.sampled_from("123BH5K4E9")) + payload[1:]
    fill = draw(st.integers(0, 5))
    body = f"AIVDM,1,1,,{draw(st.sampled_from('AB'))},{payload},{fill}"
    return f"!{body}*{xor_checksum(body.encode()):02X}"


@settings(max_examples=150, deadline=None)
@given(st.lists(random_sentence(), min_size=1, max_size=20))
def test_random_payloads_same_result_on_both_paths(lines: list[str]) -> None:
    fast = bulk_decode(lines, fast=True)
    slow = bulk_decode(lines, fast=False)
    for a, b in zip(fast.iter_records(), slow.iter_records(), strict=True):
        assert records_equal(a, b), (a, b)
    assert [(r.line_no, r.reason, r.raw) for r in fast.rejects] == [
        (r.line_no, r.reason, r.raw) for r in slow.rejects
    ]
    assert fast.n_decoded + len(fast.rejects) == len(lines)


def test_same_value_is_type_strict() -> None:
    assert same_value(1.0, 1.0) and not same_value(1, 1.0) and not same_value(True, 1)


def test_records_built_a_slice_at_a_time_are_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    """`iter_dicts` merges the groups lazily, a slice of each at a time: slice size changes nothing."""
    from seawatch.sources import ais_fast

    lines = _real_lines()
    whole = list(bulk_decode(lines).iter_records())
    monkeypatch.setattr(ais_fast, "GROUP_SLICE", 7)
    sliced = list(bulk_decode(lines).iter_records())
    assert len(sliced) == len(whole) > 1000
    assert all(records_equal(a, b) for a, b in zip(sliced, whole, strict=True))


def test_compiled_scanner_is_built() -> None:
    """`pip install -e .` builds it (a compiled module, not a stand-in)."""
    from seawatch.sources import ais_scan

    assert ais_scan._nmea_scan.__file__ is not None and ais_scan._nmea_scan.__file__.endswith(".so")


_DAMAGE = b"\\!$*,:-.0123456789ABCDEFabcdefgsc \t\r\x0b\x80\xffVDMO"


@st.composite
def damaged_real_text(draw: st.DrawFn) -> bytes:
    """Real lines, some damaged: bytes changed, dropped, inserted, cut, or spliced from another line."""
    pool = _real_pool()
    lines = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=30))
    out = []
    for line in lines:
        buf = bytearray(line)
        for _ in range(draw(st.integers(0, 3))):
            i = draw(st.integers(0, max(len(buf) - 1, 0)))
            op = draw(st.integers(0, 4))
            if op == 0 and buf:
                buf[i] = draw(st.sampled_from(_DAMAGE))
            elif op == 1 and buf:
                del buf[i]
            elif op == 2:
                buf.insert(i, draw(st.sampled_from(_DAMAGE)))
            elif op == 3:
                del buf[i:]
            else:
                buf[i:i] = draw(st.sampled_from(pool))[: draw(st.integers(0, 20))]
        out.append(bytes(buf))
    return b"\n".join(out) + draw(st.sampled_from([b"\n", b""]))


@functools.cache
def _real_pool() -> list[bytes]:
    return [x.encode("latin-1", "replace") for x in _real_lines()]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(damaged_real_text(), st.booleans())
def test_damaged_real_lines_same_on_both_paths(data: bytes, enforce_checksum: bool) -> None:
    """The compiled scan and its Python verdicts give what NmeaAisDecoder gives, line for line."""
    fast = decode_bytes(data, "t", enforce_checksum, fast=True)
    slow = decode_bytes(data, "t", enforce_checksum, fast=False)
    a, b = list(fast.iter_records()), list(slow.iter_records())
    assert len(a) == len(b) and all(records_equal(x, y) for x, y in zip(a, b, strict=True))
    assert [(r.line_no, r.reason, r.raw) for r in fast.rejects] == [
        (r.line_no, r.reason, r.raw) for r in slow.rejects
    ]
    assert fast.counts - Counter(decoded_fast=fast.n_fast) == slow.counts
    assert fast.positions_frame().equals(slow.positions_frame())
    assert fast.statics_frame().equals(slow.statics_frame())


def test_without_the_compiled_scanner_the_import_fails_loudly() -> None:
    """The wheel always builds the scanner: a missing or broken one stops the import with a message
    saying how to fix it, instead of decoding quietly at pyais speed."""
    hide = (
        "import importlib.abc, sys\n"
        "class Hide(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path, target=None):\n"
        "        if name == 'seawatch.sources._nmea_scan':\n"
        "            raise ImportError('simulated: not built')\n"
        "sys.meta_path.insert(0, Hide())\n"
        "import seawatch.sources.ais_bulk\n"
    )
    done = subprocess.run([sys.executable, "-c", hide], capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "compiled AIS scanner" in done.stderr and "pip install" in done.stderr
    assert "simulated: not built" in done.stderr


def test_reference_path_decodes_as_the_compiled_one() -> None:
    """`fast=False` (NmeaAisDecoder line by line, the reference) gives the compiled path's records."""
    lines = _real_lines()[-1000:]
    built = bulk_decode(lines)
    reference = bulk_decode(lines, fast=False)
    assert reference.n_fast == 0 and reference.n_decoded == built.n_decoded > 100
    a, b = list(built.iter_records()), list(reference.iter_records())
    assert all(records_equal(x, y) for x, y in zip(a, b, strict=True))
