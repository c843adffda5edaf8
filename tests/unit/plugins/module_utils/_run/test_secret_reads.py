# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""metadata_of: one batch-metadata read for many secret paths, in order, missing and denied paths told apart.

ScaiVault is the dev server's own App in process (``inprocess_vault``, tests/unit/fakes.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.errors import ScaiVaultError
from ansible_collections.scailabs.scaivault.plugins.module_utils._run.secret_reads import metadata_of

SECRET_VALUE = "sk_live_never_shown_4242"


def test_metadata_of_orders_and_reports_missing(inprocess_vault):
    for path in ("a", "b"):
        inprocess_vault.put(path, {"secret_key": SECRET_VALUE}, secret_type="json", metadata={"owner": "team:billing"})
    secrets, missing = metadata_of(inprocess_vault.client(), ["a", "c", "b", "a"])
    assert [s["path"] for s in secrets] == ["a", "b"] and missing == ["c"]
    assert secrets[0]["metadata"] == {"owner": "team:billing"} and secrets[0]["version"] == 1
    assert SECRET_VALUE not in repr(secrets)  # batch metadata: no value read
    # One batch-metadata call for the three distinct paths, no read of a value.
    assert inprocess_vault.counters()["by_route"] == {"PUT /v1/secrets/{path}": 2, "POST /v1/secrets/batch/metadata": 1}


@pytest.mark.parametrize("code, status", [("access_denied", 403), ("insufficient_scope", 403)])
def test_metadata_of_raises_on_denied_paths(inprocess_vault, code, status):
    inprocess_vault.put("a", {"k": "v"})
    inprocess_vault.faults([{"kind": "path_error", "path_regex": "^/v1/secrets/batch/metadata$",
                             "batch_path_regex": "^a$", "code": code}])
    with pytest.raises(ScaiVaultError) as err:
        metadata_of(inprocess_vault.client(), ["a"])
    assert err.value.status == status and err.value.path == "a" and err.value.code == code
