# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Out-of-band access to the dev server for the secret tests: never trust the module's own report."""

from __future__ import annotations

import os
import secrets as _random

from ansible.module_utils.common import warnings as _warnings

from devserver.contract import ENV_VAR as _CONTRACT_ENV, parse as _parse_contract
from integration.playbook_runner import run_module

# The switches of the contract the session's dev server plays (tests/devserver/contract.py): empty by default.
CONTRACT = _parse_contract(os.environ.get(_CONTRACT_ENV, ""))


def contract_on(name):
    """Whether the session's dev server plays this alternative of an [assumed] shape."""
    return name in CONTRACT


class Vault:
    """The dev server seen through the admin token (scaivault_http) and /_dev controls."""

    def __init__(self, http, servers):
        self.http = http
        self.servers = servers

    def meta(self, path):
        """The live secret object without data, or None (GET /_dev/secrets: what is stored, whatever the
        contract plays; not audited, not counted, does not touch last_accessed_at)."""
        stored = self.stored(path)
        if stored is None or stored.get("deleted_at"):
            return None
        return dict((key, value) for key, value in stored.items() if key not in ("deleted_at", "versions"))

    def stored(self, path):
        """The head as stored (deleted_at and the retained version numbers included), or None."""
        answer = self.http.get("/_dev/secrets/" + path)
        if answer.status_code == 404:
            return None
        answer.raise_for_status()
        return answer.json()

    def version(self, path):
        obj = self.meta(path)
        return obj["version"] if obj else None

    def get(self, path, version=None):
        params = {"version": version} if version else None
        answer = self.http.get("/v1/secrets/" + path, params=params)
        if answer.status_code == 404:
            return None
        answer.raise_for_status()
        return answer.json()

    def put(self, path, data, **body):
        """Write as a consumer would, with our reading's defaults whatever the contract plays (a PUT
        without metadata keeps it, without secret_type is kv): the tests' own writes stay the same."""
        body["data"] = data
        body.setdefault("secret_type", "kv")
        if "metadata" not in body and "metadata_omitted_clears" in self.live_contract():
            current = self.meta(path)
            if current is not None:
                body["metadata"] = current.get("metadata") or {}
        answer = self.http.put("/v1/secrets/" + path, json=body)
        answer.raise_for_status()
        return self.meta(path)

    def live_contract(self):
        """The switches the dev server plays right now (a test may change them: POST /_dev/contract)."""
        return set(self.servers.dev_call("GET", "/_dev/contract")["switches"])

    def delete(self, path, permanent=False):
        flag = "hard" if permanent and "hard_delete" in self.live_contract() else "permanent"
        answer = self.http.delete("/v1/secrets/" + path, params={flag: "true"} if permanent else None)
        assert answer.status_code in (200, 204, 404), answer.text
        return answer.status_code in (200, 204)

    def counters(self):
        return self.servers.dev_counters()

    def reset_counters(self):
        self.servers.reset_dev_counters()

    def token(self, scopes, identity_id="sa:test"):
        """Mint a token with exactly these scopes."""
        token = "skt_test_" + _random.token_hex(8)
        answer = self.http.post("/_dev/tokens", json={"token": token, "identity_id": identity_id, "scopes": list(scopes)})
        assert answer.status_code in (200, 201), answer.text
        return token

    def faults(self, faults):
        self.servers.dev_faults(faults)

    def clear_faults(self):
        self.servers.clear_dev_faults()

    def wait_held(self, count=1, timeout=60):
        """Block until ``count`` requests wait in a ``hold`` fault (docs/development.md); fail after ``timeout`` s."""
        answer = self.http.post("/_dev/faults/wait-held", json={"held": count, "timeout": timeout},
                                timeout=timeout + 15)
        assert answer.status_code == 200, "no request reached the hold fault: %s" % answer.text

    def release_held(self):
        self.http.post("/_dev/faults/release").raise_for_status()

    def rotation_policy(self, name, interval="90d"):
        """The id of the rotation policy ``name`` (created when missing): options.rotation_policy_id must name a real
        one (reference/rotation: 404 rotation_policy_not_found otherwise)."""
        created = self.http.post("/v1/rotation/policies", json={"name": name, "interval": interval})
        if created.status_code == 201:
            return created.json()["id"]
        listing = self.http.get("/v1/rotation/policies", params={"limit": 1000}).json()
        return next(item["id"] for item in listing["data"] if item["name"] == name)


