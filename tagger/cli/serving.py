"""Serving a page: the options every page command takes, and serving until stopped.

Every page carries an access token by default, on loopback too (as Jupyter does): one is
generated per run and printed in the address to open (``http://127.0.0.1:PORT/?token=...``);
the page sets it as a cookie on the first visit. ``--no-token`` opts out on a single-user
machine (loopback only); ``--token`` or ``TAGGER_TOKEN`` chooses it.
"""

from __future__ import annotations

import functools
import getpass
import ipaddress
import secrets
import socket
from dataclasses import dataclass

import click

from .options import say

LOOPBACK_NAMES = ("localhost",)


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host in LOOPBACK_NAMES


@dataclass(frozen=True)
class Serving:
    """Where and how a page is served (``token`` None: none needed)."""

    host: str
    port: int
    token: str | None
    open_browser: bool

    @property
    def allowed_hosts(self) -> tuple[str, ...]:
        """The Host headers the page answers to: loopback's names, or any beyond it."""
        return ("127.0.0.1", "localhost", "[::1]") if is_loopback(self.host) else ("*",)


def default_annotator() -> str:
    """The login name, cut to what an annotator's name may hold ("annotator" when none)."""
    try:
        name = getpass.getuser()
    except (KeyError, OSError):
        name = ""
    return "".join(c for c in name if c.isalnum() or c in "._-")[:64] or "annotator"


def serving_options(command=None, *, port: int = 8765):
    """Add --host, --port, --token, --no-token and --open; the command gets ``serving``.
    Used bare (``@serving_options``) or with another default port."""
    if command is None:
        return functools.partial(serving_options, port=port)
    default_port = port

    @click.option("--host", default="127.0.0.1", show_default=True,
                  help="Address to listen on.")
    @click.option("--port", "-p", type=click.IntRange(0, 65535), default=default_port,
                  show_default=True, help="Port to listen on (0: any free port).")
    @click.option("--token", envvar="TAGGER_TOKEN",
                  help="Access token every request must carry [env: TAGGER_TOKEN; default: "
                       "a new one each run, printed in the address to open].")
    @click.option("--no-token", is_flag=True,
                  help="Serve without an access token (a single-user machine; loopback only).")
    @click.option("--open", "open_browser", is_flag=True, help="Open the page in a web browser.")
    @functools.wraps(command)
    def wrapper(*args, host, port, token, no_token, open_browser, **kwargs):
        if no_token and token:
            raise click.UsageError("--no-token and --token (or TAGGER_TOKEN) together: choose one")
        if no_token and not is_loopback(host):
            raise click.UsageError(f"--no-token serves only on loopback, not on {host}")
        if not no_token and not token:
            token = secrets.token_urlsafe(18)
        return command(*args, serving=Serving(host, port, None if no_token else token,
                                              open_browser), **kwargs)
    return wrapper


def serve(app, serving: Serving, name: str, what: str) -> None:
    """Listen (port 0: any free one), print the address to open, and serve until stopped."""
    import uvicorn

    host, family = serving.host, socket.AF_INET6 if ":" in serving.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, serving.port))
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{serving.port} "
                                   f"({exc.strerror})") from None
    sock.listen(128)
    bound = sock.getsockname()[1]
    shown = f"[{host}]" if family == socket.AF_INET6 else host
    url = f"http://{shown}:{bound}/" + (f"?token={serving.token}" if serving.token else "")
    say(f"{name}: {what}")
    say(f"open {url}  (Ctrl-C to stop)", nl=True)
    if serving.open_browser:
        import webbrowser

        webbrowser.open(url)
    config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
    try:
        uvicorn.Server(config).run(sockets=[sock])
    except KeyboardInterrupt:  # Ctrl-C, the way to stop: uvicorn shut down, then raised it again
        pass
