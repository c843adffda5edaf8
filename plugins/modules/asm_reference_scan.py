#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: asm_reference_scan
short_description: Find where consumers still name migrated AWS Secrets Manager secrets, and how far they have moved
version_added: 0.2.0
author:
  - ScaiLabs platform engineering (@scailabs)
description:
  - Runbook step 6 of the ASM to ScaiVault migration (repoint consumers). Scans directory trees (O(roots)) for every
    reference to a migrated AWS Secrets Manager (ASM) secret, by name or by ARN (full with AWS's random suffix, or
    partial without it), and reports each one with its file, line, the ASM name, the new ScaiVault path and the kind
    of reference.
  - "Kinds: C(ansible_lookup) (C(amazon.aws.aws_secret) and C(amazon.aws.secretsmanager_secret) lookups),
    C(ansible_task) (C(community.aws.secretsmanager_secret) and C(amazon.aws.secretsmanager_secret) tasks),
    C(boto3_get_secret_value) and C(boto3_batch_get_secret_value) (Python calls, boto3 or botocore), C(aws_cli)
    (C(--secret-id) and C(--secret-id-list)), C(terraform_data_source) and C(terraform_resource)
    (C(aws_secretsmanager_secret), C(aws_secretsmanager_secret_version), ...), C(external_secret) (Kubernetes
    C(ExternalSecret) C(remoteRef.key) and C(dataFrom[].extract.key)), and C(plain) for any other literal mention
    (JSON, YAML, INI and env files, code, text), with RV(references[].file_type)."
  - Names are matched whole, so C(prod/billing/stripe) is never found inside C(prod/billing/stripe-old). A plain name
    carries no region, so it is attributed to every selected secret of that name.
  - "The migrated selection comes from ASM (O(source=asm): C(ListSecrets) of O(region) with O(names), O(prefixes),
    O(filters), and the migration's O(mapping) rules) or from ScaiVault (O(source=scaivault): the
    C(metadata.source) provenance that M(scailabs.scaivault.asm_migrate) records on every path under
    O(scaivault_prefixes)). No secret value is read on either side."
  - With O(patch_file), writes a suggested patch (a unified diff, C(git apply) or C(patch -p1) in the directory
    the C(base) of RV(patch)) that moves Ansible lookups to the C(scailabs.scaivault.secret) lookup of the new path and
    C(secretsmanager_secret) tasks to M(scailabs.scaivault.scaivault_secret). The patch is never applied by the
    module. Lookups and tasks that cannot be moved safely are listed with the reason (RV(references[].patch_note)).
  - With O(evidence=true), adds the cutover evidence of every secret (RV(secrets[].cutover)) - references left,
    reads of the new path by identities other than the migration's, reads of the federated C(external/aws/...)
    path, ASM's C(LastAccessedDate) - and its status, C(not_started), C(in_transition) or C(moved).
  - Writes the result as a JSON report and a Markdown report on request. Never changes anything on either service;
    RV(changed) is always false.
extends_documentation_fragment:
  - scailabs.scaivault.aws
  - scailabs.scaivault.scaivault
  - scailabs.scaivault.selection
  - scailabs.scaivault.naming
  - scailabs.scaivault.references
  - scailabs.scaivault.report
  - scailabs.scaivault.attributes.both_groups
