#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: asm_migrate
short_description: Copy AWS Secrets Manager secrets to canonical ScaiVault paths, in bulk and idempotently
version_added: 0.1.0
author:
  - ScaiLabs platform engineering (@scailabs)
description:
  - Migrates a selection of AWS Secrets Manager (ASM) secrets of one region to ScaiVault paths given by ordered
    mapping rules (runbook step 5), in one module process. B(Secret values never enter Ansible variables), results,
    warnings, diffs or reports; only names, paths, versions, change names and salted fingerprints do.
  - >-
    Values are encoded by the collection's rule, so they round-trip exactly - a C(SecretString) that is a JSON object
    becomes the secret's C(data) with C(secret_type=json); any other C(SecretString) (text, a JSON list or scalar,
    malformed JSON) becomes C({"value": STRING}); a C(SecretBinary) becomes C({"value_base64": BASE64}). The choice is
    recorded with the source in C(metadata.source) = C({system, region, arn, name, version_id, format, versions}),
    without timestamps, so a reader can rebuild the original bytes and a re-run can tell what is already there.
    ScaiVault metadata belongs to the secret, not to a version, so C(versions) maps every ScaiVault version written to
    its ASM VersionId (the last 100).
  - Cost near the floor. N secrets cost ceil(N/100) C(ListSecrets) calls (their entries already carry the current
    VersionId, tags, description, KMS key, rotation, primary region and deletion date, so no C(DescribeSecret)),
    ceil(N/100) ScaiVault batch-metadata calls (audited as C(list), not C(read)), ceil(N/20) C(BatchGetSecretValue)
    calls (C(GetSecretValue) per secret where the batch call is denied) and one PUT per secret. O(names) are
    listed by their parent folders with name filters and picked out exactly, so many names in a few folders cost
    what listing those folders costs.
  - At least one of O(names), O(prefixes) and O(filters) is required; with O(filters) alone every secret they match
    is migrated. A name that matches no secret is an C(error) entry (reason code C(not_found)).
  - Idempotent and cheap on re-run. A secret whose target already records the same ASM VersionId with the wanted
    metadata is skipped B(without reading its value); otherwise the value is read, compared structurally and
    written only on a real difference. An unchanged re-run reads no value and writes nothing.
  - Writes run in a bounded pool of O(workers) threads, paced from ScaiVault's C(X-RateLimit-*) headers so a run
    sits at the tenant's write limit without storms of C(429) answers. A write whose outcome is unknown (connection
    lost after sending) is resolved by re-reading the target, never by a blind retry, so no duplicate version is made.
  - Every selected secret ends in RV(secrets) with an action - C(create), C(update), C(unchanged), C(skip) (replicas,
    secrets scheduled for deletion, unmapped names, secrets without a value) or C(error) (invalid or colliding
    paths, a target owned by another source, read or write failures). One failure never stops the others; the
    task fails at the end when any secret is in C(error), listing them, with all results still returned. A re-run
    finishes the rest.
  - Secrets with ASM rotation enabled are migrated but flagged (RV(secrets[].rotation_warning)), so the rotation
    phase can enforce "disable rotation -> migrate -> switch consumers -> retire".
extends_documentation_fragment:
  - scailabs.scaivault.scaivault
  - scailabs.scaivault.aws
  - scailabs.scaivault.selection
  - scailabs.scaivault.naming
  - scailabs.scaivault.report
  - scailabs.scaivault.attributes.both_groups
