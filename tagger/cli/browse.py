"""`tagger browse ARCHIVE`: the archive's page, read-only, with corrections into a label
database."""

from __future__ import annotations

import getpass
import ipaddress
import secrets
import socket

import click

from .commands import main
from .options import handle_errors


# As tagger label's (kept apart until the serving code is shared by both commands).
def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _default_annotator() -> str:
    try:
        name = getpass.getuser()
    except (KeyError, OSError):
        name = ""
    return "".join(c for c in name if c.isalnum() or c in "._-")[:64] or "annotator"


@main.command()
@click.argument("archive", type=click.Path(dir_okay=False))
@click.option("--db", "db", type=click.Path(dir_okay=False),
              help="Label database to store corrections in (the one tagger label writes; "
                   "created when missing) [default: none, corrections off].")
@click.option("--annotator", "-a", default=_default_annotator, show_default="your login name",
              help="Whose corrections these are.")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on.")
@click.option("--port", "-p", type=click.IntRange(0, 65535), default=8766, show_default=True,
              help="Port to listen on (0: any free port).")
@click.option("--no-token", is_flag=True,
              help="Serve without an access token (loopback only) [default: a new token each "
                   "run, in the address printed].")
@click.option("--open", "open_browser", is_flag=True, help="Open the page in a web browser.")
@handle_errors
def browse(archive, db, annotator, host, port, no_token, open_browser):
    """See a tagged archive (SQLite, from tagger tag --out x.sqlite) in the browser.

    The front page counts the documents given each tag, charts them per week (or month)
    and marks the runs whose drift report warned; filter by tag, source, dates, score and
    words; open an article to see each tag's evidence sentence and score. With --db, its
    "wrong tag" / "missing tag" buttons store your correction as a labelling decision
    (tagger label export and tagger train --labels read it). The archive is never changed.
    Open the address it prints (it holds the access token, new each run).
    """
    from ..app.browse import create_browse_app
    from ..app.browsedb import Archive
    from ..io.labeldb import LabelDB

    if no_token and not _loopback(host):
        raise click.UsageError("--no-token is for loopback only: beyond it every request "
                               "needs the token")
    store = Archive(archive)
    labels = LabelDB(db) if db else None
    if labels is not None:
        labels.keep_open()
    token = None if no_token else secrets.token_urlsafe(18)
    allowed = ("127.0.0.1", "localhost", "[::1]") if _loopback(host) else ("*",)
    app = create_browse_app(store, labels=labels, annotator=annotator, token=token,
                            allowed_hosts=allowed)
    counts = store.tag_counts()
    _serve(app, host, port, token, f"{counts['']} documents in {store.path}"
                                   + (f", corrections to {labels.path} as {annotator}"
                                      if labels else ", corrections off (no --db)"),
           open_browser)


def _serve(app, host: str, port: int, token: str | None, what: str, open_browser: bool):
    """Listen (port 0: any free one), print the address, serve until stopped."""
    import uvicorn

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port} ({exc.strerror})") from None
    sock.listen(128)
    shown = f"[{host}]" if family == socket.AF_INET6 else host
    url = f"http://{shown}:{sock.getsockname()[1]}/" + (f"?token={token}" if token else "")
    click.echo(f"tagger browse: {what}")
    click.echo(f"open {url}  (Ctrl-C to stop)")
    if open_browser:
        import webbrowser

        webbrowser.open(url)
    config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
    try:
        uvicorn.Server(config).run(sockets=[sock])
    except KeyboardInterrupt:
        pass
