"""Event detection: every event type of PRODUCT.md, each defined once and run in two forms.

- `bulk.run_bulk` / `bulk.detect_bulk`: vectorised over an archive (polars / numpy, cell indexes in `geo`).
- `live.LiveDetector`: incremental per-track state; an event is emitted as soon as it qualifies and
  updated (same `event_id`) until it ends. `replay.replay_live` feeds a frame through it.
On time-ordered input both give the same events (tests/detect prove it on the real US coastal day).

Modules: `tracks` (keys, ordering, de-duplication, cleaning flags, jumps: the handling of bad input is
documented there), `bins` (10-min bins), `runs`, and one module per event type: `ais_gap`, `pairs`
(`encounter`, `rendezvous`), `loitering`, `zone_events` (`zone_entry`, `zone_exit`), `speed_anomaly`,
`position_jump`, `identity_conflict`, `port_visit`, `watchlist_hit`. Thresholds: `config` and the
documented thresholds (`model/thresholds.py`); per-zone overrides in zone GeoJSON properties;
`severity` (details.why from model/explain.py). `dark_target` is fusion's.
"""
