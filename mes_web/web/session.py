"""Who is signed in, and the role checks every screen makes."""

from functools import wraps

from flask import g, redirect, request, session, url_for

from mes_web.errors import Forbidden
from mes_web.models import Role
from mes_web.services.transaction import Actor


def sign_in(actor: Actor) -> None:
    session.clear()
    session.permanent = True
    session.update(user_id=actor.user_id, label=actor.label, role=actor.role.value)


def signed_in_actor() -> Actor | None:
    """The actor of this browser session; the role is the one read at sign-in."""
    if "user_id" not in session:
        return None
    return Actor(label=session["label"], role=Role(session["role"]), user_id=session["user_id"])


def can(role: Role) -> bool:
    """Whether the signed-in person may do what `role` may (templates hide buttons with it)."""
    actor = g.get("actor")
    return actor is not None and actor.role.allows(role)


def requires_role(role: Role):
    """Send anonymous visitors to sign in; refuse a role that may not do this with 403."""

    def decorate(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            actor = signed_in_actor()
            if actor is None:
                return redirect(url_for("web.login", next=request.full_path))
            if not actor.role.allows(role):
                raise Forbidden("Этой роли это действие не разрешено.")
            g.actor = actor
            return view(*args, **kwargs)

        return guarded

    return decorate
