#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: scaivault_policy
short_description: Manage ScaiVault access policies and their bindings to identities
version_added: 0.2.0
author:
  - ScaiLabs platform engineering (@scailabs)
description:
  - Creates, updates or deletes ScaiVault access policies (rules of path globs and permissions) and binds them to
    identities (users, service accounts, groups). A policy is found by its name.
  - Manages one policy (O(name)), several (O(policies)), or the read policies of the runbook's consumers
    (O(consumers) with O(namespaces)) - one policy per namespace that a consumer lists, granting C(read) on the
    ScaiVault paths its mapping rules give, bound to every consumer that lists it. After migration this is what
    lets the applications read their new paths before they are switched (step 6 of the runbook).
  - Rules compare as a set (order and repeats never count). Options left unset leave the stored policy alone;
    bindings not listed stay unless O(purge_bindings=true).
  - Needs a token with C(policies:read) and C(policies:write); O(consumers) also lists secrets (C(secrets:list)) only
    through M(scailabs.scaivault.scaivault_policy_test), never here.
extends_documentation_fragment:
  - scailabs.scaivault.scaivault
  - scailabs.scaivault.attributes.scaivault_group
attributes:
  check_mode:
    description: Plans every create, rule change, binding and deletion, and writes nothing.
    support: full
  diff_mode:
    description: Shows each policy's rules and bindings before and after.
    support: full
options:
  name:
    description:
      - Name of the one policy to manage. Mutually exclusive with O(policies) and O(consumers).
    type: str
  state:
    description:
      - V(present) creates or updates; V(absent) deletes the policy and its bindings.
      - With O(policies), each item may set its own C(state).
    type: str
    choices: [present, absent]
    default: present
  description:
    description: Free text. Unset leaves it alone.
    type: str
  rules:
    description:
      - The rules, replacing the stored ones when they differ. Required to create a policy.
    type: list
    elements: dict
    suboptions:
      path_pattern:
        description: Glob of secret paths; C(*) one segment, C(**) any number, C(?) one character.
        type: str
        required: true
      permissions:
        description: Any of V(read), V(write), V(delete), V(list), V(rotate), V(admin).
        type: list
        elements: str
        required: true
      conditions:
        description: ScaiVault rule conditions, for example C(ip_ranges) and C(require_mfa).
        type: dict
  bindings:
    description:
      - Identities bound to the policy. Listed ones are added; unlisted ones stay unless O(purge_bindings).
    type: list
    elements: dict
    suboptions:
      identity_id:
        description: The ScaiKey identity, for example C(sa:billing-api) or C(group:developers).
        type: str
        required: true
      identity_type:
        description: V(user), V(service_account) or V(group); unset means V(service_account) for C(sa:...),
          V(group) for C(group:...) and V(user) otherwise.
        type: str
        choices: [user, service_account, group]
      expires_at:
        description: When the binding expires (ISO-8601).
        type: str
  purge_bindings:
    description: Remove bindings that O(bindings) (or the consumers) do not list.
    type: bool
    default: false
  policies:
    description:
      - Several policies in one task, each a dict with C(name) and optionally C(state), C(description), C(rules) and
        C(bindings) as above.
    type: list
    elements: dict
  consumers:
    description:
      - The applications that read migrated secrets, each C({identity, namespaces}) (the host variable
        C(consumers) of the runbook). With O(namespaces), the module manages one read policy per namespace
        that some consumer lists, named after O(policy_name).
    type: list
    elements: dict
  namespaces:
    description:
      - The migrate role's namespaces (C(name), C(prefixes), C(names), C(mapping)), for O(consumers).
    type: list
    elements: dict
  policy_name:
    description: Name of each consumer read policy; C({namespace}) is replaced by the namespace's name.
    type: str
    default: consumers-{namespace}-read
seealso:
  - module: scailabs.scaivault.scaivault_policy_info
  - module: scailabs.scaivault.scaivault_policy_test
