#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: scaivault_policy_info
short_description: List ScaiVault access policies with their rules and bindings
version_added: 0.2.0
author:
  - ScaiLabs platform engineering (@scailabs)
description:
  - Return every access policy of the tenant, or the one named O(name), with its rules and the identities bound to it.
  - Read-only. Needs a token with C(policies:read).
extends_documentation_fragment:
  - scailabs.scaivault.scaivault
  - scailabs.scaivault.attributes.scaivault_group
  - scailabs.scaivault.read_only
options:
  name:
    description:
      - Only the policy with this name. A name that does not exist gives an empty RV(policies) list.
    type: str
seealso:
  - module: scailabs.scaivault.scaivault_policy
"""

EXAMPLES = r"""
- name: Which identities may read what
  scailabs.scaivault.scaivault_policy_info:
  register: access

- name: One policy
  scailabs.scaivault.scaivault_policy_info:
    name: consumers-billing-read
"""

RETURN = r"""
policies:
  description: The policies, sorted by name (one request per policy for its rules and bindings).
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Policy id (C(pol_...)).
      type: str
    name:
      description: Name.
      type: str
    description:
      description: Description.
      type: str
    is_active:
      description: Whether the policy is evaluated.
      type: bool
    rules:
      description: Rules (C(path_pattern), sorted C(permissions), C(conditions) when set), sorted.
      type: list
      elements: dict
    bindings:
      description: Bound identities (C(identity_type), C(identity_id)), sorted.
      type: list
      elements: dict
"""

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.errors import ScaiVaultError
from ansible_collections.scailabs.scaivault.plugins.module_utils._module_base import run_module
from ansible_collections.scailabs.scaivault.plugins.module_utils._plan.access_policy import policy_view
from ansible_collections.scailabs.scaivault.plugins.module_utils._run.access import find_policy, stored_policies


def argument_spec():
    return dict(name=dict(type="str"))


def run(module):
    name = module.params["name"]
    try:
        _by_name, summaries = stored_policies(module.scaivault)
        names = sorted(set(item.get("name") for item in summaries if name is None or item.get("name") == name))
        policies = [policy_view(find_policy(module.scaivault, item, summaries)) for item in names]
    except ScaiVaultError as exc:
        module.fail_from(exc, "listing access policies")
    return dict(changed=False, policies=policies)


def main():
    run_module(run, argument_spec())


if __name__ == "__main__":
    main()
