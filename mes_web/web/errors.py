"""Refusals on the screens: a page, or a fragment for an HTMX request; never a stack trace."""

import logging

from flask import render_template, request
from flask_wtf.csrf import CSRFError

from mes_web.errors import DomainError
from mes_web.web import web

log = logging.getLogger(__name__)


def _refusal(status: int, message: str):
    template = "errors/_message.html" if request.headers.get("HX-Request") else "errors/error.html"
    return render_template(template, status=status, message=message), status


@web.errorhandler(DomainError)
def domain_error(exc: DomainError):
    return _refusal(exc.status, exc.detail)


@web.app_errorhandler(CSRFError)
def csrf_error(exc: CSRFError):
    return _refusal(400, "Форма устарела или пришла не с этой страницы (нет CSRF-токена). Обновите страницу.")


@web.errorhandler(Exception)
def unexpected_error(exc: Exception):
    if hasattr(exc, "code") and isinstance(exc.code, int):
        return exc
    log.exception("unhandled error on a screen")
    return _refusal(500, "Внутренняя ошибка; она записана в журнал. Повторите действие.")