options:
  source:
    description:
      - Where the migrated selection comes from.
      - V(asm) lists O(region) in ASM (O(names), O(prefixes), O(filters)) and maps each name with O(mapping) and
        O(paths), as M(scailabs.scaivault.asm_migrate) does. Only secrets with a valid target are looked for; the
        others are listed in RV(not_migrated).
      - V(scaivault) lists the ScaiVault paths under O(scaivault_prefixes) (metadata only) and takes each one whose
        C(metadata.source) records an ASM secret (of O(region), when O(region) is set).
    type: str
    choices: [asm, scaivault]
    default: asm
  mapping:
    description:
      - The migration's ordered path mapping rules, written and applied exactly as
        O(scailabs.scaivault.asm_migrate#module:mapping). With O(source=asm), O(mapping), O(namespaces) or O(paths)
        is required.
    type: list
    elements: raw
  namespaces:
    description:
      - The migration's namespaces, for O(source=asm), as the C(scailabs.scaivault.migrate) role takes them - each a
        dictionary with C(prefixes) and/or C(names) (its selection), C(mapping) (its ordered rules, required) and
        optionally C(naming_policy). Other keys (C(name), C(owner), C(tags), ...) are ignored.
      - Each secret is mapped with the rules of the first namespace that selects it, as the role migrated it; the
        selection is the union of the namespaces' C(prefixes) and C(names) (with O(filters) ANDed in).
      - Cannot be combined with O(names), O(prefixes) or O(mapping).
    type: list
    elements: dict
  paths:
    description:
      - Explicit ASM name to ScaiVault path map. An entry wins over O(mapping).
    type: dict
  scaivault_prefixes:
    description:
      - ScaiVault path prefixes holding migrated secrets, for O(source=scaivault), for example
        C(environments/production/).
    type: list
    elements: str
  patch_file:
    description:
      - Write the suggested patch for Ansible lookups and tasks to this file (a unified diff with C(a/) and C(b/)
        prefixes, relative to the C(base) of RV(patch)). Written atomically with O(report_mode), also when empty; not written in
        check mode. Never applied by the module.
      - The patch quotes a few lines around each change, as any diff does; keep it as private as the trees.
      - Lookups keep returning what the ASM lookup returned - C(field='value') for a text secret, C(| to_json) for
        a JSON one - so the templates that use them do not change; the value format comes from the target's
        C(metadata.source) (read with the batch metadata endpoint, never a value).
    type: path
  patch_fallback:
    description:
      - Patched lookups name their old ASM secret in C(asm_fallback=) (and keep the AWS connection arguments of the
        old lookup), so they serve the value from ASM while the ScaiVault path is missing, denied or unreachable -
        the "production with fallback" stage. A central switch (E(SCAIVAULT_ASM_FALLBACK=off)) ends it later
        without editing templates.
      - V(false) writes lookups without a fallback.
    type: bool
    default: true
  evidence:
    description:
      - Add the cutover evidence and status of every secret (RV(secrets[].cutover), and C(cutover) in RV(summary)).
      - Needs ScaiVault C(audit:read), C(federation:read) and C(secrets:list), and C(secretsmanager:ListSecrets)
        (C(LastAccessedDate)).
    type: bool
    default: false
  quiet_window:
    description:
      - How far back reads count as evidence, as a duration (V(14d), V(72h)) or an ISO-8601 timestamp.
      - ASM's C(LastAccessedDate) is a day; a day inside the window counts. Every value read moves it, the
        migration's and verification's own included, so an evidence run right after the migration sees them.
    type: str
    default: 14d
  exclude_identities:
    description:
      - ScaiVault identities whose reads do not count, besides the caller's own identity (the migration's), which is
        always left out.
    type: list
    elements: str
  fail_on_references:
    description:
      - Fail the task when any reference is found (for a CI gate of the "fallback removed" stage). The result is
        returned in full either way.
    type: bool
    default: false
  report_json:
    description:
      - Write the result (secrets, references, skipped files, summary, patch outline) as JSON to this file. Written
        atomically with O(report_mode); a file that already holds the same content is not rewritten. Not written in
        check mode.
    type: path
  report_markdown:
    description:
      - Write the result as Markdown tables (summary, cutover per secret, references by file and line) to this file.
        Same rules as O(report_json).
    type: path
attributes:
  check_mode:
    description: The module only reads, so check mode gives the same result; the report and patch files are not
      written then.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
notes:
  - The module runs where the task runs (usually the controller); the trees must be readable there.
  - Results name files, lines, ASM names, ARNs and ScaiVault paths, never the text of a line. The report and patch
    files are written private (O(report_mode)) and are left out of the scan themselves.
  - "Cost: ceil(N/100) C(ListSecrets) (O(source=asm)) or ceil(N/1000) ScaiVault list calls (O(source=scaivault)); with
    O(patch_file) or O(evidence) ceil(N/100) batch metadata calls; O(evidence) adds one audit query per parent folder
    of the paths and, with O(source=scaivault), one C(ListSecrets) per 10 names."
seealso:
  - module: scailabs.scaivault.asm_migrate
  - module: scailabs.scaivault.asm_cleanup
  - plugin: scailabs.scaivault.secret
    plugin_type: lookup
