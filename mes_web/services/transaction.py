"""The transaction boundary of every public service, and who is acting."""

from dataclasses import dataclass
from functools import wraps

from sqlalchemy.exc import IntegrityError

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


SYSTEM = Actor(label="system", role=Role.ADMIN)


def transactional(service):
    """Commit when the service returns, roll back when it raises."""

    @wraps(service)
    def run_in_transaction(*args, **kwargs):
        try:
            result = service(*args, **kwargs)
            db.session.commit()
        except IntegrityError as exc:
            db.session.rollback()
            raise Conflict(
                "Данные изменились одновременно с другим запросом; повторите запрос.",
                code="concurrent_change",
            ) from exc
        except BaseException:
            db.session.rollback()
            raise
        return result

    return run_in_transaction
