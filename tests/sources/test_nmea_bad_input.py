"""Bad input becomes a `Rejected` with a clear reason; the good lines around it are all decoded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from pyais import encode_dict

from seawatch.model.observation import AisPosition, AisStatic, Rejected
from seawatch.sources.nmea import DecodedAis, NmeaAisDecoder
from seawatch.sources.tagblock import xor_checksum
from tests.shared import require_shared
from tests.sources.ais_helpers import bulk_decode, live_decode, load_json

GOOD = [
    "!AIVDM,1,1,,A,13HOI:0P0000VOHLCnHQKwvL05Ip,0*23",
    "!AIVDM,1,1,,A,133sVfPP00PD>hRMDH@jNOvN20S8,0*7F",
    "!AIVDM,1,1,,B,100h00PP0@PHFV`Mg5gTH?vNPUIp,0*3B",
    "!AIVDM,1,1,,B,13eaJF0P00Qd388Eew6aagvH85Ip,0*45",
]
TYPE5 = [  # a real two-sentence type 5
    "!AIVDM,2,1,1,A,55?MbV02;H;s<HtKR20EHE:0@T4@Dn2222222216L961O5Gf0NSQEp6ClRp8,0*1C",
    "!AIVDM,2,2,1,A,88888888880,2*25",
]


GOOD_MMSI = {d.fields["mmsi"] for d in live_decode(GOOD) if isinstance(d, DecodedAis)}


def sentence(payload: str, fill: int = 0, head: str = "AIVDM,1,1,,A") -> str:
    body = f"{head},{payload},{fill}"
    return f"!{body}*{xor_checksum(body.encode()):02X}"


def reasons(items: list) -> list[str]:  # type: ignore[type-arg]
    return [r.reason.split(":")[0] for r in items if isinstance(r, Rejected)]


def encoded(**fields: object) -> str:
    return encode_dict({"msg_type": 1, **fields}, talker_id="AI", sentence_type="VDM")[0]


BAD = {
    "checksum_mismatch": GOOD[0][:-2] + "24",
    "missing_checksum": GOOD[0].split("*")[0],
    "truncated_payload": sentence("13HOI:0P0000VOHLCn"),
    "bad_payload_char": sentence("13HOI:0P0000VOH~CnHQKwvL05Ip"),
    "bad_fill_bits": GOOD[0].replace(",0*23", ",6*25"),
    "empty_payload": sentence(""),
    "not_nmea": "\x00\x01\x02garbage\xff",
    "malformed_sentence": sentence("13HOI:0P0000VOHLCnHQKwvL05Ip", head="AIVDM,1,1,,A,extra"),
    "unknown_msg_type": sentence("p3HOI:0P0000VOHLCnHQKwvL05Ip"),
    "impossible_lat": encoded(mmsi=366053209, lat=95.0, lon=10.0),
    "impossible_lon": encoded(mmsi=366053209, lat=10.0, lon=-190.0),
    "invalid_mmsi": encoded(mmsi=123, lat=10.0, lon=10.0),
    "tag_block_checksum": "\\s:r1,c:1700000000*00\\" + GOOD[0],
    "bad_tag_block": "\\s:r1,c:1700000000" + GOOD[0],
    "orphan_fragment": TYPE5[1],
}


def test_each_bad_line_is_rejected_with_its_reason() -> None:
    for reason, line in BAD.items():
        out = live_decode([line])
        assert reasons(out) == [reason], (reason, line, out)
        bulk = bulk_decode([line])
        assert [r.reason.split(":")[0] for r in bulk.rejects] == [reason], (reason, bulk.rejects)


def test_good_lines_around_bad_ones_are_all_decoded() -> None:
    lines: list[str] = []
    for bad in BAD.values():
        lines += [GOOD[len(lines) % 4], bad]
    lines += TYPE5
    for result in (bulk_decode(lines), bulk_decode(lines, fast=False)):
        assert result.n_decoded == len(BAD) + 1
        assert sorted(r.reason.split(":")[0] for r in result.rejects) == sorted(BAD)
        assert all(r.line_no is not None and lines[r.line_no - 1] in BAD.values() for r in result.rejects)


def test_checksum_is_only_enforced_when_asked() -> None:
    assert reasons(live_decode([BAD["checksum_mismatch"]], enforce_checksum=True)) == ["checksum_mismatch"]
    out = live_decode([BAD["checksum_mismatch"]], enforce_checksum=False)
    assert len(out) == 1 and isinstance(out[0], DecodedAis)


def test_not_available_position_is_kept_as_pyais_gives_it_and_null_in_the_model() -> None:
    line = encoded(mmsi=366053209, lat=91.0, lon=181.0, heading=511, speed=102.3)
    decoder = NmeaAisDecoder("t")
    (dec,) = decoder.feed_decoded(line)
    assert isinstance(dec, DecodedAis)
    assert (dec.fields["lat"], dec.fields["lon"], dec.fields["heading"]) == (91.0, 181.0, 511)
    assert decoder.feed(line) == []  # no position to report
    (pos,) = decoder.feed(encoded(mmsi=366053209, lat=10.0, lon=20.0, heading=511, speed=102.3, course=360))
    assert isinstance(pos, AisPosition)
    assert pos.heading is None and pos.speed is None and pos.course is None and pos.lat == 10.0
    frame = bulk_decode([line, GOOD[0]]).positions_frame()
    assert frame.height == 1  # nulls, never sentinels: the not-available report gives no row


def test_fill_bits_on_a_first_fragment_are_rejected() -> None:
    first = TYPE5[0].replace(",0*1C", ",2*1E")
    assert reasons(live_decode([first, TYPE5[1]])) == ["bad_fill_bits", "orphan_fragment"]


def test_interleaved_channels_and_foreign_sentences_between_fragments() -> None:
    other = encode_dict(
        {"msg_type": 5, "mmsi": 366053209, "shipname": "SEA WATCH", "callsign": "KA1",
         "destination": "SAN JUAN"},
        talker_id="AI", sentence_type="VDM", radio_channel="B", seq_id=1,
    )  # fmt: skip
    lines = [
        TYPE5[0],
        other[0],
        "$RATTM,02,1.43,170.5,T,0.16,264.4,T,1.42,36.9,N,,T,,,M*2A",
        GOOD[0],
        other[1],
        TYPE5[1],
    ]
    out = live_decode(lines)
    decoded = [d for d in out if isinstance(d, DecodedAis)]
    assert not reasons(out)
    assert sorted(d.fields["msg_type"] for d in decoded) == [1, 5, 5]
    names = {d.fields.get("shipname") for d in decoded}
    assert "SEA WATCH" in names
    apart = NmeaAisDecoder("t").feed(TYPE5[0]) + NmeaAisDecoder("t").feed(TYPE5[1])
    assert reasons(apart) == ["orphan_fragment"]  # fragments fed to different decoders never meet
    decoder = NmeaAisDecoder("t")
    (static,) = decoder.feed(TYPE5[0]) + decoder.feed(TYPE5[1])
    assert isinstance(static, AisStatic) and static.mmsi == 351759000


def test_same_key_from_two_stations_does_not_mix() -> None:
    a0, a1 = ("\\s:rA*" + f"{xor_checksum(b's:rA'):02X}" + "\\" + x for x in TYPE5)
    b0 = "\\s:rB*" + f"{xor_checksum(b's:rB'):02X}" + "\\" + TYPE5[0]
    out = live_decode([a0, b0, a1])
    assert reasons(out) == ["orphan_fragment"]  # station B's first half never completes
    decoded = [d for d in out if isinstance(d, DecodedAis)]
    assert len(decoded) == 1 and decoded[0].station == "rA"


def test_orphan_buffer_is_bounded_and_times_out() -> None:
    decoder = NmeaAisDecoder("t", max_pending=10)
    out = []
    for i in range(50):
        out += decoder.feed_decoded(f"\\s:r{i}*{xor_checksum(f's:r{i}'.encode()):02X}\\{TYPE5[0]}")
    assert len(decoder._pending) == 10
    assert reasons(out) == ["orphan_fragment"] * 40
    t0 = datetime(2024, 1, 1, tzinfo=UTC)
    decoder = NmeaAisDecoder("t", fragment_timeout_s=60)
    assert decoder.feed_decoded(TYPE5[0], received_at=t0) == []
    late = decoder.feed_decoded(GOOD[0], received_at=t0 + timedelta(seconds=61))
    assert reasons(late) == ["orphan_fragment"] and len(late) == 2
    assert decoder.flush() == []


def test_radar_vectors_between_ais_lines_and_their_corruptions_applied_to_ais() -> None:
    vectors = load_json(require_shared("radar-nmea-vectors-gonmea", "radar_sentence_vectors.json"))
    lines: list[str] = []
    corrupted: list[str] = []
    for i, vec in enumerate(vectors):
        lines += [GOOD[i % 4], vec["sentence"]]
        if vec.get("expect_error"):
            # go-nmea's corruption (an 'x' pushed into one field), applied to an AIS field, old checksum kept
            fields = GOOD[i % 4].split(",")
            k = 1 + i % 5
            fields[k] = "x" + fields[k]
            corrupted.append(",".join(fields))
    result = bulk_decode(lines)
    assert result.n_decoded == len(vectors)  # every AIS line, none of the radar sentences
    assert result.counts["skipped:foreign_sentence"] == len(vectors)
    assert not result.rejects
    assert len(corrupted) == 45
    bad = bulk_decode(corrupted)
    assert bad.n_decoded == 0 and len(bad.rejects) == len(corrupted)
    assert {r.reason.split(":")[0] for r in bad.rejects} <= {"checksum_mismatch", "malformed_sentence"}


garbage_line = st.one_of(
    st.binary(max_size=120).map(lambda b: b.replace(b"\n", b"").decode("latin-1")),
    st.text(alphabet="!$\\,*0123456789ABCDEFGHIJKLMNOPQRSTUVWabcdefw:`@ ", max_size=90),
    st.sampled_from(list(BAD.values()) + TYPE5),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(garbage_line, max_size=25))
def test_garbage_never_crashes_and_good_lines_survive(garbage: list[str]) -> None:
    lines: list[str] = []
    for i, g in enumerate(garbage):
        lines += [GOOD[i % 4], g.replace("\r", "")]
    lines.append(GOOD[0])
    fast_result, slow_result = bulk_decode(lines, fast=True), bulk_decode(lines, fast=False)
    assert [(r.line_no, r.reason, r.raw) for r in fast_result.rejects] == [
        (r.line_no, r.reason, r.raw) for r in slow_result.rejects
    ]
    assert list(fast_result.iter_records()) == list(slow_result.iter_records())
    for fast in (True, False):
        result = bulk_decode(lines, fast=fast)
        good_decoded = [r for r in result.iter_records() if r["mmsi"] in GOOD_MMSI and r["msg_type"] == 1]
        assert len(good_decoded) >= len(garbage) + 1
        skipped = sum(v for k, v in result.counts.items() if k.startswith("skipped:"))
        assert result.n_decoded + len(result.rejects) + skipped >= len(lines) - sum(
            1 for x in TYPE5 if x in lines
        )


def test_fragment_headers_are_checked_as_pyais_checks_them() -> None:
    cases = {
        "malformed_sentence": [
            sentence("55?MbV02", head="AIVDM,2,3,1,A"),  # fragment number above the count
            sentence("55?MbV02", head="AIVDM,2,x,1,A"),
            sentence("55?MbV02", head="AIVDM,2,1,z,A"),
            sentence("55?MbV02", head="AIVDM,12,1,1,A"),
            sentence("5" * 201, head="AIVDM,2,1,1,A"),
        ],
        "bad_fill_bits": [sentence("55?MbV02", fill=7, head="AIVDM,2,2,1,A")],
        "bad_payload_char": [sentence("55?M~V02", head="AIVDM,2,1,1,A")],
    }
    for reason, lines in cases.items():
        for line in lines:
            assert reasons(live_decode([line])) == [reason], line
            assert [r.reason.split(":")[0] for r in bulk_decode([line]).rejects] == [reason], line