"""

EXAMPLES = r"""
# AWS settings come from the AWS_* environment, ScaiVault's from SCAIVAULT_URL / SCAIVAULT_TOKEN.
- name: Find every reference to the migrated billing secrets in two checkouts
  scailabs.scaivault.asm_reference_scan:
    region: us-east-1
    prefixes: [prod/billing/]
    mapping:
      - match: "prod/billing/**"
        path: "environments/production/billing/**"
    roots: [deploy, services/billing]
    exclude: [.git, node_modules, "*.min.js"]
    max_file_size: 1M
  register: billing_refs

- name: Where are they?
  ansible.builtin.debug:
    msg: "{{ billing_refs.references | map(attribute='file') | unique | list }}"

- name: Reports for people and a patch for the Ansible consumers (never applied by the module)
  scailabs.scaivault.asm_reference_scan:
    region: us-east-1
    prefixes: [prod/billing/]
    mapping:
      - match: "prod/billing/**"
        path: "environments/production/billing/**"
    roots: [deploy]
    report_json: reports/consumers-us-east-1.json
    report_markdown: reports/consumers-us-east-1.md
    patch_file: reports/consumers-us-east-1.patch

- name: The migrate role's namespaces, each mapped with its own rules
  scailabs.scaivault.asm_reference_scan:
    region: us-east-1
    namespaces:
      - name: billing
        prefixes: [prod/billing/]
        mapping:
          - match: "prod/billing/**"
            path: "environments/production/billing/**"
      - name: shared
        prefixes: [prod/shared/]
        mapping:
          - match: "prod/shared/**"
            path: "shared/**"
    roots: [deploy]

- name: Cutover status of everything migrated under environments/production (selection from ScaiVault provenance)
  scailabs.scaivault.asm_reference_scan:
    source: scaivault
    scaivault_prefixes: [environments/production/]
    region: us-east-1
    roots: [deploy]
    evidence: true
    quiet_window: 14d
  register: cutover

- name: Secrets that nothing reads from the old place any more
  ansible.builtin.debug:
    msg: "{{ cutover.secrets | selectattr('cutover.status', 'equalto', 'moved') | map(attribute='name') | list }}"
"""

RETURN = r"""
changed:
  description: Always false; reports and the patch file are output, not a change of state.
  returned: always
  type: bool
  sample: false
region:
  description: The AWS region of the selection (with O(source=scaivault), O(region) or null).
  returned: always
  type: str
  sample: us-east-1
secrets:
  description: The migrated secrets looked for, sorted by name. Never a value.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The name of the migrated ASM secret.
      type: str
      sample: prod/billing/stripe
    arn:
      description: Its ARN.
      type: str
      sample: arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/billing/stripe-AbCdEf
    region:
      description: ASM region.
      type: str
    scaivault_path:
      description: The ScaiVault path it was migrated to.
      type: str
      sample: environments/production/billing/stripe
    format:
      description: C(json), C(text) or C(binary) as recorded in the target's C(metadata.source), or null when unknown.
      type: str
    migrated:
      description: Whether the ScaiVault target exists (known with O(patch_file) or O(evidence)).
      type: bool
    references:
      description: Number of references found.
      type: int
      sample: 3
    files:
      description: The files that reference it.
      type: list
      elements: str
    cutover:
      description:
        - The cutover evidence and status. C(status) is C(not_started) (the old place is still used and nobody
          reads the new path), C(in_transition) (both) or C(moved) (nothing uses the old place); C(reasons) says why.
        - C(references), C(new_path_reads), C(new_path_readers), C(new_path_last_read), C(federated) (per federated
          path C(path), C(backend), C(mode), C(reads), C(readers)), C(federated_reads), C(asm_last_accessed),
          C(asm_accessed_in_window).
      returned: with O(evidence=true)
      type: dict
      sample: {"status": "in_transition", "references": 2, "new_path_reads": 14, "new_path_readers": ["sa:billing-app"],
               "federated_reads": 0, "asm_last_accessed": null, "asm_accessed_in_window": false,
               "reasons": ["2 reference(s) left in the scanned trees", "14 read(s) of the new path by other identities"]}
