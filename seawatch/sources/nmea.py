r"""Live AIS NMEA decoder (pyais underneath): one line in, decoded messages or rejects out.

`NmeaAisDecoder.feed_decoded(line)` returns `DecodedAis` (pyais field dicts with provenance) or
`Rejected`; `feed(line)` returns the model types (`AisPosition`, `AisStatic`) or `Rejected`.

Rules (each reject carries one of these short reasons):
- `not_nmea`: binary garbage, non-ASCII, or a line that is not an NMEA sentence.
- `bad_tag_block`, `tag_block_checksum`: an NMEA 4.10 tag block that is malformed or fails its checksum.
- `missing_checksum`, `checksum_mismatch`: the sentence has no `*hh`, or (only with
  `enforce_checksum=True`) the XOR checksum does not match.
- `malformed_sentence`: wrong field count, fragment numbers out of range, too long a payload.
- `bad_fill_bits`: fill bits outside 0..5, or not 0 on a fragment that is not the last one.
- `empty_payload`: no payload (a whole message with no bits).
- `bad_payload_char`: a payload character outside the AIS 6-bit armour (`0`-`W`, `` ` ``-`w`).
- `unknown_msg_type`: a message type pyais does not know (above 28). Type 0 is decoded as pyais does
  (as a type 1 position report whose `msg_type` is 0, seen from real transmitters).
- `truncated_payload`: fewer bits than the message type's minimum (`MIN_BITS`).
- `orphan_fragment`: a fragment of a multi-sentence message whose other parts never came (evicted when
  the same key restarts, when more than `max_pending` messages are pending, when it is older than
  `max_age_lines` lines (the caller's line numbers when given) or `fragment_timeout_s` seconds of
  receive time, or at `flush()`).
- `impossible_lat` / `impossible_lon`: |lat| > 90 other than 91, |lon| > 180 other than 181 (not
  checked for type 17, whose positions pyais gives in raw 1/10 minutes)
  (91 / 181 are AIS "not available": kept as pyais gives them in the dicts, null in the model types).
- `invalid_mmsi`: MMSI below 100000 (fewer than 6 digits): no MMSI form (ship, group, coast station,
  SAR aircraft, AtoN, MOB) is that small. Coast stations such as 601022 (`000601022`) are kept.
- `decode_error`: any other failure inside pyais.

Multi-sentence messages are assembled by key (station, channel, sequence id, fragment count), so
interleaved channels, several stations and foreign sentences between fragments are fine. A fragment
without a tag block may join a pending message of another station with the same channel/seq/count
(feeds put the tag block on the first fragment only).

Receive time: tag block `c:`, else the USCG/raishub trailer `...*hh,<station>,<epoch>`, else the
`received_at` given by the caller (live sources), else unknown. Station: tag block `s:`, else the
trailer's `r...` field.
"""

from __future__ import annotations

import enum
import logging
from collections import Counter, OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pyais.exceptions import InvalidNMEAMessageException, UnknownMessageException
from pyais.messages import MAX_FRAG_CNT, MAX_PAYLOAD_LEN, MSG_CLASS, AISSentence

from seawatch.model.observation import AisPosition, AisStatic, Rejected
from seawatch.sources.tagblock import TagBlock, TagBlockError, parse_tag_block, split_tag_block, xor_checksum
from seawatch.timeutil import utc_from_epoch

log = logging.getLogger(__name__)

# Minimum payload bits per message type (ITU-R M.1371; type 5 allows the 420-bit variant some
# transmitters send, type 24 part A the 160-bit form, type 21 the 268-bit form seen from real AtoNs
# in pyais's vectors; types 1-3 down to 163 bits, as gpsd: a 28-character payload with fill bits, which
# gpsd and pyais both decode, only the radio field cut short). Shorter payloads are `truncated_payload`.
MIN_BITS: dict[int, int] = {
    0: 168,
    1: 163,
    2: 163,
    3: 163,
    4: 168,
    5: 420,
    6: 88,
    7: 72,
    8: 56,
    9: 168,
    10: 72,
    11: 168,
    12: 72,
    13: 72,
    14: 40,
    15: 88,
    16: 96,
    17: 80,
    18: 168,
    19: 312,
    20: 72,
    21: 268,
    22: 168,
    23: 160,
    24: 160,
    25: 40,
    26: 60,
    27: 96,
}
POSITION_TYPES = frozenset({0, 1, 2, 3, 4, 9, 11, 18, 19, 21, 27})
STATIC_TYPES = frozenset({5, 19, 24})
MIN_MMSI = 100_000
LAT_NA = 91.0
LON_NA = 181.0

