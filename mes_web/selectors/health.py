"""Is each backing service in use answering?"""

from flask import current_app
from sqlalchemy import text

from mes_web.extensions import db


def _database() -> None:
    db.session.execute(text("SELECT 1"))


def _redis() -> None:
    import redis

    redis.Redis.from_url(current_app.config["REDIS_URL"], socket_timeout=2).ping()


def _object_storage() -> None:
    from minio import Minio
    from urllib3 import PoolManager, Timeout

    cfg = current_app.config
    client = Minio(
        cfg["MINIO_ENDPOINT"],
        access_key=cfg["MINIO_ACCESS_KEY"],
        secret_key=cfg["MINIO_SECRET_KEY"],
        secure=cfg["MINIO_SECURE"],
        http_client=PoolManager(timeout=Timeout(connect=2, read=2), retries=False),
    )
    client.list_buckets()


def service_checks() -> dict[str, dict]:
    """Check the database, and Redis and MinIO when they are configured."""
    checks = {"database": _database}
    if current_app.config["REDIS_URL"]:
        checks["redis"] = _redis
    if current_app.config["MINIO_ENDPOINT"]:
        checks["object_storage"] = _object_storage
    results = {}
    for name, check in checks.items():
        try:
            check()
            results[name] = {"status": "ok"}
        except Exception as exc:  # a health check reports every failure rather than raising it
            results[name] = {"status": "error", "detail": f"{type(exc).__name__}: {exc}"[:300]}
    return results