references:
  description: Every reference found, by file and position. Never the text of the line.
  returned: always
  type: list
  elements: dict
  contains:
    file:
      description: The file, as its root was given joined with its path inside that root.
      type: str
      sample: deploy/roles/billing/tasks/main.yml
    root:
      description: The root it was found under.
      type: str
    relative:
      description: The path inside the root.
      type: str
    line:
      description: Line number, from 1.
      type: int
    column:
      description: Column of the name or ARN, from 1.
      type: int
    kind:
      description: The kind of reference (see the description).
      type: str
      sample: ansible_lookup
    form:
      description: C(name), C(arn_full) (with AWS's random suffix) or C(arn_partial).
      type: str
    match:
      description: The name or ARN as written.
      type: str
    asm_name:
      description: The ASM secret it names.
      type: str
    region:
      description: The ASM region of that secret.
      type: str
    scaivault_path:
      description: Its ScaiVault path.
      type: str
    file_type:
      description: C(yaml), C(json), C(python), C(terraform), C(ini), C(env), C(shell), C(template) or C(text).
      type: str
    details:
      description: Kind-specific facts, for example C(plugin), C(module), C(call), C(option), C(terraform_type),
        C(secret_store).
      type: dict
    patch:
      description: For Ansible lookups and tasks with O(patch_file), C(suggested) (in the patch) or C(manual).
      type: str
    patch_note:
      description: Why a lookup or task is left to a person.
      type: str
summary:
  description: Counts.
  returned: always
  type: dict
  sample: {"secrets": 12, "referenced_secrets": 4, "references": 9, "by_kind": {"ansible_lookup": 3, "plain": 6},
           "files_scanned": 180, "bytes_scanned": 912345, "files_with_references": 5, "files_skipped": 2,
           "files_excluded": 41, "patch_suggested": 3, "patch_manual": 0, "patched_files": 2, "scan_seconds": 0.21,
           "cutover": {"not_started": 3, "in_transition": 1, "moved": 8}}
skipped_files:
  description: Files not scanned, with C(reason) C(too_large), C(binary), C(symlink) or C(unreadable) and C(size).
  returned: always
  type: list
  elements: dict
not_migrated:
  description: With O(source=asm), selected secrets without a valid target (C(name), C(status), C(reason)); not looked for.
  returned: always
  type: list
  elements: dict
not_found:
  description: Entries of O(names) that match no ASM secret.
  returned: always
  type: list
  elements: str
without_provenance:
  description: With O(source=scaivault), paths under O(scaivault_prefixes) that record no ASM source.
  returned: always
  type: list
  elements: str
patch:
  description: The suggested patch - C(path), C(base) (the directory to apply it in), C(files), C(changed), C(written).
  returned: when O(patch_file) is set
  type: dict
  sample: {"path": "/tmp/consumers.patch", "base": "/srv/git/deploy", "files": 2, "changed": true, "written": true}
reports:
  description: The report files, with C(changed) false when the file already held the same content.
  returned: when O(report_json) or O(report_markdown) is set
  type: dict
evidence:
  description: With O(evidence=true), C(identity) (the caller, left out as a reader), C(excluded_identities),
    C(window) (C(start), C(end)) and C(audit_queries).
  returned: with O(evidence=true)
  type: dict
api_calls:
  description: Calls made, per service and operation.
  returned: always
  type: dict
"""

import copy
import os

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.errors import AsmError, ScaiVaultError
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.mapping import MappingError, compile_rules
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.options import (
    NAMING, REFERENCE_SCAN, REPORT, SELECTION)
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.paths import NAMING_POLICIES
from ansible_collections.scailabs.scaivault.plugins.module_utils._module_base import run_module, shared_options
from ansible_collections.scailabs.scaivault.plugins.module_utils._plan.audit import WindowError, iso_z, window
from ansible_collections.scailabs.scaivault.plugins.module_utils._plan.references import (
    Globs, ScanOptionError, parse_size)
from ansible_collections.scailabs.scaivault.plugins.module_utils._plan.selection import SelectionError, check_filters
from ansible_collections.scailabs.scaivault.plugins.module_utils._plan.targets import explicit_paths_problem
from ansible_collections.scailabs.scaivault.plugins.module_utils._run.references import (
    ReferenceScanError, add_formats, asm_listing, build_catalog, catalog_from_asm, catalog_from_scaivault, cutover,
    gather_evidence, references_markdown, scan_trees, summarize)
from ansible_collections.scailabs.scaivault.plugins.module_utils._run.reports import (
    ReportError, module_reports, parse_mode, write_text_atomic)


def argument_spec():
    return dict(
        shared_options(SELECTION, NAMING, REFERENCE_SCAN, REPORT),
        source=dict(type="str", default="asm", choices=["asm", "scaivault"]),
        mapping=dict(type="list", elements="raw"),
        namespaces=dict(type="list", elements="dict"),
        paths=dict(type="dict"),
        scaivault_prefixes=dict(type="list", elements="str"),
        patch_file=dict(type="path"),
        patch_fallback=dict(type="bool", default=True),
        evidence=dict(type="bool", default=False),
        quiet_window=dict(type="str", default="14d"),
        exclude_identities=dict(type="list", elements="str"),
        fail_on_references=dict(type="bool", default=False),
        report_json=dict(type="path"),
        report_markdown=dict(type="path"),
    )


def check_options(module):
    """Everything that can be wrong without asking AWS or ScaiVault."""
    params = module.params
    checked = {}
    try:
        checked["max_size"] = parse_size(params["max_file_size"])
        Globs(params["include"], params["exclude"])
        checked["mode"] = parse_mode(params["report_mode"])
        checked["window"] = window(params["quiet_window"], None, since_option="quiet_window")
        if params["source"] == "asm":
            check_filters(params["filters"])
            if not params["mapping"] and not params["paths"] and not params["namespaces"]:
                module.fail("source=asm needs the migration's mapping rules (mapping or namespaces) or a paths map, to "
                            "know each secret's ScaiVault path")
            checked["rules"] = compile_rules(params["mapping"] or [])
            checked["namespaces"] = check_namespaces(module, params)
        elif not params["scaivault_prefixes"]:
            module.fail("source=scaivault needs scaivault_prefixes, the ScaiVault prefixes that hold migrated secrets "
                        "(for example environments/production/)")
    except (ScanOptionError, MappingError, SelectionError, WindowError) as exc:
        module.fail(str(exc))
    problem = explicit_paths_problem(params["paths"])
    if problem:
        module.fail(problem)
    if not params["roots"] and not params["evidence"]:
        module.fail("nothing to do: give roots (the trees to scan for references) and/or evidence=true")
    return checked


def check_namespaces(module, params):
    """[{prefixes, names, rules, naming_policy}] of the namespaces option, compiled; None without it."""
    if not params["namespaces"]:
        return None
    clashing = [name for name in ("names", "prefixes", "mapping") if params[name]]
    if clashing:
        module.fail("namespaces carry their own selection and rules: remove %s, or leave namespaces out"
                    % ", ".join(clashing))
    compiled = []
    for index, namespace in enumerate(params["namespaces"]):
        label = "namespaces[%d] (%s)" % (index, namespace.get("name") or "unnamed")
        if not namespace.get("mapping"):
            module.fail("%s has no mapping rules" % label)
        policy = namespace.get("naming_policy") or params["naming_policy"]
        if policy not in NAMING_POLICIES:
            module.fail("%s: naming_policy %r is not one of %s" % (label, policy, ", ".join(NAMING_POLICIES)))
        for key in ("prefixes", "names"):
            if not isinstance(namespace.get(key) or [], list):
                module.fail("%s: %s must be a list" % (label, key))
        try:
            rules = compile_rules(namespace["mapping"])
        except MappingError as exc:
            module.fail("%s: %s" % (label, exc))
        compiled.append({"prefixes": namespace.get("prefixes") or [], "names": namespace.get("names") or [],
                         "rules": rules, "naming_policy": policy})
    return compiled


def select(module, checked):
    """(secrets with a ScaiVault path, result fields, {name: SecretListEntry} or None)."""
    params = module.params
    extra = {"not_migrated": [], "not_found": [], "without_provenance": []}
    if params["source"] == "asm":
        asm = module.asm
        secrets, listing, extra["not_found"] = catalog_from_asm(
            asm, asm.region, params["names"], params["prefixes"], params["filters"], checked["rules"],
            params["paths"], params["naming_policy"], namespaces=checked["namespaces"])
        extra["region"] = asm.region
        extra["not_migrated"] = [{"name": secret["name"], "status": secret["target_status"],
                                  "reason": secret["target_reason"]} for secret in secrets if not secret["scaivault_path"]]
        return [secret for secret in secrets if secret["scaivault_path"]], extra, listing
    secrets, extra["without_provenance"] = catalog_from_scaivault(module.scaivault, params["scaivault_prefixes"],
                                                                  params["region"])
    extra["region"] = params["region"]
    return secrets, extra, None


def run(module):
    params = module.params
    checked = check_options(module)
    try:
        secrets, result, listing = select(module, checked)
        if params["source"] == "asm" and (params["patch_file"] or params["evidence"]):
            add_formats(module.scaivault, secrets)
    except (AsmError, ScaiVaultError) as exc:
        module.fail_from(exc, "selecting the migrated secrets", api_calls=module.api_calls())

    outputs = [params[name] for name in ("report_json", "report_markdown", "patch_file") if params[name]]
    scan = None
    if params["roots"]:
        try:
            scan = scan_trees(build_catalog(secrets), params["roots"], params["include"], params["exclude"],
                              checked["max_size"], skip_paths=[os.path.abspath(path) for path in outputs],
                              patch=bool(params["patch_file"]), patch_fallback=params["patch_fallback"])
        except ReferenceScanError as exc:
            module.fail(str(exc), api_calls=module.api_calls())
    hits = scan["hits"] if scan else []
    counts = {}
    for hit in hits:
        key = (hit["asm_name"], hit["region"])
        counts.setdefault(key, []).append(hit["file"])
    for secret in secrets:
        files = counts.get((secret["name"], secret["region"]), [])
        secret.update(references=len(files), files=sorted(set(files)))
        if not secret.get("target_reason"):
            secret.pop("target_reason", None)

    summary = summarize(secrets, scan, len(scan["diffs"]) if scan else 0)
    if params["evidence"]:
        try:
            start, end = checked["window"]
            if listing is None:
                asm = module.asm
                listing = asm_listing(asm, asm.region, [s["name"] for s in secrets if s["region"] in (None, asm.region)])
            found, meta = gather_evidence(module.scaivault, secrets, listing, start, end,
                                          params["exclude_identities"], module.asm.region)
        except (AsmError, ScaiVaultError) as exc:
            module.fail_from(exc, "collecting the cutover evidence", api_calls=module.api_calls())
        summary["cutover"] = cutover(secrets, found, scanned=scan is not None)
        meta["window"] = {"start": iso_z(start), "end": iso_z(end)}
        result["evidence"] = meta

    result.update(changed=False, secrets=secrets, references=hits, summary=summary,
                  skipped_files=scan["skipped"] if scan else [])
    try:
        if params["patch_file"]:
            result["patch"] = write_patch(module, params["patch_file"], scan, checked["mode"])
        if params["report_json"] or params["report_markdown"]:
            report = copy.deepcopy(result)
            report.pop("changed", None)
            # The same findings give the same report, byte for byte: no timing, no file-write state.
            report["summary"].pop("scan_seconds", None)
            for key in ("changed", "written"):
                report.get("patch", {}).pop(key, None)
            result["reports"] = module_reports({"json": params["report_json"], "markdown": params["report_markdown"]},
                                               report, references_markdown(report), module.check_mode,
                                               checked["mode"])
    except ReportError as exc:
        module.fail(str(exc), api_calls=module.api_calls())
    result["api_calls"] = module.api_calls()
    if hits and params["fail_on_references"]:
        module.fail("%d reference(s) to %d migrated secret(s) left in %d file(s), first: %s (fail_on_references=true)"
                    % (len(hits), summary["referenced_secrets"], summary["files_with_references"],
                       ", ".join("%s:%d" % (hit["file"], hit["line"]) for hit in hits[:5])), **result)
    return result


def write_patch(module, path, scan, mode):
    diffs = scan["diffs"] if scan else []
    text = "".join(diff for _path, diff in diffs)
    outline = {"path": os.path.abspath(path), "base": scan["patch_base"] if scan else None, "files": len(diffs),
               "changed": False, "written": False}
    if not module.check_mode:
        outline["changed"] = write_text_atomic(path, text, mode)
        outline["written"] = True
    return outline


def main():
    run_module(run, argument_spec(), scaivault=True, asm=True)


if __name__ == "__main__":
    main()
