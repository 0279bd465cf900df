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

Three modules, one job each: `nmea_line.py` judges one line on its own (`parse_line`), this module
assembles fragments and decodes them with pyais (`NmeaAisDecoder`), `ais_convert.py` checks the
decoded values and converts them to the model types (`to_models`).
"""

from __future__ import annotations

import logging
from collections import Counter, OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pyais.exceptions import InvalidNMEAMessageException, UnknownMessageException
from pyais.messages import MSG_CLASS, AISSentence

from seawatch.model.observation import AisPosition, AisStatic, Rejected
from seawatch.sources.ais_convert import MIN_BITS, DecodedAis, check_values, plain, to_models
from seawatch.sources.nmea_line import LineReject, LineSkip, _LightSentence, parse_line
from seawatch.sources.tagblock import TagBlock

log = logging.getLogger(__name__)


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
