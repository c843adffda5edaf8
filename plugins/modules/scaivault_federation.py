#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: scaivault_federation
short_description: Manage ScaiVault federation backends (read AWS Secrets Manager through ScaiVault)
version_added: 0.1.0
description:
  - Create, update or remove a ScaiVault federation backend, identified by its O(name).
  - A federation backend makes secrets of an external store readable through ScaiVault before they are
    migrated. With O(mode=proxy) every read of a mapped ScaiVault path is answered live from the backend;
    with O(mode=sync) ScaiVault keeps a local copy refreshed every O(sync_interval) (and on demand, see
    O(sync_now)). Federated paths are read-only in ScaiVault.
  - "For C(aws-secrets-manager), a sync copies the C(AWSCURRENT) version of each mapped secret, writes a new
    ScaiVault version only when the ASM C(VersionId) changed, stores a JSON-object C(SecretString) as the
    object, any other C(SecretString) as C({value: ...}) and C(SecretBinary) as C({value_base64: ...}),
    records the origin in C(metadata.source), and removes paths whose ASM secret is gone or pending deletion."
  - The backend is compared with the options field by field; an unchanged backend is not written, and an
    option that is not set is left as it is on the server. Changing O(mode) (for example proxy to sync) is an
    in-place update, never a re-creation.
  - "Reader credentials (runbook step 3): store the AWS keys of the reader identity as a ScaiVault secret with
    M(scailabs.scaivault.scaivault_secret) (for example at C(infra/aws/sm-reader), C(secret_type: json), data
    keys C(access_key_id), C(secret_access_key) and optionally C(session_token), with C(no_log: true) on the
    task) and point O(config) C(credentials_path) at it. To use no static credentials at all, leave
    C(credentials_path) out: ScaiVault then reads ASM with its own IAM role, which the ASM account must trust."
  - To prove that a federated path returns exactly what ASM holds, use M(scailabs.scaivault.scaivault_federation_verify).
author:
  - ScaiLabs platform engineering (@scailabs)
extends_documentation_fragment:
  - scailabs.scaivault.scaivault
  - scailabs.scaivault.attributes.scaivault_group
