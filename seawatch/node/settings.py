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

    name: str
    kind: FeedKind
    host: str = "127.0.0.1"
    port: int | None = None
    paths: list[Path] = Field(default_factory=list)
    speed: float = 1.0
    loop: bool = False
    scenario: str | None = None
    sensors: Path | None = None  # radar site config (TOML) for radar feeds
    timeout_s: float = 300.0  # silent longer than this raises a sensor_silent event
    lat: float | None = None  # where the sensor is (for the sensor_silent event)
    lon: float | None = None


class ApiSettings(BaseModel):
    max_request_bytes: int = 1_048_576  # larger bodies get 413
    rate_limit_per_s: float = 50.0  # token bucket per client (token, session or address)
    rate_limit_burst: int = 200
    ws_client_buffer: int = 2000  # messages queued per WebSocket client before it is disconnected
    session_ttl_s: float = 12 * 3600.0
    api_token_ttl_days: float = 90.0  # default lifetime of a new API token
    cookie_secure: bool = False  # set when served behind HTTPS
    ws_recheck_s: float = 1.0  # a live WebSocket re-checks its session/token this often
    allowed_origins: list[str] = Field(default_factory=list)  # WebSocket Origins besides the node's own
    trusted_proxies: list[str] = Field(default_factory=list)  # reverse proxies whose X-Forwarded-For counts
    max_json_depth: int = 32  # deeper request bodies get 422
    rate_limit_clients: int = 10_000  # buckets kept; the least recently seen is evicted beyond
    login_free_failures: int = 5  # failed logins per (user, address) before the delays start
    login_delay_s: float = 1.0  # the first delay; doubles with every further failure (at most 5 min)
    tls_certfile: Path | None = None  # HTTPS served by the node itself (else put a reverse proxy in front)
    tls_keyfile: Path | None = None


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
        description="fusion's LiveFusion, or one track per MMSI / target (tests, benchmarks)",
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
        return FusionConfig.from_dict(dict(self.fusion), "pipeline.fusion")


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
