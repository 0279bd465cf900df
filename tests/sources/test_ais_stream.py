"""The node's vectorised stream decoder gives the items of the per-line pyais decoder, whatever the
read boundaries (multi-sentence messages cut between reads included)."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime

from pyais.encode import encode_dict

from seawatch.model import AisPosition, AisStatic, Observation, Rejected
from seawatch.sim.nmea import tag_block
from seawatch.sources.ais_stream import AisStreamDecoder
from seawatch.sources.nmea import NmeaAisDecoder

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
T0 = int(NOW.timestamp()) - 30  # tag block times near the receive time of untagged lines


def _lines() -> list[str]:
    rng = random.Random(7)
    lines: list[str] = []
    for k in range(400):
        mmsi = 367_000_000 + k % 37
        msg = {
            "type": rng.choice([1, 2, 3, 18]),
            "mmsi": mmsi,
            "lat": rng.uniform(10, 30),
            "lon": rng.uniform(-95, -60),
            "speed": rng.choice([0.0, 12.3, 102.3]),
            "course": rng.choice([45.5, 360.0]),
            "heading": rng.choice([90, 511]),
        }
        sentences = encode_dict(msg, radio_channel="A", talker_id="AI")
        tagged = k % 3 != 0
        lines += [(tag_block("st1", T0 + k // 20) if tagged else "") + s for s in sentences]
        if k % 25 == 0:  # a two-sentence static message (type 5)
            static = {"type": 5, "mmsi": mmsi, "shipname": f"VESSEL {k}", "callsign": "AB12", "ship_type": 70}
            parts = encode_dict(static, radio_channel="B", talker_id="AI")
            lines += [tag_block("st1", T0 + k // 20) + parts[0], *parts[1:]]
        if k % 40 == 0:
            lines.append("!AIVDM,1,1,,A,garbage,0*00")
        if k % 55 == 0:
            lines.append("")
    return lines


def _per_line(lines: list[str]) -> tuple[list[Observation], list[AisStatic], list[str]]:
    decoder = NmeaAisDecoder(source="feed")
    obs: list[Observation] = []
    statics: list[AisStatic] = []
    reasons: list[str] = []
    for line in lines:
        if not line.strip():
            continue
        for item in decoder.feed(line, received_at=NOW):
            if isinstance(item, AisPosition):
                assert item.received_at is not None
                obs.append(Observation.from_ais(item, item.received_at))
            elif isinstance(item, AisStatic):
                statics.append(item)
            else:
                assert isinstance(item, Rejected)
                reasons.append(item.reason)
    return obs, statics, reasons


def _streamed(lines: list[str], cuts: list[int]) -> tuple[list[Observation], list[AisStatic], list[str]]:
    stream = AisStreamDecoder("feed")
    data = ("\n".join(lines) + "\n").encode()
    items: list[object] = []
    bounds = [0, *cuts, len(data)]
    rest = b""
    for a, b in itertools.pairwise(bounds):
        chunk = rest + data[a:b]
        cut = chunk.rfind(b"\n") + 1
        rest = chunk[cut:]
        items += stream.decode(chunk[:cut], NOW)
    items += stream.decode(rest, NOW, final=True)
    obs = [i for i in items if isinstance(i, Observation)]
    statics = [i for i in items if isinstance(i, AisStatic)]
    reasons = [i.reason for i in items if isinstance(i, Rejected)]
    assert len(obs) + len(statics) + len(reasons) == len(items)
    return obs, statics, reasons


def test_stream_decoder_gives_the_per_line_items_whole() -> None:
    lines = _lines()
    want = _per_line(lines)
    got = _streamed(lines, [])
    assert len(want[0]) > 350 and len(want[1]) == 16 and want[2]
    assert got[0] == want[0]
    assert got[1] == want[1]
    assert sorted(got[2]) == sorted(want[2])


def test_stream_decoder_is_independent_of_read_boundaries() -> None:
    lines = _lines()
    want = _per_line(lines)
    data_len = len("\n".join(lines)) + 1
    # every cut right after a first fragment of a static message, plus random cuts
    cuts: list[int] = []
    pos = 0
    for line in lines:
        pos += len(line) + 1
        if ",2,1," in line:
            cuts.append(pos)
    rng = random.Random(3)
    cuts = sorted(set(cuts + [rng.randrange(1, data_len) for _ in range(30)]))
    got = _streamed(lines, cuts)
    assert got[0] == want[0]
    assert got[1] == want[1]
    assert sorted(got[2]) == sorted(want[2])
