"""The HTML face: server-rendered screens with HTMX fragments."""

from flask import Blueprint

web = Blueprint("web", __name__)

from mes_web.web import analytics, auth, batches, board, errors, files, jobs, station, webhooks  # noqa: E402, F401
