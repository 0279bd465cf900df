"""Sources: one module per input format or transport.

Each yields observations and Rejected records; none raises on a bad line."""
