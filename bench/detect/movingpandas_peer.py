"""The movingpandas peer as a user would write it, run by bench/detect/run.py as its own process.

Read the tracktable CSV with pandas, build a TrajectoryCollection per MMSI, split it on 6 h
observation gaps (ObservationGapSplitter), add speeds, and write one summary row per trajectory
(id, MMSI, start, end, fixes, max speed in knots): the same job `seawatch detect` is compared on,
timed the same way (a fresh process: interpreter, imports, CSV read, work, output).

Usage: python bench/detect/movingpandas_peer.py INPUT.csv[.gz] OUTPUT.csv
"""

from __future__ import annotations

import sys

import geopandas as gpd
import movingpandas as mpd
import pandas as pd

GAP = pd.Timedelta(hours=6)


def main(source: str, output: str) -> None:
    frame = pd.read_csv(source, usecols=["mmsi", "timestamp_utc", "lon", "lat"])
    frame["time"] = pd.to_datetime(frame["timestamp_utc"])
    points = gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(frame["lon"], frame["lat"]), crs="EPSG:4326")
    trajectories = mpd.TrajectoryCollection(points, "mmsi", t="time")
    split = mpd.ObservationGapSplitter(trajectories).split(gap=GAP)
    split.add_speed(overwrite=True, units=("nm", "h"))
    rows = [
        (t.id, t.obj_id, t.get_start_time(), t.get_end_time(), len(t.df), t.df["speed"].max()) for t in split
    ]
    summary = pd.DataFrame(rows, columns=["traj_id", "mmsi", "start", "end", "fixes", "max_speed_kn"])
    summary.to_csv(output, index=False)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
