"""Multi-sentence assembly in the compiled scanner (`ais_scan`) is `NmeaAisDecoder`'s, rule for rule:
keys, restarts, stations named on one fragment, the expiry window, eviction of the oldest pending,
orphans; assembled messages then go through numpy. Every case is checked against the pyais path."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seawatch.sources.tagblock import xor_checksum
from tests.sources.ais_helpers import bulk_decode, records_equal

# A real type 5 message in two fragments (pyais's sample file), and a position report.
FIRST = "55DTsr01rEv?<E5;801<D604pDlu<0000000001?21J7:5cde>C0H1kmC1E5"
SECOND = "88888888880"
POSITION = "!AIVDM,1,1,,B,15M67FC000G?ufbE`FepT@3n00Sa,0*5C"


def sentence(count: int, number: int, seq: str, channel: str, payload: str, fill: int = 0) -> str:
    body = f"AIVDM,{count},{number},{seq},{channel},{payload},{fill}"
    return f"!{body}*{xor_checksum(body.encode()):02X}"


def _agree(lines: list[str], enforce_checksum: bool = True) -> Any:
    fast = bulk_decode(lines, enforce_checksum=enforce_checksum, fast=True)
    slow = bulk_decode(lines, enforce_checksum=enforce_checksum, fast=False)
    for a, b in zip(fast.iter_records(), slow.iter_records(), strict=True):
        assert records_equal(a, b), (a, b)
    assert fast.n_decoded == slow.n_decoded
    assert [(r.line_no, r.reason, r.raw) for r in fast.rejects] == [
        (r.line_no, r.reason, r.raw) for r in slow.rejects
    ]
    assert fast.counts - Counter(decoded_fast=fast.n_fast) == slow.counts
    return fast


def test_lone_first_fragments_are_orphans() -> None:
    lines = [sentence(2, 1, "8", "A", FIRST), POSITION, sentence(2, 1, "9", "A", FIRST), POSITION]
    fast = _agree(lines)
    assert [r.line_no for r in fast.rejects] == [1, 3]
    assert all(r.reason.startswith("orphan_fragment") for r in fast.rejects)
    assert fast.n_fast == 2 and not fast.slow


def test_fragments_apart_are_assembled() -> None:
    lines = [sentence(2, 1, "3", "B", FIRST), POSITION, POSITION, sentence(2, 2, "3", "B", SECOND, 2)]
    fast = _agree(lines)
    assert fast.rejects == [] and fast.n_decoded == 3
    assert fast.n_fast == 3  # the type 5 too
    assert int(fast.fast.line[0]) == 1 and int(fast.fast.msg_type[0]) == 5


def test_second_fragment_of_another_key_does_not_save_it() -> None:
    lines = [sentence(2, 1, "3", "B", FIRST), POSITION, sentence(2, 2, "4", "B", SECOND, 2)]
    fast = _agree(lines)
    assert [r.line_no for r in fast.rejects] == [1, 3]
    assert [r.reason for r in fast.rejects] == [
        "orphan_fragment: multi-sentence message incomplete (1/2)",
        "orphan_fragment: fragment 2/2 without its first part",
    ]


def test_restart_then_a_station_named_on_the_first_fragment_only() -> None:
    # Line 2 restarts line 1 (an orphan) and completes with line 3; line 4 names a station, so its
    # key differs, and line 5 (no station) joins it: the time and station come from line 4.
    first = "55DTsr01rEv?<E5;801<D604pDlu<0000000001?21J7:5cde>C0H1kmC1E5"
    lines = [
        sentence(2, 1, "1", "B", first),
        sentence(2, 1, "1", "B", first),
        sentence(2, 2, "1", "B", "88888888880", 2),
        "\\s:rA,c:1428621738*09\\" + sentence(2, 1, "1", "B", first),
        sentence(2, 2, "1", "B", "88888888880", 2),
    ]
    fast = _agree(lines)
    records = [r for r in fast.iter_records() if isinstance(r, dict)]
    assert [(r["station"], r["received_at"]) for r in records] == [(None, None), ("rA", 1428621738.0)]


def test_fragment_read_by_python_joins_one_read_by_the_scanner() -> None:
    # a trailer after the checksum: the scanner hands that line to `nmea.parse_line`
    lines = [sentence(2, 1, "3", "B", FIRST), sentence(2, 2, "3", "B", SECOND, 2) + ",1234567890"]
    fast = _agree(lines)
    assert fast.n_fast == 1 and not fast.rejects
    assert next(fast.iter_records())["received_at"] == 1234567890.0


def test_expiry_window_is_the_pyais_one() -> None:
    late = [sentence(2, 1, "3", "B", FIRST)] + [POSITION] * 1000 + [sentence(2, 2, "3", "B", SECOND, 2)]
    fast = _agree(late)  # the second half comes 1001 lines later: both are orphans
    assert [r.line_no for r in fast.rejects] == [1, 1002]
    just = [sentence(2, 1, "3", "B", FIRST)] + [POSITION] * 999 + [sentence(2, 2, "3", "B", SECOND, 2)]
    fast = _agree(just)  # 1000 lines later: still assembled
    assert fast.rejects == [] and fast.n_fast == 1000  # 999 positions and the type 5


def test_not_held_when_pyais_rejects_for_another_reason() -> None:
    lines = [
        sentence(2, 1, "3", "B", FIRST, fill=2),  # fill bits on a first fragment
        sentence(2, 1, "x", "B", FIRST),  # sequence id not a number
        sentence(2, 1, "3", "B", FIRST[:-1] + "~"),  # bad payload character
    ]
    fast = _agree(lines)
    assert [r.reason.split(":")[0] for r in fast.rejects] == [
        "bad_fill_bits",
        "malformed_sentence",
        "bad_payload_char",
    ]


def test_more_pending_than_held_evicts_the_oldest() -> None:
    """More pending fragments than `max_pending` (1000): the oldest goes first, as on the pyais path."""
    lines = [tagged(sentence(2, 1, "1", "A", FIRST), f"r{k}") for k in range(1001)]
    lines += [tagged(sentence(2, 2, "1", "A", SECOND, 2), st) for st in ("r1000", "r0")]
    fast = _agree(lines)
    assert fast.n_fast == 1  # r1000's, completed on line 1002
    by_line = {r.line_no: r.reason for r in fast.rejects}
    assert by_line[1] == "orphan_fragment: multi-sentence message incomplete (1/2)"  # evicted at line 1001
    assert by_line[1003] == "orphan_fragment: fragment 2/2 without its first part"  # r0 was evicted


@pytest.mark.parametrize("enforce_checksum", [True, False])
def test_without_checksum_enforcement(enforce_checksum: bool) -> None:
    lines = [sentence(2, 1, "3", "B", FIRST), POSITION]
    _agree(lines, enforce_checksum)


def tagged(line: str, station: str) -> str:
    content = f"s:{station},c:1428621738"
    return f"\\{content}*{xor_checksum(content.encode()):02X}\\{line}"


_FRAGMENTS = [
    sentence(2, n, seq, ch, FIRST if n == 1 else SECOND, 0 if n == 1 else 2)
    for n in (1, 2)
    for seq in ("", "1", "x")
    for ch in ("A", "B")
]
_PIECES = st.sampled_from(
    [
        POSITION,
        "garbage",
        "",
        _FRAGMENTS[2] + ",trailer",
        *_FRAGMENTS,
        *(tagged(f, station) for f in _FRAGMENTS[2:4] + _FRAGMENTS[8:10] for station in ("rA", "rB")),
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, min_size=1, max_size=30))
def test_random_fragment_mixes_agree(lines: list[str]) -> None:
    _agree(lines)


def test_pair_restarting_a_pending_fragment() -> None:
    """Line 2 restarts line 1's key (line 1 is an orphan), lines 2-3 complete, line 5 is an orphan."""
    first, second = sentence(2, 1, "1", "B", FIRST), sentence(2, 2, "1", "B", SECOND, 2)
    lines = [first, first, second, POSITION, second]
    fast = _agree(lines)
    assert [r.line_no for r in fast.rejects] == [1, 5]
    assert fast.n_fast == 2


def test_pair_after_a_lone_fragment() -> None:
    first, second = sentence(2, 1, "1", "B", FIRST), sentence(2, 2, "1", "B", SECOND, 2)
    lines = [first, POSITION, first, second, POSITION]
    fast = _agree(lines)
    assert [r.line_no for r in fast.rejects] == [1] and fast.n_fast == 3
