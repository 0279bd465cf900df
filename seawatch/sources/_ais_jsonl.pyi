from typing import Any

def encode(
    groups: list[tuple[tuple[bytes, int, Any, Any], ...]],
    which: Any,
    row: Any,
    lo: int,
    hi: int,
    out: bytearray,
) -> int: ...