options:
  source:
    description:
      - Where the values are read.
      - C(asm) reads ASM directly (C(BatchGetSecretValue)).
      - C(federation) reads the federated copies in ScaiVault (the C(external/aws/...) paths of a federation
        backend, ScaiVault batch reads of 100 paths) instead, for identities that may list ASM but not read
        values. The selection still comes from C(ListSecrets). Results are the same as with C(asm); a synced copy
        that holds another VersionId than ASM's C(AWSCURRENT) is an C(error) (C(stale_federation)) until the
        backend has synced.
    type: str
    choices: [asm, federation]
    default: asm
  federation_backend:
    description:
      - With O(source=federation), the name of the ScaiVault federation backend whose C(path_mapping) tells
        where each ASM name is federated (the mapping is read and inverted). Its C(config.region) must be O(region).
      - Mutually exclusive with O(federation_path_mapping).
    type: str
  federation_path_mapping:
    description:
      - >-
        With O(source=federation), the backend's C(path_mapping) given directly, C({SCAIVAULT_GLOB: ASM_TEMPLATE}),
        for example C({"external/aws/**": "prod/**"}).
    type: dict
  mapping:
    description:
      - Ordered path mapping rules; the first rule whose glob matches an ASM name gives its ScaiVault path.
        Names that no rule matches are skipped with reason code C(unmapped).
      - A mapped path that breaks the path rules under O(naming_policy) is an C(error) entry with reason code
        C(invalid_path); names that land on one path are C(error) entries with reason code C(collision).
      - >-
        Each rule is C({match: GLOB, path: TEMPLATE}) or a one-key C({GLOB: TEMPLATE}). C(*) matches one or more
        characters inside one segment, C(**) (a whole segment) any number of segments; the template uses the same
        wildcards in the same order, for example C({match: "prod/**", path: "environments/production/**"}).
    type: list
    elements: raw
    required: true
  owner:
    description:
      - The C(metadata.owner) to set on every migrated secret, for example C(team:billing). If not set, the stored
        owner is left alone.
    type: str
  tags:
    description:
      - Tags added to every migrated secret, before the flattened ASM tags (see O(tag_style)).
      - Tags are only ever added; tags already on a target are kept.
    type: list
    elements: str
    default: [migrated-from-asm]
  tag_style:
    description:
      - How ASM key/value tags become ScaiVault's bare-string tags - C(key=value), C(key) (values dropped), or
        C(drop) (no ASM tags carried over).
    type: str
    choices: [key=value, key, drop]
    default: key=value
  copy_description:
    description:
      - Copy the ASM description to C(metadata.description). A secret without an ASM description keeps whatever
        description its target has.
    type: bool
    default: true
  metadata:
    description:
      - >-
        Extra custom metadata keys set on every migrated secret, for example C({migration_wave: "3"}). Keys not given
        are kept. C(source) is reserved for the provenance record; C(description), C(owner) and C(tags) have options.
    type: dict
  max_versions:
    description:
      - ScaiVault's C(options.max_versions) for the migrated secrets. If not set, ScaiVault's setting is left alone.
      - Sent with every write of a migrated secret, but never the cause of a write on its own, because ScaiVault's secret
        object has no C(options) field, so the stored value cannot be read back and compared. A re-run with
        O(max_versions) set therefore writes nothing for secrets whose ASM value and metadata are unchanged; a new
        O(max_versions) takes effect with the next version each secret gets (a changed ASM value or metadata).
    type: int
  versions:
    description:
      - C(current) copies ASM's C(AWSCURRENT) version.
      - C(all) exports every retained ASM version (C(ListSecretVersionIds) with deprecated versions included, one
        C(GetSecretValue) per version), oldest first by creation date with C(AWSCURRENT) always written last, so
        ScaiVault's history mirrors ASM's order and its latest version is ASM's current one. Each version's ASM
        VersionId is recorded. Versions staged only C(AWSPENDING) (an unfinished rotation) are left out.
      - With C(all), a run that was interrupted continues after the last version the target records; a target
        migrated earlier with C(current) is not back-filled (ScaiVault can only append versions).
      - C(all) needs O(source=asm).
    type: str
    choices: [current, all]
    default: current
  include_replicas:
    description:
      - Also migrate replicas (secrets whose primary region is another region). By default they are skipped with
        reason code C(replica) - migrate a secret once, from its primary region.
    type: bool
    default: false
  include_planned_deletion:
    description:
      - Also try secrets that are scheduled for deletion. By default they are skipped with reason code
        C(planned_deletion). ASM refuses to read their values, so with this option they end as C(error) unless
        restored first; the option exists to make that explicit in the report.
    type: bool
    default: false
  take_over:
    description:
      - Write over a target path that already exists but does not record this ASM secret in C(metadata.source)
        (written by hand, by another region, or from another secret). By default such a secret is an C(error) with
        reason code C(foreign_target), so two sources can never overwrite each other in turn.
    type: bool
    default: false
  workers:
    description:
      - Writer threads (concurrent ScaiVault PUTs). Writes are paced from C(X-RateLimit-*) headers whatever the
        number; more workers help when each request has a long round trip. At most 32 (the connection pool).
    type: int
    default: 8
  batch:
    description:
      - Migrate only one slice of the selection, so that a role can run it in batches and the play shows
        progress. The selection (after skips and collision checks over the B(whole) selection) is sorted by name;
        give either O(batch.index) and O(batch.count) (equal parts) or O(batch.offset) and O(batch.limit).
      - Every batch lists the whole selection again, so K batches cost K x ceil(N/100) C(ListSecrets) calls
        (value reads and writes are not repeated).
    type: dict
    suboptions:
      index:
        description:
          - Which part, from 1 to O(batch.count).
        type: int
      count:
        description:
          - Into how many equal parts the selection is cut.
        type: int
      offset:
        description:
          - First secret of the slice (0-based, in name order).
        type: int
      limit:
        description:
          - Number of secrets in the slice. If not set, up to the end.
        type: int
  report_path:
    description:
      - Write a report to C(<report_path>.json) (the module result without the diff) and C(<report_path>.md)
        (summary and one row per secret). No values are in them. Written atomically; not written in check mode.
    type: path
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details:
      - Computes the whole plan (C(create), C(update), C(unchanged), C(skip), C(error) per secret, with the versions
        it would write) and writes nothing on either side. Values are still read, so read errors show in the plan.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
    details:
      - One diff per created or updated secret - path, version, type, metadata and per-key salted value
        fingerprints (salt made per run, never returned), never values. Updates cost one extra ScaiVault batch read
        per 100 secrets for the fingerprints of the current data.
