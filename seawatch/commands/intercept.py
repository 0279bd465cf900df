"""`seawatch intercept`: earliest intercept of a target by each asset, over water, one JSON line each."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from seawatch.errors import InputError

QUICK_EXIT = True  # a batch command: see seawatch.cli


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "intercept",
        help="plan the earliest intercept of a target by each asset (over water), best first",
        description=(
            "For a target holding its course and speed, print one JSON object per asset (best first): "
            "asset, reachable, eta_s (from --time), lat, lon (intercept point), route_nm, return_nm, "
            "fuel_ok, route (GeoJSON LineString coordinates, around land), in_territorial_sea, zone, "
            "uncertainty_nm, search_radius_nm, eta_worst_s (with --target-sigma), method, reason. Boats "
            "route over water (Natural Earth land; a target in a harbour that only the fine OSM land shows "
            "as water is planned with method harbour); aircraft fly straight."
        ),
    )
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--assets", type=Path, metavar="FILE", help="fleet file: TOML [[assets]] tables or JSON")
    src.add_argument(
        "--asset",
        action="append",
        metavar="ID,LAT,LON,SPEED_KN[,RANGE_NM]",
        help="a boat at LAT,LON with top speed SPEED_KN (and fuel range, one way and back); repeatable",
    )
    p.add_argument("--target", required=True, metavar="LAT,LON,COURSE_DEG,SPEED_KN")
    p.add_argument(
        "--target-sigma",
        default=None,
        metavar="POS_M,VEL_MPS",
        help="the target's position and velocity error (1 sigma, per axis): gives the search radius at the "
        "intercept and a conservative ETA (eta_worst_s, 95 %%), by which plans are ranked",
    )
    p.add_argument("--time", default=None, metavar="ISO", help="time of the target fix (default: now, UTC)")
    p.add_argument("--method", choices=("fmm", "dijkstra"), default="fmm", help="sea distance solver")
    p.set_defaults(func=run)


def _numbers(text: str, count: int, what: str, optional: int = 0) -> list[float]:
    parts = [s.strip() for s in text.split(",")]
    if not count <= len(parts) <= count + optional:
        raise InputError(f"{what} {text!r}: expected {count} comma-separated values")
    try:
        return [float(v) for v in parts]
    except ValueError as exc:
        raise InputError(f"{what} {text!r}: {exc}") from exc


def _time(text: str | None) -> datetime:
    if text is None:
        return datetime.now(UTC)
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise InputError(f"--time {text!r}: not an ISO 8601 time") from exc
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def run(args: argparse.Namespace) -> int:
    from seawatch.ops.intercept import InterceptPlanner
    from seawatch.ops.plane import KN_PER_MPS
    from seawatch.ops.pursuit import Pursuer, TargetState, rank_key

    when = _time(args.time)
    lat, lon, cog, sog = _numbers(args.target, 4, "--target")
    sigma_m, sigma_mps = 0.0, 0.0
    if args.target_sigma is not None:
        sigma_m, sigma_mps = _numbers(args.target_sigma, 2, "--target-sigma")
        if not (0.0 <= sigma_m <= 100_000.0 and 0.0 <= sigma_mps <= 50.0):
            raise InputError(
                f"--target-sigma {args.target_sigma!r}: 0 <= POS_M <= 100000 and 0 <= VEL_MPS <= 50"
            )
    target = TargetState(
        lat=lat,
        lon=lon,
        cog_deg=cog % 360.0,
        sog_kn=sog,
        time=when,
        sigma_m=sigma_m,
        sigma_kn=sigma_mps * KN_PER_MPS,
    )
    planner = InterceptPlanner(method=args.method)
    if args.assets is not None:
        from seawatch.ops.fleetfile import load_assets
        from seawatch.ops.planning import plan_fleet

        plans = plan_fleet(planner, target, load_assets(args.assets), when)
    else:
        pursuers = []
        for text in args.asset:
            asset_id, _, rest = text.partition(",")
            if not asset_id.strip():
                raise InputError(f"--asset {text!r}: expected ID,LAT,LON,SPEED_KN[,RANGE_NM]")
            values = _numbers(rest, 3, f"--asset {asset_id}", optional=1)
            a_lat, a_lon, speed = values[:3]
            fuel = values[3] if len(values) > 3 else None
            pursuers.append(
                Pursuer(
                    asset_id.strip(), a_lat, a_lon, speed, base_lat=a_lat, base_lon=a_lon, fuel_range_nm=fuel
                )
            )
        plans = sorted(planner.plan_all(target, pursuers), key=rank_key)
    out = sys.stdout
    for plan in plans:
        out.write(json.dumps(plan.to_json()) + "\n")
    return 0
