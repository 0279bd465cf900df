"""Static data of simulated vessels: categories with realistic AIS ship types, speeds and sizes, and
generated identities (MMSI with Caribbean/flag-of-convenience MIDs, valid IMO check digits, call signs,
names)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Category:
    ship_type: int  # AIS type code (ITU-R M.1371 table 53)
    speed_kn: tuple[float, float]  # cruise speed range
    max_speed_kn: float  # physical limit used by the sanity tests
    length_m: tuple[float, float]
    class_a: bool  # class A transponder (else class B for small craft)
    speed_exempt: bool = False  # declared high-speed / SAR / law enforcement / military


CATEGORIES: dict[str, Category] = {
    "cargo": Category(70, (10.0, 16.0), 22.0, (90.0, 230.0), True),
    "tanker": Category(80, (10.0, 14.0), 18.0, (100.0, 250.0), True),
    "reefer": Category(70, (12.0, 16.0), 20.0, (80.0, 150.0), True),
    "fishing": Category(30, (7.0, 10.0), 14.0, (12.0, 40.0), False),
    "passenger": Category(60, (14.0, 20.0), 24.0, (60.0, 200.0), True),
    "pleasure": Category(37, (6.0, 12.0), 20.0, (8.0, 25.0), False),
    "tug": Category(52, (6.0, 10.0), 14.0, (20.0, 35.0), True),
    "go_fast": Category(0, (35.0, 45.0), 55.0, (9.0, 14.0), False),
    "high_speed_craft": Category(40, (28.0, 35.0), 45.0, (30.0, 45.0), True, speed_exempt=True),
    "law_enforcement": Category(55, (10.0, 30.0), 45.0, (20.0, 60.0), True, speed_exempt=True),
}

# flag: (MID, call sign prefix)
FLAGS = {
    "Curacao": (306, "PJ"),
    "Aruba": (307, "P4"),
    "Venezuela": (775, "YY"),
    "Colombia": (730, "HK"),
    "Dominican Republic": (327, "HI"),
    "Panama": (352, "3E"),
    "Liberia": (636, "A8"),
    "Marshall Islands": (538, "V7"),
    "Bahamas": (311, "C6"),
    "United States": (367, "WD"),
    "Jamaica": (339, "6Y"),
    "Trinidad and Tobago": (362, "9Y"),
    "Netherlands": (244, "PD"),
}
_OCEAN_FLAGS = ("Panama", "Liberia", "Marshall Islands", "Bahamas", "Netherlands")
_LOCAL_FLAGS = (
    "Curacao",
    "Aruba",
    "Venezuela",
    "Colombia",
    "Dominican Republic",
    "United States",
    "Jamaica",
    "Trinidad and Tobago",
)

_FIRST = (
    "SEA",
    "OCEAN",
    "CARIB",
    "STAR",
    "MAR",
    "BLUE",
    "GOLDEN",
    "NORTH",
    "SOUTH",
    "ISLA",
    "BAHIA",
    "CORAL",
    "PACIFIC",
    "ATLANTIC",
    "SANTA",
    "LADY",
    "CAPT",
    "SILVER",
    "MORNING",
    "ROYAL",
)
_SECOND = (
    "SPIRIT",
    "TRADER",
    "PRIDE",
    "QUEEN",
    "WIND",
    "EXPRESS",
    "PIONEER",
    "GRACE",
    "HORIZON",
    "DAWN",
    "MARIA",
    "ROSA",
    "VENTURE",
    "GLORY",
    "FORTUNE",
    "BREEZE",
    "RUNNER",
    "HOPE",
    "VOYAGER",
    "LINK",
)


@dataclass(frozen=True)
class Identity:
    mmsi: int
    imo: int | None
    name: str
    callsign: str
    ship_type: int
    length_m: float
    width_m: float
    ais_class: str  # "A" or "B"
    flag: str


def imo_with_check(six: int) -> int:
    digits = [int(c) for c in f"{six:06d}"]
    check = sum(d * w for d, w in zip(digits, (7, 6, 5, 4, 3, 2), strict=True)) % 10
    return six * 10 + check


class IdentityFactory:
    """Unique, reproducible identities from one random generator."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.used_mmsi: set[int] = set()
        self.used_names: set[str] = set()

    def reserve(self, mmsi: int) -> None:
        self.used_mmsi.add(mmsi)

    def make(
        self,
        category: str,
        *,
        ais_class: str | None = None,
        length_m: float | None = None,
        name: str | None = None,
        mmsi: int | None = None,
        imo: int | None = None,
        callsign: str | None = None,
    ) -> Identity:
        cat = CATEGORIES[category]
        rng = self.rng
        local = category in ("fishing", "pleasure", "tug", "go_fast", "law_enforcement", "high_speed_craft")
        flags = _LOCAL_FLAGS if local else _OCEAN_FLAGS
        flag = flags[int(rng.integers(len(flags)))]
        mid, prefix = FLAGS[flag]
        if mmsi is None:
            while True:
                mmsi = mid * 1_000_000 + int(rng.integers(100_000, 999_999))
                if mmsi not in self.used_mmsi:
                    break
        self.used_mmsi.add(mmsi)
        length = float(length_m if length_m is not None else round(rng.uniform(*cat.length_m)))
        width = float(max(3, round(length / rng.uniform(5.5, 7.5))))
        klass = ais_class or ("A" if cat.class_a or rng.random() < 0.5 else "B")
        if imo is None and klass == "A" and length >= 45:
            imo = imo_with_check(
                int(rng.integers(100_000, 999_999))
                if rng.random() < 0.1
                else int(rng.integers(900_000, 989_999))
            )
        if name is None:
            while True:
                name = f"{_FIRST[int(rng.integers(len(_FIRST)))]} {_SECOND[int(rng.integers(len(_SECOND)))]}"
                if name in self.used_names:
                    name = f"{name} {int(rng.integers(2, 20))}"
                if name not in self.used_names:
                    break
        self.used_names.add(name)
        if callsign is None:
            letters = "".join(chr(65 + int(c)) for c in rng.integers(0, 26, 3))
            callsign = f"{prefix}{letters}{int(rng.integers(0, 10))}"[:7]
        return Identity(
            mmsi=mmsi,
            imo=imo,
            name=name[:20],
            callsign=callsign[:7],
            ship_type=cat.ship_type,
            length_m=length,
            width_m=width,
            ais_class=klass,
            flag=flag,
        )