# What changes nothing on the servers, for tests that prove a run wrote nothing (check mode, read-only modules). The
# documented dry-run access check (POST /v1/policies/test) writes nothing either.
READ_POSTS = {"POST /v1/secrets/batch", "POST /v1/secrets/batch/metadata", "POST /oauth/token", "POST /v1/policies/test"}
ASM_MUTATING = ("Create", "Put", "Update", "Delete", "Restore", "Rotate", "Cancel", "Tag", "Untag", "Replicate",
                "Remove", "Stop", "Validate")


def scaivault_writes(counters):
    """{route: requests} of the dev server's counters (``servers.dev_counters()``) that can change something."""
    return {route: n for route, n in (counters.get("by_route") or {}).items()
            if not route.startswith(("GET ", "HEAD ", "OPTIONS ")) and route not in READ_POSTS}


def asm_mutations(calls):
    """{operation: calls} of the ASM stand-in's calls (``servers.asm_calls()``) that can change something."""
    return {op: n for op, n in (calls.get("by_operation") or {}).items() if op.startswith(ASM_MUTATING)}


def route_count(counters, route):
    """Requests seen on one route label, e.g. ``PUT /v1/secrets/{path}``."""
    return counters.get("by_route", {}).get(route, 0)


PUT_ROUTE = "PUT /v1/secrets/{path}"
GET_ROUTE = "GET /v1/secrets/{path}"
DELETE_ROUTE = "DELETE /v1/secrets/{path}"
BATCH_READ_ROUTE = "POST /v1/secrets/batch"
BATCH_META_ROUTE = "POST /v1/secrets/batch/metadata"
# Where the client reads metadata on this contract (the batch read, when the tenant has no batch-metadata route).
METADATA_ROUTE = BATCH_READ_ROUTE if contract_on("no_batch_metadata") else BATCH_META_ROUTE
LIST_ROUTE = "GET /v1/secrets"


def fast_module_runner(env):
    """run_module in-process (about 30 ms instead of 300 ms a run).

    AnsibleModule keeps warnings and deprecations in module-level registries; they are cleared
    before each run so that one run's warnings never show up in the next one's result. Once the
    test process has loaded Ansible's controller side (plugin loader, Display), module warnings
    go to the display instead of the result: a test that asserts on warnings passes
    ``isolated=True`` and gets a real subprocess.
    """
    def run(name, args=None, check=False, diff=False, isolated=False):
        if isolated:
            return run_module(name, args, check=check, diff=diff, env=env)
        _warnings._global_warnings.clear()  # pylint: disable=protected-access
        _warnings._global_deprecations.clear()  # pylint: disable=protected-access
        return run_module(name, args, check=check, diff=diff, env=env, mode="inprocess")
    return run


# -- reading the dev server out of band whatever contract it plays --------------------------------
def list_of(body):
    """The items of a list answer in any envelope the dev server may play (secrets, data, backends)."""
    if isinstance(body, list):
        return body
    for key in ("secrets", "data", "backends"):
        if isinstance(body, dict) and isinstance(body.get(key), list):
            return body[key]
    return []


def attached_path(item):
    """The path of a rotation assignment, whichever shape the contract plays."""
    return item if isinstance(item, str) else (item.get("secret_path") or item.get("path"))


def stored_meta(http, path):
    """The live secret at path without data (GET /_dev/secrets: not audited, not counted), or None."""
    answer = http.get("/_dev/secrets/" + path)
    if answer.status_code == 404:
        return None
    answer.raise_for_status()
    stored = answer.json()
    return None if stored.get("deleted_at") else stored


CREATED = (200, 201)  # a create answers 201 by our reading, 200 with federation_create_200

# How the dev server's counters label a request to a route it does not have (a 405 or a 404 of the router).
PROBE_ROUTE = "POST (unmatched)"


def metadata_calls(calls, processes=1):
    """by_route entries of ``calls`` metadata reads made by ``processes`` module runs on this contract: batch
    metadata, or on a tenant without it one refused probe per run and then the batch read."""
    if contract_on("no_batch_metadata"):
        return {BATCH_READ_ROUTE: calls, PROBE_ROUTE: processes}
    return {BATCH_META_ROUTE: calls}
