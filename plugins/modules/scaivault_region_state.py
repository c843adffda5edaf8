#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: scaivault_region_state
short_description: Tell whether an ASM region is where the runbook's last full run left it, or record that it is
version_added: 0.2.0
author:
  - ScaiLabs platform engineering (@scailabs)
description:
  - Lets C(playbooks/migrate.yml) skip its changing phases (inventory, federation, migrate, rotation, verify) as a
    whole on a region where nothing changed since its last full run, with one module run per region instead of a
    dozen. The record lives in ScaiVault (O(record_path)), so a fresh AWX node finds it.
  - "With O(record=false) (the default) the module reads, in one run: the record; the run lock; ASM's listing of
    the region's secrets (metadata only, C(ListSecrets) filtered by the namespaces' prefixes and names); the
    ScaiVault secrets under the static prefixes of the namespaces' target templates (metadata only); the
    federation backends of the region; the named rotation policies and webhooks; and, when O(credentials) are
    given, whether ScaiVault holds exactly those reader credentials at O(credentials_path) (compared inside the
    module). It reduces each
    part to a digest and compares it with the record. RV(reached) is true only when every part is equal and no
    other run holds the lock."
  - "With O(record=true) it reads the same parts and stores their digests with O(summary) at O(record_path)
    (a C(json) secret), unless an equal record is there. The playbook records only after a run in which every
    changing phase ran and nothing failed."
  - "Conservative: only fields known to change without a change of state (read timestamps, sync status, delivery
    bookkeeping) are left out of the digests. A ScaiVault that adds another such field makes every run a full one,
    never a wrong skip; RV(reasons) names the part that differed."
  - Values never leave the module. The record holds SHA-256 digests of metadata and the run's summary (names and
    counts); O(credentials) is C(no_log), and neither it nor O(inputs) is returned.
extends_documentation_fragment:
  - scailabs.scaivault.scaivault
  - scailabs.scaivault.aws
  - scailabs.scaivault.attributes.both_groups
attributes:
  check_mode:
    description: O(record=false) only reads. With O(record=true) check mode reports whether the record would be
      written and writes nothing.
    support: full
  diff_mode:
    description: With O(record=true), the record's parts before and after (digests and counts only).
    support: full
