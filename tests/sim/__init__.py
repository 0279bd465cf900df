"""Tests of the scenario simulator and exercise scoring."""
