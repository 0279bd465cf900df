"""The node and its services as FastAPI dependencies, one way for every router that needs them:
`NodeDep` (the app's `Node`), `CasesDep` (its `CaseService`), `ChatDep` (its `ChatService`).

    async def route(node: NodeDep, cases: CasesDep) -> ...
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from seawatch.cases.service import CaseService, service_for
from seawatch.node.chat import ChatService
from seawatch.node.node import Node


def node_of(request: Request) -> Node:
    node: Node = request.app.state.node
    return node


def cases_of(request: Request) -> CaseService:
    return service_for(node_of(request).store)


def chat_of(request: Request) -> ChatService:
    return node_of(request).chat


NodeDep = Annotated[Node, Depends(node_of)]
CasesDep = Annotated[CaseService, Depends(cases_of)]
ChatDep = Annotated[ChatService, Depends(chat_of)]
