"""Frozen value types shared by every stage."""

from seawatch.model.event import EVENT_TYPES, Event
from seawatch.model.observation import AisPosition, AisStatic, Observation, Rejected, SensorKind

__all__ = ["EVENT_TYPES", "AisPosition", "AisStatic", "Event", "Observation", "Rejected", "SensorKind"]
