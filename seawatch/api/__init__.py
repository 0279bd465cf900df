"""HTTP API and live WebSocket."""
