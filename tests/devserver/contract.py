# -*- coding: utf-8 -*-
# Copyright: ScaiLabs
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which reading of the [assumed] parts of the contract this dev server plays.

``scaivault-api.md`` marks shapes the public docs leave open as [assumed]; the collection's client
follows that reading, and so does this server by default. A real ScaiVault may have chosen
differently, so the server can play the plausible alternative of each such choice, to prove the
client adapts (docs/scaivault-contract.md lists what the client does about each one):

    --contract default                      our reading (also: SCAIVAULT_DEV_CONTRACT unset)
    --contract alt                          every switch of ALT below at once
    --contract alt:list_envelope,hard_delete   only the switches named (any of SWITCHES)

The command line wins over the environment variable ``SCAIVAULT_DEV_CONTRACT``. Feature modules
ask ``app.contract.on("name")`` on every request, so ``POST /_dev/contract {"spec": "alt:..."}`` changes
the contract of a running server (tests switch one item at a time without a restart);
``POST /_dev/reset`` goes back to the startup contract. ``GET /_dev/contract`` shows the active switches.
"""

import os

ENV_VAR = "SCAIVAULT_DEV_CONTRACT"

# name -> what the server does instead of our reading (the [assumed] item it flips).
SWITCHES = {
    "no_batch_metadata": "POST /v1/secrets/batch/metadata is not a route (404 not_found)",
    "list_envelope": "GET /v1/secrets answers {data, next_cursor} without has_more",
    "list_limit_strict": "GET /v1/secrets refuses limit above 100 (validation error) instead of clamping at 1000",
    "list_includes_deleted": "GET /v1/secrets also lists soft-deleted secrets (with deleted_at set)",
    "validation_400": "validation errors answer 400 instead of the documented 422 (an older reading of the catalog)",
    "hard_delete": "hard delete is DELETE ?hard=true; ?permanent=... is refused with 400 invalid_request",
    "delete_200": "DELETE of a secret or backend answers 200 with a small JSON body instead of 204",
    "put_full_object": "PUT answers 200 (also for the first version) with the full secret object, data included",
    "put_empty": "PUT answers 204 without a body (not part of 'alt': the other alternative of put_full_object)",
    "metadata_omitted_clears": "a PUT without metadata clears the stored metadata instead of keeping it",
    "secret_type_default": "a PUT without secret_type stores json instead of kv",
    "metadata_patch": "PATCH /v1/secrets/{path}/metadata {metadata} updates metadata without a new version",
    "no_required_scope": "403 insufficient_scope without details.required_scope",
    "federation_envelope": "GET /v1/federation/backends answers {data, cursor, has_more}",
    "federation_create_200": "POST /v1/federation/backends answers 200 instead of 201",
    "federation_sync_200": "POST .../sync answers 200 {id, status: QUEUED} instead of 202 {sync_id, status: started}",
    "status_case": "federation status values in upper case (HEALTHY, PENDING, ERROR, CONNECTED)",
    "no_transform": "federation backends ignore transform (tags always key=value) and do not echo it",
    "rotation_assignments": "GET /v1/rotation/policies/{id}/secrets answers {data: [{path, ...}], next_cursor}",
    "access_test_decision": "POST /v1/policies/test answers {decision: allow|deny, matched_policy: <id>} instead of "
                            "{allowed: bool, matched_policy: {id, name}}",
    "policy_without_bindings": "GET /v1/policies/{id} leaves bindings out (GET /v1/policies/{id}/bindings lists them)",
    "subscription_alt_ids": "GET /v1/subscriptions answers {data, next_cursor}; a polled event carries its id under id",
    "rotate_now_bare": "POST /v1/rotation/policies/{id}/rotate answers {policy_id, status: accepted} without rotations",
    "no_audit_summary": "GET /v1/audit/secrets/{path} (the per-secret 30-day summary) is not a route (404 not_found)",
    "export_id_key": "POST /v1/audit/export answers {export_id, status} instead of {id, status}",
}
# 'alt' flips every [assumed] choice at once; put_empty is the other alternative of put_full_object.
ALT = tuple(name for name in SWITCHES if name != "put_empty")


def parse(spec):
    """The frozenset of switches named by ``spec`` ('', 'default', 'alt' or 'alt:a,b'); ValueError otherwise."""
    spec = (spec or "").strip()
    if spec in ("", "default"):
        return frozenset()
    if spec == "alt":
        return frozenset(ALT)
    if spec.startswith("alt:"):
        names = [name.strip() for name in spec[4:].split(",") if name.strip()]
        unknown = sorted(set(names) - set(SWITCHES))
        if unknown or not names:
            raise ValueError("unknown contract switch(es) %s in %r; known: %s" % (
                ", ".join(unknown) or "(none given)", spec, ", ".join(sorted(SWITCHES))))
        return frozenset(names)
    raise ValueError("contract must be 'default', 'alt' or 'alt:switch,...' (got %r)" % spec)


class Contract:
    """The active switches; ``on(name)`` is what handlers ask."""

    def __init__(self, spec=None):
        self.startup_spec = (spec if spec is not None else os.environ.get(ENV_VAR, "")) or "default"
        self.set(self.startup_spec)

    def set(self, spec):
        """Play another contract from now on (ValueError for an unknown one, nothing changed then)."""
        switches = parse(spec)
        self.spec, self.switches = (spec or "default"), switches

    def reset(self):
        self.set(self.startup_spec)

    def on(self, name):
        if name not in SWITCHES:
            raise KeyError("unknown contract switch %r" % name)
        return name in self.switches

    def describe(self):
        return {"spec": self.spec, "startup_spec": self.startup_spec, "switches": sorted(self.switches),
                "known": dict(sorted(SWITCHES.items()))}
