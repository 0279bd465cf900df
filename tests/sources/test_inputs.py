"""Format registry and `load_inputs` / `iter_inputs` over mixed inputs."""

from __future__ import annotations

import gzip
import io
import subprocess
import sys
from pathlib import Path

import pytest

from seawatch.errors import InputError
from seawatch.model.observation import AisStatic, Observation, Rejected
from seawatch.sources import sniffers
from seawatch.sources.formats import KNOWN_FORMATS, detect_format, format_names, formats, read_head
from seawatch.sources.inputs import iter_inputs, load_inputs
from tests.shared import require_shared

KYSTVERKET = ("ais-nmea-tagblock-kystverket", "norwegian_2024-12-09.nmea")


def test_registry_has_the_ais_formats_and_sniffs_them(tmp_path: Path) -> None:
    names = [spec.name for spec in formats()]
    assert "ais_nmea" in names and "ais_csv" in names
    nmea = require_shared(*KYSTVERKET)
    assert detect_format(nmea).name == "ais_nmea"  # type: ignore[union-attr]
    gz = tmp_path / "k.nmea.gz"
    gz.write_bytes(gzip.compress(nmea.read_bytes()))
    assert detect_format(gz).name == "ais_nmea"  # type: ignore[union-attr]
    csv = require_shared("ais-tracks-us-coastal-2020", "US_coastal_2020_06_30.csv.gz")
    assert detect_format(csv).name == "ais_csv"  # type: ignore[union-attr]
    other = tmp_path / "x.txt"
    other.write_text("nothing to see\n")
    assert detect_format(other) is None


def test_load_mixed_inputs_concatenates(tmp_path: Path) -> None:
    nmea = require_shared(*KYSTVERKET)
    gz = tmp_path / "k.nmea.gz"
    gz.write_bytes(gzip.compress(nmea.read_bytes()))
    csv = require_shared("ais-tracks-us-coastal-2020", "NYHarbor_2020_06_30_first_hour.csv.gz")
    result = load_inputs([nmea, gz, csv])
    assert result.positions.height == 2 * 149 + 8_689
    assert set(result.positions["source"].unique()) == {str(nmea), str(gz), str(csv)}
    assert result.positions["t"].null_count() == 2 * 11  # 11 position reports come without a tag block
    assert result.counts["decoded"] == 2 * 196 + 8_689
    assert result.statics.height > 0


def test_missing_and_unknown_inputs_raise_one_line_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="input not found"):
        load_inputs([tmp_path / "nope.nmea"])
    with pytest.raises(InputError, match="directory"):
        load_inputs([tmp_path])
    with pytest.raises(InputError, match="input not found"):
        list(iter_inputs([require_shared(*KYSTVERKET), tmp_path / "nope.nmea"]))


class _Stdin:
    def __init__(self, data: bytes) -> None:
        self.buffer = io.BytesIO(data)


def test_stdin_and_iteration(monkeypatch: pytest.MonkeyPatch) -> None:
    data = require_shared(*KYSTVERKET).read_bytes()
    monkeypatch.setattr(sys, "stdin", _Stdin(data))
    result = load_inputs(["-"])
    assert result.positions.height == 149
    monkeypatch.setattr(sys, "stdin", _Stdin(data))
    items = list(iter_inputs(["-"]))
    observations = [i for i in items if isinstance(i, Observation)]
    assert len(observations) == 149 - 11  # positions without a receive time are not observations
    assert all(o.time == o.received_at and o.station for o in observations)
    assert any(isinstance(i, AisStatic) for i in items)
    assert not any(isinstance(i, Rejected) for i in items)


def test_known_formats_are_the_registered_ones_in_the_same_order() -> None:
    assert [spec.name for spec in formats()] == format_names() == [k.name for k in KNOWN_FORMATS]


def test_nmea_sniffer_recognises_nmea_only(tmp_path: Path) -> None:
    """The registry recognises NMEA with `sniffers.sniff_nmea` (the decoder module registers the same)."""
    from seawatch.sources import ais_bulk

    other = tmp_path / "x.txt"
    other.write_text("nothing to see\n")
    csv = require_shared("ais-tracks-us-coastal-2020", "NYHarbor_2020_06_30_first_hour.csv.gz")
    for path, is_nmea in ((require_shared(*KYSTVERKET), True), (csv, False), (other, False)):
        assert sniffers.sniff_nmea(path, read_head(path)) == is_nmea
    assert ais_bulk.sniff_nmea is sniffers.sniff_nmea


def _modules_after(code: str) -> set[str]:
    """Modules imported by a fresh interpreter running `code`."""
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys\nprint(' '.join(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
    )
    return set(out.stdout.split())


def test_loading_a_csv_imports_no_nmea_or_radar_decoder() -> None:
    csv = require_shared("ais-tracks-us-coastal-2020", "NYHarbor_2020_06_30_first_hour.csv.gz")
    loaded = _modules_after(f"from seawatch.sources.inputs import load_inputs; load_inputs([{str(csv)!r}])")
    assert "seawatch.sources.csv_ais" in loaded
    assert not loaded & {"pyais", "seawatch.sources.ais_bulk", "seawatch.sources.radar", "pyproj", "pynmea2"}
    nmea = require_shared(*KYSTVERKET)
    loaded = _modules_after(f"from seawatch.sources.inputs import load_inputs; load_inputs([{str(nmea)!r}])")
    assert "seawatch.sources.ais_bulk" in loaded and "seawatch.sources.radar" not in loaded
