"""A Stone Soup tracker of the same model as Seawatch's (test and benchmark reference only).

CV Kalman (same white-acceleration noise), position measurements, Mahalanobis distance hypotheses
gated at the same chi² (`missed_distance`), GNN with 2D assignment and KD-tree gating, single-point
initiation, deletion after `delete_after_scans` scans without update. Records which track took each
measurement (Detection metadata `idx`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime

import numpy as np
from numpy.typing import NDArray
from stonesoup.dataassociator.tree import DetectionKDTreeGNN2D
from stonesoup.deleter.time import UpdateTimeStepsDeleter
from stonesoup.hypothesiser.distance import DistanceHypothesiser
from stonesoup.initiator.simple import SimpleMeasurementInitiator
from stonesoup.measures import Mahalanobis
from stonesoup.models.measurement.linear import LinearGaussian
from stonesoup.models.transition.linear import CombinedLinearGaussianTransitionModel, ConstantVelocity
from stonesoup.predictor.kalman import KalmanPredictor
from stonesoup.types.detection import Detection
from stonesoup.types.state import GaussianState
from stonesoup.types.update import Update
from stonesoup.updater.kalman import KalmanUpdater


class StoneSoupGnn:
    def __init__(
        self,
        sigma_m: float,
        accel_sigma_mps2: float,
        gate_chi2: float,
        init_speed_sigma_mps: float,
        delete_after_scans: int = 3,
        gate_max_m: float = 5_000.0,
    ) -> None:
        q = accel_sigma_mps2**2
        transition = CombinedLinearGaussianTransitionModel([ConstantVelocity(q), ConstantVelocity(q)])
        self.measurement_model = LinearGaussian(
            ndim_state=4, mapping=(0, 2), noise_covar=np.diag([sigma_m**2] * 2)
        )
        self.predictor = KalmanPredictor(transition)
        self.updater = KalmanUpdater(self.measurement_model)
        hyp = DistanceHypothesiser(
            self.predictor, self.updater, measure=Mahalanobis(), missed_distance=math.sqrt(gate_chi2)
        )
        self.associator = DetectionKDTreeGNN2D(
            hypothesiser=hyp, predictor=self.predictor, updater=self.updater, max_distance=gate_max_m
        )
        v2 = init_speed_sigma_mps**2
        prior = GaussianState(np.zeros((4, 1)), np.diag([0.0, v2, 0.0, v2]))
        self.initiator = SimpleMeasurementInitiator(prior, self.measurement_model)
        self.deleter = UpdateTimeStepsDeleter(delete_after_scans)
        self.tracks: set = set()
        self._ids: dict[int, int] = {}

    def _track_no(self, track: object) -> int:
        return self._ids.setdefault(id(track), len(self._ids))

    def scan(self, t: float, z: NDArray[np.float64]) -> NDArray[np.int64]:
        """One scan of measured positions (k,2) at epoch t; returns the track number of each (-1: new)."""
        when = datetime.fromtimestamp(t, UTC)
        dets = {
            Detection(
                z[i].reshape(2, 1),
                timestamp=when,
                measurement_model=self.measurement_model,
                metadata={"idx": i},
            )
            for i in range(len(z))
        }
        out = np.full(len(z), -1, np.int64)
        assoc = self.associator.associate(self.tracks, dets, when)
        used = set()
        for track, hypothesis in assoc.items():
            if hypothesis:
                track.append(self.updater.update(hypothesis))
                used.add(hypothesis.measurement)
                out[hypothesis.measurement.metadata["idx"]] = self._track_no(track)
            else:
                track.append(hypothesis.prediction)
        self.tracks -= self.deleter.delete_tracks(self.tracks)
        new = self.initiator.initiate(dets - used, when)
        for track in new:
            state = track[-1]
            det = state.hypothesis.measurement if isinstance(state, Update) else None
            if det is None:  # SimpleMeasurementInitiator stores the detection on the update's hypothesis
                continue
            out[det.metadata["idx"]] = self._track_no(track)
        self.tracks |= new
        return out


def run_scans(
    tracker: StoneSoupGnn, scans: Sequence[tuple[float, NDArray[np.float64]]]
) -> list[NDArray[np.int64]]:
    return [tracker.scan(t, z) for t, z in scans]
