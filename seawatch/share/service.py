"""A federated node: the node (store, pipeline, API) plus its federation, started and stopped together.

`seawatch node --config FILE` runs one; the tests and the benchmark build them in process.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from seawatch.share.federation import Federation
from seawatch.share.node_link import NodeLink, NodeSink
from seawatch.share.settings import FederationSettings, nats_transport
from seawatch.share.transport import Transport

if TYPE_CHECKING:
    from fastapi import FastAPI

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
        self.federation = Federation(
            fed_settings, transport or nats_transport(fed_settings), NodeSink(self.node)
        )
        self.link = NodeLink(self.node, self.federation)
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

    def app(self, manage: bool = True) -> FastAPI:
        """The node's API with /api/share mounted, partner views audited, and (with `manage`) the node
        and federation started and stopped by the app's lifespan."""
        from starlette.routing import Mount

        from seawatch.api.app import create_app
        from seawatch.share.routes import router
        from seawatch.share.view_audit import PartnerViewAudit

        app = create_app(self.node, manage_node=False)
        routes = app.router.routes
        mounted = any(
            getattr(r, "original_router", None) is router
            or str(getattr(r, "path", "")).startswith("/api/share/")
            for r in routes
        )
        if not mounted:
            app.include_router(router)  # the app factory mounts it already; this is the fallback
            # the web picture is mounted at "/": keep it last so /api/share/... is reached
            for mount in [r for r in routes if isinstance(r, Mount) and r.path in ("", "/")]:
                routes.remove(mount)
                routes.append(mount)
        app.state.federation = self.federation
        app.add_middleware(PartnerViewAudit, audit=self.federation.audit, origins=self.partner_origins)
        if manage:
            inner = app.router.lifespan_context

            @asynccontextmanager
            async def lifespan(a: Any) -> AsyncIterator[Any]:
                async with inner(a) as state:
                    await self.start()
                    try:
                        yield state
                    finally:
                        await self.stop()

            app.router.lifespan_context = lifespan
        return app
