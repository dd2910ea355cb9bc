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


class ModelNotLoaded(InferenceError):
    """Multi-model endpoints: the named model, or its ``url``, does not exist."""

    status_code = 404


class ModelConflict(InferenceError):
    """Multi-model endpoints: a model of that name is loaded already."""

    status_code = 409


class InsufficientStorage(InferenceError):
    """Multi-model endpoints: the model alone does not fit the memory budget."""

    status_code = 507
