"""Everything a detector needs besides the observations: thresholds, zones, ports, land, watchlist, now.

The core never reads the wall clock: `now_s` (epoch s) is given by the caller (the CLI passes the wall
clock) and only serves to flag fixes from the future. Ports and land load lazily on first use.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt

from seawatch.detect.config import ZONE_OVERRIDABLE, DetectConfig, validate_overrides
from seawatch.detect.watchlist import Watchlist
from seawatch.geo.land import LandMask, default_land
from seawatch.geo.ports import Ports, load_ports
from seawatch.geo.zones import ZoneIndex
from seawatch.model.zone import Zone


@dataclass
class DetectContext:
    config: DetectConfig = field(default_factory=DetectConfig.defaults)
    zones: Sequence[Zone] = ()
    ports: Ports | None = None  # None: the World Port Index from the shared data, loaded on first use
    land: LandMask | None = None  # None: Natural Earth from the shared data, loaded on first use
    watchlist: Watchlist = field(default_factory=Watchlist)
    now_s: float | None = None  # fixes after now + tracks.max_future_s are flagged; None: no check

    def __post_init__(self) -> None:
        for zone in self.zones:
            validate_overrides(zone.overrides, self.config, f"{zone.origin or zone.zone_id} ({zone.name})")

    @cached_property
    def zone_index(self) -> ZoneIndex:
        return ZoneIndex(tuple(self.zones))

    @cached_property
    def port_list(self) -> Ports:
        return self.ports if self.ports is not None else load_ports()

    @cached_property
    def land_mask(self) -> LandMask:
        return self.land if self.land is not None else default_land()

    @cached_property
    def _override_zones(self) -> dict[tuple[str, str], list[tuple[int, Any]]]:
        """(detector, threshold) -> [(zone index, value)] in file order."""
        out: dict[tuple[str, str], list[tuple[int, Any]]] = {}
        for j, zone in enumerate(self.zones):
            for detector, values in zone.overrides.items():
                if detector == "severity":  # not a threshold: see detect/severity.py
                    continue
                for key, value in values.items():
                    out.setdefault((detector, key), []).append((j, float(value)))
        return out

    @cached_property
    def _base(self) -> dict[tuple[str, str], float]:
        return {
            (d, n): float(getattr(self.config.section(d), n))
            for d, names in ZONE_OVERRIDABLE.items()
            for n in names
        }

    def has_overrides(self, detector: str) -> bool:
        return any(d == detector for d, _ in self._override_zones)

    def member_rows(
        self, membership: npt.NDArray[np.bool_] | None, rows: npt.NDArray[np.int64], *detectors: str
    ) -> npt.NDArray[np.bool_] | None:
        """The zone membership of `rows`, for `param_rows` of these detectors; None when no zone
        overrides their thresholds (every row then has the global values: no (rows × zones) copy)."""
        if membership is None or not any(self.has_overrides(d) for d in detectors):
            return None
        return membership[rows]

    def param_rows(
        self, detector: str, name: str, membership: npt.NDArray[np.bool_] | None, n: int
    ) -> npt.NDArray[np.float64]:
        """Per-row value of a threshold: global, replaced inside zones that override it (read-only)."""
        assert name in ZONE_OVERRIDABLE.get(detector, frozenset()), (detector, name)
        base = float(getattr(self.config.section(detector), name))
        overrides = self._override_zones.get((detector, name), [])
        if membership is None or not overrides:
            return np.broadcast_to(np.float64(base), (n,))  # read-only view, no allocation
        out = np.full(n, base)
        for j, value in overrides:
            out[membership[:, j]] = value
        return out

    def param_max(self, detector: str, name: str) -> float:
        """The largest value a threshold takes anywhere (global or in a zone)."""
        values = [float(getattr(self.config.section(detector), name))]
        values += [v for _, v in self._override_zones.get((detector, name), [])]
        return max(values)

    def param_min(self, detector: str, name: str) -> float:
        """The smallest value a threshold takes anywhere (global or in a zone)."""
        found = self._min_cache.get((detector, name))
        if found is None:
            values = [float(getattr(self.config.section(detector), name))]
            values += [v for _, v in self._override_zones.get((detector, name), [])]
            found = self._min_cache[(detector, name)] = min(values)
        return found

    @cached_property
    def _min_cache(self) -> dict[tuple[str, str], float]:
        return {}

    def param_at(self, detector: str, name: str, zone_set: frozenset[int]) -> float:
        """The live form of `param_rows` for one fix inside the zones `zone_set`."""
        value = self._base[(detector, name)]
        if not zone_set:
            return value
        for j, override in self._override_zones.get((detector, name), []):
            if j in zone_set:
                value = override
        return value

    @cached_property
    def severity_zones(self) -> dict[str, list[int]]:
        """event type -> indices of the zones that override its severity (file order)."""
        out: dict[str, list[int]] = {}
        for j, zone in enumerate(self.zones):
            for event_type in zone.overrides.get("severity", {}):
                out.setdefault(event_type, []).append(j)
        return out

    @cached_property
    def zone_position(self) -> dict[str, int]:
        """zone id -> index in `zones` (the first one when ids repeat)."""
        out: dict[str, int] = {}
        for j, zone in enumerate(self.zones):
            out.setdefault(zone.zone_id, j)
        return out

    @cached_property
    def _params(self) -> dict[str, dict[str, Any]]:
        return {
            name: {k: _jsonable(v) for k, v in values.items() if k != "enabled"}
            for name, values in self.config.to_dict().items()
            if name != "severity"
        }

    def params(self, detector: str, **overridden: float) -> dict[str, Any]:
        """The thresholds to record on an event (with the per-zone values actually used).

        Shared between events with the same values (thousands of events, a handful of distinct dicts):
        treat it as read-only."""
        key = (detector, *overridden.items())
        found = self._params_cache.get(key)
        if found is None:
            found = dict(self._params[detector])
            found.update({k: _jsonable(v) for k, v in overridden.items()})
            self._params_cache[key] = found
        return found

    @cached_property
    def _params_cache(self) -> dict[tuple[Any, ...], dict[str, Any]]:
        return {}


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, float) and not np.isfinite(value):
        return None  # JSON has no infinity: null means "no limit"
    return value
