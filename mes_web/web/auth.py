"""Sign in and out."""

from flask import current_app, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from mes_web.services.access import user_authenticate
from mes_web.web import web
from mes_web.web.forms import LoginForm
from mes_web.web.session import sign_in


def _safe_next(target: str | None) -> str:
    # Only paths on this site: an open redirect would let a link send an operator anywhere.
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("web.board")


@web.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        actor = user_authenticate(username=form.username.data, password=form.password.data)
        if actor is not None:
            sign_in(actor)
            return redirect(_safe_next(request.args.get("next")))
        form.form_errors.append(_("Неверное имя пользователя или пароль."))
    return render_template("auth/login.html", form=form), 200 if not form.errors else 401


@web.post("/logout")
def logout():
    session.clear()
    return redirect(url_for("web.login"))


@web.get("/lang/<code>")
def language(code: str):
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
    return redirect(_safe_next(request.args.get("next")))
