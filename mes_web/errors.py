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
