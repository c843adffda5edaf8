#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: scaivault_audit_info
short_description: Who read which ScaiVault paths in a time window, from the audit log
version_added: 0.1.0
author:
  - ScaiLabs platform engineering (@scailabs)
description:
  - Pages through ScaiVault's audit log (C(GET /v1/audit/logs)) for exact O(paths) or a O(path_prefix) in a
    time window and counts the reads per path, with the last read and the identities that read.
  - Rows of O(exclude_identities) (by default the caller's own identity, that is the migration's) are dropped
    client-side, because the audit API cannot filter them out. This answers the runbook question "does anyone
    but the migration still read these paths?" before ASM secrets are retired.
  - Reads that go straight to AWS Secrets Manager are not in ScaiVault's audit; only reads through ScaiVault
    (canonical and federated C(external/aws/...) paths) are.
  - Read-only; needs a token with the C(audit:read) scope.
extends_documentation_fragment:
  - scailabs.scaivault.scaivault
  - scailabs.scaivault.attributes.scaivault_group
  - scailabs.scaivault.read_only
options:
  paths:
    description:
      - Exact ScaiVault paths to report on; each appears in RV(paths), with zero reads when none were found.
      - Paths that share a parent folder share one audit query.
    type: list
    elements: str
    aliases: [path]
  path_prefix:
    description:
      - Report every path under this prefix that has audit rows in the window (a plain string prefix, as the
        API applies it).
    type: str
  since:
    description:
      - Start of the window, as a duration before now (V(30d), V(12h)) or an ISO-8601 timestamp.
    type: str
    default: 30d
  until:
    description:
      - End of the window, as a duration before now or an ISO-8601 timestamp. Unset means now.
    type: str
  actions:
    description:
      - Audit actions counted as reads. The migration's own compare-before-write uses batch metadata, audited as
        C(list), so the default counts C(read) only.
    type: list
    elements: str
    default: [read]
  exclude_identities:
    description:
      - Identity ids whose rows are not counted (they appear in C(excluded_reads) instead).
      - Unset means the caller's own identity from C(/v1/auth/whoami). V([]) excludes nobody.
    type: list
    elements: str
  include_failed:
    description:
      - Count failed attempts (denied, not found) too; a consumer that still tries to read a path is still a consumer.
    type: bool
    default: true
  page_size:
    description:
      - Rows per audit page (the API allows at most 1000).
    type: int
    default: 1000
"""

EXAMPLES = r"""
# Connection settings come from SCAIVAULT_URL / SCAIVAULT_TOKEN (see make dev-up).
- name: Does anyone but the migration read the federated paths of the billing namespace?
  scailabs.scaivault.scaivault_audit_info:
    path_prefix: external/aws/billing/
    since: 14d
  register: federated_reads

- name: Reads of two canonical paths in January, everyone included
  scailabs.scaivault.scaivault_audit_info:
    paths:
      - environments/production/billing/stripe
      - shared/integrations/salesforce/oauth
    since: "2026-01-01T00:00:00Z"
    until: "2026-02-01T00:00:00Z"
    exclude_identities: []
  register: january_reads

- name: Stop when somebody else still reads them
  ansible.builtin.assert:
    that: federated_reads.total_reads == 0
    fail_msg: "Still read by {{ federated_reads.readers | join(', ') }}"
"""

RETURN = r"""
paths:
  description:
    - Per path, the reads in the window by identities that are not excluded.
    - Each value has C(reads), C(failed_reads), C(excluded_reads), C(last_read), C(last_reader), C(readers)
      (identity ids, sorted) and C(by_identity) (reads per identity).
  returned: always
  type: dict
  sample:
    external/aws/billing/stripe:
      reads: 3
      failed_reads: 0
      excluded_reads: 12
      last_read: "2026-03-02T10:00:00.000000Z"
      last_reader: sa:billing-api
      readers: [sa:billing-api]
      by_identity: {"sa:billing-api": 3}
total_reads:
  description: Reads by identities that are not excluded, over every path.
  returned: always
  type: int
  sample: 3
excluded_reads:
  description: Reads by excluded identities, over every path.
  returned: always
  type: int
readers:
  description: Every identity that read any of the paths (excluded ones left out), sorted.
  returned: always
  type: list
  elements: str
paths_read:
  description: Number of paths read at least once by an identity that is not excluded.
  returned: always
  type: int
rows_scanned:
  description: Audit rows paged through (before path and identity filtering).
  returned: always
  type: int
queries:
  description: Audit queries made (one per prefix; each may span several pages).
  returned: always
  type: int
exclude_identities:
  description: The identities excluded (the caller's own when the option was unset).
  returned: always
  type: list
  elements: str
window:
  description: The window queried, ISO-8601 UTC.
  returned: always
  type: dict
  contains:
    since:
      description: Start.
      type: str
    until:
      description: End.
      type: str
"""

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.errors import PlanError, ScaiVaultError
from ansible_collections.scailabs.scaivault.plugins.module_utils._module_base import run_module
from ansible_collections.scailabs.scaivault.plugins.module_utils._plan.audit import iso_z, window
from ansible_collections.scailabs.scaivault.plugins.module_utils._run.audit import collect_reads


def argument_spec():
    return dict(
        paths=dict(type="list", elements="str", aliases=["path"]),
        path_prefix=dict(type="str"),
        since=dict(type="str", default="30d"),
        until=dict(type="str"),
        actions=dict(type="list", elements="str", default=["read"]),
        exclude_identities=dict(type="list", elements="str"),
        include_failed=dict(type="bool", default=True),
        page_size=dict(type="int", default=1000),
    )


def run(module):
    params = module.params
    if not 1 <= params["page_size"] <= 1000:
        raise PlanError("page_size must be between 1 and 1000 (got %d)" % params["page_size"])
    if params["path_prefix"] is not None:
        subject = "path prefix %s" % params["path_prefix"]
    else:
        subject = "paths %s" % ", ".join(params["paths"] or [])
    try:
        start, end = window(params["since"], params["until"])
        client = module.scaivault
        exclude = params["exclude_identities"]
        if exclude is None:
            exclude = [client.whoami().get("identity_id")]
        exclude = [identity for identity in exclude if identity]
        summary, queries = collect_reads(
            client, paths=params["paths"], path_prefix=params["path_prefix"], start=start, end=end,
            actions=params["actions"], exclude=exclude, include_failed=params["include_failed"],
            page_size=params["page_size"])
    except (PlanError, ScaiVaultError) as exc:
        module.fail_from(exc, "audit of %s" % subject)
    totals = summary.totals()
    return dict(changed=False, paths=summary.per_path(), total_reads=totals["reads"],
                excluded_reads=totals["excluded_reads"], readers=totals["readers"], paths_read=totals["paths_read"],
                rows_scanned=totals["rows_scanned"], queries=queries, exclude_identities=sorted(exclude),
                window={"since": iso_z(start), "until": iso_z(end)})


def main():
    run_module(run, argument_spec(), mutually_exclusive=[["paths", "path_prefix"]],
               required_one_of=[["paths", "path_prefix"]])


if __name__ == "__main__":
    main()
