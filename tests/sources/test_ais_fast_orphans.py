"""First fragments of two-sentence messages that can never complete are rejected by the numpy path
(`orphan_fragment`) exactly as the pyais path rejects them; any that might complete stay with it."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seawatch.sources import ais_fast
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
    assert fast.counts["rejected"] == slow.counts["rejected"]
    assert fast.counts["rejected:orphan_fragment"] == slow.counts["rejected:orphan_fragment"]
    return fast


def _slow_lines(lines: list[str]) -> list[int]:
    data = "\n".join(lines).encode() + b"\n"
    return ais_fast.decode_lines(data, max_age_lines=1000).slow_lines


def test_lone_first_fragments_rejected_in_numpy() -> None:
    lines = [sentence(2, 1, "8", "A", FIRST), POSITION, sentence(2, 1, "9", "A", FIRST), POSITION]
    fast = _agree(lines)
    assert [r.line_no for r in fast.rejects] == [1, 3]
    assert all(r.reason.startswith("orphan_fragment") for r in fast.rejects)
    assert _slow_lines(lines) == []


def test_first_fragment_completed_later_stays_with_pyais() -> None:
    lines = [sentence(2, 1, "3", "B", FIRST), POSITION, POSITION, sentence(2, 2, "3", "B", SECOND, 2)]
    fast = _agree(lines)
    assert fast.rejects == [] and fast.n_decoded == 3
    assert _slow_lines(lines) == [1, 4]


def test_second_fragment_of_another_key_does_not_save_it() -> None:
    lines = [sentence(2, 1, "3", "B", FIRST), POSITION, sentence(2, 2, "4", "B", SECOND, 2)]
    fast = _agree(lines)
    assert [r.line_no for r in fast.rejects] == [1, 3]
    assert _slow_lines(lines) == [3]


def test_demoted_pair_can_complete_an_earlier_pending_fragment() -> None:
    # Found by hypothesis: lines 2+3 pair and restart line 1 only if nothing later may complete line 1.
    # Lines 4+5 differ in station, so they go to pyais, where line 5 could join line 1: leaving 4+5
    # to pyais must leave 2+3 there too, or line 5 joins the stale line 1 and loses line 4's tag.
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


def test_unchecked_line_keeps_it_with_pyais() -> None:
    # a trailer after the checksum: not checked in numpy, so it might be any fragment
    lines = [sentence(2, 1, "3", "B", FIRST), sentence(2, 2, "3", "B", SECOND, 2) + ",1234567890"]
    _agree(lines)
    assert _slow_lines(lines) == [1, 2]


def test_expiry_window_is_the_pyais_one() -> None:
    late = [sentence(2, 1, "3", "B", FIRST)] + [POSITION] * 1000 + [sentence(2, 2, "3", "B", SECOND, 2)]
    fast = _agree(late)  # the second half comes 1001 lines later: both are orphans
    assert [r.line_no for r in fast.rejects] == [1, 1002]
    just = [sentence(2, 1, "3", "B", FIRST)] + [POSITION] * 999 + [sentence(2, 2, "3", "B", SECOND, 2)]
    fast = _agree(just)  # 1000 lines later: still assembled
    assert fast.rejects == []
    assert _slow_lines(just) == [1, 1001]


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


def test_many_pending_left_to_pyais() -> None:
    """More pending fragments than the pyais path holds: its eviction order decides, so it runs."""
    lines = [sentence(2, 1, str(k % 10), "AB"[k % 2], FIRST) for k in range(1001)]
    _agree(lines)
    assert len(_slow_lines(lines)) == 1001


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


def test_pair_restarting_a_pending_fragment_goes_to_pyais() -> None:
    """Line 2 restarts line 1's key on the pyais path (line 1 is an orphan) and line 5 is an orphan:
    the numpy path must not pair lines 2-3 out of sight of the pyais path while line 1 may complete."""
    first, second = sentence(2, 1, "1", "B", FIRST), sentence(2, 2, "1", "B", SECOND, 2)
    lines = [first, first, second, POSITION, second]
    fast = _agree(lines)
    assert [r.line_no for r in fast.rejects] == [1, 5]
    assert _slow_lines(lines) == [1, 2, 3, 5]


def test_pair_after_a_lone_fragment_stays_in_numpy() -> None:
    first, second = sentence(2, 1, "1", "B", FIRST), sentence(2, 2, "1", "B", SECOND, 2)
    lines = [first, POSITION, first, second, POSITION]
    fast = _agree(lines)
    assert [r.line_no for r in fast.rejects] == [1] and fast.n_fast == 3
    assert _slow_lines(lines) == []
