"""`[[outputs]]`: the fused picture re-broadcast as NMEA 0183 for chart plotters (OpenCPN, gpsd...).

```toml
[[outputs]]
name = "bridge-plotter"        # also the partner name its release policy is checked under
kind = "tcp"                   # "tcp": a server plotters connect to; "udp": datagrams to host:port
host = "0.0.0.0"               # tcp: the address to listen on; udp: where to send
port = 10110
interval_s = 5                 # the whole (released) picture every interval_s
static_interval_s = 60         # AIS static reports (name, type) every static_interval_s
max_age_s = 600                # tracks not updated for this long are left out
[outputs.policy]               # the same releasability model as a sharing partner (share/policy.py)
track_sources = ["ais", "radar"]
areas = [{type = "Polygon", coordinates = [[[-62, 12], [-59, 12], [-59, 14], [-62, 14], [-62, 12]]]}]
```
The default policy releases nothing: an output sends only what its policy allows, as any partner.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from seawatch.errors import ConfigError


class NmeaOutputSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=64)
    kind: Literal["tcp", "udp"] = "tcp"
    host: str = "127.0.0.1"
    port: int = Field(ge=1, le=65535)
    interval_s: float = Field(default=5.0, ge=0.1, le=3600)
    static_interval_s: float = Field(default=60.0, ge=1, le=86400)
    max_age_s: float = Field(default=600.0, gt=0, le=7 * 86400)
    talker: str = Field(default="RA", pattern=r"^[A-Z]{2}$")  # TLL sentences: $RATLL
    max_client_buffer_bytes: int = Field(default=1 << 20, ge=4096)  # a slower TCP client is dropped
    policy: dict[str, Any] = Field(default_factory=dict)

    @field_validator("policy")
    @classmethod
    def _policy_is_valid(cls, value: dict[str, Any]) -> dict[str, Any]:
        from seawatch.share.policy import SharePolicy

        try:
            SharePolicy.from_dict("output", value)
        except ConfigError as exc:
            raise ValueError(str(exc)) from None
        return value