_ARMOUR_OK = bytes(1 if (48 <= c <= 87 or 96 <= c <= 119) else 0 for c in range(256))


@dataclass(frozen=True, slots=True)
class DecodedAis:
    """One decoded AIS message: pyais's fields (`asdict(enum_as_int=True)`) and where it came from."""

    fields: dict[str, Any]
    raw: str
    source: str = ""
    received_at: datetime | None = None
    station: str | None = None
    line_no: int | None = None

    @property
    def msg_type(self) -> int:
        return int(self.fields.get("msg_type") or 0)


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
class _Fragment:
    sentence: _LightSentence | AISSentence
    raw: str
    tag: TagBlock | None
    received_at: datetime | None
    station: str | None
    line_no: int | None


@dataclass(slots=True)
class _Pending:
    fragments: dict[int, _Fragment]
    total: int
    first_line_index: int
    first_time: datetime | None = None
    group_id: int | None = None


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


def plain(value: Any) -> Any:
    """Enums to their values, so dicts serialise as pyais's `enum_as_int` would."""
    if isinstance(value, enum.Enum):
        return value.value
    return value


def check_values(fields: dict[str, Any]) -> str | None:
    """The reject reason for impossible decoded values, or None (see the module doc)."""
    mmsi = fields.get("mmsi")
    if mmsi is None or int(mmsi) < MIN_MMSI:
        return "invalid_mmsi"
    if fields.get("msg_type") == 17:  # pyais gives type 17 positions in raw 1/10 minutes
        return None
    lat = fields.get("lat")
    if lat is not None and abs(lat) > 90.0 and lat != LAT_NA:
        return "impossible_lat"
    lon = fields.get("lon")
    if lon is not None and abs(lon) > 180.0 and lon != LON_NA:
        return "impossible_lon"
    return None


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


