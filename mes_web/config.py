"""Every setting comes from the environment, read here and nowhere else."""

import os
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def with_driver(url: str) -> str:
    """Point a PostgreSQL URL at psycopg 3, the driver we ship, whichever spelling was given."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _database_url(raw: str | None, instance_path: str) -> str:
    return with_driver(raw) if raw else f"sqlite:///{Path(instance_path) / 'mes_web.db'}"


def _flag(raw: str | None) -> bool:
    return (raw or "").strip().lower() in {"1", "true", "yes", "on"}


def load_config(instance_path: str, environ: dict | None = None) -> dict:
    """Build the Flask config from environment variables."""
    env = os.environ if environ is None else environ
    timezone_name = env.get("PLANT_TIMEZONE", "Europe/Moscow")
    try:
        ZoneInfo(timezone_name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise RuntimeError(f"PLANT_TIMEZONE={timezone_name!r} is not a known time zone") from exc
    redis_url = env.get("REDIS_URL") or None
    return {
        "SQLALCHEMY_DATABASE_URI": _database_url(env.get("DATABASE_URL"), instance_path),
        "SECRET_KEY": env.get("SECRET_KEY") or "dev-only-insecure-secret-key",
        "REDIS_URL": redis_url,
        # Shared by every web and worker process when Redis is there, so one invalidation reaches all.
        "CACHE_TYPE": "RedisCache" if redis_url else "SimpleCache",
        "CACHE_REDIS_URL": redis_url,
        "CACHE_KEY_PREFIX": "mes_web:",
        "MINIO_ENDPOINT": env.get("MINIO_ENDPOINT") or None,
        "MINIO_ACCESS_KEY": env.get("MINIO_ACCESS_KEY") or None,
        "MINIO_SECRET_KEY": env.get("MINIO_SECRET_KEY") or None,
        "MINIO_SECURE": _flag(env.get("MINIO_SECURE")),
        # Pre-signed links are signed for the host the browser reaches (compose: localhost:9000, not minio:9000).
        "MINIO_PUBLIC_ENDPOINT": env.get("MINIO_PUBLIC_ENDPOINT") or None,
        "MINIO_REGION": env.get("MINIO_REGION") or "us-east-1",
        # Without MinIO, files live here and the app serves them through signed, expiring links.
        "FILES_FOLDER": env.get("FILES_FOLDER") or str(Path(instance_path) / "files"),
        "FILES_RETENTION_DAYS": int(env.get("FILES_RETENTION_DAYS", "30")),
        "DOWNLOAD_LINK_DAYS": 7,
        "IMPORT_MAX_MB": int(env.get("IMPORT_MAX_MB", "10")),
        # A running job proves it is alive this often; three missed beats and it is reported failed.
        "JOB_HEARTBEAT_SECONDS": float(env.get("JOB_HEARTBEAT_SECONDS", "10")),
        "JOB_TIMEOUT_SECONDS": int(env.get("JOB_TIMEOUT_SECONDS", "1800")),
        # Webhooks may not reach internal addresses unless named here (host names, IPs, CIDR ranges).
        "WEBHOOK_ALLOWED_HOSTS": env.get("WEBHOOK_ALLOWED_HOSTS") or "",
        "WEBHOOK_DISABLE_AFTER_FAILURES": int(env.get("WEBHOOK_DISABLE_AFTER_FAILURES", "20")),
        "WEBHOOK_HISTORY_DAYS": int(env.get("WEBHOOK_HISTORY_DAYS", "30")),
        "PLANT_TIMEZONE": timezone_name,
        # 100,000 codes from 1C in one request is about 8 MB of JSON.
        # Behind TLS in production; the embedded default serves plain http on 127.0.0.1.
        "SESSION_COOKIE_SECURE": _flag(env.get("SESSION_COOKIE_SECURE")),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "PERMANENT_SESSION_LIFETIME": int(env.get("SESSION_HOURS", "12")) * 3600,
        # A token per session, not per form: a tablet left on the station page all shift keeps scanning.
        "WTF_CSRF_TIME_LIMIT": None,
        "BABEL_DEFAULT_LOCALE": "ru",
        "LANGUAGES": ("ru", "en"),
        "MAX_CONTENT_LENGTH": int(env.get("MAX_REQUEST_MB", "32")) * 1024 * 1024,
    }