options:
  record_path:
    description:
      - ScaiVault path of the region's record, one per inventory host (account and region). Keep it outside the
        namespaces' targets; it is left out of the target listing in any case.
    type: str
    required: true
  record:
    description:
      - false - compare the region with its record (read-only).
      - true - store the region's current state as its record (a write to O(record_path) when it differs).
    type: bool
    default: false
  inputs:
    description:
      - Everything of the run's input that decides what the phases do (the playbook passes the region host's
        C(scaivault_*) and role variables, without connection settings and secrets). Only its digest is kept;
        the collection version is added to it, so an upgrade runs every region fully once.
      - Never returned; the echoed module arguments show only how many variables it holds. Leave secrets out
        (their digest would be stored); compare them by value with O(credentials).
    type: dict
    default: {}
  namespaces:
    description:
      - The region's namespaces (C(scaivault_namespaces)) - C(prefixes), C(names) and C(mapping) are read. They
        select the ASM secrets and give the ScaiVault prefixes whose secrets are compared.
    type: list
    elements: dict
    required: true
  asm_prefixes:
    description: More ASM name prefixes to compare (the inventory phase's C(scaivault_prefixes)).
    type: list
    elements: str
    default: []
  backend:
    description: The region's federation backend (compared with every backend whose C(config.region) is O(region)).
    type: str
  credentials_path:
    description: ScaiVault path of the federation reader credentials (see O(credentials)).
    type: str
  credentials:
    description:
      - The federation reader credentials the federation phase stores at O(credentials_path). The module reads
        that path and compares its data with these inside the module; neither is returned.
    type: dict
  rotation_policies:
    description: Names of the rotation policies of the region's option A groups.
    type: list
    elements: str
    default: []
  webhooks:
    description: Names of the webhooks of the region's option A groups.
    type: list
    elements: str
    default: []
  lock_name:
    description: The run lock's ASM secret name (see M(scailabs.scaivault.asm_run_lock)); a held lock means another
      run is changing the region, so it is not at its recorded state.
    type: str
    default: scaivault-runbook-lock
  summary:
    description:
      - With O(record=true), what the run found (counts and names per phase, never values), returned as
        RV(record.summary) by later runs that skip the phases.
    type: dict
    default: {}
  job:
    description: Who records (an AWX job id, a user), stored with the record.
    type: str
    default: ""
notes:
  - "Required ScaiVault scopes: C(secrets:read) (read the record and the targets' metadata), C(secrets:write) under
    O(record_path) for O(record=true), C(federation:read), C(rotation:read), C(webhooks:read). AWS:
    C(secretsmanager:ListSecrets) and C(secretsmanager:DescribeSecret) (the lock)."
seealso:
  - module: scailabs.scaivault.asm_run_lock
  - module: scailabs.scaivault.asm_migrate
"""

EXAMPLES = r"""
# The three tasks share their arguments through module_defaults (as playbooks/migrate.yml does).
- name: Compare, then record, the state of a region
  module_defaults:
    scailabs.scaivault.scaivault_region_state:
      region: us-east-1
      record_path: infra/scaivault-runbook/prod-us-east-1
      inputs: "{{ {'namespaces': scaivault_namespaces, 'rotation_groups': scaivault_rotation_groups} }}"
      namespaces: "{{ scaivault_namespaces }}"
      backend: aws-us-east-1
  block:
    - name: Is the region where its last full run left it?
      scailabs.scaivault.scaivault_region_state:
      register: region_state

    - name: Record the state after a full, successful run
      scailabs.scaivault.scaivault_region_state:
        record: true
        summary:
          migrate: {total: 5, skipped: []}
      when: not region_state.reached

    - name: Nothing changed since - the phases can be skipped
      scailabs.scaivault.scaivault_region_state:
      register: region_state_again
      failed_when: not region_state_again.reached
"""

RETURN = r"""
reached:
  description: >-
    Whether every part equals the record and no other run holds the lock (O(record=false)); with O(record=true),
    whether the record was already equal (nothing written).
  returned: always
  type: bool
  sample: true
reasons:
  description: Why not - one line per differing part, or the missing record, or the lock's holder.
  returned: always
  type: list
  elements: str
  sample: ["the ASM secrets of the region changed (5 then, 6 now)"]
record:
  description: >-
    The record as stored before this task - C(recorded_at), C(job), C(collection_version), C(summary) (the
    recording run's counts and names per phase); empty when there is none.
  returned: always
  type: dict
  sample: {"recorded_at": "2026-12-01T22:10:04Z", "job": "awx-job-41", "summary": {"migrate": {"total": 5}}}
  contains:
    recorded_at:
      description: When the record was written (UTC).
      type: str
    job:
      description: O(job) of the recording run.
      type: str
    collection_version:
      description: The collection version that wrote it.
      type: str
    summary:
      description: O(summary) of the recording run.
      type: dict
changed:
  description: With O(record=true), whether the record was (or in check mode would be) written.
  returned: always
  type: bool
diff:
  description: With O(record=true) in diff mode, the parts before and after (digests and counts).
  returned: when diff mode is on and O(record=true)
  type: dict
api_calls:
  description: API calls this run made, per service and operation.
  returned: always
  type: dict
"""

import time

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.errors import CollectionError
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.version import COLLECTION_VERSION
from ansible_collections.scailabs.scaivault.plugins.module_utils._module_base import run_module
from ansible_collections.scailabs.scaivault.plugins.module_utils._plan.region_state import record_document
from ansible_collections.scailabs.scaivault.plugins.module_utils._run import region_state


def argument_spec():
    return dict(
        record_path=dict(type="str", required=True),
        record=dict(type="bool", default=False),
        inputs=dict(type="dict", default={}),
        namespaces=dict(type="list", elements="dict", required=True),
        asm_prefixes=dict(type="list", elements="str", default=[]),
        backend=dict(type="str"),
        credentials_path=dict(type="str"),
        credentials=dict(type="dict", no_log=True),
        rotation_policies=dict(type="list", elements="str", default=[]),
        webhooks=dict(type="list", elements="str", default=[]),
        lock_name=dict(type="str", default="scaivault-runbook-lock"),
        summary=dict(type="dict", default={}),
        job=dict(type="str", default=""),
    )


def shown(record):
    """The record without its digests (they mean nothing to a reader)."""
    if not isinstance(record, dict):
        return {}
    return dict((key, record.get(key)) for key in ("recorded_at", "job", "collection_version", "summary"))


def inputs_view(inputs):
    """What the invocation echo shows of O(inputs): only its size (host variables are digested, never shown)."""
    return "%d variable(s), digested" % len(inputs)


def run(module):
    params = module.params
    spec = dict(params, credentials={"path": params["credentials_path"], "data": params["credentials"]})
    try:
        if not params["record"]:
            reached, reasons, record = region_state.compare(module.asm, module.scaivault, spec)
            return dict(changed=False, reached=reached, reasons=reasons, record=shown(record),
                        api_calls=module.api_calls())
        current = region_state.read_current(module.asm, module.scaivault, spec)
        document = record_document(current, params["summary"], time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                                   job=params["job"], collection_version=COLLECTION_VERSION)
        changed, previous = region_state.write_record(module.scaivault, params["record_path"], document,
                                                      check_mode=module.check_mode)
    except CollectionError as exc:
        module.fail_from(exc, "the state record %s of region %s" % (params["record_path"], params["region"]),
                         api_calls=module.api_calls())
    result = dict(changed=changed, reached=not changed, reasons=[], record=shown(previous), api_calls=module.api_calls())
    if module.diff_mode:
        result["diff"] = {"before": (previous or {}).get("parts", {}) if isinstance(previous, dict) else {},
                          "after": document["parts"]}
    return result


def main():
    run_module(run, argument_spec(), asm=True, option_views={"inputs": inputs_view},
               required_by={"credentials": "credentials_path"})


if __name__ == "__main__":
    main()
