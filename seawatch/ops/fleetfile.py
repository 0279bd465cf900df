"""Read a fleet file: TOML with `[[assets]]` tables (as in a node's settings file) or JSON (a list of
assets, or an object with an `assets` list). Errors name the file, the asset and the field."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from seawatch.errors import ConfigError
from seawatch.ops.assets import AssetConfig


def parse_assets(items: Any, where: str) -> list[AssetConfig]:
    if not isinstance(items, list):
        raise ConfigError(f"{where}: 'assets' must be a list of tables")
    assets: list[AssetConfig] = []
    seen: set[str] = set()
    for number, item in enumerate(items):
        label = item.get("id", number) if isinstance(item, dict) else number
        try:
            asset = AssetConfig.model_validate(item)
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(p) for p in first["loc"]) or "asset"
            raise ConfigError(f"{where}: asset {label}: {field}: {first['msg']}") from exc
        if asset.id in seen:
            raise ConfigError(f"{where}: asset {asset.id}: duplicate id")
        seen.add(asset.id)
        assets.append(asset)
    return assets


def load_assets(path: Path) -> list[AssetConfig]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    try:
        data: Any = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(
            f"{path}: not valid {'JSON' if path.suffix.lower() == '.json' else 'TOML'}: {exc}"
        ) from exc
    items = data.get("assets", []) if isinstance(data, dict) else data
    return parse_assets(items, str(path))
