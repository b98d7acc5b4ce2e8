"""``wftui serve``: the app in a browser tab through textual-serve, behind a token and an origin check.

Each browser tab starts its own app process running ``command``, which can run pipelines and
delete checkpoints, so the socket must not be an open door. As Jupyter does, each start makes
a random token that the printed page URL carries; the page's WebSocket URL carries it in its
path (textual-serve's page appends its own query string to that URL). An upgrade is refused
(HTTP 403) without the token or when its ``Origin`` is not the page's own, so another web page
the user visits cannot drive the app. Bound to a loopback address, requests must also name a
loopback host, which defeats DNS rebinding.
"""

from __future__ import annotations

import secrets
import shlex
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

import aiohttp_jinja2
from aiohttp import web
from textual_serve.server import Server

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
TOKEN_BYTES = 32
_WEBSOCKET_ROUTE = "guarded_websocket"
# xterm.js takes keys through a hidden textarea; focus it once the page has built it, so keys
# work without a first click.
FOCUS_SCRIPT = """<script id="wftui-focus-terminal">
(function focusTerminal(triesLeft) {
  const input = document.querySelector("#terminal textarea");
  if (input) { input.focus(); return; }
  if (triesLeft > 0) { setTimeout(() => focusTerminal(triesLeft - 1), 100); }
})(100);
</script>
"""

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _hostname(host_header: str) -> str:
    return urlsplit(f"//{host_header}").hostname or ""


class GuardedServer(Server):
    """textual-serve's server with a per-start token and an Origin check on WebSocket upgrades."""

    def __init__(self, command: str, *, host: str, port: int, title: str) -> None:
        super().__init__(command, host=host, port=port, title=title)
        self.token = secrets.token_urlsafe(TOKEN_BYTES)

    @property
    def page_url(self) -> str:
        return f"{self.public_url}/?token={self.token}"

    async def _make_app(self) -> web.Application:
        app = await super()._make_app()
        app.router.add_get("/ws/{token}", self.handle_websocket, name=_WEBSOCKET_ROUTE)
        app.middlewares.append(self._guard)
        return app

    def _refusal(self, request: web.Request) -> str | None:
        """Why ``request`` is refused, or None to let it through."""
        if self.host in LOCAL_HOSTS and _hostname(request.host) not in LOCAL_HOSTS:
            return "this server answers only to a loopback host name"
        if request.path == "/":
            given = request.query.get("token", "")
            return None if secrets.compare_digest(given, self.token) else "a valid token is needed"
        if request.path == "/ws" or request.path.startswith("/ws/"):
            given = request.match_info.get("token", "")
            if not secrets.compare_digest(given, self.token):
                return "a valid token is needed"
            own_origin = f"{request.scheme}://{request.host}"
            if request.headers.get("Origin") != own_origin:
                return "WebSocket connections are accepted only from the app's own page"
        return None

    @web.middleware
    async def _guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        reason = self._refusal(request)
        if reason is not None:
            raise web.HTTPForbidden(text=f"wftui serve: {reason}\n")
        response = await handler(request)
        if request.path == "/" and isinstance(response, web.Response) and response.text:
            response.text = response.text.replace("</body>", FOCUS_SCRIPT + "</body>", 1)
        return response

    @aiohttp_jinja2.template("app_index.html")
    async def handle_index(self, request: web.Request) -> dict[str, Any]:
        """textual-serve's page, with a WebSocket URL that carries the token, on the page's host."""
        context: dict[str, Any] = await Server.handle_index.__wrapped__(self, request)  # type: ignore[attr-defined]
        path = request.app.router[_WEBSOCKET_ROUTE].url_for(token=self.token)
        scheme = "wss" if request.scheme == "https" else "ws"
        context["app_websocket_url"] = f"{scheme}://{request.host}{path}"
        return context

    async def on_startup(self, app: web.Application) -> None:
        print(f"wftui: serving {self.command!r}", flush=True)
        print(f"wftui: open {self.page_url}", flush=True)
        print("wftui: press Ctrl+C to stop", flush=True)


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
            f"wftui: warning: serving on {host}: anyone who can reach port {port} and learns the "
            "URL's token can run pipelines and delete checkpoints; prefer an SSH tunnel "
            f"(ssh -L {port}:127.0.0.1:{port} host)",
            file=sys.stderr,
            flush=True,
        )
    GuardedServer(line, host=host, port=port, title=title).serve()
