# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""scaivault_secret_info against the live dev server: metadata only, counted requests, no values."""

from __future__ import annotations

import json

import pytest

from integration.leakscan import assert_no_leak
from integration.secret_helpers import (
    BATCH_META_ROUTE, BATCH_READ_ROUTE, GET_ROUTE, LIST_ROUTE, Vault, contract_on, fast_module_runner, metadata_calls,
    route_count)

MODULE = "scaivault_secret_info"
PREFIX = "environments/production/billing/"
VALUES = ["info-canary-value-0001", "info-canary-value-0002", "info-canary-value-0003"]


@pytest.fixture
def vault(dev_server, scaivault_http):
    return Vault(scaivault_http, dev_server)


@pytest.fixture
def module(dev_server):
    return fast_module_runner(dev_server.env)


@pytest.fixture
def seeded(vault):
    names = ["stripe", "db", "redis", "sendgrid", "s3"]
    policy_ids = dict((name, vault.rotation_policy(name)) for name in names)
    for index, name in enumerate(names):
        vault.put(PREFIX + name, {"value": VALUES[index % len(VALUES)]}, secret_type="kv",
                  metadata={"owner": "team:billing", "tags": ["billing", name]},
                  options={"max_versions": 5, "expires_in": "30d", "rotation_policy_id": policy_ids[name]})
    vault.put(PREFIX + "stripe", {"value": VALUES[1]})  # version 2
    vault.put("environments/production/other/app", {"value": VALUES[2]})
    vault.put("environments/production/billing-archive/x", {"value": VALUES[0]})  # string-prefix sibling
    vault.get(PREFIX + "db")  # sets last_accessed_at
    vault.reset_counters()
    return [PREFIX + name for name in names]


def no_values(result):
    assert_no_leak(VALUES, texts={"result": json.dumps(result)})
    assert '"data"' not in json.dumps(result)


def test_one_path(module, vault, seeded):
    stripe_policy = vault.rotation_policy("stripe")
    vault.reset_counters()
    for check in (False, True):
        res = module(MODULE, dict(path=PREFIX + "stripe"), check=check)
        assert not res.failed and not res.changed and res.result["exists"] is True
        secret = res.result["secret"]
        assert secret["version"] == 2 and secret["secret_type"] == "kv" and secret["rotation_policy_id"] == stripe_policy
        assert secret["metadata"] == {"owner": "team:billing", "tags": ["billing", "stripe"]}
        assert "options" not in secret and secret["expires_at"] and secret["created_at"]  # documented object: no options
        assert "last_accessed_at" in secret
        assert res.result["secrets"] == [secret] and res.result["count"] == 1 and res.result["missing"] == []
        no_values(res.result)
    db = module(MODULE, dict(path=PREFIX + "db")).result["secret"]
    assert db["last_accessed_at"]  # read once by the seeding, out of band
    counters = vault.counters()
    assert counters["by_route"] == metadata_calls(3, processes=3)
    if contract_on("no_batch_metadata"):
        # The documented cost of a tenant without batch metadata: the batch read reads (and stamps) the value.
        assert vault.meta(PREFIX + "stripe")["last_accessed_at"] is not None
    else:
        assert counters["by_route"] == {BATCH_META_ROUTE: 3}, "metadata only: never a value read"
        assert vault.meta(PREFIX + "stripe")["last_accessed_at"] is None


def test_missing_path_is_not_a_failure(module, vault, seeded):
    res = module(MODULE, dict(path=PREFIX + "not-migrated-yet"))
    assert not res.failed and res.result["exists"] is False and res.result["secret"] == {}
    assert res.result["secrets"] == [] and res.result["missing"] == [PREFIX + "not-migrated-yet"]


def test_soft_deleted_path_looks_missing(module, vault, seeded):
    vault.delete(PREFIX + "redis")
    res = module(MODULE, dict(path=PREFIX + "redis"))
    assert res.result["exists"] is False


def test_paths_in_one_batch_request_in_the_order_given(module, vault, seeded):
    wanted = [PREFIX + "s3", PREFIX + "missing", PREFIX + "stripe", PREFIX + "s3"]
    res = module(MODULE, dict(paths=wanted))
    assert [s["path"] for s in res.result["secrets"]] == [PREFIX + "s3", PREFIX + "stripe"]
    assert res.result["missing"] == [PREFIX + "missing"] and "exists" not in res.result
    assert vault.counters()["by_route"] == metadata_calls(1)
    no_values(res.result)


def test_many_paths_are_chunked_by_100(module, vault, seeded):
    wanted = seeded + ["environments/production/absent/s%03d" % i for i in range(150)]
    res = module(MODULE, dict(paths=wanted))
    assert res.result["count"] == 5 and len(res.result["missing"]) == 150
    assert vault.counters()["by_route"] == metadata_calls(2)


def test_prefix_follows_the_cursor(module, vault, seeded):
    res = module(MODULE, dict(prefix=PREFIX, page_size=2), check=True)
    assert not res.failed
    assert [s["path"] for s in res.result["secrets"]] == sorted(seeded)
    assert res.result["count"] == 5 and "missing" not in res.result
    assert route_count(vault.counters(), LIST_ROUTE) == 3  # 2 + 2 + 1
    no_values(res.result)
    # a string prefix: without the trailing slash the sibling folder matches too
    wider = module(MODULE, dict(prefix="environments/production/billing")).result
    assert wider["count"] == 6
    everything = module(MODULE, dict(prefix="")).result
    assert everything["count"] == 7
    counters = vault.counters()["by_route"]
    assert GET_ROUTE not in counters and BATCH_READ_ROUTE not in counters


@pytest.mark.parametrize("args, rule", [
    (dict(path="environments/Production/x"), "upper case"),
    (dict(paths=["ok/path", "bad//path"]), "empty segment"),
    (dict(path="/".join(["s"] * 11)), "11 segments"),
    (dict(prefix="Environments/"), "upper case"),
    (dict(prefix="/environments"), "starts with '/'"),
])
def test_invalid_paths_refused_before_any_request(module, vault, args, rule):
    vault.reset_counters()
    res = module(MODULE, args)
    assert res.failed and rule in res.result["msg"]
    assert vault.counters()["total"] == 0


def test_path_and_prefix_are_exclusive(module):
    res = module(MODULE, dict(path="a/b", prefix="a/"))
    assert res.failed and "mutually exclusive" in res.result["msg"]
    res = module(MODULE, dict())
    assert res.failed and "one of the following is required" in res.result["msg"]


def test_403_names_secrets_list(module, vault, seeded):
    token = vault.token(["secrets:read"])
    for args in (dict(path=PREFIX + "stripe"), dict(prefix=PREFIX)):
        res = module(MODULE, dict(args, token=token))
        if "path" in args and contract_on("no_batch_metadata"):
            assert not res.failed  # without batch metadata, metadata is read with the batch read (secrets:read)
            continue
        assert res.failed and "403 insufficient_scope" in res.result["msg"] and "secrets:list" in res.result["msg"]
