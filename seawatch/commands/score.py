"""`seawatch score TRUTH EVENTS`: precision, recall and timing error per event type."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

QUICK_EXIT = True  # a batch command: see seawatch.cli


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "score",
        help="score detected events against ground truth (precision, recall, timing error per type)",
        description=(
            "Match EVENTS to TRUTH (both JSON lines in the `seawatch detect` format) one-to-one per type: "
            "same type; same MMSI set when both name vessels, else positions within --position-tolerance-m; "
            "time intervals overlapping within --time-tolerance-s; optimal assignment on start+end error."
        ),
    )
    p.add_argument("truth", type=Path, help="truth.jsonl")
    p.add_argument("events", type=Path, help="detected events (JSON lines)")
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.add_argument("--time-tolerance-s", type=float, default=900.0)
    p.add_argument("--position-tolerance-m", type=float, default=10_000.0)
    p.add_argument("--types", default=None, help="comma-separated event types to score (default: all seen)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from seawatch.sim.scoring import MatchRule, format_table, read_events, score

    truth, t_rej = read_events(args.truth)
    events, e_rej = read_events(args.events)
    rule = MatchRule(time_tolerance_s=args.time_tolerance_s, position_tolerance_m=args.position_tolerance_m)
    types = [t.strip() for t in args.types.split(",") if t.strip()] if args.types else None
    report = score(truth, events, rule, types)
    report["rejected"] = {"truth": len(t_rej), "events": len(e_rej)}
    for rej in (t_rej + e_rej)[:5]:
        print(f"rejected {rej.source}:{rej.line_no}: {rej.reason}", file=sys.stderr)
    if args.format == "json":
        print(json.dumps(report, indent=2))
    else:
        print(format_table(report))
    return 0
