# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The preflight checks against a ScaiVault tenant, run through the collection's own client.

Every check calls the same client method a module would (batch metadata, listing, PUT, metadata update,
hard delete, federation, rotation), so what the client discovers about the tenant here is exactly what
a migration will do; the observations go to _plan/conformance.py for the verdicts.

read_only: whoami/introspect, a batch-metadata request for a path that does not exist, a refused
empty batch read, listings (metadata, one item per page), the federation backends and one backend's
status, one rotation policy's attachments. Nothing is written and no secret value is read.
Otherwise, besides: secrets are written ONLY under the scratch prefix (scaivault-preflight/<random>),
plus one federation backend and one rotation policy named after it; everything is removed at the end
(hard delete), also when a check fails. The only values read are the scratch values written here.

Private to this collection: no API promise.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import itertools
import secrets as random_tokens

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.errors import ScaiVaultError
from ansible_collections.scailabs.scaivault.plugins.module_utils._run.resources import ROTATION_POLICIES as POLICIES, delete_if_present, item_path

SCRATCH_ROOT = "scaivault-preflight"


def scratch_prefix():
    """scaivault-preflight/<random>: where the write checks may write."""
    return "%s/%s" % (SCRATCH_ROOT, random_tokens.token_hex(6))


def _failure(exc, scope=None):
    text = "%s %s" % (exc.status, exc.code) if exc.status else (exc.code or "error")
    needed = exc.required_scope or scope
    if exc.code == "insufficient_scope" and needed:
        text += " (needs %s)" % needed
    return text


