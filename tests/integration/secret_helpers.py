# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Out-of-band access to the dev server for the secret tests: never trust the module's own report."""

from __future__ import annotations

import secrets as _random

from ansible.module_utils.common import warnings as _warnings

from integration.playbook_runner import run_module


class Vault:
    """The dev server seen through the admin token (scaivault_http) and /_dev controls."""

    def __init__(self, http, servers):
        self.http = http
        self.servers = servers

    def meta(self, path):
        """The secret object without data (batch metadata: does not touch last_accessed_at), or None."""
        answer = self.http.post("/v1/secrets/batch/metadata", json={"paths": [path]})
        answer.raise_for_status()
        return answer.json()["secrets"].get(path)

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
        body["data"] = data
        answer = self.http.put("/v1/secrets/" + path, json=body)
        answer.raise_for_status()
        return answer.json()

    def delete(self, path, permanent=False):
        answer = self.http.delete("/v1/secrets/" + path, params={"permanent": "true"} if permanent else None)
        assert answer.status_code in (204, 404), answer.text
        return answer.status_code == 204

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


def route_count(counters, route):
    """Requests seen on one route label, e.g. ``PUT /v1/secrets/{path}``."""
    return counters.get("by_route", {}).get(route, 0)


PUT_ROUTE = "PUT /v1/secrets/{path}"
GET_ROUTE = "GET /v1/secrets/{path}"
DELETE_ROUTE = "DELETE /v1/secrets/{path}"
BATCH_READ_ROUTE = "POST /v1/secrets/batch"
BATCH_META_ROUTE = "POST /v1/secrets/batch/metadata"
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
