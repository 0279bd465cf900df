"""Shared test fixtures.

Real data is read from ../shared/data (or SEAWATCH_SHARED_DATA). Outside CI a missing data set skips
the tests that need it, with a message; in CI (CI=true) it is a failure, so nothing skips silently.
"""

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


@pytest.fixture(scope="session")
def shared_data() -> Path:
    return require_shared()
