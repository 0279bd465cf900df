"""Confirmation per revisit of a radar that reports as a real ARPA does: each target once per report
interval at its own moment (so one radar's reports arrive in many small batches). A go-fast is confirmed
at its third report; clutter that never repeats at one place is not; duplicated and out-of-order
reports, a radar whose period changes and bursts of clutter are handled, never a failed batch."""

from __future__ import annotations

import numpy as np

from seawatch.fusion.config import FusionConfig
from seawatch.fusion.tracker import MeasurementBatch, Tracker

T0 = 1_700_000_000.0
SIGMA_M = 40.0


def _reports(
    n_targets: int, interval_s: float, duration_s: float, seed: int, start_s: float = 0.0
) -> list[tuple[float, int, float, float]]:
    """(t, target number, e, n): each target at 8-20 m/s, reported once per interval at its own phase."""
    rng = np.random.default_rng(seed)
    pos = rng.uniform(-30_000, 30_000, (n_targets, 2))
    vel = rng.uniform(-14, 14, (n_targets, 2))
    phase = rng.uniform(0, interval_s, n_targets)
    out = []
    for k in range(int(duration_s / interval_s)):
        for i in range(n_targets):
            t = start_s + k * interval_s + phase[i]
            e, n = pos[i] + vel[i] * t + rng.normal(0, SIGMA_M, 2)
            out.append((T0 + t, i + 1, float(e), float(n)))
    return sorted(out)


def _batch(rows: list[tuple[float, int, float, float]]) -> MeasurementBatch:
    k = len(rows)
    return MeasurementBatch(
        t=np.array([r[0] for r in rows]), e=np.array([r[2] for r in rows]), n=np.array([r[3] for r in rows]),
        r_var=np.full(k, SIGMA_M**2), kind=np.full(k, 1, np.int64), sensor_bit=np.zeros(k, np.int64),
        mmsi=np.zeros(k, np.int64), ve=np.full(k, np.nan), vn=np.full(k, np.nan),
        ref=np.array([r[1] for r in rows], np.int64),
    )  # fmt: skip


def _run(
    tracker: Tracker, rows: list[tuple[float, int, float, float]], window_s: float = 1.0
) -> dict[int, int]:
    """Feed in time-window batches; returns target number -> report index (0-based) at confirmation."""
    seen: dict[int, int] = {}
    confirmed_at: dict[int, int] = {}
    i = 0
    while i < len(rows):
        j = i
        while j < len(rows) and rows[j][0] - rows[i][0] <= window_s:
            j += 1
        chunk = rows[i:j]
        res = tracker.process(_batch(chunk))
        for r, num in zip(chunk, res.track_num.tolist(), strict=True):
            seen[r[1]] = seen.get(r[1], -1) + 1
            if num in res.confirmed and r[1] not in confirmed_at and r[1] < 10_000:
                confirmed_at[r[1]] = seen[r[1]]
        i = j
    return confirmed_at


def test_every_target_confirmed_at_its_third_report() -> None:
    rows = _reports(60, 30.0, 600.0, seed=1)
    confirmed = _run(Tracker(FusionConfig()), rows)
    assert len(confirmed) == 60
    # the revisit is learned from the first re-reports: from then on M=3 hits in 3 reports
    assert sorted(confirmed.values())[int(0.9 * 60)] <= 2  # 90 % at their 3rd report (index 2)


def test_configured_revisit_confirms_at_the_third_report() -> None:
    tracker = Tracker(FusionConfig(revisit_s={"R1": 30.0}))
    tracker.sensor_bit("radar:R1")  # bit 0, configured 30 s
    confirmed = _run(tracker, _reports(40, 30.0, 300.0, seed=2))
    assert len(confirmed) == 40 and max(confirmed.values()) == 2


def test_clutter_that_never_repeats_does_not_confirm() -> None:
    rng = np.random.default_rng(5)
    rows = _reports(20, 30.0, 900.0, seed=3)
    # 30 uncorrelated plots per revisit over 3,600 km² (a burst: a coastal ARPA's clutter is far rarer),
    # each numbered as the ARPA numbers a new plot
    times = np.sort(rng.uniform(0, 900, 900))
    clutter = [
        (T0 + float(t), 10_000 + k, float(rng.uniform(-30_000, 30_000)), float(rng.uniform(-30_000, 30_000)))
        for k, t in enumerate(times)
    ]
    tracker = Tracker(FusionConfig())
    _run(tracker, sorted(rows + clutter))
    confirmed = set(tracker.confirmed_nums)
    assert len(confirmed) <= 20 + 1  # the targets (at most one chance clutter track)


def test_duplicated_and_out_of_order_reports() -> None:
    rows = _reports(30, 30.0, 600.0, seed=4)
    rng = np.random.default_rng(9)
    doubled = sorted(rows + rows)  # every line sent twice
    tracker = Tracker(FusionConfig())
    confirmed = _run(tracker, doubled)
    assert len(confirmed) == 30 and len(tracker.confirmed_nums) == 30
    late = list(rows)
    for k in rng.choice(len(late) - 1, 60, replace=False):  # neighbours swapped: 2 % arrive late
        late[k], late[k + 1] = late[k + 1], late[k]
    tracker = Tracker(FusionConfig())
    confirmed = _run(tracker, late, window_s=0.0)
    assert len(confirmed) == 30 and len(tracker.confirmed_nums) <= 31


def test_a_radar_whose_period_changes() -> None:
    slow = _reports(20, 30.0, 600.0, seed=6)
    fast = [r for r in _reports(20, 10.0, 1200.0, seed=6, start_s=600.0)]
    tracker = Tracker(FusionConfig())
    _run(tracker, slow)
    before = set(tracker.confirmed_nums)
    newcomers = [(t, num + 100, e, n) for t, num, e, n in _reports(5, 10.0, 300.0, seed=7, start_s=900.0)]
    confirmed = _run(tracker, sorted(fast + newcomers))
    assert tracker.revisit.period_s(0) == 10.0  # learned again from the new reports
    assert {k for k in confirmed if k > 100} == {101, 102, 103, 104, 105}
    assert max(v for k, v in confirmed.items() if k > 100) <= 3
    assert before  # tracks from the first period


def test_sites_file_gives_each_radar_its_report_interval() -> None:
    import pytest

    from seawatch.errors import ConfigError
    from seawatch.sources.sensors import parse_sensors

    doc = {"radar": [{"id": "KIN-1", "lat": 17.9, "lon": -76.8, "report_interval_s": 30}, {"id": "KIN-2"}]}
    sites = parse_sensors(doc, "sites.toml")
    assert sites.revisit_s() == {"KIN-1": 30.0}  # KIN-2's is learned from its target numbers
    with pytest.raises(ConfigError, match=r"report_interval_s = -5.0: expected more than 0"):
        parse_sensors({"radar": [{"id": "X", "report_interval_s": -5}]}, "sites.toml")
    with pytest.raises(ConfigError, match=r"'report_interval_s' must be a number, got 'often'"):
        parse_sensors({"radar": [{"id": "X", "report_interval_s": "often"}]}, "sites.toml")
