"""The compiled AIS scanner reads untrusted bytes: it is built here with AddressSanitizer and
UndefinedBehaviorSanitizer and fed random sentence-shaped garbage, every real NMEA file and damaged
copies of them. Any out-of-bounds access, overflow or undefined behaviour stops the run with a report.

(This found a real bug: a tag block group `g:1-2-3-4` wrote past a three-element array.)"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.shared import require_shared

SOURCE = Path(__file__).resolve().parents[2] / "seawatch" / "sources" / "_nmea_scan.c"

FUZZ = r"""
import importlib.util, random, sys
from pathlib import Path
spec = importlib.util.spec_from_file_location("seawatch.sources._nmea_scan", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
sys.modules["seawatch.sources._nmea_scan"] = module
from seawatch.sources import ais_scan
assert ais_scan._nmea_scan is module

rng = random.Random(int(sys.argv[2]))
alpha = b"\\!$*,:-.0123456789ABCDEFabcdefgcsn VDMOAI\t\r\x00\x80\xff`w;<=>?@W"
parts = [b"\\g:", b"\\s:", b"\\c:", b"*", b"\\", b"!AIVDM,", b"!AIVDO,", b"1,1,,A,", b"2,1,3,B,",
         b"2,2,3,B,", b",0*", b"1-2-", b"9999999999999999999999", b"-", b","]
real = [line for path in sys.argv[4:] for line in Path(path).read_bytes().split(b"\n")]
n = 0
for _ in range(int(sys.argv[3])):
    lines = []
    for _ in range(rng.randint(1, 30)):
        if real and rng.random() < 0.5:  # a real line, maybe damaged
            line = bytearray(rng.choice(real))
            for _ in range(rng.randint(0, 3)):
                if line:
                    i = rng.randrange(len(line))
                    new = bytes(rng.choice(alpha) for _ in range(rng.randint(0, 3)))
                    line[i : i + rng.randint(0, 3)] = new
            lines.append(bytes(line))
            continue
        line = b""
        for _ in range(rng.randint(0, 12)):
            if rng.random() < 0.5:
                line += rng.choice(parts)
            else:
                line += bytes(rng.choice(alpha) for _ in range(rng.randint(0, 8)))
        lines.append(line)
    data = b"\n".join(lines)
    for enforce in (True, False):
        n += len(ais_scan.scan_text(data, enforce, rng.choice([0, 1, 5, 1000]), rng.choice([0, 1, 3, 1000])))
print("scanned", n)
"""


def _sanitizer_runtime() -> list[str]:
    """The sanitizer runtimes to preload (Python itself is not built with them)."""
    cc = shutil.which("gcc")
    libs = []
    if cc is not None:
        for name in ("libasan.so", "libubsan.so"):
            asked = subprocess.run([cc, f"-print-file-name={name}"], capture_output=True, text=True)
            path = asked.stdout.strip()
            if os.path.isabs(path) and os.path.exists(path):
                libs.append(path)
    if len(libs) != 2:
        message = "gcc with libasan and libubsan is needed to build the scanner with sanitizers"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return libs


def test_scanner_is_clean_under_address_and_undefined_behaviour_sanitizers(tmp_path: Path) -> None:
    runtime = _sanitizer_runtime()
    built = tmp_path / "_nmea_scan_sanitized.so"
    flags = ["-O1", "-g", "-fsanitize=address,undefined", "-fno-sanitize-recover=all"]
    flags += ["-fno-omit-frame-pointer"]
    include = sysconfig.get_paths()["include"]
    subprocess.run(
        ["gcc", *flags, "-std=c11", "-shared", "-fPIC", f"-I{include}", str(SOURCE), "-o", str(built)],
        check=True,
        capture_output=True,
    )
    real = [
        require_shared("ais-nmea-tagblock-kystverket", "norwegian_2024-12-09.nmea"),
        require_shared("ais-vectors-libais", "tagblock.nmea"),
        *sorted(require_shared("ais-vectors-pyais", "raw").iterdir()),
    ]
    env = {**os.environ, "LD_PRELOAD": " ".join(runtime), "ASAN_OPTIONS": "detect_leaks=0:abort_on_error=0"}
    proc = subprocess.run(
        [sys.executable, "-c", FUZZ, str(built), "7", "3000", *map(str, real)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    report = proc.stderr[-3000:]
    assert proc.returncode == 0, report
    assert "runtime error" not in proc.stderr and "AddressSanitizer" not in proc.stderr, report
    assert int(proc.stdout.split()[-1]) > 1000  # real lines did decode: the fuzz reached the deep paths
