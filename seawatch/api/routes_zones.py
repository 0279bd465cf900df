"""Zones (read: viewer; edit: analyst): the node's drawn zones, the bundled zones the detectors also
watch (territorial seas), and the one list of zone kinds the page offers."""

from __future__ import annotations

import json
import uuid
from functools import lru_cache
from typing import Any

import shapely
from fastapi import APIRouter, Depends, Request, Response

from seawatch.api.auth import Analyst, Principal, require
from seawatch.api.problems import FieldError
from seawatch.api.schemas_zones import ZoneCollection, ZoneFeature, ZoneIn, ZoneKindOut, ZoneKindsOut
from seawatch.errors import NotFoundError
from seawatch.model.zone import DEFAULT_ZONE_KIND, ZONE_KIND_ALIASES, ZONE_KIND_LABELS
from seawatch.node.node import Node

router = APIRouter(prefix="/api")
viewer = [Depends(require("viewer"))]


def _node(request: Request) -> Node:
    node: Node = request.app.state.node
    return node


def _feature(raw: dict[str, Any]) -> ZoneFeature:
    props = raw.get("properties") or {}
    zone_id = str(raw.get("id") or props.get("zone_id") or "")
    return ZoneFeature.model_validate({"id": zone_id, "geometry": raw.get("geometry"), "properties": props})


@lru_cache(maxsize=1)
def _bundled() -> ZoneCollection:
    from seawatch.geo.zones import DEFAULT_ZONES_ATTRIBUTION, default_zones

    features = [
        ZoneFeature.model_validate(
            {
                "id": z.zone_id,
                "geometry": json.loads(shapely.to_geojson(z.geometry)),
                "properties": {"zone_id": z.zone_id, "name": z.name, "kind": z.kind, "bundled": True},
            }
        )
        for z in default_zones()
    ]
    return ZoneCollection(features=features, attribution=DEFAULT_ZONES_ATTRIBUTION)


@router.get("/zones", response_model=ZoneCollection, dependencies=viewer, summary="Zones drawn on this node")
def list_zones(request: Request) -> ZoneCollection:
    return ZoneCollection(features=[_feature(f) for f in _node(request).store.zones()])


@router.get("/zones/kinds", response_model=ZoneKindsOut, dependencies=viewer, summary="The zone kinds")
def zone_kinds() -> ZoneKindsOut:
    kinds = [ZoneKindOut(kind=k, label=label) for k, label in ZONE_KIND_LABELS.items()]
    return ZoneKindsOut(kinds=kinds, default=DEFAULT_ZONE_KIND, aliases=ZONE_KIND_ALIASES)


@router.get(
    "/zones/bundled",
    response_model=ZoneCollection,
    dependencies=viewer,
    summary="Bundled zones the detectors watch beside the drawn ones (territorial seas)",
)
def bundled_zones() -> ZoneCollection:
    return _bundled()


def _store_zone(node: Node, zone_id: str, zone: ZoneIn, who: Principal, action: str) -> ZoneFeature:
    if any(f.id == zone_id for f in _bundled().features):
        raise FieldError("id", f"{zone_id!r} is the id of a bundled zone: choose another")
    props = {**zone.properties, "zone_id": zone_id}
    feature = {"type": "Feature", "id": zone_id, "geometry": zone.geometry, "properties": props}
    node.store.put_zone(zone_id, feature)
    node.store.audit(who.name, action, {"zone_id": zone_id, "name": props.get("name"), "kind": props["kind"]})
    node.refresh_zones()
    return _feature(feature)


@router.post("/zones", status_code=201, response_model=ZoneFeature, summary="Draw a zone (analyst)")
def create_zone(request: Request, zone: ZoneIn, who: Analyst) -> ZoneFeature:
    zone_id = zone.id or str(zone.properties.get("zone_id") or uuid.uuid4().hex[:12])
    return _store_zone(_node(request), zone_id, zone, who, "zone.create")


@router.get("/zones/{zone_id}", response_model=ZoneFeature, dependencies=viewer, summary="One drawn zone")
def get_zone(request: Request, zone_id: str) -> ZoneFeature:
    feature = _node(request).store.zone(zone_id)
    if feature is None:
        raise NotFoundError(f"no zone {zone_id}")
    return _feature(feature)


@router.put("/zones/{zone_id}", response_model=ZoneFeature, summary="Replace a zone (analyst)")
def put_zone(request: Request, zone_id: str, zone: ZoneIn, who: Analyst) -> ZoneFeature:
    return _store_zone(_node(request), zone_id, zone, who, "zone.update")


@router.delete(
    "/zones/{zone_id}", status_code=204, response_class=Response, summary="Delete a zone (analyst)"
)
def delete_zone(request: Request, zone_id: str, who: Analyst) -> Response:
    node = _node(request)
    if not node.store.delete_zone(zone_id):
        raise NotFoundError(f"no zone {zone_id}")
    node.store.audit(who.name, "zone.delete", {"zone_id": zone_id})
    node.refresh_zones()
    return Response(status_code=204)
