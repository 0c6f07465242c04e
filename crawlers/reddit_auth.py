"""reddit's OAuth API: an application-only token from the client id and secret in the environment.

reddit.com's robots.txt disallows every path since July 2024 and unauthenticated JSON requests are
often answered 403 with an HTML block page; the supported route is the OAuth API.  With
``RIFTLAB_REDDIT_CLIENT_ID`` and ``RIFTLAB_REDDIT_CLIENT_SECRET`` set (a "script" app registered at
https://www.reddit.com/prefs/apps), the forum spider asks the token endpoint for an application-only
token (``grant_type=client_credentials``, HTTP basic auth) and reads every listing, thread and
``/api/morechildren`` answer from the API base (``https://oauth.reddit.com``) with
``Authorization: bearer TOKEN``.  Both endpoints are ``sources.forum.token_url`` / ``api_base``, so
a loopback server can stand in for reddit.
"""

from __future__ import annotations

import base64
import json
import os
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from warehouse.errors import ConfigError, RiftlabError

CLIENT_ID, CLIENT_SECRET = "RIFTLAB_REDDIT_CLIENT_ID", "RIFTLAB_REDDIT_CLIENT_SECRET"
#: A token is renewed this many seconds before reddit says it expires.
RENEW_BEFORE = 60
TOKEN_TIMEOUT = 30


class TokenRefused(RiftlabError):
    """The token endpoint did not hand out a token (wrong id or secret, endpoint unreachable)."""


@dataclass(frozen=True)
class Credentials:
    client_id: str
    client_secret: str

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Credentials | None:
        """The credentials in the environment; None when neither is set; one without the other is refused."""
        environ = os.environ if environ is None else environ
        client_id, secret = environ.get(CLIENT_ID, "").strip(), environ.get(CLIENT_SECRET, "").strip()
        if not client_id and not secret:
            return None
        if not client_id or not secret:
            have, lack = (CLIENT_ID, CLIENT_SECRET) if client_id else (CLIENT_SECRET, CLIENT_ID)
            raise ConfigError(
                f"{have} is set but {lack} is not: set both (the id and secret of a reddit script app, "
                "https://www.reddit.com/prefs/apps) or neither"
            )
        return cls(client_id, secret)


@dataclass
class Token:
    value: str
    expires_at: float

    @property
    def fresh(self) -> bool:
        return time.time() < self.expires_at - RENEW_BEFORE


def fetch_token(credentials: Credentials, token_url: str, user_agent: str) -> Token:
    """An application-only token from ``token_url`` (one blocking POST: once an hour at most)."""
    basic = base64.b64encode(f"{credentials.client_id}:{credentials.client_secret}".encode()).decode("ascii")
    request = urllib.request.Request(
        token_url,
        data=urlencode({"grant_type": "client_credentials"}).encode("ascii"),
        headers={
            "Authorization": f"Basic {basic}",
            "User-Agent": user_agent,
            "Content-Type": "application/x-www-form-urlencoded",
        },
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=TOKEN_TIMEOUT) as answer:
            payload = json.loads(answer.read().decode("utf-8"))
    except urllib.error.HTTPError as exc:
        raise TokenRefused(
            f"reddit's token endpoint {token_url} refused {CLIENT_ID}/{CLIENT_SECRET} (HTTP {exc.code}): "
            "check the script app's id and secret at https://www.reddit.com/prefs/apps"
        ) from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise TokenRefused(f"no token from reddit's token endpoint {token_url}: {exc}") from None
    if not isinstance(payload, dict) or not payload.get("access_token"):
        error = payload.get("error") if isinstance(payload, dict) else None
        raise TokenRefused(
            f"reddit's token endpoint {token_url} answered without an access_token ({error or 'no error given'}): "
            f"check {CLIENT_ID} and {CLIENT_SECRET}"
        )
    return Token(str(payload["access_token"]), time.time() + float(payload.get("expires_in") or 3600))


def api_url(url: str, api_base: str) -> str:
    """``url`` (a www.reddit.com JSON URL) as the OAuth API serves it: same path without ``.json``, ``raw_json=1``.

    ``raw_json=1`` asks for text as written (``<3``, ``>``), not HTML-escaped as the legacy JSON sends it.
    """
    base = urlsplit(api_base.rstrip("/"))
    parts = urlsplit(url)
    path = parts.path[: -len(".json")] if parts.path.endswith(".json") else parts.path
    path = path.rstrip("/") or "/"
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "raw_json"]
    query.append(("raw_json", "1"))
    return urlunsplit((base.scheme, base.netloc, base.path + path, urlencode(sorted(query)), ""))


def user_agent(configured: str) -> str:
    """reddit's rule: ``<platform>:<app id>:<version> (by /u/<username>)``, unique and descriptive.

    The configured ``crawl.user_agent`` is used as it is when it already names a platform; otherwise
    it is wrapped so that it starts the way reddit asks.
    """
    if configured.startswith("python:") or configured.count(":") >= 2 and "(by " in configured:
        return configured
    return f"python:riftlab:0.1 (by /u/riftlab; {configured})"