notes:
  - Needs the ASM permissions C(secretsmanager:ListSecrets) and C(secretsmanager:BatchGetSecretValue) (or
    C(GetSecretValue)), plus C(ListSecretVersionIds) for O(versions=all), and C(kms:Decrypt) for secrets encrypted
    with a customer managed key; and the ScaiVault scopes C(secrets:list) and C(secrets:write) (C(secrets:read) for
    O(source=federation), diff mode and resolving unknown write outcomes).
  - Run several regions as several inventory hosts with C(forks) of 2 or more; each runs its own process.
  - A secret whose ASM value is larger than ScaiVault accepts ends as C(error) (C(secret_too_large)).
seealso:
  - module: scailabs.scaivault.asm_inventory
  - module: scailabs.scaivault.scaivault_secret
"""

EXAMPLES = r"""
- name: Migrate production secrets of us-east-1 to canonical paths
  scailabs.scaivault.asm_migrate:
    region: us-east-1
    prefixes: [prod/]
    mapping:
      - match: "prod/**"
        path: "environments/production/**"
    naming_policy: normalize
    owner: team:platform
    max_versions: 10
  register: migration

- name: Show what was done, per action
  ansible.builtin.debug:
    var: migration.summary

- name: Plan only, with diffs (no write on either side), for the billing folder
  scailabs.scaivault.asm_migrate:
    region: us-east-1
    prefixes: [prod/billing/]
    mapping:
      - match: "prod/billing/**"
        path: "environments/production/billing/**"
    naming_policy: normalize
  check_mode: true
  diff: true

