# -*- coding: utf-8 -*-
# Copyright: ScaiLabs
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The error envelope of the contract (section 0) as one exception type."""


class ApiError(Exception):
    """Raised anywhere in request handling; the app turns it into the JSON envelope.

    ``headers`` carries extras such as ``Retry-After`` that belong to the error.
    """

    def __init__(self, status, code, message, details=None, headers=None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = dict(headers or {})

    def envelope(self, request_id):
        error = {"code": self.code, "message": self.message}
        if self.details:
            error["details"] = self.details
        error["request_id"] = request_id
        return {"error": error}


def bad_request(message, details=None, code="invalid_request"):
    return ApiError(400, code, message, details)


VALIDATION_STATUS = 422  # https://www.scailabs.ai/en/docs/scaivault/reference/error-codes


def validation_error(message, field):
    """Body-shape problems: 422 with ``details.fields`` naming the offending field, like the docs' catalog."""
    return ApiError(VALIDATION_STATUS, "validation_error", message, {"fields": [field]})