class NmeaAisDecoder:
    """Stateful line decoder for one stream (it assembles multi-sentence messages across lines)."""

    def __init__(
        self,
        source: str = "",
        enforce_checksum: bool = False,
        max_pending: int = 1000,
        max_age_lines: int = 1000,
        fragment_timeout_s: float = 120.0,
    ) -> None:
        self.source = source
        self.enforce_checksum = enforce_checksum
        self.max_pending = max_pending
        self.max_age_lines = max_age_lines
        self.fragment_timeout_s = fragment_timeout_s
        self.counts: Counter[str] = Counter()
        self._pending: OrderedDict[tuple[Any, ...], _Pending] = OrderedDict()
        self._line_index = 0

    # -- public API ---------------------------------------------------------------------------

    def feed_decoded(
        self, line: str | bytes, received_at: datetime | None = None, line_no: int | None = None
    ) -> list[DecodedAis | Rejected]:
        """Decode one line; returns 0..n decoded messages and rejects (never raises on bad input)."""
        self._line_index = line_no if line_no is not None else self._line_index + 1
        raw = line.encode("utf-8", "surrogateescape") if isinstance(line, str) else bytes(line)
        out: list[DecodedAis | Rejected] = []
        self._expire(received_at, out)
        try:
            self._feed(raw.strip(), received_at, line_no, out)
        except Exception as exc:  # the contract: a bad line never crashes the stream
            log.debug("unexpected failure decoding %r", raw, exc_info=True)
            out.append(self._reject(raw, "decode_error", line_no, str(exc)))
        for item in out:
            if isinstance(item, Rejected):
                self.counts["rejected"] += 1
                self.counts[f"rejected:{item.reason.split(':', 1)[0]}"] += 1
            else:
                self.counts["decoded"] += 1
        return out

    decode_line_dicts = feed_decoded

    def feed(
        self, line: str | bytes, received_at: datetime | None = None, line_no: int | None = None
    ) -> list[AisPosition | AisStatic | Rejected]:
        """Decode one line into model types (`AisPosition`, `AisStatic`) or `Rejected`."""
        out: list[AisPosition | AisStatic | Rejected] = []
        for item in self.feed_decoded(line, received_at, line_no):
            if isinstance(item, Rejected):
                out.append(item)
                continue
            models = to_models(item)
            if not models:
                self.counts["skipped:no_model"] += 1
            out.extend(models)
        return out

    def flush(self) -> list[Rejected]:
        """End of stream: every pending fragment is an orphan."""
        out: list[DecodedAis | Rejected] = []
        while self._pending:
            _, pending = self._pending.popitem(last=False)
            self._orphan(pending, out)
        rejects = [r for r in out if isinstance(r, Rejected)]
        if rejects:
            self.counts["rejected"] += len(rejects)
            self.counts["rejected:orphan_fragment"] += len(rejects)
        return rejects

    # -- internals ----------------------------------------------------------------------------

    def _reject(self, raw: bytes | str, reason: str, line_no: int | None, detail: str = "") -> Rejected:
        text = raw if isinstance(raw, str) else raw.decode("ascii", "backslashreplace")
        return Rejected(text, f"{reason}: {detail}" if detail else reason, self.source, line_no)

    def _feed(
        self, raw: bytes, received_at: datetime | None, line_no: int | None, out: list[DecodedAis | Rejected]
    ) -> None:
        outcome = parse_line(raw, self.enforce_checksum, received_at)
        if outcome.checksum_mismatch:
            self.counts["checksum_mismatch"] += 1
        if isinstance(outcome, LineSkip):
            self.counts[outcome.counter] += 1
        elif isinstance(outcome, LineReject):
            out.append(self._reject(raw, outcome.reason, line_no, outcome.detail))
        else:
            o = outcome
            frag = _Fragment(o.sentence, raw.decode("ascii"), o.tag, o.received_at, o.station, line_no)
            if isinstance(o.sentence, AISSentence):
                self._decode([frag], out)
            else:
                self._add_fragment(frag, out)

    def _key(self, frag: _Fragment) -> tuple[Any, ...]:
        s = frag.sentence
        return (frag.station, s.channel, s.seq_id, s.frag_cnt)

    def _add_fragment(self, frag: _Fragment, out: list[DecodedAis | Rejected]) -> None:
        s = frag.sentence
        key = self._key(frag)
        pending = self._pending.get(key)
        if pending is None and s.frag_num > 1:
            group = frag.tag.group if frag.tag is not None else None
            for other_key, other in self._pending.items():
                if s.frag_num in other.fragments or other_key[1:] != key[1:]:
                    continue
                # same NMEA 4.10 group id, or a station named on the first fragment only
                if (group is not None and other.group_id == group[2]) or frag.station is None:
                    key, pending = other_key, other
                    break
        if pending is not None and s.frag_num in pending.fragments:
            # The same key restarts: what we had can never complete.
            del self._pending[key]
            self._orphan(pending, out)
            pending = None
        if pending is None:
            if s.frag_num != 1:
                out.append(
                    self._reject(
                        frag.raw,
                        "orphan_fragment",
                        frag.line_no,
                        f"fragment {s.frag_num}/{s.frag_cnt} without its first part",
                    )
                )
                return
            group_id = frag.tag.group[2] if frag.tag is not None and frag.tag.group is not None else None
            pending = _Pending({}, s.frag_cnt, self._line_index, frag.received_at, group_id)
            self._pending[key] = pending
            if len(self._pending) > self.max_pending:
                _, oldest = self._pending.popitem(last=False)
                self._orphan(oldest, out)
        pending.fragments[s.frag_num] = frag
        if len(pending.fragments) == pending.total:
            del self._pending[key]
            self._decode([pending.fragments[i] for i in range(1, pending.total + 1)], out)

    def _orphan(self, pending: _Pending, out: list[DecodedAis | Rejected]) -> None:
        for num in sorted(pending.fragments):
            frag = pending.fragments[num]
            out.append(
                self._reject(
                    frag.raw,
                    "orphan_fragment",
                    frag.line_no,
                    f"multi-sentence message incomplete ({len(pending.fragments)}/{pending.total})",
                )
            )

    def _expire(self, now: datetime | None, out: list[DecodedAis | Rejected]) -> None:
        while self._pending:
            key, pending = next(iter(self._pending.items()))
            too_old = self._line_index - pending.first_line_index > self.max_age_lines
            if not too_old and now is not None and pending.first_time is not None:
                too_old = (now - pending.first_time).total_seconds() > self.fragment_timeout_s
            if not too_old:
                return
            del self._pending[key]
            self._orphan(pending, out)

    def _decode(self, frags: list[_Fragment], out: list[DecodedAis | Rejected]) -> None:
        first = frags[0]
        raw = "\n".join(f.raw for f in frags)
        if len(frags) > 1:
            sentence = AISSentence.assemble_from_iterable(
                [
                    f.sentence if isinstance(f.sentence, AISSentence) else AISSentence(f.sentence.body)
                    for f in frags
                ]
            )
        else:
            assert isinstance(first.sentence, AISSentence)
            sentence = first.sentence
        if not sentence.payload:
            out.append(self._reject(raw, "empty_payload", first.line_no))
            return
        msg_type = sentence.ais_id
        if msg_type not in MSG_CLASS:
            out.append(self._reject(raw, "unknown_msg_type", first.line_no, f"type {msg_type}"))
            return
        bits = len(sentence.bv)
        if bits < MIN_BITS.get(msg_type, 38):
            out.append(
                self._reject(
                    raw,
                    "truncated_payload",
                    first.line_no,
                    f"type {msg_type} has {bits} bits, needs {MIN_BITS.get(msg_type, 38)}",
                )
            )
            return
        try:
            fields = {k: plain(v) for k, v in sentence.decode().asdict(enum_as_int=True).items()}
        except (
            UnknownMessageException,
            InvalidNMEAMessageException,
            ValueError,
            IndexError,
            TypeError,
            KeyError,
        ) as exc:
            out.append(self._reject(raw, "decode_error", first.line_no, str(exc)))
            return
        reason = check_values(fields)
        if reason is not None:
            out.append(
                self._reject(
                    raw,
                    reason,
                    first.line_no,
                    f"mmsi={fields.get('mmsi')} lat={fields.get('lat')} lon={fields.get('lon')}",
                )
            )
            return
        when = next((f.received_at for f in frags if f.received_at is not None), None)
        station = next((f.station for f in frags if f.station is not None), None)
        out.append(DecodedAis(fields, raw, self.source, when, station, first.line_no))


