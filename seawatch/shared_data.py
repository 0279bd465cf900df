"""Where the real shared data set lives (../shared/data beside the repository, or SEAWATCH_SHARED_DATA)."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def shared_data_dir() -> Path:
    override = os.environ.get("SEAWATCH_SHARED_DATA")
    if override:
        return Path(override)
    return REPO_ROOT.parent / "shared" / "data"


def shared_data_path(*parts: str) -> Path:
    return shared_data_dir().joinpath(*parts)
