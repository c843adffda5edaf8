#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: scaivault_secret_info
short_description: Metadata of ScaiVault secrets, never their values
version_added: 0.1.0
author:
  - ScaiLabs (@scailabs)
description:
  - Returns the metadata of one secret (O(path)), of a list of secrets (O(paths)), or of every
    secret under a prefix (O(prefix)), that is version, type, description, tags, owner, custom metadata,
    timestamps, C(last_accessed_at), expiry, rotation policy.
  - Never reads a value. O(path) and O(paths) use the batch metadata endpoint (100 paths per request,
    audited as C(list), not C(read)), so inspecting secrets does not look like a consumer reading them.
    O(prefix) follows the cursor-paginated listing.
  - A single O(path) that does not exist is not a failure; RV(exists) is V(false).
  - Read-only; runs the same in check mode.
extends_documentation_fragment:
  - scailabs.scaivault.scaivault
  - scailabs.scaivault.attributes.scaivault_group
  - scailabs.scaivault.read_only
options:
  path:
    description:
      - Path of one secret, for example V(environments/production/billing/stripe).
      - Checked against the path rules before any request is sent.
    type: str
  paths:
    description:
      - Several secret paths, read with one batch request per 100 paths.
      - Paths that do not exist are listed in RV(missing).
    type: list
    elements: str
  prefix:
    description:
      - List every secret whose path starts with this text (a plain string prefix, so V(environments/prod)
        also matches V(environments/production/...); end it with C(/) to stay inside one folder).
      - V('') lists every secret the token may list. Soft-deleted secrets are not listed.
    type: str
  page_size:
    description:
      - Secrets per listing request with O(prefix) (1 to 1000). Every page is read.
    type: int
    default: 1000
  source_region:
    description:
      - With O(prefix), keep only the secrets that M(scailabs.scaivault.asm_migrate) wrote from this AWS region - the
        ones whose C(metadata.source) records an ASM secret of the region - and leave out the paths a federation
        backend serves (their copies carry the same record but are the backend's, not the migration's).
      - This is how a later job, on any machine, finds what a migration wrote, without its report files.
    type: str
  source_names:
    description:
      - With O(source_region), keep only the secrets copied from these ASM names.
    type: list
    elements: str