"""

EXAMPLES = r"""
- name: Developers read production from the VPN
  scailabs.scaivault.scaivault_policy:
    name: production-read-only
    description: Developers read production secrets
    rules:
      - path_pattern: environments/production/**
        permissions: [read, list]
        conditions:
          ip_ranges: [10.0.0.0/8]
    bindings:
      - identity_id: group:developers

- name: Let each consumer read the namespaces it uses (one policy per namespace)
  scailabs.scaivault.scaivault_policy:
    consumers:
      - identity: sa:billing-api
        namespaces: [billing]
    namespaces:
      - name: billing
        prefixes: [prod/billing/]
        mapping:
          - match: prod/billing/**
            path: environments/production/billing/**

- name: Remove a policy and its bindings
  scailabs.scaivault.scaivault_policy:
    name: production-read-only
    state: absent
"""

RETURN = r"""
policies:
  description: Each managed policy after the task (in check mode, as it would be), sorted by name.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Policy name.
      type: str
    changed:
      description: Whether this policy was (or would be) created, changed or deleted.
      type: bool
    changed_fields:
      description: Policy fields created or changed (C(rules), C(description)).
      type: list
      elements: str
    bindings_added:
      description: Identities bound by this task.
      type: list
      elements: str
    bindings_removed:
      description: Identities unbound by this task.
      type: list
      elements: str
    policy:
      description: The policy (id, name, description, is_active, normalized rules, bindings); empty when absent.
      type: dict
policy:
  description: The one policy of O(name) (the first item of RV(policies)).
  returned: when O(name) is set
  type: dict
"""

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.errors import PlanError, ScaiVaultError
from ansible_collections.scailabs.scaivault.plugins.module_utils._module_base import run_module
from ansible_collections.scailabs.scaivault.plugins.module_utils._plan.access_policy import consumer_policies
from ansible_collections.scailabs.scaivault.plugins.module_utils._run.access import apply_policy, stored_policies

RULE_SPEC = dict(path_pattern=dict(type="str", required=True), permissions=dict(type="list", elements="str", required=True),
                 conditions=dict(type="dict"))
BINDING_SPEC = dict(identity_id=dict(type="str", required=True),
                    identity_type=dict(type="str", choices=["user", "service_account", "group"]),
                    expires_at=dict(type="str"))


def argument_spec():
    return dict(
        name=dict(type="str"),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        description=dict(type="str"),
        rules=dict(type="list", elements="dict", options=RULE_SPEC),
        bindings=dict(type="list", elements="dict", options=BINDING_SPEC),
        purge_bindings=dict(type="bool", default=False),
        policies=dict(type="list", elements="dict"),
        consumers=dict(type="list", elements="dict"),
        namespaces=dict(type="list", elements="dict"),
        policy_name=dict(type="str", default="consumers-{namespace}-read"),
    )


def wanted_specs(params):
    if params["name"]:
        return [dict((key, params[key]) for key in ("name", "state", "description", "rules", "bindings"))]
    if params["policies"] is not None:
        specs = []
        for index, item in enumerate(params["policies"]):
            if not isinstance(item, dict) or not item.get("name"):
                raise PlanError("policies[%d] needs a name" % index)
            specs.append(dict(item, state=item.get("state") or params["state"]))
        return specs
    return [dict(policy, state=params["state"]) for policy in consumer_policies(
        params["namespaces"], params["consumers"], params["policy_name"])]


def run(module):
    params = module.params
    try:
        specs = wanted_specs(params)
        _by_name, summaries = stored_policies(module.scaivault)
        outcomes = []
        for spec in specs:
            try:
                outcomes.append(apply_policy(module.scaivault, spec, summaries, params["purge_bindings"], module.check_mode))
            except (PlanError, ScaiVaultError) as exc:
                module.fail_from(exc, "access policy %s" % spec["name"], policies=[public(item) for item in outcomes])
    except (PlanError, ScaiVaultError) as exc:
        module.fail_from(exc, "access policies")
    outcomes.sort(key=lambda item: item["name"])
    result = dict(changed=any(item["changed"] for item in outcomes), policies=[public(item) for item in outcomes])
    if params["name"]:
        result["policy"] = outcomes[0]["policy"]
    if module.diff_mode:
        result["diff"] = {"before": dict((item["name"], item["before"]) for item in outcomes),
                          "after": dict((item["name"], item["after"]) for item in outcomes)}
    return result


def public(outcome):
    return dict((key, value) for key, value in outcome.items() if key not in ("before", "after"))


def main():
    run_module(run, argument_spec(), mutually_exclusive=[("name", "policies", "consumers")],
               required_one_of=[("name", "policies", "consumers")], required_together=[("consumers", "namespaces")])


if __name__ == "__main__":
    main()
