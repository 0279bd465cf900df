"""The layers of DESIGN.md as a test: walking the AST of every module, nothing imports a layer above
its own (type-only imports included), api and share never import each other, and product code never
reads the test data set (`seawatch.shared_data`)."""

from __future__ import annotations

import ast
from pathlib import Path

import seawatch

PACKAGE = Path(seawatch.__file__).resolve().parent

# Lowest first. A module may import its own package and any package of a lower layer.
LAYERS: dict[str, int] = {
    "__init__": 0, "errors": 0, "timeutil": 0, "model": 0,
    "geo": 1, "i18n": 1,
    "sources": 2, "feeders": 2, "sim": 2,  # sim below fusion/detect: truth is not computed by what it scores
    "fusion": 3,
    "detect": 4,
    "store": 5, "ops": 5,
    "node": 6, "cases": 6,  # cases: model and service over the store; the evidence pack uses export
    "cases.evidence": 7,
    "api": 7, "share": 7, "export": 7,
    "server": 8, "commands": 8, "cli": 8, "__main__": 8, "web": 8,
    # a module can sit above or below its package: the ops service runs on the node's live bus; the
    # sharing policy (what may leave, field by field) and the NMEA output settings are plain rules
    "ops.service": 7,
    "share.policy": 5, "share.fields": 5, "share.kinds": 5,
    "outputs": 7, "outputs.settings": 5,
}  # fmt: skip
SAME_LAYER_FORBIDDEN = {("api", "share"), ("share", "api"), ("sources", "sim"), ("feeders", "sim")}
CORE = {"model", "sources", "feeders", "fusion", "detect", "geo"}
TEST_ONLY = {"shared_data"}


def _unit(dotted: str) -> str:
    """The LAYERS key of `pkg.module...` (below `seawatch`): the longest one that names it."""
    parts = dotted.split(".")
    for n in range(len(parts), 0, -1):
        key = ".".join(parts[:n])
        if key in LAYERS or key in TEST_ONLY:
            return key
    return parts[0]


def _package_of(path: Path) -> str:
    return _unit(".".join(path.relative_to(PACKAGE).with_suffix("").parts))


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module name) of every `seawatch...` import in one file."""
    rel = path.relative_to(PACKAGE.parent).with_suffix("").parts
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against this module's package
                base = list(rel[: len(rel) - node.level])
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            found.append((node.lineno, name))
            if name == "seawatch":  # `from seawatch import commands` (not `__version__`)
                found += [
                    (node.lineno, f"seawatch.{alias.name}")
                    for alias in node.names
                    if (PACKAGE / alias.name).is_dir() or (PACKAGE / f"{alias.name}.py").is_file()
                ]
    return [(line, name) for line, name in found if name.startswith("seawatch.")]


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "node_modules" not in p.parts)


def upward_imports() -> list[str]:
    problems = []
    for path in _modules():
        own = _package_of(path)
        assert own in LAYERS or own in TEST_ONLY, f"{path}: package {own!r} has no layer in LAYERS"
        for line, name in _imports(path):
            target = _unit(name.split(".", 1)[1])
            where = f"{path.relative_to(PACKAGE.parent)}:{line} imports {name}"
            if target in TEST_ONLY and own not in TEST_ONLY:
                problems.append(f"{where}: the shared data set is for tests only")
            elif target == own or target in TEST_ONLY or target.startswith(f"{own}."):
                continue
            elif target not in LAYERS:
                problems.append(f"{where}: unknown package {target!r}")
            elif LAYERS[target] > LAYERS[own]:
                problems.append(f"{where}: {target} (layer {LAYERS[target]}) is above {own} ({LAYERS[own]})")
            elif (own.split(".")[0], target.split(".")[0]) in SAME_LAYER_FORBIDDEN:
                problems.append(f"{where}: {own} and {target} must not import each other")
    return problems


def test_no_module_imports_a_layer_above_its_own() -> None:
    assert upward_imports() == []


def test_core_imports_nothing_of_store_node_api_share() -> None:
    above = {"store", "node", "api", "share", "server", "commands"}
    assert all(LAYERS[c] < min(LAYERS[a] for a in above) for c in CORE)


def test_the_check_sees_an_upward_import() -> None:
    """The walker finds imports in every form (plain, from, relative, from-package, type-only)."""
    probe = PACKAGE / "fusion" / "_layer_probe_test.py"
    probe.write_text(
        "from typing import TYPE_CHECKING\n"
        "import seawatch.store.base\n"
        "from ..api import app\n"
        "from seawatch import node\n"
        "if TYPE_CHECKING:\n    from seawatch.detect.events import Event\n",
        encoding="utf-8",
    )
    try:
        found = [p for p in upward_imports() if "_layer_probe_test" in p]
    finally:
        probe.unlink()
    assert len(found) == 4, found
    assert any("seawatch.api" in p for p in found) and any("seawatch.detect" in p for p in found)