notes:
  - Needs the C(secrets:list) scope (never C(secrets:read)); O(source_region) also C(federation:read).
  - Soft-deleted secrets look absent; their paths still cannot be written until they are purged
    (M(scailabs.scaivault.scaivault_secret) with O(scailabs.scaivault.scaivault_secret#module:state=absent)
    and O(scailabs.scaivault.scaivault_secret#module:permanent=true)).
seealso:
  - module: scailabs.scaivault.scaivault_secret
  - plugin: scailabs.scaivault.secret
    plugin_type: lookup
"""

EXAMPLES = r"""
- name: Inspect one secret
  scailabs.scaivault.scaivault_secret_info:
    path: environments/production/billing/stripe
  register: stripe

- name: Fail early when the secret the consumers will read is missing
  ansible.builtin.assert:
    that: stripe.exists
    fail_msg: environments/production/billing/stripe has not been migrated yet

- name: Metadata of several secrets in one request
  scailabs.scaivault.scaivault_secret_info:
    paths:
      - environments/production/billing/stripe
      - environments/production/billing/db
      - environments/production/billing/not-migrated-yet
  register: billing

- name: Report the secrets that are still missing
  ansible.builtin.debug:
    msg: "missing: {{ billing.missing | join(', ') }}"

- name: Every secret of the billing namespace
  scailabs.scaivault.scaivault_secret_info:
    prefix: environments/production/billing/
  register: namespace

- name: Secrets nobody has read yet
  ansible.builtin.debug:
    msg: "{{ namespace.secrets | selectattr('last_accessed_at', 'none') | map(attribute='path') | list }}"

- name: Secrets owned by the billing team that were migrated from AWS
  ansible.builtin.debug:
    msg: >-
      {{ namespace.secrets
         | selectattr('metadata.owner', 'defined') | selectattr('metadata.owner', 'equalto', 'team:billing')
         | selectattr('metadata.tags', 'defined') | selectattr('metadata.tags', 'contains', 'migrated-from-asm')
         | map(attribute='path') | list }}
"""

RETURN = r"""
exists:
  description: Whether the secret named by O(path) exists.
  returned: when O(path) is given
  type: bool
  sample: true
secret:
  description: Metadata of the secret named by O(path); empty when it does not exist. Same fields as RV(secrets[]).
  returned: when O(path) is given
  type: dict
  sample: {"path": "environments/production/billing/stripe", "version": 3, "secret_type": "json"}
missing:
  description: Paths of O(path) or O(paths) that hold no secret (soft-deleted ones included).
  returned: when O(path) or O(paths) is given
  type: list
  elements: str
  sample: ["environments/production/billing/not-migrated-yet"]
secrets:
  description:
    - Metadata of every secret found, in the order of O(paths), or sorted by path for O(prefix). No values.
  returned: always
  type: list
  elements: dict
  contains:
    path:
      description: Path of the secret.
      type: str
      sample: environments/production/billing/stripe
    version:
      description: Current version.
      type: int
      sample: 3
    secret_type:
      description: Type hint (C(kv), C(json), C(certificate), C(ssh_key), C(api_key)).
      type: str
      sample: json
    metadata:
      description: C(description), C(tags), C(owner) and custom keys.
      type: dict
      sample: {"owner": "team:billing", "tags": ["billing", "migrated-from-asm"]}
    source_name:
      description: The ASM name the secret was migrated from.
      returned: with O(source_region)
      type: str
      sample: prod/billing/stripe
    created_at:
      description: When the secret was first written.
      type: str
      sample: "2025-01-31T09:12:44.123456Z"
    updated_at:
      description: When the current version was written.
      type: str
      sample: "2025-03-02T17:01:09.000001Z"
    expires_at:
      description: When the secret expires, or null.
      type: str
      sample: null
    last_accessed_at:
      description: Last time the value was read, or null when it never was.
      type: str
      sample: "2025-03-04T08:00:00.000000Z"
    rotation_policy_id:
      description: Rotation policy attached to the secret, or null.
      type: str
      sample: rot_4f1c2a
    options:
      description:
        - Write options the server reports (C(max_versions), null = unbounded).
        - ScaiVault's documented secret object has no C(options) field, so this is normally absent.
      type: dict
      returned: when the server reports it
      sample: {"max_versions": 10}
count:
  description: Number of secrets in RV(secrets).
  returned: always
  type: int
  sample: 12
api_calls:
  description: ScaiVault requests made, per method and endpoint category, with C(total).
  returned: always
  type: dict
  sample: {"scaivault": {"POST batch_metadata": 1, "total": 1, "retries": 0, "rate_limited": 0}}
"""

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.errors import PlanError, ScaiVaultError
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.paths import PATH_RULES, check_paths, path_problems
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.provenance import recorded_source
from ansible_collections.scailabs.scaivault.plugins.module_utils._module_base import run_module
from ansible_collections.scailabs.scaivault.plugins.module_utils._plan.secret import public_view
from ansible_collections.scailabs.scaivault.plugins.module_utils._run.secret_reads import metadata_of

MAX_PAGE_SIZE = 1000


def argument_spec():
    return dict(
        path=dict(type="str"),
        paths=dict(type="list", elements="str"),
        prefix=dict(type="str"),
        page_size=dict(type="int", default=MAX_PAGE_SIZE),
        source_region=dict(type="str"),
        source_names=dict(type="list", elements="str"),
    )


def run(module):
    if module.params["prefix"] is not None:
        return under_prefix(module, module.params["prefix"])
    return by_path(module)


def check_prefix(prefix):
    """A prefix follows the path rules, except that it may end with '/' (or be empty)."""
    if prefix == "":
        return
    problems = path_problems(prefix[:-1] if prefix.endswith("/") and len(prefix) > 1 else prefix)
    if problems:
        raise PlanError("invalid prefix %r, nothing was sent: %s. %s; a prefix may also end with '/' or be empty"
                        % (prefix, "; ".join(problems), PATH_RULES))


def under_prefix(module, prefix):
    page_size = module.params["page_size"]
    check_prefix(prefix)
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise PlanError("page_size must be between 1 and %d, got %d" % (MAX_PAGE_SIZE, page_size))
    try:
        secrets = [public_view(item) for item in module.scaivault.list_secrets(prefix=prefix or None, limit=page_size)]
        if module.params["source_region"]:
            secrets = migrated_from(module, secrets)
    except ScaiVaultError as exc:
        module.fail_from(exc, "listing secrets under %r" % prefix, api_calls=module.api_calls())
    return dict(changed=False, secrets=secrets, count=len(secrets), api_calls=module.api_calls())


def federated_prefixes(backends):
    """The literal start (before the first wildcard) of every ScaiVault glob a federation backend serves."""
    prefixes = set()
    for backend in backends:
        for glob in (backend.get("path_mapping") or {}):
            prefixes.add(glob.split("*", 1)[0])
    return sorted(prefixes)


def migrated_from(module, secrets):
    """The listed secrets asm_migrate wrote from source_region (metadata.source), federated paths left out."""
    region, names = module.params["source_region"], module.params["source_names"]
    served = federated_prefixes(module.scaivault.list_backends())
    kept = []
    for secret in secrets:
        source = recorded_source(secret.get("metadata"))
        if not source or source["region"] != region or (names is not None and source["name"] not in names):
            continue
        if any(secret.get("path", "").startswith(prefix) for prefix in served):
            continue
        kept.append(dict(secret, source_name=source["name"]))
    return kept


def by_path(module):
    path = module.params["path"]
    wanted = check_paths([path] if path is not None else list(module.params["paths"]))
    if not wanted:
        return dict(changed=False, secrets=[], missing=[], count=0, api_calls={})
    try:
        secrets, missing = metadata_of(module.scaivault, wanted)
    except ScaiVaultError as exc:
        module.fail_from(exc, "reading metadata", api_calls=module.api_calls())
    result = dict(changed=False, missing=missing, secrets=secrets, count=len(secrets), api_calls=module.api_calls())
    if path is not None:
        result.update(exists=bool(secrets), secret=secrets[0] if secrets else {})
    return result


def main():
    run_module(run, argument_spec(), mutually_exclusive=[("path", "paths", "prefix")],
               required_one_of=[("path", "paths", "prefix")],
               required_by={"source_region": "prefix", "source_names": "source_region"})


if __name__ == "__main__":
    main()
