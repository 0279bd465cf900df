"""Several receivers, one stream: identical sentences within the window are suppressed."""

from __future__ import annotations

import json
import re
from pathlib import Path

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


def test_detect_with_a_second_receiver_gives_the_same_events_and_counts_duplicates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`seawatch detect` on a real file and on it plus a second receiver's copy: same events, and the
    copy's dated reports are counted as duplicate reports in the summary."""
    from seawatch.cli import main

    path = require_shared("ais-nmea-tagblock-kystverket", "norwegian_2024-12-09.nmea")
    second = tmp_path / "station-b.nmea"
    second.write_bytes(path.read_bytes())

    def run(*inputs: Path) -> tuple[list[dict[str, object]], str]:
        assert main(["detect", *map(str, inputs)]) == 0
        out, err = capsys.readouterr()
        events = [json.loads(line) for line in out.splitlines()]
        return [{k: v for k, v in e.items() if k != "id"} for e in events], err

    once, once_summary = run(path)
    twice, twice_summary = run(path, second)
    assert once and twice == once
    assert "duplicate reports: 0" in once_summary
    fixes = re.search(r"(\d+) fixes used", once_summary)
    assert fixes is not None and int(fixes.group(1)) > 100
    # every position report of the copy that has a time (undated ones cannot be matched; kept as flagged)
    assert f"duplicate reports: {fixes.group(1)};" in twice_summary


def test_duplicate_rows_dropped_only_within_the_window() -> None:
    import polars as pl

    from seawatch.feeders.dedupe import drop_duplicate_rows

    rows = {
        "t": [100.0, 100.5, 103.0, 100.2, None],
        "mmsi": [1, 1, 1, 2, 1],
        "lat": [1.0] * 5,
        "lon": [2.0] * 5,
        "sog_kn": [3.0] * 5,
        "cog_deg": [4.0] * 5,
        "heading_deg": [5.0] * 5,
        "sensor": ["ais", None, "ais", "ais", "ais"],
    }
    kept, dropped = drop_duplicate_rows(pl.DataFrame(rows), window_s=2.0)
    assert dropped == 1  # the 100.5 copy; 103.0 is past the window, mmsi 2 differs, no time is kept
    assert kept["t"].to_list() == [100.0, 103.0, 100.2, None]


def test_one_input_is_deduped_as_the_node_dedupes_one_feed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One rule in the CLI and the node: a single file in which a receiver delivered reports twice
    (within 2 s) counts them as duplicate reports, as a node fed with that file does."""
    from seawatch.cli import main
    from seawatch.node.feeds import replay_items
    from seawatch.node.pipeline import LivePipeline
    from seawatch.node.settings import NodeSettings
    from seawatch.node.stages import make_dedupe, make_tracker

    path = require_shared("ais-nmea-tagblock-kystverket", "norwegian_2024-12-09.nmea")
    lines = path.read_text().splitlines()
    doubled = tmp_path / "resent.nmea"
    doubled.write_text("\n".join(line for line in lines for _ in (0, 1)) + "\n")  # every line sent twice

    assert main(["detect", str(path)]) == 0
    once = capsys.readouterr()
    assert main(["detect", str(doubled)]) == 0
    twice = capsys.readouterr()
    fixes = re.search(r"(\d+) fixes used", once.err)
    assert fixes is not None and int(fixes.group(1)) > 100
    assert "duplicate reports: 0" in once.err
    assert f"duplicate reports: {fixes.group(1)};" in twice.err
    assert twice.out == once.out  # the same events

    def node(file: Path) -> tuple[int, int]:
        settings = NodeSettings()
        pipeline = LivePipeline("n1", make_tracker(settings), dedupe=make_dedupe(settings))
        result = pipeline.process([("f", item) for _, item in replay_items([file], "f")])
        return len(result.batch.positions), result.duplicates["f"]

    assert node(path) == (int(fixes.group(1)), 0)
    positions, duplicates = node(doubled)
    assert positions == int(fixes.group(1)) and duplicates >= positions  # (static reports too)
