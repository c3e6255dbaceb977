"""The one family of domain errors; each face turns them into its own answer."""


class DomainError(Exception):
    """A refusal a person can act on."""

    status = 400
    code = "bad_request"

    def __init__(
        self, detail: str, *, fields: dict[str, str] | None = None, code: str | None = None, context: dict | None = None
    ):
        super().__init__(detail)
        self.detail = detail
        self.fields = fields
        # Facts behind the refusal (a time, another batch) that a screen may word its own way.
        self.context = context or {}
        if code:
            self.code = code


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class InvalidState(DomainError):
    status = 409
    code = "invalid_state"


class Invalid(DomainError):
    status = 422
    code = "validation_error"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class WebhookNotFound(NotFound):
    code = "webhook_not_found"

    def __init__(self, webhook_id: int):
        super().__init__(f"Подписка {webhook_id} не найдена.")


class DeliveryNotFound(NotFound):
    code = "delivery_not_found"

    def __init__(self, webhook_id: int, delivery_id: int):
        super().__init__(f"Доставка {delivery_id} подписки {webhook_id} не найдена.")


class BatchNotFound(NotFound):
    code = "batch_not_found"

    def __init__(self, batch_id: int):
        super().__init__(f"Партия {batch_id} не найдена.", context={"batch_id": batch_id})


class BatchClosed(InvalidState):
    code = "batch_closed"

    def __init__(self, batch_id: int, action: str):
        super().__init__(f"Партия {batch_id} закрыта: {action} нельзя.", context={"batch_id": batch_id})


def refuse_if_invalid(errors: dict[str, str], *, subject: str = "Поле", after: str = "") -> None:
    """Raise one 422 naming the first bad value in its detail and every bad value in `fields`."""
    if errors:
        key, message = next(iter(errors.items()))
        raise Invalid(f"{subject} {key}: {message}.{after}", fields=errors)
