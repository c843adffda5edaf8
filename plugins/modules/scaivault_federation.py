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
author:
  - ScaiLabs platform engineering (@scailabs)
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
extends_documentation_fragment:
  - scailabs.scaivault.scaivault
  - scailabs.scaivault.attributes.scaivault_group
attributes:
  check_mode:
    description: Predicts the create, update or removal (and that O(sync_now) would trigger a sync) and writes
      nothing; it neither syncs nor waits.
    support: full
  diff_mode:
    description: Shows the backend's fields before and after; credential-like O(config) values are masked and no
      secret value appears.
    support: full
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
      - Credentials are never accepted inline, at any depth of O(config) (a key named like C(secret_access_key),
        C(token), C(password), C(passphrase), C(client_key), C(secret_id), ... inside any nested dict or list);
        the module fails naming the key and explains the credential pattern. Keys ending in C(_path) name a
        ScaiVault path and are allowed.
      - Required to create a backend. Results, diffs, the invocation echo and
        M(scailabs.scaivault.scaivault_federation_info) show only known non-secret keys (C(region),
        C(credentials_path), C(auth_config_path), C(address), C(endpoint), C(mount), C(namespace), C(role_arn),
        C(vault_url), C(project_id), C(kv_version), C(auth_method)); every other value is shown as C(********),
        at any depth.
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

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.errors import PlanError, ScaiVaultError
from ansible_collections.scailabs.scaivault.plugins.module_utils._module_base import run_module
from ansible_collections.scailabs.scaivault.plugins.module_utils._plan.federation import (
    backend_diff, backend_view, build_desired, compare, creation_body, credential_values, masked_config, projected,
    proxy_settled, status_errors, sync_completed, without_unreported_transform)

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


# Every failure carries ``result`` as far as it got (changed, backend, changed_fields, ...).
def run(module):
    params = module.params
    name = params["name"]
    if params["state"] == "absent" and (params["sync_now"] or params["wait"]):
        raise PlanError("federation backend %s: sync_now and wait apply to state=present only" % name)
    # Credentials put inline in config are refused below; the invocation echo shows config masked
    # (option_views) and Ansible masks its hidden strings as a second layer.
    module.mask_values(credential_values(params["config"]))
    result = {"changed": False, "backend": {}, "changed_fields": []}
    try:
        desired = build_desired(name, params["type"], params["config"], params["path_mapping"], params["mode"],
                                params["sync_interval"], params["transform"])
    except PlanError as exc:
        module.fail(str(exc), **result)
    current = call(module, result, "finding", module.scaivault.find_backend, name)
    if params["state"] == "absent":
        return absent(module, result, current)
    return present(module, result, current, desired)


def call(module, result, action, func, *args):
    """func(*args); a ScaiVaultError fails the task, naming the action and the backend."""
    try:
        return func(*args)
    except ScaiVaultError as exc:
        module.fail_from(exc, action="%s federation backend %s" % (action, module.params["name"]), **result)


# -- absent -------------------------------------------------------------------------------
def absent(module, result, current):
    if current is not None:
        result["changed"] = True
        if not module.check_mode:
            call(module, result, "removing", module.scaivault.delete_backend, current["id"])
    if module.diff_mode:
        result["diff"] = backend_diff(current, None)
    return result


# -- present ------------------------------------------------------------------------------
def present(module, result, current, desired):
    name = module.params["name"]
    sync_now = module.params["sync_now"]
    if current is None:
        current, after = create(module, result, desired)
    else:
        after = update(module, result, current, desired)
    result["backend"] = backend_view(after)
    if module.diff_mode:
        result["diff"] = backend_diff(current, after)
    if sync_now and after.get("mode") != "sync":
        module.fail("federation backend %s is in %s mode: sync_now needs mode sync (a proxy backend reads "
                    "ASM live on every read, so there is nothing to sync)" % (name, after.get("mode")), **result)
    if sync_now and module.check_mode:
        result["changed"] = True  # a real run triggers a sync, which reports changed
    if after.get("id"):  # else check mode, nothing created: no status to read
        follow_up(module, result, after)
    return result


