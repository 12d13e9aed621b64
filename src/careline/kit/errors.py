"""The error base every context derives from: an HTTP status and a stable slug."""

from __future__ import annotations


class CarelineError(Exception):
    """A refusal the user can act on; ``error_id`` is stable, the message is for people."""

    status_code: int = 400
    error_id: str = "careline_error"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(CarelineError):
    status_code = 404
    error_id = "not_found"


class Conflict(CarelineError):
    status_code = 409
    error_id = "conflict"


class InvalidInput(CarelineError):
    status_code = 422
    error_id = "invalid_input"


class PermissionDenied(CarelineError):
    status_code = 403
    error_id = "permission_denied"


class NotSignedIn(CarelineError):
    status_code = 401
    error_id = "not_signed_in"
