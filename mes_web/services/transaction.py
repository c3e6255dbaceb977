"""The transaction boundary of every public service, and who is acting."""

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from sqlalchemy.exc import IntegrityError, OperationalError

from mes_web.errors import Conflict
from mes_web.extensions import db
from mes_web.models import Role


@dataclass(frozen=True)
class Actor:
    """Who does a thing: a signed-in user, an API token, the CLI or a job."""

    label: str
    role: Role
    user_id: int | None = None

    @property
    def name(self) -> str:
        return self.label.split(":", 1)[-1]


CONCURRENT_CHANGE = "concurrent_change"
# PostgreSQL's deadlock and serialization failures: the other transaction won, this one can simply be repeated.
_RETRYABLE_SQLSTATES = ("40P01", "40001")
SYSTEM = Actor(label="system", role=Role.ADMIN)


def after_commit(action: Callable[[], None]) -> None:
    """Run `action` once the current transaction has committed; forget it if the transaction rolls back.

    Jobs are enqueued this way, so a worker never looks for a row that was rolled back.
    """
    db.session.info.setdefault("after_commit", []).append(action)


def _run_after_commit() -> None:
    for action in db.session.info.pop("after_commit", []):
        action()


def transactional(service):
    """Commit when the service returns, roll back when it raises."""

    @wraps(service)
    def run_in_transaction(*args, **kwargs):
        try:
            result = service(*args, **kwargs)
            db.session.commit()
        except (IntegrityError, OperationalError) as exc:
            db.session.info.pop("after_commit", None)
            db.session.rollback()
            if isinstance(exc, OperationalError) and getattr(exc.orig, "sqlstate", None) not in _RETRYABLE_SQLSTATES:
                raise
            raise Conflict(
                "Данные изменились одновременно с другим запросом; повторите запрос.",
                code=CONCURRENT_CHANGE,
            ) from exc
        except BaseException:
            db.session.info.pop("after_commit", None)
            db.session.rollback()
            raise
        _run_after_commit()
        return result

    return run_in_transaction


def retried_once_on_conflict(service):
    """Run a transactional service again when a concurrent request created the same rows first.

    Two 1C calls that both create work center RC-7 are not in conflict from the sender's point of
    view; the second attempt simply finds the row and overwrites it.
    """

    @wraps(service)
    def run_again_on_conflict(*args, **kwargs):
        try:
            return service(*args, **kwargs)
        except Conflict as exc:
            if exc.code != CONCURRENT_CHANGE:
                raise
            return service(*args, **kwargs)

    return run_again_on_conflict
