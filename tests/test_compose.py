"""compose.yml cannot be run here (no Docker engine), so check what can be checked without one."""

from pathlib import Path

import yaml

from mes_web.config import load_config

ROOT = Path(__file__).parent.parent


def _compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yml").read_text())


def test_the_stack_has_postgresql_redis_minio_the_app_its_worker_and_its_scheduler():
    services = _compose()["services"]
    assert {"postgres", "redis", "minio", "web", "worker", "scheduler"} <= set(services)
    for name, service in services.items():
        assert set(service.get("depends_on", {})) <= set(services), name
        assert "healthcheck" in service, name


def test_the_web_app_gets_every_setting_it_reads(tmp_path):
    environment = _compose()["services"]["web"]["environment"]
    resolved = {key: "x" if "${" in str(value) else str(value) for key, value in environment.items()}
    config = load_config(str(tmp_path), environ=resolved | {"PLANT_TIMEZONE": "Europe/Moscow"})
    assert config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://mes:mes@postgres:5432/")
    assert config["REDIS_URL"] == "redis://redis:6379/0"
    assert config["MINIO_ENDPOINT"] == "minio:9000"


def test_the_worker_and_the_scheduler_are_the_apps_image_started_through_the_flask_cli():
    services = _compose()["services"]
    for name in ("worker", "scheduler"):
        assert services[name]["build"] == services["web"]["build"]
        assert services[name]["environment"] == services["web"]["environment"]
        assert services[name]["command"] == ["flask", "--app", "wsgi", name]