- name: One service, full ASM history, with a report for people and AWX
  scailabs.scaivault.asm_migrate:
    region: us-east-1
    prefixes: [prod/billing/]
    mapping:
      - match: "prod/billing/*"
        path: "environments/production/billing/*"
    versions: all
    tags: [migrated-from-asm, wave-1]
    tag_style: key
    metadata:
      migration_wave: "1"
    report_path: /tmp/scaivault-migrate-billing

- name: In batches, so the play shows progress (the same rules, kept in a variable)
  vars:
    production_rules:
      - match: "prod/**"
        path: "environments/production/**"
  scailabs.scaivault.asm_migrate:
    region: us-east-1
    prefixes: [prod/]
    mapping: "{{ production_rules }}"
    naming_policy: normalize
    batch:
      index: "{{ item }}"
      count: 3
  loop: [1, 2, 3]
  loop_control:
    label: "batch {{ item }}/3"

- name: Read the values through a federation backend instead of ASM
  scailabs.scaivault.asm_migrate:
    region: us-east-1
    prefixes: [prod/]
    source: federation
    federation_path_mapping:
      "external/aws/**": "prod/**"
    mapping:
      - match: "prod/**"
        path: "environments/production/**"
    naming_policy: normalize
"""

RETURN = r"""
changed:
  description: Whether any secret was created or updated (in check mode - would be).
  returned: always
  type: bool
  sample: true
region:
  description: The region migrated.
  returned: always
  type: str
  sample: us-east-1
secrets:
  description: One entry per selected secret of this batch, sorted by name. Never contains a value.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The ASM secret name (or the name or ARN as given, for a C(not_found) entry).
      type: str
      sample: prod/billing/stripe
    arn:
      description: The ASM secret ARN; null for a C(not_found) entry.
      type: str
      sample: arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/billing/stripe-AbCdEf
    path:
      description: The target ScaiVault path (for C(invalid_path), the candidate); null when unmapped.
      type: str
      sample: environments/production/billing/stripe
    action:
      description: What was done (in check mode - would be done).
      type: str
      choices: [create, update, unchanged, skip, error]
      sample: create
    reason_code:
      description:
        - Why a secret was skipped or failed, for example C(replica), C(planned_deletion), C(unmapped), C(no_value),
          C(invalid_path), C(collision), C(not_found), C(foreign_target), C(not_federated), C(stale_federation),
          C(secret_too_large), an ASM error code, or a ScaiVault error code; null otherwise.
      type: str
      sample: replica
    reason:
      description: The same in words, with what to do about it; null when there is nothing to say.
      type: str
    source_version_id:
      description: ASM's C(AWSCURRENT) VersionId as listed.
      type: str
      sample: 3f1c6a0e-2b4d-4c8e-9a57-0d2b6a9c1e11
    from_version:
      description: The target's ScaiVault version before the run; null when it did not exist.
      type: int
      sample: 3
    to_version:
      description: The target's ScaiVault version after the run (in check mode - the predicted one).
      type: int
      sample: 4
    versions_written:
      description: ScaiVault versions written by this run (0 in check mode).
      type: int
      sample: 1
    versions_planned:
      description: Versions this run writes or would write (check mode, O(versions=all)).
      type: int
      returned: when known
    changes:
      description:
        - For an update, what differs - C(source) (another ASM version or secret), metadata fields (C(tags),
          C(description), C(owner), custom keys), C(secret_type), C(max_versions), and in diff mode C(data) when the
          value fingerprints differ. C([created]) for a create.
      type: list
      elements: str
      sample: [source, tags]
    rotation_enabled:
      description: Whether ASM rotation is on for this secret.
      type: bool
      sample: false
    rotation_warning:
      description: What to do about the ASM rotation (disable rotation, migrate, switch consumers, retire).
      type: str
      returned: when rotation_enabled
    rotation_lambda_arn:
      description: The rotation Lambda ARN.
      type: str
      returned: when rotation_enabled
    kms_key_id:
      description: The customer managed KMS key ASM reports (the key stays in KMS); null for the AWS managed key.
      type: str
    federated_path:
      description: With O(source=federation), the ScaiVault path the value was read from.
      type: str
      returned: when source is federation
    notes:
      description: Anything else worth knowing, for example an unknown write outcome that a re-read resolved.
      type: list
      elements: str
      returned: when there are notes
    metadata_update:
      description:
        - When only metadata changed (the target already holds the current ASM version) - V(in_place) when the
          tenant's metadata-only update carried it (no value read, no version written), V(new_version) when the
          tenant has none and a new version with the unchanged value was written for it.
      type: str
      returned: when only metadata changed and not in check mode
