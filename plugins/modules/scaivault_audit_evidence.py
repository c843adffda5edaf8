#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: scaivault_audit_evidence
short_description: Keep the ScaiVault audit evidence of a cleanup - who read which paths, and an audit export
version_added: 0.2.0
author:
  - ScaiLabs platform engineering (@scailabs)
description:
  - Counts the reads of O(paths) in a window per identity, minus excluded identities (the caller's own by default),
    and writes them to an evidence file (JSON, mode 0600) so that the decision to delete an ASM secret rests on a
    record that is kept.
  - Optionally requests an audit export (ScaiVault writes the window's read rows to an object store, jsonl or csv)
    and waits for its manifest, which the evidence file records.
  - O(method=summary) asks ScaiVault's per-secret audit summary (one request per path, whatever the traffic);
    O(method=logs) pages the raw audit rows (one request per parent folder and per 1000 rows); V(auto) uses the
    summary and falls back to paging when the tenant's summary has no per-identity counts. RV(requests) says what
    the run cost.
  - Needs C(audit:read), and C(audit:export) for O(export).
extends_documentation_fragment:
  - scailabs.scaivault.scaivault
  - scailabs.scaivault.attributes.scaivault_group
attributes:
  check_mode:
    description: Reads the audit as usual; requests no export and writes no file.
    support: full
  diff_mode:
    description: Nothing in ScaiVault changes, so there is no diff to show.
    support: none
options:
  paths:
    description: The ScaiVault paths whose reads count, for example the federated C(external/aws/...) paths of the
      ASM secrets about to be deleted.
    type: list
    elements: str
    required: true
  since:
    description: Start of the window, a duration before now (C(30d)) or an ISO-8601 timestamp.
    type: str
    default: 30d
  until:
    description: End of the window (default now).
    type: str
  exclude_identities:
    description: Identities whose reads do not count. Unset means the caller's own identity. V([]) excludes nobody.
    type: list
    elements: str
  method:
    description: How reads are counted (see the description).
    type: str
    choices: [auto, summary, logs]
    default: auto
  export:
    description: Request an audit export of the window's read rows under the paths' common folder.
    type: dict
    suboptions:
      format:
        description: V(jsonl) (one row per line) or V(csv).
        type: str
        choices: [jsonl, csv]
        default: jsonl
      type:
        description: Destination type.
        type: str
        choices: [s3, gcs, azure_blob]
        default: s3
      bucket:
        description: Bucket (or container) name.
        type: str
        required: true
      prefix:
        description: Key prefix inside the bucket, for example C(scaivault-evidence/us-east-1).
        type: str
      credentials_path:
        description: The ScaiVault secret holding the destination's credentials (ScaiVault takes no inline keys).
        type: str
      path_prefix:
        description: Export the rows under this path prefix (default the paths' longest common folder).
        type: str
      wait:
        description: Seconds to wait for the export to complete.
        type: int
        default: 60
  evidence_file:
    description: Where the JSON evidence is written (mode O(evidence_mode)). Not written in check mode.
    type: path
  evidence_mode:
    description: File mode of the evidence file.
    type: str
    default: "0600"
  label:
    description: Free text stored in the evidence, for example the region.
    type: str
seealso:
  - module: scailabs.scaivault.scaivault_audit_info
  - module: scailabs.scaivault.asm_cleanup
"""

EXAMPLES = r"""
- name: Record who read the federated paths before deleting their ASM secrets, and archive the rows
  scailabs.scaivault.scaivault_audit_evidence:
    paths:
      - external/aws/us-east-1/orders/db
      - external/aws/us-east-1/apps/api-key
    since: 14d
    label: us-east-1
    export:
      bucket: compliance-archive
      prefix: scaivault-evidence/us-east-1
      credentials_path: infra/aws/evidence-writer
    evidence_file: reports/evidence-us-east-1.json
  register: evidence
"""

RETURN = r"""
paths:
  description: Per path, C(reads), C(failed_reads), C(excluded_reads), C(last_read), C(last_reader), C(readers) and
    C(by_identity), as M(scailabs.scaivault.scaivault_audit_info) returns them.
  returned: always
  type: dict
total_reads:
  description: Reads by identities that are not excluded, over every path.
  returned: always
  type: int
method:
  description: How the reads were counted (V(summary) or V(logs)).
  returned: always
  type: str
requests:
  description: ScaiVault requests this run sent, per method and category (C(total) included).
  returned: always
  type: dict
export:
  description: The export (C(id), C(status), C(row_count), C(files) with C(key), C(rows), C(bytes), C(sha256),
    C(destination), C(filters)); empty without O(export) or in check mode.
  returned: always
  type: dict
evidence_file:
  description: The evidence file (C(path), C(changed), C(written)); empty without O(evidence_file).
  returned: always
  type: dict
"""

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.errors import PlanError, ScaiVaultError
from ansible_collections.scailabs.scaivault.plugins.module_utils._module_base import run_module
from ansible_collections.scailabs.scaivault.plugins.module_utils._plan.audit import iso_z, window
from ansible_collections.scailabs.scaivault.plugins.module_utils._run.evidence import (
    EXPORT_OPTIONS, METHODS, export_evidence, reads_per_path)
from ansible_collections.scailabs.scaivault.plugins.module_utils._run.reports import module_reports, parse_mode


def argument_spec():
    return dict(
        paths=dict(type="list", elements="str", required=True),
        since=dict(type="str", default="30d"),
        until=dict(type="str"),
        exclude_identities=dict(type="list", elements="str"),
        method=dict(type="str", default="auto", choices=list(METHODS)),
        export=dict(type="dict", options=dict(EXPORT_OPTIONS, path_prefix=dict(type="str"))),
        evidence_file=dict(type="path"),
        evidence_mode=dict(type="str", default="0600"),
        label=dict(type="str"),
    )


def run(module):
    params = module.params
    client = module.scaivault
    export = {}
    try:
        mode = parse_mode(params["evidence_mode"], "evidence_mode")
        start, end = window(params["since"], params["until"])
        exclude = params["exclude_identities"]
        if exclude is None:
            exclude = [client.whoami().get("identity_id")]
        exclude = sorted(identity for identity in exclude if identity)
        per_path, method = reads_per_path(client, params["paths"], start, end, exclude, params["method"])
        wanted = params["export"]
        if wanted and not module.check_mode:
            export = export_evidence(client, wanted, params["paths"], start, end, wanted["path_prefix"])
        requests = client.counter.snapshot()
        evidence = {"label": params["label"], "window": {"since": iso_z(start), "until": iso_z(end)},
                    "exclude_identities": exclude, "method": method, "paths": per_path, "export": export}
        written = module_reports({"json": params["evidence_file"]}, evidence, None, module.check_mode, mode)
    except (PlanError, ScaiVaultError) as exc:
        module.fail_from(exc, "audit evidence of %d path(s)" % len(params["paths"]))
    evidence_file = written.get("json", {})
    return dict(changed=bool(export) or bool(evidence_file.get("changed")), paths=per_path,
                total_reads=sum(entry["reads"] for entry in per_path.values()), method=method, requests=requests,
                export=export, evidence_file=evidence_file, exclude_identities=exclude,
                window=evidence["window"])


def main():
    run_module(run, argument_spec())


if __name__ == "__main__":
    main()
