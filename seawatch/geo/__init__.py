"""Geography: land and distance from shore, ports, zones."""
