#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: scaivault_info
short_description: What a ScaiVault tenant is and does - identity, token scopes, rate limits, API capabilities
version_added: 0.2.0
author:
  - ScaiLabs platform engineering (@scailabs)
description:
  - Checks a ScaiVault tenant against every part of the API contract the collection relies on, the parts that
    ScaiVault's public documentation leaves open included (list envelopes, status codes, the batch-metadata
    route, the hard-delete flag, a metadata-only update, federation and rotation answer shapes), and reports per
    item what the tenant did and what the collection will do about it - C(native), C(fallback) (with its cost),
    C(broken) or C(unchecked). The collection's own client runs the checks, so what it reports is what a
    migration will do. See C(docs/scaivault-contract.md) in the collection.
  - Also returns the caller's identity and token scopes (C(GET /v1/auth/whoami), or C(POST /v1/auth/introspect)
    when whoami does not list the scopes) and the rate limits the answers announced in their C(X-RateLimit-*)
    headers.
  - With O(read_only=true) (the default) nothing is written and no secret value is read; a few items then stay
    C(unchecked) and are discovered by the first real use instead. With O(read_only=false) the checks also write,
    under O(scratch_prefix) only, a few scratch secrets (random values), one federation backend and one rotation
    policy named after the prefix, and remove all of it at the end (hard delete), whether the checks pass or not.
    The only values read are those scratch values.
  - Fails only when the server cannot be used at all (bad URL or token); problems are returned in RV(problems) and
    fail the task only with O(fail_on_problems=true). The C(scailabs.scaivault.preflight) playbook prints the table
    and stops on a problem.
extends_documentation_fragment:
  - scailabs.scaivault.scaivault
  - scailabs.scaivault.attributes.scaivault_group
attributes:
  check_mode:
    description: Runs the read-only checks whatever O(read_only) says; nothing is written.
    support: full
  diff_mode:
    description: Changes nothing, so there is no diff.
    support: none