# -- conversion to the model types ----------------------------------------------------------------


def _none_if(value: Any, *sentinels: Any) -> Any:
    return None if value is None or value in sentinels else value


def _text(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    value = value.replace("@", "").strip()
    return value or None


def speed_kn(fields: dict[str, Any]) -> float | None:
    msg_type = fields.get("msg_type")
    speed = fields.get("speed")
    if speed is None:
        return None
    if msg_type == 27:
        return None if speed >= 63 else float(speed)
    if msg_type == 9:
        return None if speed >= 1023 else float(speed)
    return None if speed >= 102.3 else float(speed)


def course_deg(fields: dict[str, Any]) -> float | None:
    course = fields.get("course")
    if course is None:
        return None
    limit = 511 if fields.get("msg_type") == 27 else 360.0
    return None if course >= limit or course < 0 else float(course)


def heading_deg(fields: dict[str, Any]) -> int | None:
    heading = fields.get("heading")
    if heading is None or heading >= 360:
        return None
    return int(heading)


def to_models(dec: DecodedAis) -> list[AisPosition | AisStatic]:
    """Model types for one decoded message; sentinels ("not available") become None.

    A position report whose position is not available (lat 91 / lon 181) gives no `AisPosition`.
    """
    f = dec.fields
    t = dec.msg_type
    out: list[AisPosition | AisStatic] = []
    mmsi = int(f["mmsi"])
    if t in POSITION_TYPES:
        lat, lon = f.get("lat"), f.get("lon")
        if lat is not None and lon is not None and lat != LAT_NA and lon != LON_NA:
            status = f.get("status")
            out.append(
                AisPosition(
                    mmsi=mmsi,
                    msg_type=t,
                    lat=float(lat),
                    lon=float(lon),
                    speed=speed_kn(f),
                    course=course_deg(f),
                    heading=heading_deg(f),
                    status=int(status) if status is not None and t in (0, 1, 2, 3, 27) else None,
                    received_at=dec.received_at,
                    station=dec.station,
                    source=dec.source,
                )
            )
    if t in STATIC_TYPES:
        imo = f.get("imo")
        draught = f.get("draught")
        out.append(
            AisStatic(
                mmsi=mmsi,
                msg_type=t,
                shipname=_text(f.get("shipname")),
                callsign=_text(f.get("callsign")),
                imo=_none_if(imo, 0),
                ship_type=_none_if(f.get("ship_type"), 0),
                to_bow=_none_if(f.get("to_bow"), 0),
                to_stern=_none_if(f.get("to_stern"), 0),
                to_port=_none_if(f.get("to_port"), 0),
                to_starboard=_none_if(f.get("to_starboard"), 0),
                draught=None if not draught else float(draught),
                destination=_text(f.get("destination")),
                received_at=dec.received_at,
                station=dec.station,
                source=dec.source,
            )
        )
    return out
