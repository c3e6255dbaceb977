"""The JSON face: /api/v1."""

from flask import Blueprint

api = Blueprint("api", __name__, url_prefix="/api/v1")

from mes_web.api import analytics, batches, errors, health, openapi, products, tasks, webhooks, work_centers  # noqa: E402, F401
