"""Every policy transform on every field of every item kind, nested included: items generated from the
kinds' declarations (plus undeclared fields), policies generated from every knob."""

from __future__ import annotations

import copy
import math
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seawatch.share.fields import POSITIONS, ROLES, SCHEMAS, Field, validate, walk
from seawatch.share.policy import CHAT_KINDS, ShareItem, SharePolicy
from tests.share.helpers import BB_EEZ

M_PER_DEG = 111_195.0


def _value(spec: Field) -> st.SearchStrategy[Any]:
    t = spec.type
    if t == "bool":
        return st.booleans()
    if t == "int":
        return st.integers(int(spec.lo or 0), int(min(spec.hi or 1e6, 1e9)))
    if t == "float":
        lo = spec.lo if spec.lo is not None else -1e6
        hi = spec.hi if spec.hi is not None else 1e6
        if spec.role == "lat":  # mostly around bb's box so area checks go both ways
            return st.one_of(st.floats(11.0, 15.0), st.floats(-90, 90))
        if spec.role == "lon":
            return st.one_of(st.floats(-61.0, -57.0), st.floats(-180, 180))
        return st.floats(lo, hi, allow_nan=False)
    if t == "str":
        return st.text(max_size=min(spec.max_len, 20))
    if t == "time":
        return st.just("2026-01-01T00:00:00Z")
    if t == "list":
        assert spec.item is not None
        if spec.item.type == "str" and spec.item.role == "id":  # node lists: sometimes naming tt
            return st.lists(st.one_of(st.just("tt"), _value(spec.item)), max_size=3)
        return st.lists(_value(spec.item), max_size=3)
    if t == "obj":
        assert spec.fields is not None
        return _obj(spec.fields)
    if t == "map":
        return st.dictionaries(st.sampled_from(["min_gap_s", "max_sog_kn"]), st.floats(0, 100), max_size=2)
    raise AssertionError(t)


def _obj(schema: dict[str, Field] | Any) -> st.SearchStrategy[dict[str, Any]]:
    declared = st.fixed_dictionaries({}, optional={k: _value(v) for k, v in schema.items()})
    extra = st.dictionaries(
        st.sampled_from(["site", "secret_note", "operator"]), st.text(max_size=5), max_size=2
    )
    return st.builds(lambda a, b: {**b, **a}, declared, extra)


def _item(kind: str) -> st.SearchStrategy[ShareItem]:
    return _obj(SCHEMAS[kind]).map(lambda d: ShareItem(kind, d))


ITEMS = st.one_of(*(_item(k) for k in SCHEMAS))
NAMES = sorted({path.rsplit(".", 1)[-1] for k in SCHEMAS for path, _ in walk(SCHEMAS[k])})
SELECTORS = st.sampled_from(NAMES + [f"@{r}" for r in ROLES] + ["details", "details.end_lat", "*"])
POLICIES = st.builds(
    lambda fields, strip, prec, jit, area: SharePolicy.from_dict(
        "tt",
        {
            "track_sources": ["ais", "radar", "satellite", "patrol"],
            "event_types": ["*"],
            "sightings": True,
            "case_messages": True,
            "fields": fields,
            "strip_fields": strip,
            "precision_decimals": prec,
            "jitter_m": jit,
            "areas": [BB_EEZ] if area else [],
        },
    ),
    st.one_of(st.none(), st.lists(SELECTORS, max_size=6)),
    st.lists(SELECTORS.filter(lambda s: s != "*"), max_size=4),
    st.one_of(st.none(), st.integers(0, 5)),
    st.sampled_from([0.0, 50.0, 2000.0]),
    st.booleans(),
)


def _paths(data: dict[str, Any], prefix: str = "") -> list[tuple[str, str, Any]]:
    """(dotted path, own name, value) of everything in an item, nested objects included."""
    out = []
    for key, value in data.items():
        out.append((f"{prefix}{key}", key, value))
        if isinstance(value, dict):
            out += _paths(value, f"{prefix}{key}.")
    return out


def _role(kind: str, path: str) -> str | None:
    return dict((p, f.role) for p, f in walk(SCHEMAS[kind])).get(path)


def _named(names: tuple[str, ...], path: str, key: str, role: str | None) -> bool:
    return any(n in (path, key, f"@{role}") or path.startswith(n + ".") for n in names)


