"""How NMEA inputs are recognised from their first bytes, without importing their decoders.

Recognising a file must stay cheap: the AIS decoder imports pyais and the radar decoder pyproj and
pynmea2, so their sniffers live here (standard library only) and `formats.detect_format` imports a
decoder only once a file is recognised as its format. (The CSV and satellite sniffers stay in their
own modules, which import nothing heavier than polars.)
"""

from __future__ import annotations

import re
from pathlib import Path

_RADAR_HEAD = re.compile(rb"^(\\[^\\]*\\)?\$[A-Z]{2}(TTM|TLL|OSD|RSD|TLB)(,|\*)", re.MULTILINE)


def sniff_nmea(path: Path, head: bytes) -> bool:
    """True when one of the first 50 lines is an AIS sentence (`!xxVDM` / `!xxVDO`, tag block allowed)."""
    for line in head.split(b"\n")[:50]:
        line = line.strip()
        if line.startswith(b"\\"):
            end = line.find(b"\\", 1)
            line = line[end + 1 :] if end > 0 else b""
        if line[:1] in (b"!", b"$") and line[3:6].upper() in (b"VDM", b"VDO"):
            return True
    return False


def sniff_radar(path: str | Path, head: bytes) -> bool:
    """True when the first lines look like radar NMEA (TTM/TLL/OSD/RSD/TLB, optionally tag-blocked)."""
    return bool(_RADAR_HEAD.search(head))