summary:
  description: How many secrets ended in each action, and why.
  returned: always
  type: dict
  contains:
    total:
      description: Entries in RV(secrets).
      type: int
    create:
      description: Secrets created.
      type: int
    update:
      description: Secrets updated.
      type: int
    unchanged:
      description: Secrets already up to date (no value read, nothing written).
      type: int
    skip:
      description: Secrets skipped on purpose.
      type: int
    error:
      description: Secrets that failed (the task then fails).
      type: int
    failed:
      description: Same as RV(summary.error).
      type: int
    changed:
      description: RV(summary.create) + RV(summary.update).
      type: int
    versions_written:
      description: ScaiVault versions written.
      type: int
    metadata_in_place:
      description: Secrets whose metadata alone changed and was updated without a new version.
      type: int
    versions_for_metadata:
      description: Secrets whose metadata alone changed and got a new version for it (the tenant has no
        metadata-only update).
      type: int
    rotation_enabled:
      description: Migrated or up-to-date secrets that still have ASM rotation on.
      type: int
    by_reason:
      description: Entries per reason code.
      type: dict
      sample: {"replica": 1, "unmapped": 3}
    selected_total:
      description: Secrets in the whole selection (all batches).
      type: int
    batch:
      description: The slice of the selection this run covered, C(start) included, C(stop) excluded.
      type: dict
      returned: when batch is set
      sample: {"start": 0, "stop": 500}
  sample: {"total": 3, "create": 1, "update": 0, "unchanged": 1, "skip": 1, "error": 0, "failed": 0, "changed": 1,
           "versions_written": 1, "metadata_in_place": 0, "versions_for_metadata": 0, "rotation_enabled": 0,
           "by_reason": {"replica": 1}, "selected_total": 3}
rate_limits:
  description:
    - The last C(X-RateLimit-*) figures ScaiVault sent per endpoint category (C(write), C(batch_metadata), ...),
      C(limit) (per minute), C(remaining) and C(reset). The migrate role sizes its batches from C(write.limit).
  returned: always
  type: dict
  sample: {"write": {"limit": 100, "remaining": 97, "reset": 1764612000}}
api_calls:
  description:
    - What the run spent, per service and operation - C(asm) (C(ListSecrets), C(BatchGetSecretValue), ..., C(total),
      C(retries)) and C(scaivault) (per method and endpoint category, C(total), C(retries), C(rate_limited)).
  returned: always
  type: dict
  sample: {"asm": {"ListSecrets": 1, "BatchGetSecretValue": 1, "total": 2, "retries": 0},
           "scaivault": {"POST batch_metadata": 1, "PUT write": 3, "total": 4, "retries": 0, "rate_limited": 0}}
pacing:
  description: How the client-side write pacing went (limit seen, seconds spent waiting for tokens).
  returned: always
  type: dict
  sample: {"synced": true, "unlimited": false, "limit": 600.0, "tokens": 0.2, "in_flight": 0,
           "waited_seconds": 12.5, "corrections": 0}
timings:
  description:
    - Where the time went - listing ASM (C(list_seconds)), planning targets and collisions (C(plan_seconds)), and
      probing, reading and writing (C(execute_seconds), these three overlap in a pipeline).
  returned: always
  type: dict
  sample: {"list_seconds": 0.4, "plan_seconds": 0.05, "execute_seconds": 3.1}
