"""Event detectors, each with a live (incremental) and a bulk (vectorised) form."""
