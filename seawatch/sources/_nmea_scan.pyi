from collections.abc import Callable
from typing import Any

def scan(
    data: bytes,
    enforce_checksum: bool,
    max_age_lines: int,
    max_pending: int,
    classify: Callable[[bytes], tuple[Any, ...]],
) -> dict[str, Any]: ...
