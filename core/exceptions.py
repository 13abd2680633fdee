"""Domain errors raised by services; the API's exception handler turns them into responses."""

from __future__ import annotations


class DomainError(Exception):
    """A business rule refused the operation. ``field`` names the input at fault, if any."""

    status_code = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class BusinessRuleError(DomainError):
    """400: the input is well-formed but a business rule rejects it."""

    status_code = 400


class ConflictError(DomainError):
    """409: the input clashes with the current state (e.g. an overlapping appointment)."""

    status_code = 409


class NotFoundError(DomainError):
    """404: the object vanished (e.g. deleted by a concurrent request)."""

    status_code = 404
