"""The examples of docs/engine.md run as written, in a fresh interpreter without pytest."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

PAGE = Path(__file__).resolve().parent.parent / "docs" / "engine.md"


def test_the_engine_page_runs_without_pytest(tmp_path: Path) -> None:
    blocks = re.findall(r"```python\n(.*?)```", PAGE.read_text(encoding="utf-8"), re.DOTALL)
    assert len(blocks) == 5
    script = "\n".join(blocks) + (
        "\nimport sys\n"
        "assert not [m for m in sys.modules if m.split('.')[0] in ('pytest', '_pytest')]\n"
        "print('page ran')\n"
    )
    (tmp_path / "page.py").write_text(script, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "page.py"], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:3] == ["prepared", "['alice', 'cart']", "['node-1:shared', 'node-2:invoice-run']"]
    assert lines[3].startswith("accounts 1 ")
    assert lines[4].startswith("carts 1 ")
    assert lines[-2:] == ["2", "page ran"]
