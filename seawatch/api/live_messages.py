"""Messages of the live WebSocket (`/api/live`): not an HTTP route, so published by `api/docs.py` among
the OpenAPI document's schemas as `LiveMessage`, for the page's generated types."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from seawatch.api.models import ApiModel, SeaEvent, Sighting, TrackFeature
from seawatch.api.schemas_alerts import AlertStateOut
from seawatch.api.schemas_cases import CaseSummary
from seawatch.api.schemas_chat import ChatMessage, ChatRoom
from seawatch.api.schemas_ops import AssetOut, InterceptUpdate
from seawatch.ops.planning import Tasking, TaskingReleased


class LiveTrack(ApiModel):
    kind: Literal["track"]
    data: TrackFeature


class LiveEvent(ApiModel):
    kind: Literal["event"]
    data: SeaEvent


class LiveSighting(ApiModel):
    kind: Literal["sighting"]
    data: Sighting


class LiveAlertState(ApiModel):
    kind: Literal["alert_state"]
    data: AlertStateOut


class LiveChatMessage(ApiModel):
    """A chat message, own or a partner's (again, with `translations`, when a translation is ready)."""

    kind: Literal["case_message"]
    data: ChatMessage


class LiveChatRoom(ApiModel):
    """A chat room opened or changed (here or by a partner)."""

    kind: Literal["chat_room"]
    data: ChatRoom


class LiveAsset(ApiModel):
    """An asset changed (`ops/service.py`): readiness, position, tasking."""

    kind: Literal["asset"]
    data: AssetOut


class LiveTasking(ApiModel):
    """An asset tasked on a track (the target, the route, the intercept point), or its tasking ended."""

    kind: Literal["tasking"]
    data: Tasking | TaskingReleased


class LiveIntercept(ApiModel):
    """An alert's best intercept changed."""

    kind: Literal["intercept"]
    data: InterceptUpdate


class LiveCase(ApiModel):
    """A case opened or changed (`/api/cases`): its summary; fetch the case for the rest."""

    kind: Literal["case"]
    data: CaseSummary


LiveMessage = Annotated[
    LiveTrack
    | LiveEvent
    | LiveSighting
    | LiveAlertState
    | LiveChatMessage
    | LiveChatRoom
    | LiveAsset
    | LiveTasking
    | LiveIntercept
    | LiveCase,
    Field(discriminator="kind"),
]
