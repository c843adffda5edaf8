#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: scaivault_policy_test
short_description: Ask ScaiVault whether identities may read (or write...) given paths
version_added: 0.2.0
author:
  - ScaiLabs platform engineering (@scailabs)
description:
  - Asks ScaiVault's dry-run access check (C(POST /v1/policies/test)) for every (identity, path, permission) and
    returns allowed or denied for each. Nothing is read or written, and ScaiVault does not audit the checks.
  - With O(consumers) and O(namespaces), checks that every consumer can read every migrated secret of the
    namespaces it lists (the secrets are found by listing, metadata only) - the gate before consumers are switched
    to their new paths.
  - Needs a token with C(policies:read) (and C(secrets:list) for O(consumers)).
extends_documentation_fragment:
  - scailabs.scaivault.scaivault
  - scailabs.scaivault.attributes.scaivault_group
attributes:
  check_mode:
    description: The checks are dry runs already; check mode asks them too and returns the same.
    support: full
  diff_mode:
    description: Never changes anything, so there is no diff to show.
    support: none
options:
  checks:
    description: The questions, one per (identity, path, permission).
    type: list
    elements: dict
    suboptions:
      identity_id:
        description: The ScaiKey identity, for example C(sa:billing-api).
        type: str
        required: true
      path:
        description: The secret path.
        type: str
        required: true
      permission:
        description: The permission asked.
        type: str
        choices: [read, write, delete, list, rotate, admin]
        default: read
  consumers:
    description:
      - The applications that read migrated secrets, each C({identity, namespaces}), with O(namespaces).
    type: list
    elements: dict
  namespaces:
    description: The migrate role's namespaces (C(name), C(prefixes), C(names), C(mapping)), for O(consumers).
    type: list
    elements: dict
  fail_on_denied:
    description: Fail the task when any check is denied, naming the identities and paths (after all checks ran).
    type: bool
    default: false
seealso:
  - module: scailabs.scaivault.scaivault_policy
"""

EXAMPLES = r"""
- name: Can the billing app read its new path?
  scailabs.scaivault.scaivault_policy_test:
    checks:
      - identity_id: sa:billing-api
        path: environments/production/billing/stripe

- name: Every consumer can read its namespaces' migrated secrets, or stop before the cutover
  scailabs.scaivault.scaivault_policy_test:
    consumers: "{{ consumers }}"
    namespaces: "{{ scaivault_namespaces }}"
    fail_on_denied: true
"""

RETURN = r"""
results:
  description: One item per check, in the order asked.
  returned: always
  type: list
  elements: dict
  contains:
    identity_id:
      description: Who.
      type: str
    path:
      description: Which secret path.
      type: str
    permission:
      description: Which permission.
      type: str
    allowed:
      description: ScaiVault's answer.
      type: bool
    matched_policy_id:
      description: The policy that allows it, when ScaiVault says.
      type: str
    namespace:
      description: The namespace of the path (O(consumers) only).
      type: str
allowed:
  description: Whether every check is allowed.
  returned: always
  type: bool
denied:
  description: The denied checks as C(identity_id permission path).
  returned: always
  type: list
  elements: str
empty_patterns:
  description: Path globs of consumer namespaces that hold no secret yet (nothing to check there).
  returned: always
  type: list
  elements: str
"""

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.errors import PlanError, ScaiVaultError
from ansible_collections.scailabs.scaivault.plugins.module_utils._module_base import run_module
from ansible_collections.scailabs.scaivault.plugins.module_utils._plan.access_policy import PERMISSIONS, consumer_policies
from ansible_collections.scailabs.scaivault.plugins.module_utils._run.access import consumer_checks, run_checks


def argument_spec():
    return dict(
        checks=dict(type="list", elements="dict", options=dict(
            identity_id=dict(type="str", required=True), path=dict(type="str", required=True),
            permission=dict(type="str", default="read", choices=list(PERMISSIONS)))),
        consumers=dict(type="list", elements="dict"),
        namespaces=dict(type="list", elements="dict"),
        fail_on_denied=dict(type="bool", default=False),
    )


def run(module):
    params = module.params
    checks, empty = list(params["checks"] or []), []
    try:
        if params["consumers"] is not None:
            more, empty = consumer_checks(module.scaivault, consumer_policies(params["namespaces"], params["consumers"]))
            checks.extend(more)
        namespaces = [check.get("namespace") for check in checks]
        results = run_checks(module.scaivault, checks)
    except (PlanError, ScaiVaultError) as exc:
        module.fail_from(exc, "access checks")
    for result, namespace in zip(results, namespaces):
        if namespace:
            result["namespace"] = namespace
    denied = ["%s %s %s" % (item["identity_id"], item["permission"], item["path"]) for item in results if not item["allowed"]]
    result = dict(changed=False, results=results, allowed=not denied, denied=denied, empty_patterns=sorted(empty))
    if denied and params["fail_on_denied"]:
        module.fail("%d of %d access check(s) denied: %s. Bind the identities to a policy that grants it "
                    "(scailabs.scaivault.scaivault_policy) before switching them" % (
                        len(denied), len(results), "; ".join(denied[:20])), **result)
    return result


def main():
    run_module(run, argument_spec(), required_one_of=[("checks", "consumers")], required_together=[("consumers", "namespaces")])


if __name__ == "__main__":
    main()
