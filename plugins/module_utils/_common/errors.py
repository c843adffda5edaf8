# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every error the collection raises on purpose, under one base class, and the error codes.

FOR INTERNAL COLLECTION USE ONLY: no API promise, may change in any release.

  CollectionError          base: ``message``, ``not_found``, ``to_result()`` (fields safe for results)
    PlanError              a request that cannot be carried out as given; names the option and the fix
    ScaiVaultError         a failed ScaiVault call (status, code, request id, path; never a body)
      ScaiVaultConnectionError   the request never reached ScaiVault: safe to retry later
      ScaiVaultContractError     an answer in a shape the collection cannot interpret (docs/scaivault-contract.md)
      ScaiVaultUnknownOutcome    a write was sent without an answer: re-read before writing again
    AsmError               a failed AWS Secrets Manager call (operation, AWS code, secret id)

The module base turns any of them into fail_json; the "not found" codes of both services are
listed here once, so every caller means the same thing by "missing".
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


# "No such secret" as ScaiVault says it: in an error answer, or per path in a batch answer.
SCAIVAULT_NOT_FOUND_CODES = frozenset(["secret_not_found", "version_not_found", "not_found"])
# The identity may not do this: a token scope or a policy grant is missing.
SCAIVAULT_DENIED_CODES = frozenset(["insufficient_scope", "access_denied", "tenant_access_denied"])
AWS_ACCESS_DENIED_CODES = frozenset(["AccessDeniedException", "AccessDenied", "403", "UnauthorizedOperation"])
AWS_NOT_FOUND_CODES = frozenset(["ResourceNotFoundException"])

# [doc] ScaiVault keeps a soft-deleted secret this long; named in the secret_exists hint.
SOFT_DELETE_RECOVERY_DAYS = 30


def is_missing_code(code):
    """Whether a ScaiVault error code (from an answer or a batch entry) means "no such secret"."""
    return code in SCAIVAULT_NOT_FOUND_CODES


def is_denied_code(code):
    """Whether a ScaiVault error code means the identity lacks a scope or a grant."""
    return code in SCAIVAULT_DENIED_CODES


class CollectionError(Exception):
    """Base of the collection's errors. The message never holds a secret value."""

    def __init__(self, message):
        super(CollectionError, self).__init__(message)
        self.message = message

    @property
    def not_found(self):
        return False

    def describe(self):
        """One line for fail_json: what failed, where, and the fix."""
        return str(self)

    def to_result(self):
        """Fields for a module result's ``error`` (no values can be in here)."""
        return {}


class PlanError(CollectionError, ValueError):
    """The options ask for something that cannot be done; the message names the option and the fix."""


class ScaiVaultError(CollectionError):
    """Any failure talking to ScaiVault. Carries no request or response body."""

    def __init__(self, message, status=None, code=None, request_id=None, path=None,
                 method=None, details=None, required_scope=None):
        super(ScaiVaultError, self).__init__(message)
        self.status = status
        self.code = code
        self.request_id = request_id
        self.path = path
        self.method = method
        self.details = details or {}
        self.required_scope = required_scope
        # The tenant the request named (X-Tenant-ID from tenant_id), set by the client: explains 403/404s.
        self.tenant_id = None

    def __str__(self):
        parts = []
        if self.status:
            parts.append(str(self.status))
        if self.code:
            parts[-1:] = [(parts[-1] + " " if parts else "") + self.code + ":"]
        text = " ".join(parts + [self.message]) if parts else self.message
        if self.request_id:
            text += " (request_id %s)" % self.request_id
        return text

    @property
    def not_found(self):
        return self.status == 404 and is_missing_code(self.code)

    @property
    def hint(self):
        """What a person can do about it, or ''."""
        if self.tenant_id and self.status == 403 and self.code in TENANT_REFUSAL_CODES:
            return TENANT_REFUSED_HINT
        return _SCAIVAULT_HINTS.get(self.code, "")

    def describe(self):
        hint = self.hint
        if hint:
            hint = hint.format(scope=self.required_scope or "the required scope", path=self.path or "the path",
                               days=SOFT_DELETE_RECOVERY_DAYS, tenant=self.tenant_id or "(none)")
        return str(self) + (". " + hint if hint else "")

    def to_result(self):
        return {"status": self.status, "code": self.code, "request_id": self.request_id, "path": self.path}