options:
  name:
    description:
      - Name of the backend, unique in the tenant; it identifies the backend (one per ASM region, for example
        C(aws-us-east-1)).
    type: str
    required: true
  state:
    description:
      - V(present) creates or updates the backend; V(absent) removes it.
      - Removing a backend also removes the ScaiVault paths it synced. Secrets already migrated to canonical
        paths are not affected.
    type: str
    choices: [present, absent]
    default: present
  type:
    description:
      - The kind of external store. Only C(aws-secrets-manager) is covered by this collection's runbook; the
        other types are passed to ScaiVault as they are.
      - When a backend is created and O(type) is not set, C(aws-secrets-manager) is used. The type of an
        existing backend cannot be changed in place (the module fails and says how to re-create it).
    type: str
    choices: [aws-secrets-manager, hashicorp-vault, azure-key-vault, google-secret-manager]
  config:
    description:
      - Backend settings, replaced as a whole when they differ from the server's (keys are compared one by
        one, and the result names each changed key).
      - "For C(aws-secrets-manager): C(region) (required), and C(credentials_path), the ScaiVault path of a
        secret whose data holds C(access_key_id), C(secret_access_key) and optionally C(session_token). Omit
        C(credentials_path) to let ScaiVault use its own IAM role (no static credentials)."
      - AWS keys are never accepted inline in O(config); the module fails and explains the credential pattern.
      - Required to create a backend. Keys whose name looks like a credential (token, secret, password, ...)
        are masked in results and diffs; keys ending in C(_path) are shown.
    type: dict
  path_mapping:
    description:
      - "Which ScaiVault paths the backend serves, as C({ScaiVault glob: backend name template}). C(*) matches
        part of one path segment, C(**) any number of whole segments, and each wildcard of the glob is copied
        into the template. C({'external/aws/**': 'prod/**'}) serves the ASM secret C(prod/billing/stripe) at
        C(external/aws/billing/stripe)."
      - ASM names that do not give a valid ScaiVault path (upper case, C(+ = . @), more than 10 segments) are
        skipped and listed in the backend status C(errors).
      - Compared as a whole; the order of the keys does not count. Required to create a backend.
    type: dict
  mode:
    description:
      - V(proxy) forwards every read to the backend (always fresh, one backend call per read, no data at rest);
        V(sync) serves a local copy refreshed every O(sync_interval) (bounded staleness, cheap).
      - Required to create a backend.
    type: str
    choices: [proxy, sync]
  sync_interval:
    description:
      - How often a V(sync) backend refreshes its copy, as a ScaiVault duration such as C(15m), C(1h) or
        C(1h30m). Compared by length, so C(900s) equals C(15m).
      - Required with O(mode=sync) unless the backend already has one.
    type: str
  transform:
    description:
      - How backend data is turned into ScaiVault data.
      - Keys not given keep their current value; a backend without a transform uses C(tags=key=value).
    type: dict
    suboptions:
      tags:
        description:
          - How ASM key/value tags become ScaiVault bare-string tags. V(key=value) gives C(env=prod), V(key)
            gives C(env), V(drop) carries no tags over.
        type: str
        choices: [key=value, key, drop]
  sync_now:
    description:
      - Trigger a sync after the backend is created or updated (the backend must be in V(sync) mode).
      - A triggered sync reports C(changed=true), like a service restart. In check mode nothing is triggered, and
        C(changed=true) is predicted.
    type: bool
    default: false
  wait:
    description:
      - Wait until the backend status shows a completed sync, then return it. With O(sync_now), the sync must
        have finished after the trigger; without it, any completed sync counts (useful right after creation).
        For a V(proxy) backend, wait until its status is no longer C(pending).
      - The module fails with the status errors when that sync ends with status C(error) (for example rejected
        credentials), and when O(wait_timeout) runs out.
      - Nothing is waited for in check mode.
    type: bool
    default: false
  wait_timeout:
    description:
      - Seconds to wait with O(wait=true).
    type: int
    default: 300
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
    details:
      - The diff shows the backend's fields; credential-like O(config) values are masked and no secret value appears.
notes:
  - Needs a token with the C(federation:write) scope (C(federation:read) is enough in check mode), plus
    C(secrets:write) to store the reader credentials with M(scailabs.scaivault.scaivault_secret).
  - The AWS reader identity needs C(secretsmanager:ListSecrets), C(GetSecretValue), C(DescribeSecret) and
    C(BatchGetSecretValue) on the mapped secrets (ScaiVault falls back to C(GetSecretValue) without the last one).
  - Federation operations are rate limited (20 per minute by default on the managed service); O(wait) polls
    the status at most every few seconds for that reason.
seealso:
  - module: scailabs.scaivault.scaivault_federation_info
  - module: scailabs.scaivault.scaivault_federation_verify
  - module: scailabs.scaivault.scaivault_secret
"""

EXAMPLES = r"""
# Connection settings come from SCAIVAULT_URL and SCAIVAULT_TOKEN (or set url/token on each task,
# or once with module_defaults: group/scailabs.scaivault.scaivault).

# Runbook step 3: the reader's AWS keys, stored in ScaiVault (never in a backend config or a result).
- name: Store the ASM reader credentials in ScaiVault
  scailabs.scaivault.scaivault_secret:
    path: infra/aws/sm-reader
    secret_type: json
    data:
      access_key_id: "{{ lookup('ansible.builtin.env', 'AWS_ACCESS_KEY_ID') }}"
      secret_access_key: "{{ lookup('ansible.builtin.env', 'AWS_SECRET_ACCESS_KEY') }}"
  no_log: true

