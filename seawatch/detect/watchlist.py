"""Watchlists: MMSIs, IMO numbers, names and call signs to raise a `watchlist_hit` for.

File format (CSV, `#` comments allowed): a header `kind,value[,label]` then one entry per line, kind one
of `mmsi`, `imo`, `name`, `callsign`. Names and call signs match case-insensitively with runs of spaces
collapsed; IMO accepts `IMO9074729` or `9074729`.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from seawatch.errors import ConfigError

KINDS = ("mmsi", "imo", "name", "callsign")


def norm_text(value: str | None) -> str:
    return re.sub(r"\s+", " ", (value or "").strip().upper())


def parse_imo(value: str | int | None) -> int | None:
    if value is None:
        return None
    digits = re.sub(r"^IMO", "", str(value).strip().upper())
    return int(digits) if digits.isdigit() and int(digits) > 0 else None


@dataclass(frozen=True)
class Watchlist:
    mmsi: dict[int, str] = field(default_factory=dict)
    imo: dict[int, str] = field(default_factory=dict)
    name: dict[str, str] = field(default_factory=dict)
    callsign: dict[str, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.mmsi or self.imo or self.name or self.callsign)

    def static_matches(
        self, shipname: str | None, callsign: str | None, imo: int | None
    ) -> list[tuple[str, str, str]]:
        """(kind, value, label) for each entry matched by a static report."""
        out: list[tuple[str, str, str]] = []
        name_n, call_n = norm_text(shipname), norm_text(callsign)
        if name_n and name_n in self.name:
            out.append(("name", name_n, self.name[name_n]))
        if call_n and call_n in self.callsign:
            out.append(("callsign", call_n, self.callsign[call_n]))
        if imo is not None and imo in self.imo:
            out.append(("imo", str(imo), self.imo[imo]))
        return out

    @classmethod
    def from_file(cls, path: Path | str) -> Watchlist:
        p = Path(path)
        try:
            text = p.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{p}: cannot read watchlist: {exc}") from exc
        return cls.from_text(text, str(p))

    @classmethod
    def from_text(cls, text: str, where: str) -> Watchlist:
        wl = cls()
        rows = [
            (n, line)
            for n, line in enumerate(text.splitlines(), 1)
            if line.strip() and not line.lstrip().startswith("#")
        ]
        if not rows:
            return wl
        header_no, header = rows[0]
        cols = [c.strip().lower() for c in next(csv.reader([header]))]
        if cols[:2] != ["kind", "value"]:
            raise ConfigError(f"{where}: line {header_no}: header must start with 'kind,value'")
        for line_no, line in rows[1:]:
            parts = next(csv.reader(io.StringIO(line)))
            if len(parts) < 2:
                raise ConfigError(f"{where}: line {line_no}: expected kind,value[,label]")
            kind, value = parts[0].strip().lower(), parts[1].strip()
            label = parts[2].strip() if len(parts) > 2 else ""
            if kind == "mmsi":
                if not value.isdigit():
                    raise ConfigError(f"{where}: line {line_no}: MMSI {value!r} is not a number")
                wl.mmsi[int(value)] = label
            elif kind == "imo":
                imo = parse_imo(value)
                if imo is None:
                    raise ConfigError(f"{where}: line {line_no}: IMO {value!r} is not a number")
                wl.imo[imo] = label
            elif kind in ("name", "callsign"):
                if not norm_text(value):
                    raise ConfigError(f"{where}: line {line_no}: empty {kind}")
                getattr(wl, kind)[norm_text(value)] = label
            else:
                raise ConfigError(f"{where}: line {line_no}: kind {kind!r} is not one of {', '.join(KINDS)}")
        return wl
