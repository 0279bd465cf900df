"""Fusion parameters: one typed, documented dataclass (defaults are the product's)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from seawatch.errors import ConfigError


def _timeouts() -> dict[str, float]:
    # AIS tracks live a day so that an AIS gap stays inside one track (the gap detector needs it)
    return {"ais": 86_400.0, "radar": 120.0, "satellite": 3600.0, "sighting": 3600.0, "partner": 86_400.0}


@dataclass(frozen=True)
class FusionConfig:
    """How the tracker predicts, gates, associates, initiates and deletes, and when a contact is dark.

    Positions are tracked in one local metric frame (azimuthal equidistant around `origin_lat/lon`, or
    around the first batch's centre when not given); distances in metres, speeds in m/s inside.
    """

    origin_lat: float | None = None
    origin_lon: float | None = None
    accel_sigma_mps2: float = 0.5  # white-noise acceleration of the constant-velocity model
    ais_sigma_m: float = 25.0  # AIS position error (1 sigma)
    radar_sigma_m: float = 50.0  # used when a radar row carries no `sigma_m`
    satellite_sigma_m: float = 200.0  # SAR / optical detection position error
    # radar error as an ellipse (range sigma along the bearing, bearing sigma across) instead of a circle
    # of the larger of the two; off by default: it needs ranges that are true to the range sigma
    radar_error_ellipse: bool = False
    init_speed_sigma_mps: float = 12.0  # velocity uncertainty of a new track without reported speed
    gate_chi2: float = 16.0  # Mahalanobis gate (2 dof; 16 keeps 99.97 %)
    gate_max_m: float = 5_000.0  # KD-tree search radius: no association beyond this
    ref_bonus: float = 8.0  # cost bonus for a contact with the radar target number last seen on a track
    init_m: int = 3  # M-of-N confirmation of radar-only tracks, counted in revisits of their radar
    init_n: int = 5
    # per radar site id: its report interval (s); other sites' are learned from their target numbers
    revisit_s: dict[str, float] = field(default_factory=dict)
    timeout_s: dict[str, float] = field(default_factory=_timeouts)  # delete after silence, per sensor kind
    ais_max_speed_kn: float = 60.0  # same MMSI farther than this speed allows => another ship
    merge_votes: int = 3  # AIS reports on a never-dark anonymous track before it merges (0: never)
    coast_max_s: float = 600.0  # a track silent longer than this takes no radar/satellite contact
    scan_window_s: float = 1.0  # observations this close in time form one batch
    dark_distance_m: float = 1_500.0  # no AIS vessel within this of a contact => dark target
    dark_min_contacts: dict[str, int] = field(default_factory=lambda: {"radar": 3})  # per kind, else 1
    ais_projection_max_s: float = 1_800.0  # project an AIS vessel at most this far past its last report

    @classmethod
    def from_dict(cls, values: dict[str, Any], source: str = "<config>") -> FusionConfig:
        known = {f.name for f in fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise ConfigError(f"{source}: unknown fusion settings {sorted(unknown)}")
        if "timeout_s" in values:
            values = {**values, "timeout_s": {**_timeouts(), **values["timeout_s"]}}
        try:
            return cls(**values)
        except TypeError as exc:
            raise ConfigError(f"{source}: {exc}") from exc

    def params(self) -> dict[str, Any]:
        """The parameters quoted in events, so anyone can ask why a contact was dark."""
        return {"dark_distance_m": self.dark_distance_m, "ais_projection_max_s": self.ais_projection_max_s}
