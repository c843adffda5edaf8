# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The errors' texts and result fields, word for word: what fail_json shows a person, and what a result carries."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.errors import (
    AsmError, CollectionError, PlanError, ScaiVaultError, is_denied_code, is_missing_code)


@pytest.mark.parametrize("fields, text", [
    ({}, "no route"),
    ({"status": 404}, "404 no route"),
    ({"code": "not_found"}, "not_found: no route"),
    ({"status": 404, "code": "not_found"}, "404 not_found: no route"),
    ({"status": 502, "request_id": "req_1"}, "502 no route (request_id req_1)"),
    ({"status": 403, "code": "access_denied", "request_id": "req_2"}, "403 access_denied: no route (request_id req_2)"),
])
def test_a_scaivault_error_reads_status_code_message_request_id(fields, text):
    assert str(ScaiVaultError("no route", **fields)) == text


def test_describe_adds_the_fix_with_the_scope_path_days_and_tenant_it_names():
    scope = ScaiVaultError("denied", status=403, code="insufficient_scope", required_scope="secrets:write")
    assert scope.describe() == ("403 insufficient_scope: denied. Grant secrets:write to the token (token scopes and "
                                "policy grants must both allow it)")
    assert ScaiVaultError("denied", status=403, code="insufficient_scope").describe().endswith(
        "Grant the required scope to the token (token scopes and policy grants must both allow it)")
    exists = ScaiVaultError("exists", status=409, code="secret_exists", path="prod/db")
    assert exists.describe() == ("409 secret_exists: exists. prod/db was soft-deleted and is inside its 30-day "
                                 "recovery window: delete it for good with state=absent permanent=true before writing "
                                 "it again, or write to another path")
    assert ScaiVaultError("denied", code="access_denied").describe() == (
        "access_denied: denied. The identity's policies or tenant do not allow this on the path")
    missing_tenant = ScaiVaultError("no tenant", status=404, code="tenant_not_found")
    assert missing_tenant.describe().endswith("Tenant (none) does not exist: check tenant_id (or SCAIVAULT_TENANT_ID), "
                                              "or leave it unset to act in the token's own tenant")
    assert ScaiVaultError("odd", status=500, code="internal").describe() == "500 internal: odd"


def test_a_tenant_named_by_the_caller_and_refused_is_explained_as_such():
    refused = ScaiVaultError("denied", status=403, code="access_denied", path="prod/db")
    refused.tenant_id = "tnt_other"
    assert refused.describe().startswith("403 access_denied: denied. tenant_id tnt_other was sent as X-Tenant-ID")
    assert refused.describe().endswith("(If the token may name tnt_other, its policies do not allow this on prod/db.)")
    refused.status = 404
    assert refused.describe() == ("404 access_denied: denied. The identity's policies or tenant do not allow this "
                                  "on prod/db")


def test_result_fields_are_the_safe_ones_only():
    error = ScaiVaultError("gone", status=404, code="secret_not_found", request_id="req_3", path="a/b", method="GET",
                           details={"echo": "whatever the server sent"})
    assert error.to_result() == {"status": 404, "code": "secret_not_found", "request_id": "req_3", "path": "a/b"}
    asm = AsmError("denied", code="AccessDeniedException", operation="GetSecretValue", secret_id="prod/db")
    assert asm.to_result() == {"code": "AccessDeniedException", "operation": "GetSecretValue", "secret_id": "prod/db"}
    assert CollectionError("x").to_result() == {} and PlanError("y").describe() == "y"


def test_missing_and_denied_codes():
    assert [is_missing_code(code) for code in ("secret_not_found", "version_not_found", "not_found", "gone")] == [
        True, True, True, False]
    assert [is_denied_code(code) for code in ("insufficient_scope", "access_denied", "tenant_access_denied",
                                              "not_found")] == [True, True, True, False]
    assert ScaiVaultError("x", status=404, code="secret_not_found").not_found is True
    assert ScaiVaultError("x", status=410, code="secret_not_found").not_found is False
    assert ScaiVaultError("x", status=404, code="route_missing").not_found is False