class Checks:
    """One preflight run: observations per item, the scratch resources to remove."""

    def __init__(self, client, prefix, read_only=True, federation_region="us-east-1"):
        self.client = client
        self.prefix = prefix.strip("/")
        self.read_only = read_only
        self.federation_region = federation_region
        self.observations = {}
        self.scopes = None
        self.identity = {}
        self._scope_source = None
        self._paths = []
        self._backend_id = None
        self._policy_id = None
        self._suffix = self.prefix.rsplit("/", 1)[-1]

    # -- helpers ---------------------------------------------------------------------------------------
    def _observe(self, item, check, *args):
        try:
            facts = check(*args)
        except ScaiVaultError as exc:
            facts = {"error": _failure(exc)}
        if facts is not None:
            self.observations[item] = facts

    def _seen(self, item):
        return self.client.capabilities()["seen"].get(item)

    def _choice(self, item):
        return self.client.capabilities()["choices"].get(item)

    def _skip_write(self, item, consequence=None):
        self.observations[item] = {"skipped": "read_only", "consequence": consequence}

    def _path(self, name):
        path = "%s/%s" % (self.prefix, name)
        if path not in self._paths:
            self._paths.append(path)
        return path

    def _value(self):
        return {"preflight": random_tokens.token_hex(16)}

    # -- the run ---------------------------------------------------------------------------------------
    def run(self):
        self._observe("identity", self._identity)
        if self.observations.get("identity", {}).get("error"):
            self.observations["identity"]["fatal"] = True
            return self
        self.observations["scopes"] = {"source": self._scope_source}
        self._observe("batch_metadata", self._batch_metadata)
        self._observe("validation", self._validation)
        self._observe("list_limit", self._list_limit)
        self._observe("list_envelope", self._list_envelope_read_only)
        self._observe("federation_list", self._federation_read_only)
        self._observe("rotation_assignments", self._rotation_read_only)
        if self.read_only:
            for item, consequence in (
                    ("put_answer", None), ("secret_type_default", None), ("metadata_omitted", None),
                    ("metadata_update", "probes the routes on the first metadata-only change (at most 3 refused "
                                        "requests), else writes a version"),
                    ("hard_delete", "detects the flag on the first hard delete (one refused request at most)"),
                    ("list_soft_deleted", None),
                    ("batch_read_audit", "cannot tell whether batch reads are audited per path"),
                    ("federation_create", None), ("federation_sync", None), ("federation_transform", None)):
                self._skip_write(item, consequence)
        else:
            try:
                self._write_checks()
            finally:
                self.cleanup()
        self.observations["rate_limits"] = {"categories": sorted(self.client.rate_limits_seen())}
        self.observations["scope_details"] = {}
        return self

    # -- read-only checks ------------------------------------------------------------------------------
    def _identity(self):
        who = self.client.whoami()
        self.identity = dict((key, who.get(key)) for key in ("identity_id", "identity_type", "tenant_id",
                                                             "token_expires_at"))
        self._scope_source = None
        if isinstance(who.get("scopes"), list):
            self.scopes, self._scope_source = list(who["scopes"]), "whoami"
        else:
            found = self.client.introspect()
            if found and isinstance(found.get("scopes"), list):
                self.scopes, self._scope_source = list(found["scopes"]), "introspect"
        return dict(self.identity)

    def _batch_metadata(self):
        self.client.batch_metadata([self._path("absent")])
        return {"choice": self._choice("batch_metadata")}

    def _validation(self):
        status, code = self.client.validation_answer()
        return {"status": status, "code": code}

    def _list_limit(self):
        list(self.client.list_secrets(prefix=self.prefix + "/", limit=1000))
        return {"choice": self._choice("list_limit secrets")}

    def _list_envelope_read_only(self):
        # Two one-item pages of the tenant's listing (metadata, never values) show the cursor's shape.
        list(itertools.islice(self.client.paginate("/secrets", {"limit": 1}), 2))
        return {"seen": self._seen("list_envelope secrets")}

    def _federation_read_only(self):
        backends = self.client.list_backends()
        facts = {"seen": self._seen("list_envelope federation") or "backends/-/no has_more"}
        if backends:
            self.client.backend_status(backends[0]["id"])
            self.observations["federation_status"] = {"value": self._seen("federation_status_value")}
        else:
            self.observations.setdefault("federation_status", {"value": None})
        return facts

    def _rotation_read_only(self):
        policies = list(itertools.islice(self.client.paginate(POLICIES, {"limit": 1}), 1))
        if not policies or not policies[0].get("id"):
            return {"skipped": "no rotation policy to read"}
        self.client.rotation_secret_paths(policies[0]["id"])
        return self._assignment_shape()

    def _assignment_shape(self):
        envelope = (self._seen("list_envelope rotation") or "?").split("/", 1)[0]
        return {"seen": "%s/%s" % (envelope, self._seen("rotation_assignments") or "-")}

    # -- write checks (scratch prefix only) ------------------------------------------------------------
    def _write_checks(self):
        self._observe("put_answer", self._put_answer)
        self._observe("secret_type_default", self._bare_put)
        self._observe("metadata_update", self._metadata_update)
        self._observe("list_envelope", self._list_envelope_scratch)
        self._observe("list_soft_deleted", self._soft_delete)
        self._observe("hard_delete", self._hard_delete)
        self._observe("batch_read_audit", self._batch_read_audit)
        self._observe("federation_create", self._federation)
        self._observe("rotation_assignments", self._rotation)

    def _put_answer(self):
        self.client.put_secret(self._path("a"), self._value(), secret_type="kv",
                               metadata={"owner": "scaivault-preflight", "tags": ["preflight"]})
        seen = self._seen("put_answer") or "?"
        # A data-only write: does the tenant keep the metadata a PUT leaves out?
        self.client.put_secret(self._path("a"), self._value(), secret_type="kv")
        found, _errors = self.client.batch_metadata([self._path("a")])
        kept = (found.get(self._path("a")) or {}).get("metadata") or {}
        self.observations["metadata_omitted"] = {"kept": kept.get("owner") == "scaivault-preflight"}
        return {"seen": seen.replace(" with data", ""), "data_echoed": seen.endswith("with data")}

    def _bare_put(self):
        self.client.put_secret(self._path("b"), self._value())
        found, _errors = self.client.batch_metadata([self._path("b")])
        return {"stored": (found.get(self._path("b")) or {}).get("secret_type")}

    def _metadata_update(self):
        path = self._path("a")
        found, _errors = self.client.batch_metadata([path])
        current = found.get(path) or {}
        metadata = dict(current.get("metadata") or {}, owner="scaivault-preflight", tags=["preflight", "updated"])
        self.client.update_metadata(path, metadata, version=current.get("version"))
        return {"route": self._seen("metadata_update")}

    def _list_envelope_scratch(self):
        list(self.client.paginate("/secrets", {"prefix": self.prefix + "/", "limit": 1}))
        return {"seen": self._seen("list_envelope secrets")}

    def _soft_delete(self):
        path = self._path("c")
        self.client.put_secret(path, self._value(), secret_type="kv")
        self.client.delete_secret(path)
        listed = [item for item in self.client.paginate("/secrets", {"prefix": self.prefix + "/", "limit": 100})
                  if isinstance(item, dict) and item.get("path") == path]
        return {"listed": bool(listed)}

    def _hard_delete(self):
        path = self._path("c")
        self.client.delete_secret(path, permanent=True)
        facts = {"choice": self._choice("hard_delete")}
        # Purged for good: the path takes a new first version (a soft-deleted one answers 409 secret_exists).
        try:
            self.client.put_secret(path, self._value(), secret_type="kv")
        except ScaiVaultError as exc:
            if exc.status != 409:
                raise
            facts["ignored"] = True
        return facts

    def _batch_read_audit(self):
        paths = [self._path("a"), self._path("b")]
        self.client.batch_read(paths, include_metadata=False)  # the scratch values written above, nothing else
        rows = list(self.client.audit_logs(action="read", path_prefix=self.prefix + "/", limit=100))
        seen = set(row.get("secret_path") for row in rows if isinstance(row, dict))
        return {"per_path": all(path in seen for path in paths)}

    def _federation(self):
        name = "%s-%s" % (SCRATCH_ROOT, self._suffix)
        spec = {"name": name, "type": "aws-secrets-manager", "config": {"region": self.federation_region},
                "path_mapping": {"%s/federated/**" % self.prefix: "%s/%s/**" % (SCRATCH_ROOT, self._suffix)},
                "mode": "sync", "sync_interval": "24h", "transform": {"tags": "key=value"}}
        backend = self.client.create_backend(spec)
        self._backend_id = backend.get("id")
        self.observations["federation_transform"] = {"echoed": "transform" in backend}
        try:
            answer = self.client.sync_backend(self._backend_id)
            self.observations["federation_sync"] = {"status": self._seen("federation_sync"),
                                                    "sync_id": bool(answer.get("sync_id"))}
        except ScaiVaultError as exc:
            self.observations["federation_sync"] = {"error": _failure(exc, "federation:write")}
        self.client.backend_status(self._backend_id)
        self.observations["federation_status"] = {"value": self._seen("federation_status_value")}
        return {"status": self._seen("federation_create")}

    def _rotation(self):
        created = self.client.request("POST", POLICIES, json_body={"name": "%s-%s" % (SCRATCH_ROOT, self._suffix),
                                                                   "interval": "90d"}, idempotent=False).body or {}
        self._policy_id = created.get("id")
        if not self._policy_id:
            return {"error": "the create answered without an id"}
        self.client.request("POST", item_path(POLICIES, self._policy_id, "secrets"),
                            json_body={"secret_path": self._path("a")}, idempotent=True, secret_path=self._path("a"))
        self.client.rotation_secret_paths(self._policy_id)
        return self._assignment_shape()

    # -- removing what was written ---------------------------------------------------------------------
    def cleanup(self):
        """Hard-delete every scratch secret, the scratch backend and policy; what cannot be removed is listed."""
        left = []
        if self._policy_id:
            try:
                delete_if_present(self.client, item_path(POLICIES, self._policy_id))
            except ScaiVaultError as exc:
                left.append("rotation policy %s (%s)" % (self._policy_id, _failure(exc)))
        if self._backend_id:
            try:
                self.client.delete_backend(self._backend_id)
            except ScaiVaultError as exc:
                left.append("federation backend %s (%s)" % (self._backend_id, _failure(exc)))
        for path in self._paths:
            try:
                self.client.delete_secret(path, permanent=True)
            except ScaiVaultError as exc:
                left.append("%s (%s)" % (path, _failure(exc)))
        self.left_behind = left
        return left

    left_behind = ()
