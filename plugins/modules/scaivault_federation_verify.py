#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: scaivault_federation_verify
short_description: Prove that federated ScaiVault paths return what AWS Secrets Manager holds
version_added: 0.1.0
author:
  - ScaiLabs platform engineering (@scailabs)
description:
  - Runbook step 4, "verify one read". For each secret, reads the C(AWSCURRENT) value from AWS Secrets Manager
    (with this task's own AWS identity) and the ScaiVault path that federates it (a normal read, as a consumer
    would do it), then compares them.
  - "The ASM value is encoded the way federation stores it (a JSON-object C(SecretString) as the object, any other
    C(SecretString) as C({value: ...}), C(SecretBinary) as C({value_base64: ...})) and compared structurally
    with the ScaiVault data, so JSON key order and spacing do not count."
  - Neither value is ever returned or printed. Each row carries salted fingerprints of both sides (equal when the
    values are equal; the salt is random per run and never leaves the module, so a fingerprint cannot be
    reversed or compared with another run's), the ASM C(VersionId) and the one ScaiVault records in
    C(metadata.source), and the names of the data keys that differ.
  - Read-only on both sides. The ScaiVault read is audited as C(read) of the path (for a proxy backend it is
    the live read being verified); discount this task's identity when you later look for remaining readers.
extends_documentation_fragment:
  - scailabs.scaivault.scaivault
  - scailabs.scaivault.aws
  - scailabs.scaivault.attributes.both_groups
attributes:
  check_mode:
    description: The module only reads, so check mode runs the same comparison.
    support: full
  diff_mode:
    description: Only reads, so there is no diff to show; RV(secrets) tells what differs.
    support: none
options:
  backend:
    description:
      - Name of the federation backend that serves the paths. Its C(path_mapping) turns each of O(paths) into the
        ASM name to compare with, and its C(config.region) is the AWS region read (it wins over O(region) and the
        environment; the module warns when an explicit O(region) differs).
      - Required with O(paths).
    type: str
  paths:
    description:
      - ScaiVault paths to verify, for example C(external/aws/billing/stripe); each is mapped to its ASM name through
        the O(backend)'s C(path_mapping).
    type: list
    elements: str
  secrets:
    description:
      - Explicit pairs to verify, without going through a backend's mapping.
    type: list
    elements: dict
    suboptions:
      path:
        description: The ScaiVault path.
        type: str
        required: true
      name:
        description: The ASM secret name (or ARN) that the path must mirror.
        type: str
        required: true
  fail_on_mismatch:
    description:
      - Fail when any secret is not a V(match) (values differ, one side is missing, or a read failed). With
        V(false) the module only reports, and RV(all_match) tells the outcome.
    type: bool
    default: true
notes:
  - Needs C(secrets:read) on the paths (and C(federation:read) with O(backend)), and C(secretsmanager:GetSecretValue)
    (plus C(BatchGetSecretValue), used 20 secrets per call when allowed) for the AWS identity of the task.
  - One O(backend) means one region; verify several regions with several tasks.
seealso:
  - module: scailabs.scaivault.scaivault_federation
  - module: scailabs.scaivault.scaivault_federation_info
"""

EXAMPLES = r"""
# ScaiVault connection from SCAIVAULT_URL / SCAIVAULT_TOKEN, AWS from the usual AWS_* environment.
- name: Federate prod/** of us-east-1 at external/aws/**
  scailabs.scaivault.scaivault_federation:
    name: aws-us-east-1
    config:
      region: us-east-1
    path_mapping:
      external/aws/**: prod/**
    mode: proxy

- name: Verify that external/aws/billing/stripe returns what ASM holds at prod/billing/stripe
  scailabs.scaivault.scaivault_federation_verify:
    backend: aws-us-east-1
    paths:
      - external/aws/billing/stripe
    fail_on_mismatch: false
  register: verified

- name: Show the outcome (fingerprints only, never values)
  ansible.builtin.debug:
    msg: "{{ item.path }} <- {{ item.name }}: {{ item.status }} ({{ item.scaivault_fingerprint }})"
  loop: "{{ verified.secrets }}"
  loop_control:
    label: "{{ item.path }}"

- name: Verify an explicit pair in another region, without a backend
  scailabs.scaivault.scaivault_federation_verify:
    region: eu-west-1
    secrets:
      - path: external/aws-eu/billing/stripe
        name: prod/billing/stripe
    fail_on_mismatch: false
"""

RETURN = r"""
all_match:
  description: Whether every secret is a V(match).
  returned: always
  type: bool
  sample: true
summary:
  description: Number of secrets per status.
  returned: always
  type: dict
  sample: {"match": 1, "mismatch": 0, "missing_in_scaivault": 0, "missing_in_asm": 0, "error": 0}
region:
  description: The AWS region read.
  returned: always
  type: str
  sample: us-east-1
api_calls:
  description: Requests this run spent, per service (C(scaivault), C(asm)) and operation.
  returned: always
  type: dict
  sample: {"asm": {"BatchGetSecretValue": 1, "total": 1, "retries": 0}}
secrets:
  description: One row per secret, in the order given. No row contains a value.
  returned: always
  type: list
  elements: dict
  contains:
    path:
      description: The ScaiVault path.
      type: str
      sample: external/aws/billing/stripe
    name:
      description: The ASM secret name compared with; null when the backend's mapping serves nothing at the path.
      type: str
      sample: prod/billing/stripe
    region:
      description: The AWS region read.
      type: str
      sample: us-east-1
    status:
      description:
        - V(match), V(mismatch) (values or recorded format differ), V(missing_in_scaivault) (the path does not
          answer), V(missing_in_asm) (the ASM secret is gone or pending deletion) or V(error) (a read failed, see
          RV(secrets[].message)).
      type: str
      sample: match
    match:
      description: Whether the two values are equal.
      type: bool
      sample: true
    asm_fingerprint:
      description: Salted fingerprint of the ASM value as federation encodes it (C(sha256:) + 16 hex characters).
      type: str
      sample: "sha256:3b1f0c9a2d4e5f60"
    scaivault_fingerprint:
      description: Salted fingerprint of the ScaiVault data, comparable with RV(secrets[].asm_fingerprint) of the same run.
      type: str
      sample: "sha256:3b1f0c9a2d4e5f60"
    asm_version_id:
      description: The ASM C(VersionId) of C(AWSCURRENT).
      type: str
    recorded_version_id:
      description: The ASM C(VersionId) recorded in the ScaiVault C(metadata.source), if any.
      type: str
    version_match:
      description: Whether both VersionIds are equal; null when ScaiVault records none.
      type: bool
    format:
      description: How the ASM value is encoded, V(json), V(text) or V(binary).
      type: str
      sample: json
    recorded_format:
      description: The format recorded in the ScaiVault C(metadata.source), if any.
      type: str
    differing_keys:
      description: Names of the data keys whose values differ (names only).
      type: list
      elements: str
      sample: []
    message:
      description: What went wrong or what to know, without values; empty for a plain match.
      type: str
"""

import os

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.errors import (
    AsmError, PlanError, ScaiVaultError)
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.fingerprint import new_salt
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.mapping import MappingError
from ansible_collections.scailabs.scaivault.plugins.module_utils._module_base import run_module
from ansible_collections.scailabs.scaivault.plugins.module_utils._plan.federation_verify import (
    MATCH, asm_name_for_path, summarize, unmapped_row, verify_pair)


def argument_spec():
    return dict(
        backend=dict(type="str"),
        paths=dict(type="list", elements="str"),
        secrets=dict(type="list", elements="dict", no_log=False, options=dict(
            path=dict(type="str", required=True),
            name=dict(type="str", required=True),
        )),
        fail_on_mismatch=dict(type="bool", default=True),
    )


def run(module):
    pairs, region = pairs_and_region(module)
    module.params["region"] = region  # the ASM client reads this region
    names = sorted(set(name for _path, name in pairs if name))
    try:
        values, asm_errors = module.asm.batch_get_values(names) if names else ({}, {})
    except AsmError as exc:
        module.fail_from(exc, action="reading ASM secrets in %s" % region)
    salt = new_salt()
    rows = []
    for path, name in pairs:
        if not name:
            rows.append(unmapped_row(path, region, module.params["backend"]))
            continue
        asm_error = asm_errors.get(name)
        if asm_error is not None and (asm_error.not_found or asm_error.code == "InvalidRequestException"):
            # Gone, or scheduled for deletion (ASM answers InvalidRequestException for those).
            asm_error = None
        secret, sv_error = read_scaivault(module.scaivault, path)
        rows.append(verify_pair(path, name, region, values.get(name), secret, salt,
                                asm_error=asm_error.message if asm_error is not None else None,
                                scaivault_error=sv_error))
    summary = summarize(rows)
    all_match = summary[MATCH] == len(rows)
    result = dict(changed=False, all_match=all_match, summary=summary, region=region, secrets=rows,
                  api_calls=module.api_calls())
    if not all_match and module.params["fail_on_mismatch"]:
        bad = ["%s (%s%s)" % (row["path"], row["status"], ": " + row["message"] if row["message"] else "")
               for row in rows if row["status"] != MATCH]
        module.fail("%d of %d federated secret(s) do not match ASM in %s: %s. Check the backend status with "
                    "scaivault_federation_info, or sync it with scaivault_federation sync_now=true"
                    % (len(bad), len(rows), region, "; ".join(bad)), **result)
    return result


def _from_environment(region):
    return region is not None and region in (os.environ.get("AWS_REGION"), os.environ.get("AWS_DEFAULT_REGION"))


def pairs_and_region(module):
    """[(path, asm name or None)] and the region to read, from the options and the backend."""
    params = module.params
    pairs = [(item["path"], item["name"]) for item in params["secrets"] or []]
    backend_name = params["backend"]
    if not backend_name:
        return pairs, params["region"]
    try:
        backend = module.scaivault.find_backend(backend_name)
    except ScaiVaultError as exc:
        module.fail_from(exc, action="finding federation backend %s" % backend_name)
    if backend is None:
        raise PlanError("federation backend %s does not exist: check the name with scaivault_federation_info, or "
                        "pass explicit secrets pairs without backend" % backend_name)
    for path in params["paths"] or []:
        try:
            pairs.append((path, asm_name_for_path(backend.get("path_mapping") or {}, path)))
        except MappingError as exc:
            raise PlanError("federation backend %s has a path_mapping this module cannot read: %s"
                            % (backend_name, exc))
    region = (backend.get("config") or {}).get("region") or params["region"]
    if params["region"] and params["region"] != region and not _from_environment(params["region"]):
        module.warn("region %s differs from the region %s of federation backend %s; reading %s"
                    % (params["region"], region, backend_name, region))
    return pairs, region


def read_scaivault(client, path):
    """(secret object or None, error text or None)."""
    try:
        return client.get_secret(path), None
    except ScaiVaultError as exc:
        return None, exc.describe()


def main():
    run_module(run, argument_spec(), asm=True, required_one_of=[("paths", "secrets")],
               required_by={"paths": "backend"})


if __name__ == "__main__":
    main()
