"""Simulator benchmark."""
