"""Where every part of the platform lives: names, path prefixes and local ports.

One table for the whole platform, read by the services (to find the auth
service's JWKS), the gateway (to report health) and manage_all.py (to render
nginx and start processes). A service listed here without its project folder
(one being added) is left out of the running platform.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
PROJECTS_DIR = REPO_ROOT / "projects"


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    slot: int  # offset from the port base; fixed so that ports never move
    asgi: bool = False  # served by uvicorn (sockets) instead of gunicorn

    @property
    def api_prefix(self) -> str:
        return f"/api/{self.name}/"

    @property
    def ws_prefix(self) -> str | None:
        return f"/ws/{self.name}/" if self.asgi else None

    @property
    def project_dir(self) -> Path:
        return PROJECTS_DIR / self.name

    @property
    def exists(self) -> bool:
        return (self.project_dir / "manage.py").is_file()

    @property
    def port(self) -> int:
        return port_base() + self.slot

    @property
    def local_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def process_ports(self) -> list[int]:
        """The ports of this service's web processes (``port``, ``port + 100``...). A socket service runs
        several single-worker processes rather than workers sharing one port, so each can be reached
        (and tested) by itself; an HTTP service runs MARKETPLACE_WEB_PROCESSES gunicorn processes.
        The gateway balances across them and passes over one that fails."""
        count = socket_processes() if self.asgi else web_processes()
        return [self.port + 100 * index for index in range(count)]

    @property
    def database_name(self) -> str:
        return database_name(self.name)


ALL_SERVICES: tuple[ServiceSpec, ...] = (
    ServiceSpec("auth", 1),
    ServiceSpec("users", 2),
    ServiceSpec("gigs", 3),
    ServiceSpec("orders", 4),
    ServiceSpec("reviews", 5),
    ServiceSpec("chat", 6, asgi=True),
    ServiceSpec("notifications", 7, asgi=True),
    ServiceSpec("payments", 8),
)
GATEWAY_SLOT = 0


def socket_processes() -> int:
    """``MARKETPLACE_SOCKET_PROCESSES``: processes per socket service. Two by default when Redis joins
    them (a user on each must still reach the other); one without Redis (in-memory channel layer)."""
    configured = os.environ.get("MARKETPLACE_SOCKET_PROCESSES")
    if configured:
        return max(1, int(configured))
    return 2 if os.environ.get("MARKETPLACE_REDIS_URL") else 1


def web_processes() -> int:
    """``MARKETPLACE_WEB_PROCESSES``: gunicorn processes per HTTP service (each with its own workers),
    behind the gateway; 1 by default. Two let one be restarted, or fail, while the other serves."""
    return max(1, int(os.environ.get("MARKETPLACE_WEB_PROCESSES", "1")))


def port_base() -> int:
    return int(os.environ.get("MARKETPLACE_PORT_BASE", "8100"))


def gateway_port() -> int:
    return int(os.environ.get("MARKETPLACE_GATEWAY_PORT", "8080"))


def gateway_app_port() -> int:
    """The Django half of the gateway, which nginx asks to verify tokens."""
    return port_base() + GATEWAY_SLOT


def database_name(service: str) -> str:
    return f"{os.environ.get('MARKETPLACE_DATABASE_PREFIX', 'marketplace_')}{service}"


def service(name: str) -> ServiceSpec:
    for spec in ALL_SERVICES:
        if spec.name == name:
            return spec
    raise KeyError(f"unknown service {name!r}")


def present_services() -> list[ServiceSpec]:
    return [spec for spec in ALL_SERVICES if spec.exists]
