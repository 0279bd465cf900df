"""The node: settings, live ingest pipeline, live bus and the `Node` object that ties them to a store."""
