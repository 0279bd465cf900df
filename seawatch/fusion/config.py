"""Fusion parameters: one validated pydantic model (defaults are the product's).

Unknown keys, text where a number belongs ('16'), negative or NaN numbers are refused with a
`ConfigError` naming the key, the value and what is allowed (`from_dict`), or a pydantic
`ValidationError` when built directly in code.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from seawatch.errors import ConfigError
from seawatch.model.thresholds import AIS_SILENT_S, DARK_DISTANCE_M, DARK_MIN_RADAR_CONTACTS

PositiveNum = Annotated[float, Field(gt=0, strict=True, allow_inf_nan=False)]
NonNegNum = Annotated[float, Field(ge=0, strict=True, allow_inf_nan=False)]
Count = Annotated[int, Field(ge=0, strict=True)]


def _timeouts() -> dict[str, float]:
    # AIS tracks live a day so that an AIS gap stays inside one track (the gap detector needs it)
    return {"ais": 86_400.0, "radar": 120.0, "satellite": 3600.0, "sighting": 3600.0, "partner": 86_400.0}


class FusionConfig(BaseModel):
    """How the tracker predicts, gates, associates, initiates and deletes, and when a contact is dark.

    Positions are tracked in one local metric frame (azimuthal equidistant around `origin_lat/lon`, or
    around the first batch's centre when not given); distances in metres, speeds in m/s inside.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    # "tracks": the multi-sensor tracker (kinematic association, M-of-N, fused track ids T000123);
    # "identity": one track per reported identity (`mmsi:<mmsi>`, `<sensor>:<target ref>`, a partner's
    # track id), its state the latest report (speed and course from consecutive fixes when not
    # reported), no fusion across sensors: for a node that relays identified reports (AIS only) and
    # for replays checked row by row against their file (`fusion/identity.py`)
    association: Literal["tracks", "identity"] = "tracks"
    origin_lat: Annotated[float, Field(ge=-90, le=90, strict=True)] | None = None
    origin_lon: Annotated[float, Field(ge=-180, le=180, strict=True)] | None = None
    accel_sigma_mps2: PositiveNum = 0.5  # white-noise acceleration of the constant-velocity model
    ais_sigma_m: PositiveNum = 25.0  # AIS position error (1 sigma)
    radar_sigma_m: PositiveNum = 50.0  # used when a radar row carries no `sigma_m`
    satellite_sigma_m: PositiveNum = 200.0  # SAR / optical detection position error
    # radar error as an ellipse (range sigma along the bearing, bearing sigma across) instead of a circle
    # of the larger of the two; off by default: it needs ranges that are true to the range sigma
    radar_error_ellipse: Annotated[bool, Field(strict=True)] = False
    init_speed_sigma_mps: PositiveNum = 12.0  # velocity uncertainty of a new track without reported speed
    gate_chi2: PositiveNum = 16.0  # Mahalanobis gate (2 dof; 16 keeps 99.97 %)
    gate_max_m: PositiveNum = 5_000.0  # KD-tree search radius: no association beyond this
    ref_bonus: NonNegNum = 8.0  # cost bonus for a contact with the radar target number last seen on a track
    init_m: Annotated[int, Field(ge=1, strict=True)] = 3  # M-of-N confirmation of radar-only tracks, ...
    init_n: Annotated[int, Field(ge=1, strict=True)] = 5  # ... counted in revisits of their own radar
    # per radar site id: its report interval (s); other sites' are learned from their target numbers
    revisit_s: dict[str, PositiveNum] = Field(default_factory=dict)
    timeout_s: dict[str, PositiveNum] = Field(default_factory=_timeouts)  # delete after silence, per kind
    ais_max_speed_kn: PositiveNum = 60.0  # same MMSI farther than this speed allows => another ship
    merge_votes: Count = 3  # AIS reports on a never-dark anonymous track before it merges (0: never)
    coast_max_s: PositiveNum = 600.0  # a track silent longer than this takes no radar/satellite contact
    scan_window_s: NonNegNum = 1.0  # observations this close in time form one batch
    dark_distance_m: NonNegNum = DARK_DISTANCE_M  # no AIS vessel within this of a contact => dark target
    dark_min_contacts: dict[str, Annotated[int, Field(ge=1, strict=True)]] = Field(
        default_factory=lambda: {"radar": DARK_MIN_RADAR_CONTACTS}
    )  # per kind, else 1
    ais_projection_max_s: NonNegNum = AIS_SILENT_S  # AIS vessel projected no further than this

    @field_validator("timeout_s", mode="after")
    @classmethod
    def _every_kind_times_out(cls, value: dict[str, float]) -> dict[str, float]:
        return {**_timeouts(), **value}  # a partial table keeps the other kinds' defaults

    @field_validator("init_n", mode="after")
    @classmethod
    def _n_not_below_m(cls, value: int, info: Any) -> int:
        m = info.data.get("init_m", 1)
        if value < m:
            raise ValueError(f"init_n ({value}) must be at least init_m ({m})")
        return value

    @classmethod
    def from_dict(cls, values: dict[str, Any], source: str = "<config>") -> FusionConfig:
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            err = exc.errors()[0]
            loc = ".".join(str(p) for p in err["loc"])
            if err["type"] == "extra_forbidden":
                known = ", ".join(sorted(cls.model_fields))
                raise ConfigError(f"{source}: unknown fusion setting {loc!r} (known: {known})") from None
            value = err.get("input")
            shown = f"{value!r}" + (" (NaN)" if isinstance(value, float) and math.isnan(value) else "")
            raise ConfigError(f"{source}: fusion setting {loc} = {shown}: {err['msg'].lower()}") from None

    def params(self) -> dict[str, Any]:
        """The parameters quoted in events, so anyone can ask why a contact was dark."""
        return {"dark_distance_m": self.dark_distance_m, "ais_projection_max_s": self.ais_projection_max_s}
