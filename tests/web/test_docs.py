"""`/docs` on a node with no internet: Swagger UI is served by the node itself and lists the API."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from tests.web.harness import ARTIFACTS, NodeProcess


def test_docs_render_offline_with_every_operation(anonymous_page: Any, node: NodeProcess) -> None:
    page = anonymous_page
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto("/docs")
    page.locator(".opblock").first.wait_for()
    with node.client() as client:
        spec = client.get("/openapi.json").json()
    operations = sum(len(methods) for methods in spec["paths"].values())
    assert page.locator(".opblock").count() == operations >= 20
    assert page.locator(".opblock-summary-path[data-path='/api/tracks']").count() == 1
    page.screenshot(path=str(ARTIFACTS / "docs.png"))

    node_origin = urlsplit(node.url).netloc
    elsewhere = [
        url for url in requested if urlsplit(url).scheme != "data" and urlsplit(url).netloc != node_origin
    ]
    assert not elsewhere, f"/docs asked outside the node: {elsewhere}"
    assert any(url.endswith("/swagger/swagger-ui-bundle.js") for url in requested)
