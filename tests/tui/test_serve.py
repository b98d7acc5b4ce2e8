"""``serve`` puts the app in a browser page through textual-serve, guarded like Jupyter: a random
token per start in the page and WebSocket URLs, and WebSocket upgrades only from the page's own
origin. The server runs for real in a subprocess; the tests talk to it over HTTP."""

from __future__ import annotations

import asyncio
import os
import re
import select
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Served:
    port: int
    token: str
    process: subprocess.Popen[bytes]

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def _start(tmp_path: Path, *args: str) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(REPO))
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "wftui",
            "serve",
            "--port",
            str(port),
            "--checkpoint-dir",
            "cps",
            *args,
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    return process, port


def _read_until(process: subprocess.Popen[bytes], pattern: str) -> tuple[re.Match[str], str]:
    """The server's output up to the line matching ``pattern`` (it prints it at start)."""
    assert process.stdout is not None
    seen = ""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([process.stdout], [], [], 1)
        if not ready:
            continue
        chunk = os.read(process.stdout.fileno(), 65536).decode()
        if not chunk:
            break
        seen += chunk
        found = re.search(pattern, seen)
        if found:
            return found, seen
    raise AssertionError(f"server did not print {pattern!r}:\n{seen}")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    process, port = _start(tmp_path)
    try:
        found, _ = _read_until(process, rf"http://127\.0\.0\.1:{port}/\?token=([\w-]+)")
        served = Served(port, found.group(1), process)
        for _ in range(200):  # the URL is printed as the socket starts listening
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        yield served
    finally:
        process.terminate()
        process.communicate(timeout=10)


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as reply:
            return reply.status, reply.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, ""


def test_the_page_needs_the_printed_token(served: Served) -> None:
    status, page = _get(f"{served.origin}/?token={served.token}")
    assert status == 200
    assert "textual.js" in page
    # The page's WebSocket URL carries the token too, and stays on localhost.
    assert f"ws://127.0.0.1:{served.port}/ws/{served.token}" in page
    assert _get(f"{served.origin}/")[0] == 403
    assert _get(f"{served.origin}/?token=wrong")[0] == 403


def test_the_page_focuses_the_terminal_on_load(served: Served) -> None:
    _, page = _get(f"{served.origin}/?token={served.token}")
    assert "wftui-focus-terminal" in page


async def _upgrade(url: str, origin: str | None) -> int:
    headers = {"Origin": origin} if origin else {}
    async with aiohttp.ClientSession() as session:
        try:
            async with session.ws_connect(url, headers=headers) as websocket:
                await websocket.close()
                return 101
        except aiohttp.WSServerHandshakeError as error:
            return error.status


def test_websocket_upgrades_need_the_pages_origin_and_the_token(served: Served) -> None:
    good = f"ws://127.0.0.1:{served.port}/ws/{served.token}?width=80&height=24"
    assert asyncio.run(_upgrade(good, "http://evil.example")) == 403
    assert asyncio.run(_upgrade(good, None)) == 403
    assert asyncio.run(_upgrade(f"ws://127.0.0.1:{served.port}/ws", served.origin)) == 403
    wrong = f"ws://127.0.0.1:{served.port}/ws/not-the-token?width=80&height=24"
    assert asyncio.run(_upgrade(wrong, served.origin)) == 403
    assert asyncio.run(_upgrade(good, served.origin)) == 101


def test_a_new_start_has_a_new_token(tmp_path: Path, served: Served) -> None:
    process, port = _start(tmp_path)
    try:
        found, _ = _read_until(process, rf"http://127\.0\.0\.1:{port}/\?token=([\w-]+)")
        assert found.group(1) != served.token
        assert len(found.group(1)) >= 32
    finally:
        process.terminate()
        process.communicate(timeout=10)


def test_a_public_host_is_warned_about(tmp_path: Path) -> None:
    process, port = _start(tmp_path, "--host", "0.0.0.0")
    try:
        _, output = _read_until(process, r"\?token=")
    finally:
        process.terminate()
        output += process.communicate(timeout=10)[0].decode()
    assert f"warning: serving on 0.0.0.0: anyone who can reach port {port}" in output
