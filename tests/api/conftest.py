from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from seawatch.node.settings import ApiSettings, FeedSettings, NodeSettings, PipelineSettings
from tests.node.harness import RunningNode, caribbean_slice, free_port, running_node
from tests.shared import require_shared


@pytest.fixture(scope="package")
def us_slice(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = require_shared("ais-tracks-us-coastal-2020", "US_coastal_2020_06_30.csv.gz")
    return caribbean_slice(source, tmp_path_factory.mktemp("data") / "gulf.csv")


@pytest.fixture(scope="package")
def live_node(us_slice: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningNode]:
    """A node that has replayed the real Gulf/Caribbean slice of the US coastal day (as fast as it can)."""
    settings = NodeSettings(
        node_id="test",
        data_dir=tmp_path_factory.mktemp("node"),
        port=free_port(),
        feeds=[FeedSettings(name="us-gulf", kind="file", paths=[us_slice], speed=0, timeout_s=3600)],
        api=ApiSettings(rate_limit_per_s=10_000, rate_limit_burst=10_000),
        pipeline=PipelineSettings(tracker="latest"),  # one track per MMSI: exact checks against the file
    )
    with running_node(settings) as node:
        yield node
