"""Bearer tokens and roles for the JSON API."""

from functools import wraps

from flask import g, request

from mes_web.errors import DomainError, Forbidden
from mes_web.models import Role
from mes_web.services.access import token_authenticate


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"


def _bearer_token() -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Нужен заголовок Authorization: Bearer <токен>.")
    return token.strip()


def requires(role: Role):
    """Let the view run only for a valid token whose role covers `role`."""

    def decorate(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            actor = token_authenticate(plaintext=_bearer_token())
            if actor is None:
                raise Unauthorized("Токен неизвестен или отозван.")
            if not actor.role.allows(role):
                raise Forbidden(f"Роли {actor.role.value} это не разрешено; нужна роль {role.value} или выше.")
            g.actor = actor
            return view(*args, **kwargs)

        return guarded

    return decorate
