"""Checks made after every other attack of the suite has run (pytest runs this file last: its name):
the node's files are owner-only, and no token or password handed out during the suite appears in
its logs (`seawatch -v serve`: uvicorn's access log is on, and WebSockets were opened with ?token=)."""

from __future__ import annotations

import stat

from tests.security.conftest import FIGURES, NodeProc


def test_the_nodes_files_are_owner_only(node: NodeProc) -> None:
    checked = []
    for path in [node.data_dir, *node.data_dir.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        checked.append(path.name)
        assert mode & 0o077 == 0, f"{path} is {oct(mode)}"
    assert {"seawatch.db", "seawatch.db-wal", "seawatch.db-shm"} <= set(checked)
    FIGURES["owner_only_files"] = len(checked)


def test_no_secret_in_the_logs(node: NodeProc, strict_node: NodeProc, fed_node: NodeProc) -> None:
    nodes = (node, strict_node, fed_node)
    text = "".join(n.log_path.read_text(errors="replace") for n in nodes)
    assert '"GET /api/' in text  # the access log was on
    assert '"GET /api/share/' in text  # the federated node's too
    assert "token=[redacted]" in text  # a WebSocket URL with its token was logged, masked
    secrets = {s for n in nodes for s in n.secrets}
    leaked = sorted(s[:6] + "..." for s in secrets if s in text)
    FIGURES["log_secret_grep"] = {"log_lines": text.count("\n"), "secrets_searched": len(secrets), "found": 0}
    assert not leaked, leaked
