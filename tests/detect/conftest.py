"""Shared fixtures for detection tests; the full real day runs once per session."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from seawatch.detect.context import DetectContext
from seawatch.shared_data import REPO_ROOT
from tests.shared import require_shared


@pytest.fixture(scope="session")
def ctx() -> DetectContext:
    """Default thresholds, WPI ports and Natural Earth land from the shared data, no zones, no clock."""
    require_shared("natural-earth-marine")
    require_shared("ports")
    context = DetectContext()
    _ = context.port_list, context.land_mask
    return context


@pytest.fixture(scope="session")
def day_cli() -> tuple[list[dict[str, Any]], str]:
    """`seawatch detect` over the full real US coastal day (bulk), as a user runs it."""
    path = require_shared("ais-tracks-us-coastal-2020", "US_coastal_2020_06_30.csv.gz")
    require_shared("natural-earth-marine")
    proc = subprocess.run(
        [sys.executable, "-m", "seawatch", "detect", str(path)],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return [json.loads(line) for line in proc.stdout.splitlines()], proc.stderr
