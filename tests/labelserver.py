"""A real `tagger label` server in a subprocess, and a small HTTP client for its API (used
by the browser and kill -9 tests); `command="browse"` serves `tagger browse` the same way
(used by the tests of the manual's examples)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

TAGGER = Path(sys.executable).parent / "tagger"


class LabelServer:
    def __init__(self, *args: str, cwd=None, env=None, command: str = "label"):
        self.proc = subprocess.Popen([str(TAGGER), command, "--port", "0", *args], cwd=cwd,
                                     env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True)
        self.lines = lines = []
        while len(lines) < 2:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError(f"tagger {command} did not start: " + self.proc.stderr.read())
            if line.startswith((f"tagger {command}:", "open ")):
                lines.append(line)
        self.url = lines[1].split()[1]
        self.base = self.url.split("?")[0].rstrip("/")
        token = self.url.split("token=")[1] if "token=" in self.url else None
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}
        for _ in range(200):  # the socket listens before uvicorn serves: wait for an answer
            try:
                urllib.request.urlopen(self.base + "/api/csrf", timeout=2)
                break
            except urllib.error.HTTPError:
                break
            except OSError:
                time.sleep(0.05)
        self.csrf = None

    def kill(self, sig=signal.SIGKILL) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        self.proc.wait(timeout=30)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.kill(signal.SIGTERM)


def request(url: str, body: dict | None = None, headers: dict | None = None):
    """(status, JSON) of a GET, or of a POST of ``body``."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, headers={
        **({"Content-Type": "application/json"} if body is not None else {}), **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        raw = e.read()
        try:
            return e.code, json.loads(raw)
        except ValueError:
            return e.code, raw.decode(errors="replace")


class Annotator:
    """One tab of one annotator (its id issued by the server), through the HTTP API."""

    def __init__(self, server: LabelServer, name: str):
        self.base, self.name = server.base, name
        self.csrf = request(self.base + "/api/csrf", headers=server.headers)[1]["csrf"]
        self.headers = {**server.headers, "X-CSRF-Token": self.csrf}
        status, body = request(self.base + "/api/tab", {"annotator": name}, self.headers)
        assert status == 200, body
        self.tab = body["tab"]

    def next(self) -> dict | None:
        status, body = request(f"{self.base}/api/next", {"tab": self.tab, "annotator": self.name},
                               self.headers)
        assert status == 200, body
        return body["document"]

    def save(self, doc: dict, **decision) -> tuple[int, dict]:
        body = {"tab": self.tab, "annotator": self.name, "id": doc["id"], **decision}
        return request(self.base + "/api/decide", body, self.headers)