duration_seconds:
  description: Wall time of the migration inside the module.
  returned: always
  type: float
  sample: 4.2
reports:
  description: The report files, when O(report_path) is set.
  returned: when report_path is set
  type: dict
  sample: {"json": {"path": "/tmp/m.json", "changed": true, "written": true},
           "markdown": {"path": "/tmp/m.md", "changed": true, "written": true}}
"""

import time

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.errors import (
    AsmError, PlanError, ScaiVaultError)
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.mapping import MappingError, compile_rules
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.options import NAMING, REPORT, SELECTION
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.tags import TAG_STYLES
from ansible_collections.scailabs.scaivault.plugins.module_utils._module_base import run_module, shared_options
from ansible_collections.scailabs.scaivault.plugins.module_utils._plan.migration import MigrationSettings
from ansible_collections.scailabs.scaivault.plugins.module_utils._run.migration import (
    AsmValues, FederationValues, Migration, MigrationAborted, federation_rules)
from ansible_collections.scailabs.scaivault.plugins.module_utils._run.report_markdown import migration_markdown
from ansible_collections.scailabs.scaivault.plugins.module_utils._run.reports import ReportError, module_reports, parse_mode

MAX_WORKERS = 32
FAILURES_IN_MESSAGE = 20


def argument_spec():
    return dict(
        shared_options(SELECTION, NAMING, REPORT),
        source=dict(type="str", default="asm", choices=["asm", "federation"]),
        federation_backend=dict(type="str"),
        federation_path_mapping=dict(type="dict"),
        mapping=dict(type="list", elements="raw", required=True),
        owner=dict(type="str"),
        tags=dict(type="list", elements="str", default=["migrated-from-asm"]),
        tag_style=dict(type="str", default="key=value", choices=list(TAG_STYLES)),
        copy_description=dict(type="bool", default=True),
        metadata=dict(type="dict"),
        max_versions=dict(type="int"),
        versions=dict(type="str", default="current", choices=["current", "all"]),
        include_replicas=dict(type="bool", default=False),
        include_planned_deletion=dict(type="bool", default=False),
        take_over=dict(type="bool", default=False),
        workers=dict(type="int", default=8),
        batch=dict(type="dict", options=dict(
            index=dict(type="int"), count=dict(type="int"), offset=dict(type="int"), limit=dict(type="int"))),
        report_path=dict(type="path"),
    )


def settings_from(module):
    params = module.params
    if params["source"] == "federation" and params["versions"] == "all":
        module.fail("versions=all needs source=asm: a federation backend copies AWSCURRENT only")
    if params["source"] == "federation" and not (params["federation_backend"] or params["federation_path_mapping"]):
        module.fail("source=federation needs federation_backend (its name) or federation_path_mapping")
    if params["workers"] < 1 or params["workers"] > MAX_WORKERS:
        module.fail("workers must be between 1 and %d (got %d)" % (MAX_WORKERS, params["workers"]))
    try:
        rules = compile_rules(params["mapping"])
        if not rules:
            module.fail("mapping needs at least one rule, for example {match: 'prod/**', path: 'environments/production/**'}")
        return MigrationSettings(
            region=params["region"], rules=rules, naming_policy=params["naming_policy"], owner=params["owner"],
            tags=params["tags"], tag_style=params["tag_style"], copy_description=params["copy_description"],
            metadata=params["metadata"], max_versions=params["max_versions"], versions=params["versions"],
            include_replicas=params["include_replicas"], include_planned_deletion=params["include_planned_deletion"],
            take_over=params["take_over"], workers=params["workers"], batch=params["batch"], source=params["source"])
    except (MappingError, PlanError) as exc:
        module.fail(str(exc))


def value_source(module):
    params = module.params
    if params["source"] == "asm":
        return AsmValues(module.asm)
    mapping = params["federation_path_mapping"]
    if params["federation_backend"]:
        try:
            backend = module.scaivault.find_backend(params["federation_backend"])
        except ScaiVaultError as exc:
            module.fail_from(exc, "reading federation backend %s" % params["federation_backend"])
        if backend is None:
            module.fail("no federation backend named %s; create it with scaivault_federation, or give "
                        "federation_path_mapping" % params["federation_backend"])
        backend_region = (backend.get("config") or {}).get("region")
        if backend_region and backend_region != params["region"]:
            module.fail("federation backend %s federates region %s, but this task migrates %s" % (
                params["federation_backend"], backend_region, params["region"]))
        mapping = backend.get("path_mapping") or {}
    try:
        return FederationValues(module.scaivault, federation_rules(mapping))
    except MappingError as exc:
        module.fail("federation path mapping: %s" % exc)


def failure_reason(task):
    """The reason, led by its code unless the text already names it (shared-layer errors do)."""
    if task.reason_code and task.reason_code not in (task.reason or ""):
        return "%s: %s" % (task.reason_code, task.reason)
    return task.reason


def failure_message(failed, total):
    listed = "; ".join("%s (%s)" % (task.name, failure_reason(task)) for task in failed[:FAILURES_IN_MESSAGE])
    more = "; and %d more" % (len(failed) - FAILURES_IN_MESSAGE) if len(failed) > FAILURES_IN_MESSAGE else ""
    return ("%d of %d secrets failed (see secrets[] with action=error; a re-run finishes them once fixed): %s%s"
            % (len(failed), total, listed, more))


def run(module):
    started = time.time()
    params = module.params
    parse_mode(params["report_mode"])  # a bad mode fails before any call
    settings = settings_from(module)
    migration = Migration(module.asm, module.scaivault, settings, check_mode=module.check_mode,
                          diff_mode=module.diff_mode, values=value_source(module), warn=module.warn)
    try:
        outcome = migration.run(names=params["names"], prefixes=params["prefixes"], filters=params["filters"])
    except PlanError as exc:
        module.fail(str(exc), api_calls=module.api_calls())
    except MigrationAborted as exc:
        module.fail_from(exc.cause, exc.action, api_calls=module.api_calls())
    except (AsmError, ScaiVaultError) as exc:
        module.fail_from(exc, "listing the secrets of region %s" % params["region"], api_calls=module.api_calls())

    result = dict(changed=outcome.changed, region=params["region"], secrets=outcome.results(),
                  summary=outcome.summary(), pacing=outcome.pacing, timings=outcome.timings)
    for task in outcome.tasks:
        if task.source and task.source.rotation_enabled and task.action in ("create", "update"):
            module.warn("%s: ASM rotation is enabled; see secrets[].rotation_warning" % task.name)
            break
    if params["report_path"]:
        result["reports"] = write_report(module, result, params["report_path"])
    result["api_calls"] = module.api_calls()
    result["rate_limits"] = module.scaivault.rate_limits_seen()
    result["duration_seconds"] = round(time.time() - started, 3)
    if module.diff_mode:
        result["diff"] = outcome.diffs()
    if outcome.failed:
        module.fail(failure_message(outcome.failed, len(outcome.tasks)), **result)
    return result


def write_report(module, result, base):
    report = dict((key, value) for key, value in result.items() if key != "diff")
    report["api_calls"] = module.api_calls()
    try:
        return module_reports({"json": base + ".json", "markdown": base + ".md"}, report,
                              migration_markdown(report), module.check_mode, parse_mode(module.params["report_mode"]))
    except ReportError as exc:
        module.fail(str(exc), **result)


def main():
    run_module(run, argument_spec(), scaivault=True, asm=True,
               required_one_of=[("names", "prefixes", "filters")],
               mutually_exclusive=[("federation_backend", "federation_path_mapping")])


if __name__ == "__main__":
    main()
