#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: scaivault_federation_info
short_description: List ScaiVault federation backends and their status
version_added: 0.1.0
author:
  - ScaiLabs platform engineering (@scailabs)
description:
  - Return every federation backend of the tenant, or the one named O(name), each with its status
    (health, last sync, number of secrets synced, connection, and the errors the backend reports).
  - Read-only; never returns secret values, and masks credential-like backend config values.
extends_documentation_fragment:
  - scailabs.scaivault.scaivault
  - scailabs.scaivault.attributes.scaivault_group
  - scailabs.scaivault.read_only
options:
  name:
    description:
      - Only the backend with this name. Without it, every backend is returned.
      - A name that does not exist gives an empty RV(backends) list, not a failure.
    type: str
  status:
    description:
      - Also read each backend's status (one extra request per backend).
    type: bool
    default: true
notes:
  - Needs a token with the C(federation:read) scope.
seealso:
  - module: scailabs.scaivault.scaivault_federation
  - module: scailabs.scaivault.scaivault_federation_verify
"""

EXAMPLES = r"""
- name: All federation backends with their status
  scailabs.scaivault.scaivault_federation_info:
  register: federation

- name: Backends that report problems
  ansible.builtin.debug:
    msg: "{{ item.name }}: {{ item.status.status }} {{ item.status.errors | map(attribute='message') | list }}"
  loop: "{{ federation.backends | selectattr('status.status', 'in', ['degraded', 'error']) | list }}"
  loop_control:
    label: "{{ item.name }}"

- name: One backend, without the status call
  scailabs.scaivault.scaivault_federation_info:
    name: aws-us-east-1
    status: false
  register: one
"""

RETURN = r"""
backends:
  description:
    - The backends, sorted by name. Credential-like values in their C(config) are masked.
    - Each backend has the fields of RV(scailabs.scaivault.scaivault_federation#module:backend) (C(id), C(name),
      C(type), C(config), C(path_mapping), C(mode), C(sync_interval), C(transform)), and those listed here.
  returned: always
  type: list
  elements: dict
  sample: [{"id": "fed_3f2a9c1b7d4e", "name": "aws-us-east-1", "type": "aws-secrets-manager",
            "config": {"region": "us-east-1", "credentials_path": "infra/aws/sm-reader"},
            "path_mapping": {"external/aws/**": "prod/**"}, "mode": "sync", "sync_interval": "15m",
            "status": {"status": "healthy", "secrets_synced": 42}}]
  contains:
    created_at:
      description: When the backend was created, when the server reports it.
      type: str
    updated_at:
      description: When the backend was last changed, when the server reports it.
      type: str
    status:
      description:
        - The backend status, C({id, name, status, last_sync, last_sync_duration_ms, secrets_synced, connection,
          errors}); the same fields as RV(scailabs.scaivault.scaivault_federation#module:status).
        - C(status.status) is V(pending), V(healthy), V(degraded) or V(error).
      returned: when O(status=true)
      type: dict
      sample: {"status": "healthy", "last_sync": "2026-11-29T10:15:00Z", "last_sync_duration_ms": 120,
               "secrets_synced": 42, "connection": {"status": "connected", "latency_ms": 4}, "errors": []}
"""

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.errors import ScaiVaultError
from ansible_collections.scailabs.scaivault.plugins.module_utils._module_base import run_module
from ansible_collections.scailabs.scaivault.plugins.module_utils._plan.federation import backend_view


def argument_spec():
    return dict(
        name=dict(type="str"),
        status=dict(type="bool", default=True),
    )


def run(module):
    name = module.params["name"]
    client = module.scaivault
    try:
        found = client.list_backends()
    except ScaiVaultError as exc:
        module.fail_from(exc, action="listing federation backends")
    if name is not None:
        found = [backend for backend in found if backend.get("name") == name]
    backends = []
    for backend in sorted(found, key=lambda item: item.get("name") or ""):
        view = backend_view(backend, extra_fields=("created_at", "updated_at"))
        if module.params["status"] and backend.get("id"):
            try:
                view["status"] = client.backend_status(backend["id"])
            except ScaiVaultError as exc:
                module.fail_from(exc, action="reading the status of federation backend %s" % backend.get("name"))
        backends.append(view)
    return dict(changed=False, backends=backends)


def main():
    run_module(run, argument_spec())


if __name__ == "__main__":
    main()
