"""Counters of a running node, and their Prometheus text form."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class NodeMetrics:
    received: Counter[str] = field(default_factory=Counter)  # per source
    decoded: Counter[str] = field(default_factory=Counter)
    rejected: Counter[str] = field(default_factory=Counter)
    duplicates: Counter[str] = field(default_factory=Counter)  # reports another receiver gave first
    reject_reasons: Counter[str] = field(default_factory=Counter)
    batches: int = 0
    positions: int = 0
    events: int = 0
    last_batch_s: float = 0.0
    last_batch_items: int = 0
    http_requests: Counter[str] = field(default_factory=Counter)  # per status class
    rate_limited: int = 0


def _esc(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def prometheus_text(m: NodeMetrics, gauges: dict[str, float], acknowledged: dict[str, int]) -> str:
    lines: list[str] = []

    def counter(name: str, help_text: str, values: Counter[str], label: str) -> None:
        lines.append(f"# HELP {name} {help_text}")
        lines.append(f"# TYPE {name} counter")
        for key, value in sorted(values.items()):
            lines.append(f'{name}{{{label}="{_esc(key)}"}} {value}')

    counter("seawatch_received_total", "Items received per source.", m.received, "source")
    counter("seawatch_decoded_total", "Items decoded per source.", m.decoded, "source")
    counter("seawatch_rejected_total", "Items rejected per source.", m.rejected, "source")
    counter(
        "seawatch_duplicate_total",
        "AIS reports already heard from another receiver, per source.",
        m.duplicates,
        "source",
    )
    counter("seawatch_rejected_reason_total", "Rejected items per reason.", m.reject_reasons, "reason")
    counter("seawatch_http_requests_total", "HTTP answers per status class.", m.http_requests, "status")
    totals: tuple[tuple[str, int], ...] = (
        ("seawatch_batches_total", m.batches),
        ("seawatch_positions_total", m.positions),
        ("seawatch_events_total", m.events),
        ("seawatch_rate_limited_total", m.rate_limited),
    )
    for name, total in totals:
        lines += [f"# TYPE {name} counter", f"{name} {total}"]
    for key, count in sorted(acknowledged.items()):
        name = f"seawatch_acknowledged_{key}"
        lines += [
            f"# HELP {name} Committed (acknowledged) {key} in the store.",
            f"# TYPE {name} counter",
            f"{name} {count}",
        ]
    for name, value in sorted(gauges.items()):
        lines += [f"# TYPE seawatch_{name} gauge", f"seawatch_{name} {value}"]
    lines.append(
        f"# TYPE seawatch_last_batch_seconds gauge\nseawatch_last_batch_seconds {m.last_batch_s:.6f}"
    )
    return "\n".join(lines) + "\n"
