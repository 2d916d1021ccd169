"""Security headers on every response, whatever blueprint (or error handler) made it.

Screens, the portal, boards and the designer set their own Content-Security-Policy; any other
HTML page (sign-in, error pages) gets one that allows the app's own scripts, styles and images;
everything else — the API's JSON, files — gets the strictest one, which forbids framing and
loading anything. HSTS is sent only on a request that arrived over
HTTPS (behind a proxy: ``SUNMAO_PROXY_HOPS`` trusted ``X-Forwarded-*`` hops), since a browser that
sees it on plain HTTP ignores it anyway and a test install on http://127.0.0.1 must keep working.
"""

from __future__ import annotations

from flask import Response, request

STRICT_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
PAGE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
            "object-src 'none'; frame-ancestors 'self'; base-uri 'self'; form-action 'self'")
HSTS = "max-age=31536000; includeSubDomains"


def security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", PAGE_CSP if response.mimetype == "text/html" else STRICT_CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "SAMEORIGIN")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", HSTS)
    return response
