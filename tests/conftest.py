"""Shared test fixtures.

Real data is read from ../shared/data (or SEAWATCH_SHARED_DATA). Outside CI a missing data set skips
the tests that need it, with a message; in CI (CI=true) it is a failure, so nothing skips silently.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.shared import require_shared


@pytest.fixture(scope="session")
def shared_data() -> Path:
    return require_shared()
