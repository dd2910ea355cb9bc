"""Errors that carry their HTTP status; the server renders them as JSON."""

from __future__ import annotations


class InferenceError(Exception):
    status_code = 500

    def __init__(self, message: str, status_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status_code is not None:
            self.status_code = status_code


class BadRequest(InferenceError):
    """The request body cannot be used; the message says where (row, column) and why."""

    status_code = 400


class UnsupportedMediaType(InferenceError):
    status_code = 415


class NotAcceptable(InferenceError):
    status_code = 406


class PayloadTooLarge(InferenceError):
    status_code = 413