options:
  read_only:
    description:
      - V(true) - only read-only checks (no write, no secret value read).
      - V(false) - also the checks that write under O(scratch_prefix) and remove what they wrote.
    type: bool
    default: true
  scratch_prefix:
    description:
      - Where the write checks may write (a ScaiVault path prefix). Unset - C(scaivault-preflight/<random hex>),
        new for each run. Secrets, and a federation backend mapping C(<scratch_prefix>/federated/**), are created
        only below it.
    type: str
  needed_scopes:
    description:
      - The token scopes the run needs; a missing one is a problem. Unset - what the runbook needs
        (C(secrets:list), C(secrets:read), C(secrets:write), C(federation:read), C(federation:write), C(admin),
        C(audit:read)).
    type: list
    elements: str
  federation_region:
    description: The AWS region of the scratch federation backend (its config; nothing is read from AWS).
    type: str
    default: us-east-1
  fail_on_problems:
    description: Fail the task when RV(problems) is not empty (the table is returned either way).
    type: bool
    default: false
notes:
  - The scratch federation backend is created in sync mode with a 24h interval, mapping names under
    C(scaivault-preflight/<random>/) that do not exist in ASM, and its sync is triggered once; the tenant may try
    to reach AWS Secrets Manager with its own role for it.
seealso:
  - module: scailabs.scaivault.scaivault_secret
  - module: scailabs.scaivault.asm_migrate
"""

EXAMPLES = r"""
- name: Check the tenant without writing anything
  scailabs.scaivault.scaivault_info:
  register: tenant

- name: Show what the collection will do on this tenant
  ansible.builtin.debug:
    msg: "{{ tenant.table }}"

- name: Stop when the token lacks a scope or a needed capability has no fallback
  ansible.builtin.assert:
    that: tenant.problems | length == 0
    fail_msg: "{{ tenant.problems }}"
    quiet: true

- name: Full check, writing only under a scratch prefix that is removed again
  scailabs.scaivault.scaivault_info:
    read_only: false
    fail_on_problems: true
  register: full
"""

RETURN = r"""
identity:
  description: The caller as C(GET /v1/auth/whoami) names it.
  returned: always
  type: dict
  sample: {"identity_id": "sa:migrator", "identity_type": "service_account", "tenant_id": "tnt_acme",
           "token_expires_at": "2026-12-01T17:00:00Z"}
scopes:
  description: The token's scopes; null when the tenant does not list them.
  returned: always
  type: list
  elements: str
  sample: ["admin", "federation:write", "secrets:list", "secrets:read", "secrets:write"]
missing_scopes:
  description: Scopes of O(needed_scopes) the token lacks.
  returned: always
  type: list
  elements: str
  sample: ["audit:read"]
rate_limits:
  description: Per endpoint category, the C(X-RateLimit-*) figures of the last answer seen.
  returned: always
  type: dict
  sample: {"list": {"limit": 100, "remaining": 97, "reset": 1764608400}}
capabilities:
  description:
    - Per contract item, C(tenant) (what it did), C(verdict) (V(native), V(fallback), V(broken), V(unchecked)),
      C(collection) (what the collection will do), C(cost) of the fallback, C(needed) (by the runbook), C(assumed)
      (the collection's first reading) and C(label).
  returned: always
  type: dict
  sample: {"batch_metadata": {"label": "batch metadata", "tenant": "has no batch-metadata route",
                              "verdict": "fallback", "collection": "reads metadata with POST /v1/secrets/batch",
                              "cost": "+1 read unit per path", "needed": true,
                              "assumed": "POST /v1/secrets/batch/metadata"}}
table:
  description: The same as text lines - item, what the tenant did, what the collection will do.
  returned: always
  type: list
  elements: str
summary:
  description: Items per verdict.
  returned: always
  type: dict
  sample: {"native": 15, "fallback": 4, "broken": 0, "unchecked": 2}
problems:
  description: What stops a migration - a needed capability without a fallback, missing scopes. Empty when none.
  returned: always
  type: list
  elements: str
read_only:
  description: Whether only the read-only checks ran.
  returned: always
  type: bool
scratch_prefix:
  description: Where the write checks wrote (everything there was removed).
  returned: when O(read_only=false)
  type: str
  sample: scaivault-preflight/3f9a0c12be47
left_behind:
  description: Scratch resources that could not be removed (with why); empty normally.
  returned: when O(read_only=false)
  type: list
  elements: str
api_calls:
  description: ScaiVault requests made, per method and endpoint category.
  returned: always
  type: dict
"""

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.paths import check_paths
from ansible_collections.scailabs.scaivault.plugins.module_utils._module_base import run_module
from ansible_collections.scailabs.scaivault.plugins.module_utils._plan.conformance import (
    RUNBOOK_SCOPES, evaluate, summary, table_lines)
from ansible_collections.scailabs.scaivault.plugins.module_utils._run.conformance import Checks, scratch_prefix


def argument_spec():
    return dict(
        read_only=dict(type="bool", default=True),
        scratch_prefix=dict(type="str"),
        needed_scopes=dict(type="list", elements="str"),
        federation_region=dict(type="str", default="us-east-1"),
        fail_on_problems=dict(type="bool", default=False),
    )


def run(module):
    params = module.params
    read_only = params["read_only"] or module.check_mode
    prefix = (params["scratch_prefix"] or scratch_prefix()).strip("/")
    check_paths([prefix + "/a"])
    checks = Checks(module.scaivault, prefix, read_only=read_only,
                    federation_region=params["federation_region"]).run()
    needed = params["needed_scopes"] if params["needed_scopes"] is not None else list(RUNBOOK_SCOPES)
    rows, problems, missing = evaluate(checks.observations, checks.scopes, needed)
    result = dict(
        changed=False, identity=checks.identity, scopes=checks.scopes, missing_scopes=missing,
        rate_limits=module.scaivault.rate_limits_seen(),
        capabilities=dict((row["item"], dict((key, value) for key, value in row.items() if key != "item"))
                          for row in rows),
        table=table_lines(rows), summary=summary(rows), problems=problems, read_only=read_only,
        api_calls=module.api_calls())
    if not read_only:
        result["scratch_prefix"] = prefix
        result["left_behind"] = list(checks.left_behind)
        if checks.left_behind:
            module.warn("could not remove every scratch resource: %s" % "; ".join(checks.left_behind))
    if params["fail_on_problems"] and problems:
        module.fail("ScaiVault preflight: %s" % "; ".join(problems), **result)
    return result


def main():
    run_module(run, argument_spec())


if __name__ == "__main__":
    main()
