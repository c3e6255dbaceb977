"""Every refusal under /api/v1 is JSON: {"error", "detail"} and "fields" for validation."""

import logging

from flask import current_app, jsonify, request
from werkzeug.exceptions import HTTPException

from mes_web.api import api
from mes_web.errors import DomainError

log = logging.getLogger(__name__)


def error_response(status: int, code: str, detail: str, fields: dict | None = None):
    body = {"error": code, "detail": detail}
    if fields:
        body["fields"] = fields
    response = jsonify(body)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = "Bearer"
    return response


@api.errorhandler(DomainError)
def domain_error(exc: DomainError):
    return error_response(exc.status, exc.code, exc.detail, exc.fields)


@api.errorhandler(HTTPException)
@api.app_errorhandler(HTTPException)
def http_error(exc: HTTPException):
    # Routing errors (unknown path, wrong method) never reach a blueprint handler, so this is app-wide.
    if not request.path.startswith(api.url_prefix + "/"):
        return exc
    code = (exc.name or "error").lower().replace(" ", "_")
    if exc.code == 413:
        limit = current_app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)
        return error_response(413, "request_too_large", f"Тело запроса больше {limit} МБ; разбейте его на части.")
    return error_response(exc.code or 500, code, exc.description or exc.name)


@api.errorhandler(Exception)
def unexpected_error(exc: Exception):
    log.exception("unhandled error in the API")
    return error_response(500, "internal_error", "Внутренняя ошибка сервера; она записана в журнал.")
