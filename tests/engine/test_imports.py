"""The engine stays light: importing it loads no file I/O, .env, HTTP client or UI library."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("aiofiles", "dotenv", "openai", "textual")

PROBE = f"""
import json, sys
import wftui.engine
heavy = {HEAVY!r}
loaded = sorted(name for name in sys.modules if name.split(".")[0] in heavy)
ours = sorted(name for name in sys.modules if name.split(".")[0] == "wftui")
print(json.dumps({{"heavy": loaded, "wftui": ours}}))
"""


def test_importing_the_engine_loads_no_io_http_or_ui_library() -> None:
    # A fresh interpreter: this test process has long imported all of them.
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=True,
    )
    found = json.loads(done.stdout)
    assert found["heavy"] == [], f"{found['heavy']} loaded with {found['wftui']}"
