"""The flask commands an installer and `make run` use."""

import pytest
from sqlalchemy import func, select

from mes_web.extensions import db
from mes_web.integrations.gs1 import identification_code
from mes_web.models import Batch, Product, User


def _run(app, *args, input=None):
    result = app.test_cli_runner().invoke(args=list(args), input=input)
    assert result.exit_code == 0, result.output
    return result.output


def test_token_create_prints_a_working_token_last(app):
    output = _run(app, "token", "create", "1c-integration", "--role", "supervisor")
    token = output.strip().splitlines()[-1]
    response = app.test_client().get("/api/v1/batches", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200


def test_user_create_and_a_duplicate_is_a_clear_error(app):
    _run(app, "user", "create", "ivanov", "--role", "operator", "--password", "secret")
    assert db.session.scalar(select(User.role).where(User.username == "ivanov")) == "operator"
    again = app.test_cli_runner().invoke(args=["user", "create", "ivanov", "--role", "operator", "--password", "x1234"])
    assert again.exit_code != 0
    assert "уже есть" in again.output


def test_seed_demo_loads_once_and_prints_a_login_and_a_fresh_token(app):
    first = _run(app, "seed-demo")
    batches, products = (
        db.session.scalar(select(func.count(Batch.id))),
        db.session.scalar(select(func.count(Product.id))),
    )
    assert batches == 6 and products > 300
    aggregated = db.session.scalar(select(func.count(Product.id)).where(Product.is_aggregated.is_(True)))
    assert 0 < aggregated < products
    assert db.session.scalar(select(func.count(Batch.id)).where(Batch.is_closed.is_(True))) == 2
    sample_code = '010469745311684421W1a*am*W"c9%x'
    assert db.session.scalar(select(Product.is_aggregated).where(Product.unique_code == sample_code)) is False
    # Every demo unit carries a real Честный ЗНАК identification code, as a scanner would read it.
    codes = db.session.scalars(select(Product.unique_code)).all()
    assert all(len(code) == 31 and identification_code(code) == code for code in codes)
    second = _run(app, "seed-demo")
    assert db.session.scalar(select(func.count(Batch.id))) == batches
    assert "supervisor / demo" in second
    old_token, new_token = (out.strip().splitlines()[-1].split()[-1] for out in (first, second))
    client = app.test_client()
    assert client.get("/api/v1/batches", headers={"Authorization": f"Bearer {new_token}"}).status_code == 200
    assert client.get("/api/v1/batches", headers={"Authorization": f"Bearer {old_token}"}).status_code == 401


def test_run_periodic_refresh_dashboard_leaves_a_warm_cache(app, monkeypatch):
    from mes_web.api import analytics
    from mes_web.models import Role
    from mes_web.services.access import token_create

    output = _run(app, "run-periodic", "refresh-dashboard")
    assert "Сводка пересчитана: 0 партий" in output
    monkeypatch.setattr(analytics, "dashboard", lambda: pytest.fail("the refreshed dashboard was computed again"))
    headers = {"Authorization": f"Bearer {token_create(name='t', role=Role.OPERATOR.value)}"}
    assert app.test_client().get("/api/v1/analytics/dashboard", headers=headers).status_code == 200
