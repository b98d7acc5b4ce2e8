"""``wftui serve``: the app in a browser tab through textual-serve.

Each browser tab starts its own app process running ``command``. textual-serve has no
authentication, so the server binds to 127.0.0.1 unless told otherwise; reach it from another
machine through an SSH tunnel (``ssh -L 8000:127.0.0.1:8000 host``).
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Sequence

from textual_serve.server import Server

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


def serve(
    command: Sequence[str] | str,
    host: str = "127.0.0.1",
    port: int = 8000,
    title: str = "wftui",
) -> None:
    """Serve ``command`` (the app's command line) on http://host:port until interrupted."""
    line = command if isinstance(command, str) else shlex.join(command)
    if host not in LOCAL_HOSTS:
        print(
            f"wftui: warning: serving on {host}: anyone who can reach port {port} can run "
            "pipelines and delete checkpoints (textual-serve has no authentication)",
            file=sys.stderr,
        )
    Server(line, host=host, port=port, title=title).serve()
