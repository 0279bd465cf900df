"""Node settings: defaults < TOML file < `SEAWATCH_*` environment < command line.

Nested values in the environment use `__` (e.g. `SEAWATCH_API__RATE_LIMIT_PER_S=20`); feeds are
declared in the TOML file as `[[feeds]]` tables.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from seawatch.detect.config import DetectConfig
from seawatch.errors import ConfigError
from seawatch.feeders.dedupe import DEFAULT_WINDOW_S
from seawatch.fusion.config import FusionConfig
from seawatch.ops.assets import AssetConfig
from seawatch.ops.tak import TakFeedSettings
from seawatch.outputs.settings import NmeaOutputSettings

FeedKind = Literal["tcp", "udp", "file", "sim", "listen_tcp", "listen_udp"]


class FeedSettings(BaseModel):
    """One input feed. `tcp`/`udp` connect to (or listen on, `listen_*`) a line feed; `file` replays
    files at `speed` × real time (0 = as fast as possible); `sim` streams a simulator scenario."""

    name: str = Field(description="the feed's name: its source in counts, health and stored positions")
    kind: FeedKind = Field(description="tcp / udp (connect), listen_tcp / listen_udp (listen), file, sim")
    host: str = Field(default="127.0.0.1", description="address to connect to or listen on")
    port: int | None = Field(default=None, description="TCP/UDP port (network feeds)")
    paths: list[Path] = Field(default_factory=list, description="files to replay (kind = file)")
    speed: float = Field(
        default=1.0, description="replay / sim pace, × real time of the data (0 = as fast as possible)"
    )
    loop: bool = Field(default=False, description="replay the files, or repeat the exercise, until stopped")
    scenario: str | None = Field(default=None, description="simulator scenario name (kind = sim)")
    sensors: Path | None = Field(default=None, description="radar site config (TOML) for radar feeds")
    timeout_s: float = Field(
        default=300.0, description="silent longer than this raises a sensor_silent event, s"
    )
    lat: float | None = Field(default=None, description="where the sensor is (sensor_silent event), degrees")
    lon: float | None = Field(default=None, description="where the sensor is (sensor_silent event), degrees")


class ApiSettings(BaseModel):
    """The HTTP API and WebSocket: request limits, sessions and tokens, TLS."""

    max_request_bytes: int = Field(default=1_048_576, description="larger request bodies get 413, bytes")
    max_attachment_bytes: int = Field(
        default=8_388_608, description="larger case attachments (files) get 413, bytes"
    )
    rate_limit_per_s: float = Field(
        default=50.0, description="token bucket refill per client (token, session or address), requests/s"
    )
    rate_limit_burst: int = Field(default=200, description="token bucket size per client, requests")
    ws_client_buffer: int = Field(
        default=2000, description="messages queued per WebSocket client before it is disconnected"
    )
    session_ttl_s: float = Field(default=12 * 3600.0, description="lifetime of a login session, s")
    api_token_ttl_days: float = Field(default=90.0, description="default lifetime of a new API token, days")
    cookie_secure: bool = Field(
        default=False, description="Secure session cookie (set when served over HTTPS)"
    )
    ws_recheck_s: float = Field(
        default=1.0, description="a live WebSocket re-checks its session/token this often, s"
    )
    allowed_origins: list[str] = Field(
        default_factory=list, description="WebSocket Origins accepted besides the node's own"
    )
    trusted_proxies: list[str] = Field(
        default_factory=list, description="reverse proxies (addresses) whose X-Forwarded-For counts"
    )
    max_json_depth: int = Field(default=32, description="deeper request bodies get 422, nesting levels")
    rate_limit_clients: int = Field(
        default=10_000, description="rate-limit buckets kept; the least recently seen is evicted beyond"
    )
    login_free_failures: int = Field(
        default=5, description="failed logins per (user, address) before the delays start"
    )
    login_delay_s: float = Field(
        default=1.0,
        description="the first login delay; doubles with every further failure (at most 5 min), s",
    )
    tls_certfile: Path | None = Field(
        default=None,
        description="certificate (PEM) for HTTPS served by the node itself (else a reverse proxy)",
    )
    tls_keyfile: Path | None = Field(default=None, description="private key (PEM) of tls_certfile")


class PipelineSettings(BaseModel):
    """The live pipeline: queue and batches, the live picture, and the fusion / detection it runs."""

    model_config = ConfigDict(extra="forbid")

    queue_size: int = Field(
        default=20_000, gt=0, description="bounded input queue, items (sources wait when full)"
    )
    batch_max: int = Field(default=5_000, gt=0, description="items per committed batch")
    batch_interval_s: float = Field(
        default=0.1, gt=0, description="longest wait before a partial batch is committed, s"
    )
    live_max_age_s: float = Field(
        default=3600.0, gt=0, description="tracks older than this (data time, s) leave the picture"
    )
    compact_every_s: float = Field(
        default=300.0, gt=0, description="wall-clock period of history compaction, s"
    )
    compact_keep_s: float = Field(
        default=3600.0, ge=0, description="data time kept in SQLite before Parquet, s"
    )
    detect_config: Path | None = Field(
        default=None,
        description="detection thresholds (TOML, as `seawatch detect --config`); checked at start",
    )
    fusion: dict[str, Any] = Field(
        default_factory=dict,
        description="fusion parameters over the defaults (`FusionConfig`: gate_max_m, dark_distance_m...)",
    )
    dedupe_window_s: float = Field(
        default=DEFAULT_WINDOW_S,
        ge=0,
        description="an AIS report repeated within this data time (any receiver) is one observation"
        " (counted as duplicate), s",
    )
    tracker: Literal["fusion", "latest"] = Field(
        default="fusion",
        description='"latest": short for fusion.association = "identity" (one track per MMSI / target,'
        " its state the latest report: AIS-only relays, replays checked row by row)",
    )

    @field_validator("detect_config")
    @classmethod
    def _detect_config_usable(cls, path: Path | None) -> Path | None:
        if path is not None:
            try:
                DetectConfig.from_file(path)
            except ConfigError as exc:  # names the key, the value and what is allowed
                raise ValueError(str(exc)) from None
        return path

    @field_validator("fusion")
    @classmethod
    def _fusion_usable(cls, values: dict[str, Any]) -> dict[str, Any]:
        try:
            FusionConfig.from_dict(dict(values), "pipeline.fusion")
        except ConfigError as exc:
            raise ValueError(str(exc)) from None
        return values

    def fusion_config(self) -> FusionConfig:
        values = dict(self.fusion)
        if self.tracker == "latest":
            values.setdefault("association", "identity")
        return FusionConfig.from_dict(values, "pipeline.fusion")


class NodeSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SEAWATCH_", env_nested_delimiter="__", extra="forbid")

    node_id: str = "local"
    data_dir: Path = Path("seawatch-data")
    host: str = "127.0.0.1"
    port: int = 8765
    store_synchronous: Literal["FULL", "NORMAL"] = "FULL"
    feeds: list[FeedSettings] = Field(default_factory=list)
    api: ApiSettings = Field(default_factory=ApiSettings)
    pipeline: PipelineSettings = Field(default_factory=PipelineSettings)
    federation: dict[str, Any] = Field(default_factory=dict)  # read by seawatch.share.settings
    assets: list[AssetConfig] = Field(default_factory=list)  # [[assets]]: patrol boats and aircraft (ops/)
    tak: list[TakFeedSettings] = Field(default_factory=list)  # [[tak]]: Cursor-on-Target feeds (ops/tak.py)
    outputs: list[NmeaOutputSettings] = Field(default_factory=list)  # [[outputs]]: NMEA for plotters


def load_settings(config: Path | None = None, **overrides: Any) -> NodeSettings:
    """Build settings from defaults, the TOML file, the environment, then `overrides` (command line)."""
    if config is not None and not Path(config).is_file():
        raise ConfigError(f"settings file not found: {config}")
    given = {k: v for k, v in overrides.items() if v is not None}

    class _FromFile(NodeSettings):
        @classmethod
        def settings_customise_sources(
            cls,
            settings_cls: type[BaseSettings],
            init_settings: PydanticBaseSettingsSource,
            env_settings: PydanticBaseSettingsSource,
            dotenv_settings: PydanticBaseSettingsSource,
            file_secret_settings: PydanticBaseSettingsSource,
        ) -> tuple[PydanticBaseSettingsSource, ...]:
            sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
            if config is not None:
                sources.append(TomlConfigSettingsSource(settings_cls, toml_file=config))
            return tuple(sources)

    try:
        loaded = _FromFile(**given)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        value = first.get("input")
        shown = "" if value is None or isinstance(value, dict) else f" = {value!r}"
        raise ConfigError(
            f"settings{f' ({config})' if config else ''}: {where}{shown}: {first['msg']}"
        ) from exc
    return NodeSettings.model_validate(loaded.model_dump())