def create(module, result, desired):
    """Return (backend before, backend after): (None, new) normally."""
    name = module.params["name"]
    try:
        body = creation_body(name, desired)
    except PlanError as exc:
        module.fail(str(exc), **result)
    result["changed_fields"] = sorted(field for field in body if field != "name")
    result["changed"] = True
    if module.check_mode:
        return None, dict(body, id=None)
    try:
        return None, module.scaivault.create_backend(body)
    except ScaiVaultError as exc:
        if exc.status != 409:
            module.fail_from(exc, action="creating federation backend %s" % name, **result)
    # Created by someone else since we looked: manage the existing one instead.
    result["changed"] = False
    result["changed_fields"] = []
    current = call(module, result, "finding", module.scaivault.find_backend, name)
    if current is None:
        module.fail("federation backend %s: ScaiVault refused to create it as a duplicate, but no backend "
                    "of that name is listed; check the token's tenant (tenant_id)" % name, **result)
    return current, update(module, result, current, desired)


def update(module, result, current, desired):
    desired, warning = without_unreported_transform(module.params["name"], current, desired)
    if warning:
        module.warn(warning)
    try:
        changes, changed_fields = compare(module.params["name"], current, desired)
    except PlanError as exc:
        module.fail(str(exc), **dict(result, backend=backend_view(current)))
    result["changed_fields"] = changed_fields
    if not changes:
        return current
    result["changed"] = True
    if module.check_mode:
        return projected(current, changes)
    updated = call(module, result, "updating", module.scaivault.update_backend, current["id"], changes)
    # Tolerate a PATCH that answers without the object ([assumed] shape).
    return updated if updated.get("id") else projected(current, changes)


# -- sync and wait ------------------------------------------------------------------------
def follow_up(module, result, backend):
    client = module.scaivault
    backend_id = backend["id"]
    sync_now, wait = module.params["sync_now"], module.params["wait"]
    before = None
    if module.check_mode:
        sync_now = wait = False
    if sync_now:
        before = call(module, result, "reading the status of", client.backend_status, backend_id)
        result["sync"] = call(module, result, "triggering a sync of", client.sync_backend, backend_id)
        result["changed"] = True
    if wait:
        result["status"] = wait_for_status(module, result, backend, before, triggered=sync_now)
    else:
        result["status"] = call(module, result, "reading the status of", client.backend_status, backend_id)


def wait_for_status(module, result, backend, before, triggered):
    name, timeout = module.params["name"], module.params["wait_timeout"]
    started = time.monotonic()
    deadline = started + timeout
    before_last_sync = (before or {}).get("last_sync")
    sync_id = (result.get("sync") or {}).get("sync_id")
    proxy = backend.get("mode") != "sync"
    attempt = 0
    while True:
        status = call(module, result, "reading the status of", module.scaivault.backend_status, backend["id"])
        done = proxy_settled(status) if proxy else sync_completed(status, before_last_sync, triggered, sync_id)
        if done:
            result["waited_seconds"] = round(time.monotonic() - started, 2)
            if status.get("status") == "error":
                result["status"] = status
                module.fail("federation backend %s reports status error%s: %s" % (
                    name, "" if proxy else " after its sync", status_errors(status) or "no details given"), **result)
            return status
        delay = POLL_DELAYS[attempt] if attempt < len(POLL_DELAYS) else POLL_DELAY_MAX
        attempt += 1
        if time.monotonic() + delay > deadline:
            result["status"] = status
            result["waited_seconds"] = round(time.monotonic() - started, 2)
            errors = status_errors(status)
            module.fail("federation backend %s: no completed %s after %ss (status %s%s); raise wait_timeout "
                        "or check the backend with scaivault_federation_info" % (
                            name, "connection check" if proxy else "sync", timeout, status.get("status"),
                            ": " + errors if errors else ""), **result)
        time.sleep(delay)


def main():
    run_module(run, argument_spec(), option_views={"config": masked_config})


if __name__ == "__main__":
    main()
