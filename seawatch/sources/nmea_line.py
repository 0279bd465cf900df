"""One AIS NMEA line judged on its own (`parse_line`): skipped, rejected with a reason, or a checked
sentence (a whole message, or one fragment of a multi-sentence message) with its receive time and
station. The rules and reasons are those of `nmea.py`'s module doc; assembling fragments is the
caller's (`NmeaAisDecoder`, the compiled scanner through `ais_scan.classify`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pyais.exceptions import InvalidNMEAMessageException
from pyais.messages import MAX_FRAG_CNT, MAX_PAYLOAD_LEN, AISSentence

from seawatch.sources.tagblock import TagBlock, TagBlockError, parse_tag_block, split_tag_block, xor_checksum
from seawatch.timeutil import utc_from_epoch

_ARMOUR_OK = bytes(1 if (48 <= c <= 87 or 96 <= c <= 119) else 0 for c in range(256))


@dataclass(slots=True)
class _LightSentence:
    """The header of one fragment of a multi-sentence message, checked as pyais checks it; the pyais
    sentence is only built once the message is complete (orphans never cost a pyais parse)."""

    body: bytes
    frag_cnt: int
    frag_num: int
    seq_id: int | None
    channel: str
    fill_bits: int
    payload: bytes


@dataclass(slots=True)
class LineSkip:
    """A line that is no AIS sentence and no error (blank, comment, another NMEA sentence)."""

    counter: str
    checksum_mismatch: bool = False


@dataclass(slots=True)
class LineReject:
    reason: str
    detail: str = ""
    checksum_mismatch: bool = False


@dataclass(slots=True)
class LineSentence:
    """A checked AIS sentence: a whole message (`AISSentence`, one fragment) or one fragment of a
    multi-sentence message (`_LightSentence`), with its receive time and station."""

    sentence: AISSentence | _LightSentence
    tag: TagBlock | None
    received_at: datetime | None
    station: str | None
    checksum_mismatch: bool = False


LineOutcome = LineSkip | LineReject | LineSentence
_SKIP_BLANK, _SKIP_COMMENT = LineSkip("skipped:blank"), LineSkip("skipped:comment")
_SKIP_FOREIGN = LineSkip("skipped:foreign_sentence")


@dataclass(slots=True)
class _Trailer:
    station: str | None = None
    received_at: datetime | None = None


def _parse_trailer(trailer: bytes) -> _Trailer:
    """USCG / raishub metadata after the checksum.

    Examples: `,raishub,1342569600` or `,d-109,...,r003669946,1325394060`.
    """
    result = _Trailer()
    for part in trailer.split(b","):
        if not part:
            continue
        if result.station is None and part[:1] == b"r" and part[1:].replace(b"_", b"").isalnum():
            result.station = part.decode("ascii", "replace")
            continue
        if result.received_at is None and part[:1].isdigit():
            try:
                epoch = float(part)
            except ValueError:
                continue
            if 1e9 <= epoch < 1e10:
                result.received_at = utc_from_epoch(epoch)
    return result


def _light_sentence(body: bytes, parts: list[bytes], frag_cnt: int) -> _LightSentence | tuple[str, str]:
    """Fragment header with pyais's checks (`AISSentence.__init__`), or (reason, detail)."""
    try:
        frag_num = int(parts[2])
        seq_id = int(parts[3]) if parts[3] else None
    except ValueError as exc:
        return "malformed_sentence", str(exc)
    if len(parts[5]) > MAX_PAYLOAD_LEN:
        return "malformed_sentence", "AIS payload too large"
    if not 1 <= frag_cnt <= MAX_FRAG_CNT:
        return "malformed_sentence", f"invalid fragment count {frag_cnt} (valid: 1-{MAX_FRAG_CNT})"
    if not 1 <= frag_num <= frag_cnt:
        return "malformed_sentence", f"invalid fragment number {frag_num} (valid: 1-{frag_cnt})"
    fill_text = parts[6].split(b"*")[0]
    try:
        fill_bits = int(fill_text)
    except ValueError:
        fill_bits = 0  # as pyais's chk_to_int
    if not 0 <= fill_bits <= 5:
        return "bad_fill_bits", f"invalid fill bit count {fill_bits} (valid: 0-5)"
    return _LightSentence(body, frag_cnt, frag_num, seq_id, parts[4].decode("ascii"), fill_bits, parts[5])


def parse_line(raw: bytes, enforce_checksum: bool, received_at: datetime | None = None) -> LineOutcome:
    """Judge one stripped line on its own (the rules of the module doc); assembling fragments is the
    caller's. `received_at` is the caller's time, used when the line carries none."""
    if not raw:
        return _SKIP_BLANK
    if raw[:1] == b"#":
        return _SKIP_COMMENT
    if not raw.isascii():
        return LineReject("not_nmea", "non-ASCII bytes")
    try:
        tag_content, sentence = split_tag_block(raw)
        tag = parse_tag_block(tag_content) if tag_content is not None else None
    except TagBlockError as exc:
        return LineReject(exc.reason, str(exc))
    if sentence[:1] not in (b"!", b"$"):
        return LineReject("not_nmea", "no ! or $ sentence start")
    if sentence[3:6].upper() not in (b"VDM", b"VDO"):
        return _SKIP_FOREIGN
    star = sentence.find(b"*")
    if star < 0 or star + 3 > len(sentence):
        return LineReject("missing_checksum")
    body, trailer = sentence[: star + 3], sentence[star + 3 :]
    try:
        given = int(body[star + 1 : star + 3], 16)
    except ValueError:
        return LineReject("missing_checksum", "checksum is not hex")
    mismatch = given != xor_checksum(body[1:star])
    if mismatch and enforce_checksum:
        return LineReject("checksum_mismatch", checksum_mismatch=True)
    meta = _parse_trailer(trailer[1:]) if trailer[:1] == b"," else _Trailer()
    station = tag.station if tag and tag.station else meta.station
    when = tag.received_at if tag and tag.received_at else (meta.received_at or received_at)
    if body.count(b",") != 6:
        return LineReject("malformed_sentence", "expected 7 comma-separated fields", mismatch)
    parts = body.split(b",")
    try:
        frag_cnt = int(parts[1])
    except ValueError:
        frag_cnt = 1  # let pyais report it
    if frag_cnt == 1:
        try:
            parsed = AISSentence(body)
        except InvalidNMEAMessageException as exc:
            reason = "bad_fill_bits" if "fill bit" in str(exc) else "malformed_sentence"
            return LineReject(reason, str(exc), mismatch)
        if parsed.payload.translate(_ARMOUR_OK).count(0):
            return LineReject("bad_payload_char", checksum_mismatch=mismatch)
        return LineSentence(parsed, tag, when, station, mismatch)
    light = _light_sentence(body, parts, frag_cnt)
    if isinstance(light, tuple):
        return LineReject(light[0], light[1], mismatch)
    if light.payload.translate(_ARMOUR_OK).count(0):
        return LineReject("bad_payload_char", checksum_mismatch=mismatch)
    if light.frag_num < light.frag_cnt and light.fill_bits != 0:
        return LineReject("bad_fill_bits", "fill bits on a fragment that is not last", mismatch)
    return LineSentence(light, tag, when, station, mismatch)
