"""A federated node: the node (store, pipeline, API) plus its federation, started and stopped together.

`seawatch node --config FILE` runs one; the tests and the benchmark build them in process. Its HTTP app
(the API with /api/share mounted) is composed by `seawatch.server.federated_app`: share never imports
the API.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from seawatch.share.federation import Federation
from seawatch.share.node_link import NodeLink
from seawatch.share.node_sink import NodeSink
from seawatch.share.settings import FederationSettings, nats_transport
from seawatch.share.transport import Transport

if TYPE_CHECKING:
    from seawatch.node.node import Node
    from seawatch.node.pipeline import EventStage
    from seawatch.node.settings import NodeSettings

log = logging.getLogger(__name__)


class FederatedNode:
    def __init__(
        self,
        node_settings: NodeSettings,
        fed_settings: FederationSettings,
        transport: Transport | None = None,
        detectors: Sequence[EventStage] | None = None,
    ) -> None:
        from seawatch.node.node import Node

        if node_settings.node_id != fed_settings.node_id:
            raise ValueError("node and federation settings name different nodes")
        self.node: Node = Node(node_settings, detectors=detectors)
        self.node.set_partners(fed_settings.partner_keys)
        sink = NodeSink(self.node)
        self.federation = Federation(fed_settings, transport or nats_transport(fed_settings), sink)
        self.link = NodeLink(self.node, self.federation, sink)
        self._started = False

    @property
    def node_id(self) -> str:
        return self.node.node_id

    async def start(self) -> None:
        await self.node.start()
        await self.federation.start()
        await self.link.start()
        self._started = True

    async def stop(self) -> None:
        if not self._started:
            return
        self._started = False
        await self.link.stop()
        await self.federation.stop()
        await self.node.stop()
        self.federation.close()

    def partner_origins(self) -> set[str]:
        """Partner nodes whose data is in the live picture now."""
        found: set[str] = set()
        for state in self.node.live.values():
            found.update(state.nodes)
        found.discard(self.node_id)
        return found
