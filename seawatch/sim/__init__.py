"""Scenario simulator and exercise scoring."""
