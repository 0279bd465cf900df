"""Access to the real shared data set from tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from seawatch.shared_data import shared_data_dir


def require_shared(*parts: str) -> Path:
    """Path to a real data file or folder, skipping (or failing in CI) when it is absent."""
    path = shared_data_dir().joinpath(*parts)
    if not path.exists():
        message = f"real data not found: {path} (set SEAWATCH_SHARED_DATA to the shared data folder)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path