# Runbook step 4: one backend per region, sync mode, first sync done before moving on.
- name: Federate ASM us-east-1 prod/** at external/aws/**
  scailabs.scaivault.scaivault_federation:
    name: aws-us-east-1
    type: aws-secrets-manager
    config:
      region: us-east-1
      credentials_path: infra/aws/sm-reader
    path_mapping:
      external/aws/**: prod/**
    mode: sync
    sync_interval: 15m
    sync_now: true
    wait: true
    wait_timeout: 120
  register: federation

- name: Show what the last sync did
  ansible.builtin.debug:
    msg: "{{ federation.status.status }}: {{ federation.status.secrets_synced }} secrets synced"

# No static credentials: ScaiVault reads ASM with its own IAM role.
- name: Federate eu-west-1 through ScaiVault's IAM role, live reads
  scailabs.scaivault.scaivault_federation:
    name: aws-eu-west-1
    config:
      region: eu-west-1
    path_mapping:
      external/aws-eu/**: prod/**
    mode: proxy
    transform:
      tags: key

# Rotation option B: switch the proxy backend to sync (one in-place update, no re-creation).
- name: Switch eu-west-1 to sync mode
  scailabs.scaivault.scaivault_federation:
    name: aws-eu-west-1
    mode: sync
    sync_interval: 15m

- name: Remove the eu-west-1 backend (and the paths it synced)
  scailabs.scaivault.scaivault_federation:
    name: aws-eu-west-1
    state: absent
"""

RETURN = r"""
backend:
  description:
    - The backend after the task (in check mode, as it would be). Empty after O(state=absent).
    - Credential-like O(config) values are masked.
  returned: always
  type: dict
  contains:
    id:
      description: Backend id (C(fed_...)); null when it would be created in check mode.
      type: str
      sample: fed_3f2a9c1b7d4e
    name:
      description: Backend name.
      type: str
      sample: aws-us-east-1
    type:
      description: Backend type.
      type: str
      sample: aws-secrets-manager
    config:
      description: Backend settings.
      type: dict
      sample: {"region": "us-east-1", "credentials_path": "infra/aws/sm-reader"}
    path_mapping:
      description: ScaiVault glob to backend template.
      type: dict
      sample: {"external/aws/**": "prod/**"}
    mode:
      description: V(proxy) or V(sync).
      type: str
      sample: sync
    sync_interval:
      description: Refresh interval of a sync backend.
      type: str
      sample: 15m
    transform:
      description: Transform settings, when the server reports them.
      type: dict
      sample: {"tags": "key=value"}
status:
  description:
    - The backend status from ScaiVault, after the wait when O(wait=true).
    - Not returned when the backend is absent, or would be created in check mode.
  returned: when the backend exists
  type: dict
  contains:
    id:
      description: Backend id.
      type: str
    name:
      description: Backend name.
      type: str
    status:
      description: V(pending) (nothing checked yet), V(healthy), V(degraded) (some secrets could not be mapped or
        read) or V(error) (for example the credentials were rejected).
      type: str
      sample: healthy
    last_sync:
      description: When the last sync run finished (ISO-8601 UTC), null before the first.
      type: str
      sample: "2026-11-29T10:15:00Z"
    last_sync_duration_ms:
      description: Duration of the last sync run.
      type: int
      sample: 120
    secrets_synced:
      description: Number of secrets the backend serves after the last sync.
      type: int
      sample: 42
    connection:
      description: Reachability of the backend, C({status, latency_ms}).
      type: dict
      sample: {"status": "connected", "latency_ms": 4}
    errors:
      description: What the backend could not do, each C({source, code, message}) (an ASM name that maps to no
        valid path, rejected credentials, ...). Never contains a secret value.
      type: list
      elements: dict
      sample: [{"source": "prod/Billing/Stripe", "code": "invalid_path", "message": "contains upper case"}]
changed_fields:
  description: What differs from the server, for example C(mode) or C(config.region); all managed fields when created.
  returned: always
  type: list
  elements: str
  sample: [mode, sync_interval]
sync:
  description: The answer to the sync trigger, C({sync_id, status}).
  returned: when O(sync_now=true) and not in check mode
  type: dict
  sample: {"sync_id": "sync_8c1e0f", "status": "started"}
waited_seconds:
  description: How long the module waited for the status.
  returned: when O(wait=true) and not in check mode
  type: float
  sample: 1.2
"""

import time

from ansible_collections.scailabs.scaivault.plugins.module_utils._federation_plan import (
    PlanError, backend_diff, backend_view, build_desired, compare, creation_body, credential_values, projected,
    proxy_settled, status_errors, sync_completed)
from ansible_collections.scailabs.scaivault.plugins.module_utils._module_base import CollectionModule
from ansible_collections.scailabs.scaivault.plugins.module_utils._scaivault_client import ScaiVaultError

# Federation calls are rate limited (20/min on a default tenant): poll gently.
POLL_DELAYS = (0.2, 0.3, 0.5, 1.0, 2.0, 3.0)
POLL_DELAY_MAX = 4.0


def argument_spec():
    return dict(
        name=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        type=dict(type="str", choices=["aws-secrets-manager", "hashicorp-vault", "azure-key-vault",
                                       "google-secret-manager"]),
        config=dict(type="dict"),
        path_mapping=dict(type="dict"),
        mode=dict(type="str", choices=["proxy", "sync"]),
        sync_interval=dict(type="str"),
        transform=dict(type="dict", options=dict(tags=dict(type="str", choices=["key=value", "key", "drop"]))),
        sync_now=dict(type="bool", default=False),
        wait=dict(type="bool", default=False),
        wait_timeout=dict(type="int", default=300),
    )


class FederationTask:
    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.name = self.params["name"]
        self.client = None
        self.result = {"changed": False, "backend": {}, "changed_fields": []}

    def what(self, action):
        return "%s federation backend %s" % (action, self.name)

    def run(self):
        # Credentials put inline in config (refused below) must not come back in the invocation echo.
        self.module.module.no_log_values.update(credential_values(self.params["config"]))
        try:
            desired = build_desired(self.name, self.params["type"], self.params["config"], self.params["path_mapping"],
                                    self.params["mode"], self.params["sync_interval"], self.params["transform"])
        except PlanError as exc:
            self.module.fail(str(exc), **self.result)
        self.client = self.module.scaivault
        current = self.call("finding", self.client.find_backend, self.name)
        if self.params["state"] == "absent":
            return self.absent(current)
        return self.present(current, desired)

    def call(self, action, func, *args):
        try:
            return func(*args)
        except ScaiVaultError as exc:
            self.module.fail_from(exc, action=self.what(action), **self.result)

    # -- absent ---------------------------------------------------------------------------
    def absent(self, current):
        if current is not None:
            self.result["changed"] = True
            if not self.module.check_mode:
                self.call("removing", self.client.delete_backend, current["id"])
        if self.module.diff_mode:
            self.result["diff"] = backend_diff(current, None)
        return self.result

    # -- present --------------------------------------------------------------------------
    def present(self, current, desired):
        if current is None:
            current, after = self.create(desired)
        else:
            after = self.update(current, desired)
        self.result["backend"] = backend_view(after)
        if self.module.diff_mode:
            self.result["diff"] = backend_diff(current, after)
        if self.params["sync_now"] and after.get("mode") != "sync":
            self.module.fail("federation backend %s is in %s mode: sync_now needs mode sync (a proxy backend reads "
                             "ASM live on every read, so there is nothing to sync)" % (self.name, after.get("mode")),
                             **self.result)
        if self.params["sync_now"] and self.module.check_mode:
            self.result["changed"] = True  # a real run triggers a sync, which reports changed
        if not after.get("id"):
            return self.result  # check mode, nothing created: no status to read
        self.follow_up(after)
        return self.result

    def create(self, desired):
        """Return (backend before, backend after): (None, new) normally."""
        try:
            body = creation_body(self.name, desired)
        except PlanError as exc:
            self.module.fail(str(exc), **self.result)
        self.result["changed_fields"] = sorted(field for field in body if field != "name")
        self.result["changed"] = True
        if self.module.check_mode:
            return None, dict(body, id=None)
        try:
            return None, self.client.create_backend(body)
        except ScaiVaultError as exc:
            if exc.status != 409:
                self.module.fail_from(exc, action=self.what("creating"), **self.result)
        # Created by someone else since we looked: manage the existing one instead.
        self.result["changed"] = False
        self.result["changed_fields"] = []
        current = self.call("finding", self.client.find_backend, self.name)
        if current is None:
            self.module.fail("federation backend %s: ScaiVault refused to create it as a duplicate, but no backend "
                             "of that name is listed; check the token's tenant (tenant_id)" % self.name, **self.result)
        return current, self.update(current, desired)

    def update(self, current, desired):
        try:
            changes, changed_fields = compare(self.name, current, desired)
        except PlanError as exc:
            self.module.fail(str(exc), **dict(self.result, backend=backend_view(current)))
        self.result["changed_fields"] = changed_fields
        if not changes:
            return current
        self.result["changed"] = True
        if self.module.check_mode:
            return projected(current, changes)
        updated = self.call("updating", self.client.update_backend, current["id"], changes)
        # Tolerate a PATCH that answers without the object ([assumed] shape).
        return updated if updated.get("id") else projected(current, changes)

    # -- sync and wait --------------------------------------------------------------------
    def follow_up(self, backend):
        backend_id = backend["id"]
        sync_now, wait = self.params["sync_now"], self.params["wait"]
        before = None
        if self.module.check_mode:
            sync_now = wait = False
        if sync_now:
            before = self.call("reading the status of", self.client.backend_status, backend_id)
            self.result["sync"] = self.call("triggering a sync of", self.client.sync_backend, backend_id)
            self.result["changed"] = True
        if wait:
            self.result["status"] = self.wait(backend, before, triggered=sync_now)
        else:
            self.result["status"] = self.call("reading the status of", self.client.backend_status, backend_id)

    def wait(self, backend, before, triggered):
        started = time.monotonic()
        deadline = started + self.params["wait_timeout"]
        before_last_sync = (before or {}).get("last_sync")
        sync_id = (self.result.get("sync") or {}).get("sync_id")
        proxy = backend.get("mode") != "sync"
        attempt = 0
        while True:
            status = self.call("reading the status of", self.client.backend_status, backend["id"])
            done = proxy_settled(status) if proxy else sync_completed(status, before_last_sync, triggered, sync_id)
            if done:
                self.result["waited_seconds"] = round(time.monotonic() - started, 2)
                if status.get("status") == "error":
                    self.result["status"] = status
                    self.module.fail("federation backend %s reports status error%s: %s" % (
                        self.name, "" if proxy else " after its sync",
                        status_errors(status) or "no details given"), **self.result)
                return status
            delay = POLL_DELAYS[attempt] if attempt < len(POLL_DELAYS) else POLL_DELAY_MAX
            attempt += 1
            if time.monotonic() + delay > deadline:
                self.result["status"] = status
                self.result["waited_seconds"] = round(time.monotonic() - started, 2)
                self.module.fail("federation backend %s: no completed %s after %ss (status %s%s); raise wait_timeout "
                                 "or check the backend with scaivault_federation_info" % (
                                     self.name, "connection check" if proxy else "sync", self.params["wait_timeout"],
                                     status.get("status"),
                                     ": " + status_errors(status) if status_errors(status) else ""), **self.result)
            time.sleep(delay)


def main():
    module = CollectionModule(argument_spec(), supports_check_mode=True)
    if module.params["state"] == "absent" and (module.params["sync_now"] or module.params["wait"]):
        module.fail("federation backend %s: sync_now and wait apply to state=present only" % module.params["name"])
    result = FederationTask(module).run()
    module.exit(**result)


if __name__ == "__main__":
    main()
