"""Node settings: defaults < TOML file < `SEAWATCH_*` environment < command line.

Nested values in the environment use `__` (e.g. `SEAWATCH_API__RATE_LIMIT_PER_S=20`); feeds are
declared in the TOML file as `[[feeds]]` tables.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from seawatch.errors import ConfigError
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
    tls_certfile: Path | None = None  # HTTPS served by the node itself (else put a reverse proxy in front)
    tls_keyfile: Path | None = None


class PipelineSettings(BaseModel):
    queue_size: int = 20_000  # bounded input queue (sources wait when it is full)
    batch_max: int = 5_000  # items per committed batch
    batch_interval_s: float = 0.1  # longest wait before a partial batch is committed
    live_max_age_s: float = 3600.0  # tracks older than this (data time) leave the live picture
    compact_every_s: float = 300.0  # wall-clock period of history compaction
    compact_keep_s: float = 3600.0  # data time kept in SQLite before moving to Parquet
    detect_config: Path | None = None
    tracker: Literal["fusion", "latest"] = "fusion"  # fusion's LiveFusion, or one track per MMSI / target


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
        raise ConfigError(f"settings{f' ({config})' if config else ''}: {where}: {first['msg']}") from exc
    return NodeSettings.model_validate(loaded.model_dump())
