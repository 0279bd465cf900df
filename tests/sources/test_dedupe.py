"""Several receivers, one stream: identical sentences within the window are suppressed."""

from __future__ import annotations

import pytest

from seawatch.feeders.dedupe import DuplicateSentenceFilter, sentence_key
from tests.shared import require_shared

S = "!AIVDM,1,1,,A,13HOI:0P0000VOHLCnHQKwvL05Ip,0*23"


def test_same_sentence_from_two_receivers_is_kept_once() -> None:
    f = DuplicateSentenceFilter(window_s=2.0)
    assert f.accept(f"\\s:rA,c:100*00\\{S}", 100.0)
    assert not f.accept(f"\\s:rB,c:101*00\\{S}\r\n", 101.0)
    assert not f.accept(S, 102.0)
    assert f.accepted == 1 and f.suppressed == 2


def test_after_the_window_the_sentence_is_new_again() -> None:
    f = DuplicateSentenceFilter(window_s=2.0)
    assert f.accept(S, 100.0)
    assert f.accept(S, 102.5)
    assert not f.accept(S, 103.0)


def test_different_sentences_pass_and_memory_is_bounded() -> None:
    f = DuplicateSentenceFilter(window_s=1000.0, max_entries=10)
    for i in range(50):
        assert f.accept(f"!AIVDM,1,1,,A,{i},0*00", float(i))
    assert len(f._seen) <= 11
    assert sentence_key(b"\\s:x*00\\!AB\n") == "!AB"


def test_negative_window_is_refused() -> None:
    with pytest.raises(ValueError):
        DuplicateSentenceFilter(window_s=-1)


def test_real_stream_received_twice_is_deduplicated() -> None:
    path = require_shared("ais-nmea-tagblock-kystverket", "norwegian_2024-12-09.nmea")
    lines = path.read_text().splitlines()
    f = DuplicateSentenceFilter(window_s=5.0)
    kept = []
    for i, line in enumerate(lines):
        for receiver in ("a", "b"):  # a second receiver hears the same sentence a moment later
            if f.accept(line, i * 0.01 + (0.5 if receiver == "b" else 0.0)):
                kept.append(line)
    assert len(kept) == len({sentence_key(x) for x in lines}) > 150
    assert f.suppressed == 2 * len(lines) - len(kept)
