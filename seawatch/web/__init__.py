"""The web common operational picture (static assets served by the node)."""
