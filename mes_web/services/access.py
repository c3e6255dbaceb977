"""Users and API tokens."""

import hashlib
import secrets
import time
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update
from werkzeug.security import check_password_hash, generate_password_hash

from mes_web.clock import utcnow
from mes_web.errors import Conflict, Invalid
from mes_web.extensions import db
from mes_web.models import ApiToken, Role, User
from mes_web.services.transaction import Actor, transactional

TOKEN_PREFIX = "mes_"
# Recording every use would add a write to every scan; once a minute is enough to audit.
LAST_USED_RESOLUTION = timedelta(minutes=1)
# A scan must not wait on a token lookup; a token revoked elsewhere stops working within this time.
TOKEN_CACHE_SECONDS = 10.0


def _role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise Invalid(
            f"Неизвестная роль {value!r}: operator, supervisor или admin.", fields={"role": "неизвестная роль"}
        ) from None


def _token_hash(plaintext: str) -> str:
    # Tokens carry 256 random bits, so a fast hash is safe and keeps every request cheap.
    return hashlib.sha256(plaintext.encode()).hexdigest()


@transactional
def user_create(*, username: str, password: str, role: str) -> User:
    """Create a person who signs in to the screens."""
    if not username.strip() or len(password) < 4:
        raise Invalid("Нужны имя пользователя и пароль не короче 4 символов.")
    if db.session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"Пользователь {username} уже есть.", code="user_exists")
    user = User(username=username, password_hash=generate_password_hash(password), role=_role(role).value)
    db.session.add(user)
    return user


def user_authenticate(*, username: str, password: str) -> Actor | None:
    """Check a password; the actor when it is right."""
    user = db.session.scalar(select(User).where(User.username == username, User.is_active.is_(True)))
    if user is None or not check_password_hash(user.password_hash, password):
        return None
    return Actor(label=f"user:{user.username}", role=Role(user.role), user_id=user.id)


@transactional
def token_create(*, name: str, role: str, revoke_same_name: bool = False) -> str:
    """Issue an API token and return its plaintext, which is never stored."""
    if not name.strip():
        raise Invalid("У токена должно быть имя.")
    now = utcnow()
    if revoke_same_name:
        db.session.execute(
            update(ApiToken).where(ApiToken.name == name, ApiToken.revoked_at.is_(None)).values(revoked_at=now)
        )
        _token_cache().clear()
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    db.session.add(ApiToken(name=name, role=_role(role).value, token_hash=_token_hash(plaintext), created_at=now))
    return plaintext


def _token_cache() -> dict[str, tuple[float, Actor]]:
    return current_app.extensions.setdefault("mes_web.token_cache", {})


def token_authenticate(*, plaintext: str) -> Actor | None:
    """The actor behind a bearer token, or None for an unknown or revoked one."""
    token_hash, now = _token_hash(plaintext), time.monotonic()
    cached = _token_cache().get(token_hash)
    if cached and cached[0] > now:
        return cached[1]
    token = db.session.execute(
        select(ApiToken.id, ApiToken.name, ApiToken.role, ApiToken.last_used_at).where(
            ApiToken.token_hash == token_hash, ApiToken.revoked_at.is_(None)
        )
    ).first()
    if token is None:
        return None
    if token.last_used_at is None or utcnow() - token.last_used_at > LAST_USED_RESOLUTION:
        _token_touch(token_id=token.id)
    actor = Actor(label=f"token:{token.name}", role=Role(token.role))
    _token_cache()[token_hash] = (now + TOKEN_CACHE_SECONDS, actor)
    return actor


@transactional
def _token_touch(*, token_id: int) -> None:
    db.session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=utcnow()))
