"""One compiled pass over a whole AIS NMEA text (`_nmea_scan.c`): what `NmeaAisDecoder` would do with
each line up to the decoding of the payload bits, as arrays.

`scan_text(data, ...)` gives a `ScanResult`: every complete message (first line, receive time,
station, where its lines are), the messages grouped by type, sub-type and bit length with their
payloads packed in big-endian 64-bit words (`ScanGroup`), every reject (line, byte span, reason) and
the counts. Field values are then taken from the words by `ais_fast`; messages it does not cover go
back to `NmeaAisDecoder` through their fragments' lines.

The scanner reads the usual lines itself and hands every other one to `classify` here, which judges
it with `nmea.parse_line` (the very function `NmeaAisDecoder` uses), so both paths accept, reject and
assemble exactly the same; fragment assembly (keys, restarts, `max_age_lines`, `max_pending`) is the
scanner's in both cases. Why compiled: a numpy version of this pass ran at about a third of the
speed this project needs (bench/RESULTS.md, decode).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np
from pyais.messages import AISSentence

from seawatch.sources.nmea_line import LineReject, LineSkip, parse_line
from seawatch.timeutil import utc_from_epoch

try:
    from seawatch.sources import _nmea_scan
except ImportError as exc:  # the wheel always builds it: a missing or broken scanner is an install fault
    raise ImportError(
        "seawatch's compiled AIS scanner (seawatch.sources._nmea_scan, from _nmea_scan.c) is missing or"
        " broken: reinstall the package (`pip install .`, or `pip install -e .` in a checkout), which"
        f" compiles it ({exc})"
    ) from exc

# The scanner's own reject codes (see _nmea_scan.c); `{a}`/`{b}` are the two numbers it gives.
_FIXED_REASONS = {
    1: "not_nmea: non-ASCII bytes",
    2: "not_nmea: no ! or $ sentence start",
    3: "bad_tag_block: tag block not terminated by a backslash",
    4: "tag_block_checksum: tag block checksum mismatch",
    5: "missing_checksum",
    6: "checksum_mismatch",
    7: "malformed_sentence: expected 7 comma-separated fields",
    8: "bad_payload_char",
    9: "bad_fill_bits: fill bits on a fragment that is not last",
    10: "empty_payload",
    11: "orphan_fragment: multi-sentence message incomplete ({a}/{b})",
    12: "orphan_fragment: fragment {a}/{b} without its first part",
}
_FIRST_DYNAMIC_CODE = 100
_SKIP_CODES = {"skipped:blank": 0, "skipped:comment": 1, "skipped:foreign_sentence": 2}
_SEQ_NONE = -(2**63)
_KEY_LIMIT = 2**62  # sequence / group ids beyond this are mapped to unique codes above it


@dataclass
class ScanGroup:
    """Messages of one type, sub-type and bit length: `messages` (indices into the scan's message
    arrays, in completion order) and their payloads, `words[k]` holding bits 64k..64k+63 of each."""

    msg_type: int  # the first 6 bits, -1 for an empty payload
    variant: int  # type 24: 1 part A, 2 part B, 3 part B of an auxiliary craft, 15 none; else 0
    nbits: int
    messages: np.ndarray
    words: list[np.ndarray]


@dataclass
class ScanResult:
    """Messages in completion order (`line`: the first fragment's line, 1-based; `start`: the byte
    offset of that line; multi-sentence messages' fragments in `frag_*`, from `frag0`, -1 for single
    sentences), their payloads by group (`groups`), and the rejects (line, byte span of the raw text,
    index into `reasons`)."""

    line: np.ndarray
    t: np.ndarray  # epoch seconds, NaN when unknown
    station: np.ndarray  # index into `stations`, -1 when unknown
    start: np.ndarray
    frag0: np.ndarray
    groups: list[ScanGroup]
    frag_line: np.ndarray
    frag_start: np.ndarray
    frag_end: np.ndarray
    frag_count: np.ndarray
    reject_line: np.ndarray
    reject_start: np.ndarray
    reject_end: np.ndarray
    reject_code: np.ndarray
    reasons: list[str]
    stations: list[str]
    counts: Counter[str]
    n_lines: int

    def __len__(self) -> int:
        return len(self.line)

    def fragment_lines(self, data: bytes, message: int) -> list[tuple[int, bytes]]:
        """(line number, whole line) of each fragment of one message, `data` being the scanned text."""
        first = int(self.frag0[message])
        if first < 0:
            start = int(self.start[message])
            end = data.find(b"\n", start)
            return [(int(self.line[message]), data[start : len(data) if end < 0 else end])]
        rows = range(first, first + int(self.frag_count[first]))
        return [(int(self.frag_line[k]), data[int(self.frag_start[k]) : int(self.frag_end[k])]) for k in rows]


class _Classifier:
    """The scanner's callback: `nmea.parse_line`'s verdict on one stripped line, as a tuple."""

    def __init__(self, enforce_checksum: bool) -> None:
        self.enforce_checksum = enforce_checksum
        self.reasons: dict[str, int] = {}
        self._big_keys: dict[int, int] = {}

    def reason_code(self, text: str) -> int:
        return self.reasons.setdefault(text, _FIRST_DYNAMIC_CODE + len(self.reasons))

    def _key(self, value: int | None) -> int:
        if value is None:
            return _SEQ_NONE
        if -_KEY_LIMIT < value < _KEY_LIMIT:
            return value
        return self._big_keys.setdefault(value, _KEY_LIMIT + len(self._big_keys))

    def __call__(self, line: bytes) -> tuple[Any, ...]:
        try:
            outcome = parse_line(line, self.enforce_checksum)
        except Exception as exc:  # as NmeaAisDecoder.feed_decoded: a bad line never stops the stream
            return (1, False, self.reason_code(f"decode_error: {exc}"), True)
        mismatch = outcome.checksum_mismatch
        if isinstance(outcome, LineSkip):
            return (0, mismatch, _SKIP_CODES[outcome.counter])
        if isinstance(outcome, LineReject):
            text = f"{outcome.reason}: {outcome.detail}" if outcome.detail else outcome.reason
            return (1, mismatch, self.reason_code(text), False)
        s = outcome.sentence
        when = math.nan if outcome.received_at is None else outcome.received_at.timestamp()
        tag = outcome.tag
        group = self._key(tag.group[2]) if tag is not None and tag.group is not None else None
        if isinstance(s, AISSentence):
            return (2, mismatch, 1, 1, _SEQ_NONE, "", s.fill_bits, s.payload, outcome.station, when, None)
        return (2, mismatch, s.frag_cnt, s.frag_num, self._key(s.seq_id), s.channel, s.fill_bits, s.payload,
                outcome.station, when, group)  # fmt: skip


def _reason_texts(
    codes: np.ndarray, a: np.ndarray, b: np.ndarray, dynamic: dict[str, int]
) -> tuple[np.ndarray, list[str]]:
    """Reject codes (and their numbers) as indices into a list of reason texts."""
    by_code = {code: text for text, code in dynamic.items()}
    combined = (codes.astype(np.int64) << 32) | (a.astype(np.int64) << 16) | b.astype(np.int64)
    uniq, index = np.unique(combined, return_inverse=True)
    texts: dict[str, int] = {}  # the scanner and `classify` may word a reason the same way
    slot = []
    for value in uniq.tolist():
        code, x, y = value >> 32, (value >> 16) & 0xFFFF, value & 0xFFFF
        text = _FIXED_REASONS.get(code) or by_code[code]
        slot.append(texts.setdefault(text.format(a=x, b=y) if code in (11, 12) else text, len(texts)))
    return np.array(slot, dtype=np.int64)[index.ravel()], list(texts)


def _exact_times(t: np.ndarray) -> np.ndarray:
    """Fractional receive times as the pyais path gives them (through a datetime, microseconds)."""
    frac = np.flatnonzero(np.isfinite(t) & (t != np.floor(t)))
    if len(frac):
        uniq, inverse = np.unique(t[frac], return_inverse=True)
        t = t.copy()
        t[frac] = np.array([utc_from_epoch(v).timestamp() for v in uniq.tolist()])[inverse.ravel()]
    return t


def scan_text(
    data: bytes, enforce_checksum: bool = True, max_age_lines: int = 1000, max_pending: int = 1000
) -> ScanResult:
    """Scan a whole text (lines split on `\\n`, numbered from 1) with `NmeaAisDecoder`'s rules."""
    if _nmea_scan is None:
        raise RuntimeError("seawatch.sources._nmea_scan is not built: run `pip install -e .`")
    classify = _Classifier(enforce_checksum)
    raw: dict[str, Any] = _nmea_scan.scan(data, enforce_checksum, max_age_lines, max_pending, classify)

    def arr(name: str, dtype: Any) -> np.ndarray:
        return np.frombuffer(raw[name], dtype=dtype)

    code_index, reasons = _reason_texts(arr("r_code", np.int32), arr("r_a", np.int32), arr("r_b", np.int32),
                                        classify.reasons)  # fmt: skip
    counts: Counter[str] = Counter()
    for key, name in (
        ("skipped_blank", "skipped:blank"),
        ("skipped_comment", "skipped:comment"),
        ("skipped_foreign", "skipped:foreign_sentence"),
        ("checksum_mismatch", "checksum_mismatch"),
    ):
        if raw[key]:
            counts[name] = raw[key]
    groups = [
        ScanGroup(
            t,
            variant,
            nbits,
            np.frombuffer(msgs, dtype=np.int64),
            [np.frombuffer(w, dtype=np.uint64) for w in cols],
        )
        for t, variant, nbits, msgs, cols in raw["groups"]
    ]
    return ScanResult(
        line=arr("m_line", np.int64),
        t=_exact_times(arr("m_t", np.float64)),
        station=arr("m_station", np.int32),
        start=arr("m_start", np.int64),
        frag0=arr("m_frag0", np.int32),
        groups=groups,
        frag_line=arr("f_line", np.int64),
        frag_start=arr("f_start", np.int64),
        frag_end=arr("f_end", np.int64),
        frag_count=arr("f_count", np.int32),
        reject_line=arr("r_line", np.int64),
        reject_start=arr("r_start", np.int64),
        reject_end=arr("r_end", np.int64),
        reject_code=code_index,
        reasons=reasons,
        stations=raw["stations"],
        counts=counts,
        n_lines=raw["lines"],
    )
