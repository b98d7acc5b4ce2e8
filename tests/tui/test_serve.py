"""``serve`` puts the app in a browser page through textual-serve, on 127.0.0.1 by default."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_serve_answers_with_the_app_page_on_localhost(tmp_path: Path) -> None:
    port = free_port()
    code = (
        "from wftui.tui.serve import serve; "
        f"serve(['python', '-m', 'wftui', '--checkpoint-dir', 'cps'], port={port})"
    )
    env = dict(os.environ, PYTHONPATH=str(REPO))
    server = subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        page = ""
        for _ in range(200):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1) as reply:
                    page = reply.read().decode()
                break
            except OSError:
                time.sleep(0.05)
        assert "textual.js" in page
        assert f"ws://127.0.0.1:{port}/ws" in page  # the app session stays on localhost
    finally:
        server.terminate()
        output = server.communicate(timeout=10)[0].decode()
    assert f"http://127.0.0.1:{port}" in output
