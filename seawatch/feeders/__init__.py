"""Stream transforms between sources and the tracker: reorder, dedupe, filter."""