def _in_box(lat: float, lon: float) -> bool:
    return 12.0 <= lat <= 14.5 and -60.5 <= lon <= -58.0


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(item=ITEMS, policy=POLICIES)
def test_every_transform_reaches_every_field(item: ShareItem, policy: SharePolicy) -> None:
    before = copy.deepcopy(item.data)
    out = policy.apply(item, secret=b"k" * 32)
    assert item.data == before  # the node's own item is never changed
    if out is None:
        lat, lon = item.data.get("lat"), item.data.get("lon")
        outside = lat is None or lon is None or not _in_box(lat, lon)
        chat = item.kind in CHAT_KINDS
        assert not policy.allows_kind(item) or (policy.areas and outside and not chat)
        return
    declared = {p for p, _ in walk(SCHEMAS[item.kind])} | {"withheld"}
    for path, key, _value in _paths(out.data):
        if path.startswith("params."):
            continue  # detector thresholds: a map of numbers, declared as a whole
        role = _role(item.kind, path)
        assert path in declared, f"undeclared {path} sent"
        assert not _named(policy.strip_fields, path, key, role), f"stripped {path} sent"
        spec_type = dict(walk(SCHEMAS[item.kind])).get(path)
        if path == "withheld" or (spec_type is not None and spec_type.type == "obj"):
            continue
        if policy.fields is None:
            assert role not in ("sensor", "text"), f"{path} ({role}) sent without being named"
        elif "*" not in policy.fields:
            assert _named(policy.fields, path, key, role), f"{path} not named by the policy"
    for index, (lat_path, lon_path) in enumerate(POSITIONS[item.kind]):
        lat_in, lon_in = _dig(item.data, lat_path), _dig(item.data, lon_path)
        lat_out, lon_out = _dig(out.data, lat_path), _dig(out.data, lon_path)
        if lat_out is None or lon_out is None:
            if index > 0 and policy.areas and _dig(out.data, "withheld") is not None:
                continue
            assert lat_in is None or lon_in is None or lat_out is None or lon_out is None
            continue
        assert lat_in is not None and lon_in is not None
        slack_deg = 0.0 if policy.precision_decimals is None else 0.5 * 10.0**-policy.precision_decimals
        assert -90 <= lat_out <= 90 and -180 <= lon_out <= 180
        moved_m = _distance_m(lat_in, lon_in, lat_out, lon_out)
        assert moved_m <= policy.jitter_m + 2 * slack_deg * M_PER_DEG + 1e-3
        if policy.precision_decimals is not None:
            assert round(lat_out, policy.precision_decimals) == lat_out
            assert round(lon_out, policy.precision_decimals) == lon_out
        if policy.areas and index > 0 and item.kind not in CHAT_KINDS:  # chat: the case decides
            assert _in_box(lat_in, lon_in), f"{lat_path} outside the areas sent"
    for name in _dig(out.data, "withheld") or []:
        assert isinstance(name, str)


def _distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_000.0 * math.asin(min(1.0, math.sqrt(a)))


def _dig(data: dict[str, Any], path: str) -> Any:
    node: Any = data
    for part in path.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def test_dark_target_event_nested_fields_reached() -> None:
    """The issue's case: strip `sensors`, 3 decimals: the nested sensor list and positions are covered."""
    policy = SharePolicy.from_dict(
        "tt",
        {"event_types": ["*"], "strip_fields": ["sensors"], "precision_decimals": 3, "fields": ["*"]},
    )
    event = {
        "id": "e1",
        "type": "dark_target",
        "lat": 12.2387541,
        "lon": -59.1234567,
        "details": {
            "sensors": ["AW-RADAR"],
            "start_lat": 12.238754,
            "start_lon": -59.11,
            "target_refs": ["AW-RADAR:17"],
            "contacts": 4,
            "site": "undeclared",
        },
    }
    out = policy.apply(ShareItem("event", event))
    assert out is not None
    assert "sensors" not in out.data["details"] and "site" not in out.data["details"]
    assert out.data["details"]["start_lat"] == 12.239 and out.data["lat"] == 12.239
    assert out.data["details"]["target_refs"] == ["AW-RADAR:17"]  # fields=["*"] named it
    default = SharePolicy.from_dict("tt", {"event_types": ["*"]}).apply(ShareItem("event", event))
    assert default is not None and "target_refs" not in default.data["details"]  # sensor ids: opt-in


def test_jitter_not_reversible_from_the_item() -> None:
    """The offset depends on a secret: the same item under two secrets lands in different places, and
    the offset is not the old sha256(kind|id|time) one a partner could recompute."""
    policy = SharePolicy.from_dict("tt", {"track_sources": ["radar"], "jitter_m": 2500})
    item = ShareItem(
        "track",
        {"track_id": "t1", "time": "2026-01-01T00:00:00Z", "lat": 13.0, "lon": -59.5, "sensor": "radar"},
    )
    a, b = policy.apply(item, secret=b"a" * 32), policy.apply(item, secret=b"b" * 32)
    assert a is not None and b is not None
    assert (a.data["lat"], a.data["lon"]) != (b.data["lat"], b.data["lon"])
    assert policy.apply(item, secret=b"a" * 32) == a  # repeatable for the node itself


def test_released_items_are_receivable() -> None:
    """What a policy lets out always passes the receiver's validation of the same declaration."""
    policy = SharePolicy.from_dict("tt", {"track_sources": ["radar"], "fields": ["*"]})
    item = ShareItem("track", {"track_id": "t", "lat": 13.0, "lon": -59.0, "sensor": "radar", "junk": 1})
    out = policy.apply(item)
    assert out is not None
    validate("track", out.data)
