"""Outputs of a node beyond its API: the fused picture re-broadcast as NMEA 0183 (`[[outputs]]`)."""
