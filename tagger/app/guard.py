"""What every request must show before the app acts on it, and what every answer carries.

- its Host header names this server (no DNS-rebinding page can reach it by another name);
- the access token, when the server has one (always, beyond loopback): an
  ``Authorization: Bearer`` header, or the cookie (one per port) set when the page was
  opened with ``?token=``;
- for a request that changes anything (not GET or HEAD): the page's CSRF token in
  ``X-CSRF-Token``, an ``Origin`` (when sent) of this server, a JSON body, of at most
  :data:`MAX_BODY` bytes. A page of another site can neither read the CSRF token nor set
  that header.
- every answer, refusals included, carries a Content-Security-Policy (the page's scripts
  and styles are its own files; nothing else runs or loads) and no-sniff, no-referrer and
  no-store headers.

From libraries, added in this order by :func:`tagger.app.web.guarded`: the Host check is
Starlette's ``TrustedHostMiddleware`` (it parses ``[::1]:PORT`` since Starlette 1.x); the
headers are ``secure``'s ``SecureASGIMiddleware`` (outermost, so refusals carry them too;
it replaces a header a route set rather than adding a second).

Written here, by this rule: the token and CSRF checks stay ours while no well-kept package
checks every state-changing request whatever it carries. Weighed for issue 24:
``asgi-csrf`` 0.11 (datasette's) and ``starlette-csrf`` 3.0.0 (last released 2023) are
double-submit cookies. asgi-csrf lets a POST through unchecked when it carries no cookie
at all, or any ``Authorization: Bearer`` header (valid or not); both need a cookie of one
name fixed when the app is made, which does not know its port (the Host header tells it
per request), so two servers on one host (label and browse) would overwrite each other's
token; both add itsdangerous, asgi-csrf python-multipart too, for form bodies the apps
refuse. Ours: one secret per label database (a page outlives a server restart), in the
page, required in a header on every POST, compared in constant time. The Origin and
JSON-only checks are a few lines neither package makes. The body cap is :func:`body_bytes`, not Starlette's
``RequestBodyLimitMiddleware`` (1.10): that one answers a body whose declared length is
over the cap with its own plain-text 413, put in place of whatever the app answered, so
the page could say only "the server answered 413"; ours refuses in the page's JSON,
naming the limit. Each check is tested (tests/app/test_label_app.py,
test_reliability_app.py, test_browse_app.py).
"""

from __future__ import annotations

import hmac
from http.cookies import SimpleCookie
from urllib.parse import parse_qs, urlencode

from starlette.middleware.trustedhost import parse_host_header
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse

from ..errors import DecisionError


MAX_BODY = 256 * 2**10
COOKIE = "tagger_token"  # and the port: a browser sends a host's cookies to every port, so
# two pages served at once (label and another) would otherwise overwrite each other's token


def security_headers():
    """The headers every answer carries, for ``secure``'s middleware (a well-kept package
    whose builders name each CSP directive: a misspelt one fails here, where a browser would
    ignore it)."""
    from secure import CacheControl, ContentSecurityPolicy, ReferrerPolicy, Secure, XContentTypeOptions

    csp = (ContentSecurityPolicy().default_src("'none'").script_src("'self'").style_src("'self'")
           .img_src("'self'").connect_src("'self'").base_uri("'none'").form_action("'none'")
           .frame_ancestors("'none'"))
    return Secure(csp=csp, xcto=XContentTypeOptions(), referrer=ReferrerPolicy().no_referrer(),
                  cache=CacheControl().no_store())


def _same(a: str | None, b: str) -> bool:
    return a is not None and hmac.compare_digest(a.encode(), b.encode())


class Guard:
    """ASGI middleware: refuses what fails the token, CSRF, Origin and JSON checks above."""

    def __init__(self, app, *, token: str | None, csrf: str):
        self.app, self.token, self.csrf = app, token, csrf

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        refusal = self.refusal(scope, headers)
        await (refusal or self.app)(scope, receive, send)

    def refusal(self, scope, headers: dict):
        host = headers.get("host", "")
        parsed = parse_host_header(host)
        port = (parsed.port if parsed is not None else None) or ""
        name = f"{COOKIE}_{port}" if port.isdigit() else COOKIE
        if self.token is not None:
            query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
            cookie = SimpleCookie(headers.get("cookie", ""))
            given = headers.get("authorization", "")
            bearer = given[7:] if given.lower().startswith("bearer ") else None
            if scope["method"] == "GET" and _same((query.get("token") or [None])[0], self.token):
                rest = urlencode({k: v[0] for k, v in query.items() if k != "token"})
                response = RedirectResponse(scope["path"] + (f"?{rest}" if rest else ""), 303)
                response.set_cookie(name, self.token, httponly=True, samesite="strict")
                return response
            if not (_same(bearer, self.token)
                    or _same(cookie[name].value if name in cookie else None, self.token)):
                return PlainTextResponse("refused: this server needs its access token "
                                         "(open the address tagger printed)", 403)
        if scope["method"] not in ("GET", "HEAD"):
            if not _same(headers.get("x-csrf-token"), self.csrf):
                return JSONResponse({"error": "refused: missing or wrong CSRF token (reload "
                                              "the page)"}, status_code=403)
            origin = headers.get("origin")
            if origin is not None and origin != f"{scope.get('scheme', 'http')}://{host}":
                return JSONResponse({"error": "refused: a request from another site"},
                                    status_code=403)
            if not headers.get("content-type", "").startswith("application/json"):
                return JSONResponse({"error": "requests send JSON"}, status_code=415)
        return None


async def body_bytes(request: Request) -> bytes:
    """The request's body, read up to :data:`MAX_BODY` bytes and no further (its shape is
    checked where it is used: :func:`tagger.app.tabs.parsed`)."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise DecisionError(f"a request body is at most {MAX_BODY // 1024} KiB")
        chunks.append(chunk)
    return b"".join(chunks)