class ScaiVaultContractError(ScaiVaultError):
    """ScaiVault answered in a shape the collection cannot interpret (an [assumed] shape did not hold).

    The message names the endpoint, the status and code that came back and the assumption, never a body.
    """


class ScaiVaultConnectionError(ScaiVaultError):
    """The request never reached ScaiVault (refused, DNS, TLS): safe to retry later."""


class ScaiVaultUnknownOutcome(ScaiVaultError):
    """A write was sent but no answer came back: it may or may not have been applied.

    Never resend the write blindly (ScaiVault has no idempotency key, so a second PUT
    would create a duplicate version): re-read the secret, compare, then decide.
    """


_SCAIVAULT_HINTS = {
    "token_invalid": "Check the token (option token or SCAIVAULT_TOKEN) or the client credentials",
    "token_expired": "The token has expired: issue a new one, or use client_id/client_secret so the "
                     "collection renews short-lived tokens itself",
    "insufficient_scope": "Grant {scope} to the token (token scopes and policy grants must both allow it)",
    "access_denied": "The identity's policies or tenant do not allow this on {path}",
    "secret_exists": "{path} was soft-deleted and is inside its {days}-day recovery window: delete it for good "
                     "with state=absent permanent=true before writing it again, or write to another path",
    "federated_path_read_only": "{path} is served by a federation backend: write to a canonical "
                                "(non-federated) path instead",
    "invalid_path": "ScaiVault paths use lowercase a-z 0-9 - _ /, at most 10 segments and 512 characters",  # = PATH_RULES
    "rotation_policy_not_found": "The rotation policy does not exist in this tenant: create it first "
                                 "(scailabs.scaivault.scaivault_rotation_policy returns its id) or fix the id",
    "version_conflict": "Another write to {path} was in progress: run the task again to compare against the "
                        "version stored now",
    "rate_limited": "The tenant's rate limit was exhausted even after retries: lower concurrency or raise retries",
    "secret_too_large": "The secret exceeds the size ScaiVault accepts: split it into several secrets",
    "tenant_not_found": "Tenant {tenant} does not exist: check tenant_id (or SCAIVAULT_TENANT_ID), or leave it unset "
                        "to act in the token's own tenant",
    "backend_unavailable": "ScaiVault could not reach the federation backend: check the backend's "
                           "credentials and network, then its status",
    "connection_error": "Check url (or SCAIVAULT_URL), that ScaiVault is up and reachable from where the task runs, "
                        "and proxy settings (HTTPS_PROXY / NO_PROXY)",
    "contract_mismatch": "This ScaiVault answers differently from what the collection assumes: run the "
                         "scailabs.scaivault.preflight playbook (make conformance) against it and report its table",
    "tls_error": "Set ca_path (or SCAIVAULT_CA_PATH) to the CA bundle that signed the server's certificate; "
                 "validate_certs=false only for throwaway test servers",
}


# [doc] core-concepts/errors: a concurrent write; fetch the current state, then retry (never a blind re-PUT).
VERSION_CONFLICT = "version_conflict"

# A 403 while tenant_id names a tenant [doc: core-concepts/multi-tenancy]: only a partner-admin token may name one
# (X-Tenant-ID or /v1/t/{id}), and only a tenant of its own partner.
TENANT_REFUSAL_CODES = ("access_denied", "tenant_access_denied", "forbidden")
TENANT_REFUSED_HINT = ("tenant_id {tenant} was sent as X-Tenant-ID, which only a partner-admin token may do, and only "
                       "for a tenant of its own partner: leave tenant_id (and SCAIVAULT_TENANT_ID) unset to act in the "
                       "token's own tenant, or use a partner-admin token. (If the token may name {tenant}, its policies "
                       "do not allow this on {path}.)")


class AsmError(CollectionError):
    """A failed ASM call, described without values."""

    def __init__(self, message, code=None, operation=None, secret_id=None):
        super(AsmError, self).__init__(message)
        self.code = code
        self.operation = operation
        self.secret_id = secret_id

    @property
    def access_denied(self):
        return self.code in AWS_ACCESS_DENIED_CODES

    @property
    def not_found(self):
        return self.code in AWS_NOT_FOUND_CODES

    def describe(self):
        return self.message

    def to_result(self):
        return {"code": self.code, "operation": self.operation, "secret_id": self.secret_id}
