"""The HTML face: server-rendered screens with HTMX fragments."""

from flask import Blueprint

web = Blueprint("web", __name__)

from mes_web.web import (  # noqa: E402, F401
    analytics,
    auth,
    batches,
    board,
    errors,
    files,
    jobs,
    station,
    webhook_deliveries,
    webhooks,
)
