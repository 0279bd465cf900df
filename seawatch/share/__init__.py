"""Sharing between national nodes: policies, envelopes, transports, audit."""
