"""The gateway's signed download links, for files stored on the file system.

A service signs ``{service, name, type, disposition, expires}`` with the platform's secret
(``MARKETPLACE_SECRET_KEY``, which every service and the gateway share) into ``/files/<token>``.
The gateway checks the signature and the expiry and answers ``X-Accel-Redirect`` to an internal
nginx location, so nginx sends the bytes; a link is good for one file, for a few minutes.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from django.core import signing

SALT = "marketplace.files.link"
PREFIX = "/files/"
_SERVICE = re.compile(r"^[a-z][a-z0-9_]{0,30}$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,299}$")


@dataclass(frozen=True)
class Link:
    service: str
    name: str
    content_type: str
    disposition: str
    expires: int

    @property
    def internal_path(self) -> str:
        return f"/_stored/{self.service}/{self.name}"

    def seconds_left(self, now: float | None = None) -> int:
        return max(0, self.expires - int(now if now is not None else time.time()))


def gateway_link(*, service: str, name: str, content_type: str, disposition: str, lifetime: int,
                 now: float | None = None) -> str:
    expires = int(now if now is not None else time.time()) + lifetime
    token = signing.dumps({"s": service, "n": name, "t": content_type, "d": disposition, "e": expires},
                          salt=SALT, compress=True)
    return PREFIX + token


class LinkRefused(Exception):
    def __init__(self, reason: str):  # "invalid" or "expired"
        super().__init__(reason)
        self.reason = reason


def verified_link(token: str, *, now: float | None = None) -> Link:
    """The link ``token`` stands for, or LinkRefused: a bad signature, a name that could step outside
    the service's folder, or an expiry that has passed."""
    try:
        data = signing.loads(token, salt=SALT)
        link = Link(service=data["s"], name=data["n"], content_type=data["t"], disposition=data["d"],
                    expires=int(data["e"]))
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise LinkRefused("invalid") from None
    if not _SERVICE.match(link.service) or not _NAME.match(link.name) or ".." in link.name.split("/"):
        raise LinkRefused("invalid")
    if link.seconds_left(now) <= 0:
        raise LinkRefused("expired")
    return link
