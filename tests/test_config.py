"""Configuration is read from the environment in one place."""

import pytest

from mes_web.config import load_config, with_driver


def test_defaults_are_the_embedded_setup(tmp_path):
    config = load_config(str(tmp_path), environ={})
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'mes_web.db'}"
    assert config["REDIS_URL"] is None
    assert config["PLANT_TIMEZONE"] == "Europe/Moscow"


@pytest.mark.parametrize("url", ["postgres://u@h/db", "postgresql://u@h/db", "postgresql+psycopg://u@h/db"])
def test_postgresql_urls_use_psycopg_3(url):
    assert with_driver(url) == "postgresql+psycopg://u@h/db"


def test_an_unknown_time_zone_stops_the_start(tmp_path):
    with pytest.raises(RuntimeError, match="PLANT_TIMEZONE"):
        load_config(str(tmp_path), environ={"PLANT_TIMEZONE": "Mars/Olympus"})


def test_minio_settings_come_through(tmp_path):
    env = {"MINIO_ENDPOINT": "minio:9000", "MINIO_ACCESS_KEY": "a", "MINIO_SECRET_KEY": "s", "MINIO_SECURE": "true"}
    config = load_config(str(tmp_path), environ=env)
    assert (config["MINIO_ENDPOINT"], config["MINIO_SECURE"]) == ("minio:9000", True)
