"""Renders gateway/nginx/nginx.conf.template for the services present, and finds nginx."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

from marketplace_libs.topology import REPO_ROOT, gateway_app_port, gateway_port, present_services

# The services whose routes take files (POST .../files): their own, larger, body limit.
UPLOAD_SERVICES = ("orders", "chat")
TEMPLATE = REPO_ROOT / "gateway" / "nginx" / "nginx.conf.template"
PROXY_HEADERS = (REPO_ROOT / "gateway" / "nginx" / "proxy_headers.conf").read_text()


def render(run_dir: Path, *, env: dict | None = None) -> Path:
    import django
    from django.conf import settings
    from django.template import Context, Engine

    env = dict(os.environ if env is None else env)
    if not settings.configured:
        settings.configure()
        django.setup()
    run_dir.mkdir(parents=True, exist_ok=True)
    for sub in ("tmp/body", "tmp/proxy", "tmp/fastcgi", "tmp/uwsgi", "tmp/scgi", "cache/auth", "empty"):
        (run_dir / sub).mkdir(parents=True, exist_ok=True)
    context = {
        "worker_processes": env.get("MARKETPLACE_GATEWAY_WORKERS", "auto"),
        "run_dir": run_dir,
        "user": "root" if os.geteuid() == 0 else "",
        "listen": f"{env.get('MARKETPLACE_GATEWAY_HOST', '127.0.0.1')}:{gateway_port()}",
        "access_log": "/dev/stdout",
        "gateway_app": f"127.0.0.1:{gateway_app_port()}",
        "services": [
            {"name": spec.name, "addresses": [f"127.0.0.1:{port}" for port in spec.process_ports()],
             "websocket": spec.asgi, "uploads": spec.name in UPLOAD_SERVICES}
            for spec in present_services()
        ],
        "rate_limit": env.get("MARKETPLACE_GATEWAY_RATE_LIMIT", "100"),
        "rate_burst": int(env.get("MARKETPLACE_GATEWAY_RATE_LIMIT", "100")) * 2,
        "credentials_rate_limit": env.get("MARKETPLACE_GATEWAY_CREDENTIALS_RATE_LIMIT", "60"),
        "credentials_burst": env.get("MARKETPLACE_GATEWAY_CREDENTIALS_BURST", "30"),
        "max_body": env.get("MARKETPLACE_GATEWAY_MAX_BODY", "10m"),
        "max_upload": f"{max_upload_mb(env) + 1}m",
        "verdict_cache_seconds": env.get("MARKETPLACE_GATEWAY_VERDICT_CACHE_SECONDS", "5"),
        "verdict_cache_dir": verdict_cache_dir(run_dir, env),
        "media_root": media_root(env),
        "trusted_proxies": trusted_proxies(env),
        # Where nginx's /storage/ passes presigned S3 requests (compose: MinIO); none by default.
        "storage_upstream": env.get("MARKETPLACE_GATEWAY_STORAGE_UPSTREAM", "").rstrip("/"),
        "storage_host": urlsplit(env.get("MARKETPLACE_GATEWAY_STORAGE_UPSTREAM", "")).netloc,
    }
    (run_dir / "proxy_headers.conf").write_text(PROXY_HEADERS)
    engine = Engine(debug=False, autoescape=False)
    text = engine.from_string(TEMPLATE.read_text()).render(Context(context, autoescape=False))
    target = run_dir / "nginx.conf"
    target.write_text(text)
    return target


def max_upload_mb(env: dict) -> int:
    """MARKETPLACE_MAX_UPLOAD_MB, read as the services read it; nginx allows 1 MB more for the framing,
    so the service, which streams and counts, is the one that refuses with its reasons."""
    import environ

    from marketplace_libs.config import max_upload_mb as read

    reader = environ.Env()
    reader.ENVIRON = env
    return read(reader)


def trusted_proxies(env: dict) -> tuple[str, ...]:
    """MARKETPLACE_TRUSTED_PROXIES, read as the services read it (marketplace_libs.config)."""
    import environ

    from marketplace_libs.config import trusted_proxies as read

    reader = environ.Env()
    reader.ENVIRON = env
    return read(reader)


def media_root(env: dict) -> Path:
    """Where the services store uploads (their MEDIA_ROOTs are <this>/<service>/)."""
    var_dir = Path(env.get("MARKETPLACE_VAR_DIR") or REPO_ROOT / "var")
    return var_dir / "media"


def verdict_cache_dir(run_dir: Path, env: dict) -> Path:
    """Token verdicts are read on every request: keep them in memory (tmpfs) when the machine has one."""
    configured = env.get("MARKETPLACE_GATEWAY_CACHE_DIR")
    shm = Path("/dev/shm")
    if configured:
        directory = Path(configured)
    elif shm.is_dir() and os.access(shm, os.W_OK):
        directory = shm / f"marketplace-gateway-{gateway_port()}"
    else:
        directory = run_dir / "cache" / "auth"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next(
        (path for path in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if Path(path).exists()), None
    )


def ensure_installed() -> str:
    from .servers import install

    binary = nginx_binary()
    if binary:
        return binary
    install(["nginx-light"])
    return nginx_binary() or "/usr/sbin/nginx"


def test_config(binary: str, conf: Path) -> None:
    subprocess.run([binary, "-t", "-q", "-e", "stderr", "-p", str(conf.parent), "-c", str(conf)], check=True)
