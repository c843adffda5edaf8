#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: asm_inventory
short_description: Inventory AWS Secrets Manager secrets before moving them to ScaiVault, without reading values
version_added: 0.1.0
author:
  - ScaiLabs platform engineering (@scailabs)
description:
  - Lists the AWS Secrets Manager (ASM) secrets of one region and classifies each one for the migration to
    ScaiVault (runbook step 1) - rotation (with Lambda and rules), customer managed KMS key, replica,
    scheduled deletion, service group and tags.
  - Without O(names), O(prefixes) and O(filters), every secret of the region is listed. Names that match no
    secret are returned in RV(not_found) with a warning.
  - Previews where each secret would land in ScaiVault under the same path mapping rules and naming policy
    the migration uses, or why it would not (no rule matches, invalid path with the offending characters,
    collision with other names, depth or length limits).
  - Builds the least-privilege IAM policy document for ScaiVault's ASM reader (runbook step 2) and estimates
    the monthly ASM API cost of federation in C(sync) versus C(proxy) mode.
  - Applies an optional JMESPath O(query) exactly like C(aws secretsmanager list-secrets --query).
  - Optionally writes the inventory to a JSON file and a Markdown file (AWX artifacts, people).
  - B(Reads no secret values.) It calls only C(ListSecrets) (100 secrets per call), plus
    C(DescribeSecret) with O(include_replication) and C(ListSecretVersionIds) with O(include_versions),
    so it runs with a metadata-only AWS role.
  - Never changes anything; RV(changed) is always false.
extends_documentation_fragment:
  - scailabs.scaivault.aws
  - scailabs.scaivault.selection
  - scailabs.scaivault.naming
  - scailabs.scaivault.report
  - scailabs.scaivault.attributes.asm_group
options:
  include_planned_deletion:
    description:
      - Also list secrets that are scheduled for deletion (as C(aws secretsmanager list-secrets
        --include-planned-deletion) does). They are classified with RV(secrets[].planned_deletion=true) and never
        get a migration target.
    type: bool
    default: false
  query:
    description:
      - 'A JMESPath expression applied to C({"SecretList": [...]}), the merged pages of C(ListSecrets) over the
        selected secrets, exactly as the AWS CLI applies C(--query) to C(list-secrets). The answer is RV(query_result).'
      - Dates are ISO 8601 text as the AWS CLI prints them with C(cli_timestamp_format = iso8601) (the AWS CLI v2
        default), for example C(2024-05-01T12:00:00+00:00).
      - Needs the C(jmespath) Python library.
    type: str
  service_depth:
    description:
      - How many leading segments of a name's folder form its service group, for example C(prod/billing) for
        C(prod/billing/stripe) with the default 2. Names without a folder have no service.
    type: int
    default: 2
  include_replication:
    description:
      - Add RV(secrets[].replica_regions) to every secret that is not itself a replica, with one
        C(DescribeSecret) call per such secret (C(ListSecrets) does not report replication).
    type: bool
    default: false
  include_versions:
    description:
      - Add RV(secrets[].versions) (every version id with its staging labels and creation date) with one
        C(ListSecretVersionIds) call per secret. Useful to see how much history beyond C(AWSCURRENT) would have to
        be exported explicitly.
    type: bool
    default: false
  mapping:
    description:
      - Ordered path mapping rules for the preview in RV(secrets[].target), written and applied exactly as
        O(scailabs.scaivault.asm_migrate#module:mapping) (the first rule whose glob matches a name wins).
      - If not set, every name maps to the same path (C(** -> **)).
    type: list
    elements: raw
  iam_prefixes:
    description:
      - Scope the reader policy in RV(iam_policy) to these name prefixes (C(prod/) gives
        C(arn:aws:secretsmanager:REGION:ACCOUNT:secret:prod/*)), which also covers secrets created there later.
      - If not set, the policy names each selected secret that is not scheduled for deletion
        (C(...:secret:NAME-??????)).
    type: list
    elements: str
  iam_allow_delete:
    description:
      - Also allow C(secretsmanager:DeleteSecret) on the same resources, for the cleanup step.
    type: bool
    default: false
  iam_include_kms:
    description:
      - Add C(kms:Decrypt) on the customer managed KMS keys of the selected secrets, limited to use through
        Secrets Manager in O(region). Reading a secret encrypted with such a key needs it.
    type: bool
    default: true
  cost_sync_interval:
    description:
      - The federation C(sync_interval) to estimate in RV(cost), as a ScaiVault duration (C(15m), C(1h), C(1h30m)).
    type: str
    default: 15m
  cost_proxy_reads_per_minute:
    description:
      - Reads per minute of all selected secrets together through a C(proxy) mode backend, for RV(cost).
    type: float
    default: 60.0
  cost_changes_per_month:
    description:
      - Value changes per month of all selected secrets together, for the C(sync) estimate in RV(cost).
      - If not set, it is derived from the ASM rotation schedules of the selected secrets (manual changes are
        then not counted).
    type: float
  cost_price_per_10k_calls:
    description:
      - ASM price in USD per 10,000 API calls.
    type: float
    default: 0.05
  report_json:
    description:
      - Write the inventory (region, summary, secrets, not_found, IAM policy, cost) as JSON to this file.
        Written atomically; a file that already holds the same content is not rewritten. Missing parent
        directories are created. Not written in check mode.
    type: path
  report_markdown:
    description:
      - Write the inventory as Markdown tables (summary, services, one row per secret with its migration target)
        to this file. Same rules as O(report_json).
    type: path
attributes:
  check_mode:
    description: The module only reads ASM, so check mode gives the same inventory as a real run.
    support: full
    details:
      - Nothing is changed in either mode. In check mode the report files are not written; RV(reports) then says so.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
notes:
  - Inventory of N secrets costs ceil(N/100) C(ListSecrets) calls; RV(api_calls) shows what was spent.
    O(names) and O(prefixes) are listed with one C(ListSecrets) per 10 of them (name filters match prefixes, so
    a name that is a prefix of many others costs extra pages).
seealso:
  - module: scailabs.scaivault.asm_migrate
  - module: scailabs.scaivault.asm_rotation
"""

EXAMPLES = r"""
- name: Inventory every production secret in us-east-1
  scailabs.scaivault.asm_inventory:
    region: us-east-1
    filters:
      - key: name
        values: [prod/]
  register: inventory

- name: Same answer as aws secretsmanager list-secrets --query
  scailabs.scaivault.asm_inventory:
    region: us-east-1
    filters:
      - key: name
        values: [prod/]
    query: "SecretList[*].[Name, Description, Tags[?Key==`environment`].Value | [0]]"
  register: listed

- name: Preview the migration targets and write reports for AWX and people
  scailabs.scaivault.asm_inventory:
    region: us-east-1
    filters:
      - key: name
        values: [prod/]
    mapping:
      - match: "prod/**"
        path: "environments/production/**"
    naming_policy: strict
    iam_prefixes: [prod/]
    cost_sync_interval: 15m
    cost_proxy_reads_per_minute: 20
    report_json: /tmp/scaivault-asm-inventory-us-east-1.json
    report_markdown: /tmp/scaivault-asm-inventory-us-east-1.md
  register: preview

- name: Show what cannot be migrated as is
  ansible.builtin.debug:
    msg: "{{ preview.secrets | rejectattr('target.status', 'equalto', 'ok') | map(attribute='target.reason') | list }}"

- name: Two named secrets with their replication and version history (DescribeSecret + ListSecretVersionIds)
  scailabs.scaivault.asm_inventory:
    region: us-east-1
    names:
      - prod/billing/stripe
      - prod/orders/db
    include_replication: true
    include_versions: true
"""

RETURN = r"""
changed:
  description: Always false; the module only reads.
  returned: always
  type: bool
  sample: false
region:
  description: The region inventoried.
  returned: always
  type: str
  sample: us-east-1
secrets:
  description: One entry per selected secret, sorted by name. Never contains a secret value.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The secret name.
      type: str
      sample: prod/billing/stripe
    arn:
      description: The secret ARN.
      type: str
      sample: arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/billing/stripe-AbCdEf
    region:
      description: The region of this copy of the secret.
      type: str
      sample: us-east-1
    account_id:
      description: The AWS account that owns the secret (from the ARN).
      type: str
      sample: "123456789012"
    description:
      description: The secret's description, or null.
      type: str
      sample: Stripe API key for billing
    service:
      description: Service group, the first O(service_depth) segments of the name's folder; null without a folder.
      type: str
      sample: prod/billing
    tags:
      description: ASM tags as a dict.
      type: dict
      sample: {"environment": "production", "team": "billing"}
    rotation_enabled:
      description: Whether ASM rotation is on.
      type: bool
      sample: true
    rotation:
      description: The rotation settings (also when rotation is off but settings are stored).
      type: dict
      contains:
        enabled:
          description: Whether ASM rotation is on.
          type: bool
        lambda_arn:
          description: The ARN of the Lambda function that rotates the secret, or null.
          type: str
        automatically_after_days:
          description: Days between rotations, or null.
          type: int
        schedule_expression:
          description: The C(rate()) or C(cron()) schedule, or null.
          type: str
        duration:
          description: The rotation window, for example C(3h), or null.
          type: str
    next_rotation_date:
      description: When ASM rotates next (ISO 8601), or null.
      type: str
    last_rotated_date:
      description: When ASM last rotated it (ISO 8601), or null.
      type: str
    cmk_encrypted:
      description: Encrypted with a customer managed KMS key (reported only; the key stays in KMS).
      type: bool
      sample: false
    kms_key_id:
      description: The KMS key id, ARN or alias ASM reports; null for the AWS managed key.
      type: str
    replica:
      description: A replica of a secret whose primary is in another region; migrate it from there.
      type: bool
      sample: false
    primary_region:
      description: The primary region of a replicated secret, or null.
      type: str
    planned_deletion:
      description: Scheduled for deletion.
      type: bool
      sample: false
    deleted_date:
      description: When ASM deletes it for good (ISO 8601), or null.
      type: str
    owning_service:
      description: The AWS service that manages the secret (for example C(rds)), or null.
      type: str
    created_date:
      description: Creation date (ISO 8601).
      type: str
    last_changed_date:
      description: Last change (ISO 8601).
      type: str
    last_accessed_date:
      description: Day of the last read (ISO 8601), or null.
      type: str
    current_version_id:
      description: The version labelled C(AWSCURRENT).
      type: str
    version_count:
      description: Number of versions that carry a staging label.
      type: int
    target:
      description: The migration preview for this secret.
      type: dict
      contains:
        status:
          description:
            - C(ok) (migrates to RV(secrets[].target.path)), C(unmapped) (no rule matches), C(invalid) (the mapped
              path breaks a ScaiVault path rule), C(collision) (another name lands on the same path), C(replica)
              or C(planned_deletion) (not migrated from this region).
          type: str
          sample: ok
        path:
          description: The ScaiVault path (for C(invalid) and C(collision) the offending candidate), or null.
          type: str
          sample: environments/production/billing/stripe
        reason:
          description: Why the secret would not be migrated, and the fix; null for C(ok).
          type: str
        collides_with:
          description: The other names that land on the same path.
          type: list
          elements: str
    replica_regions:
      description: The regions this secret is replicated to, with their status.
      returned: when O(include_replication=true) and the secret is not a replica
      type: list
      elements: dict
      sample: [{"region": "eu-west-1", "status": "InSync", "kms_key_id": "alias/aws/secretsmanager"}]
    versions:
      description: Every version with its staging labels.
      returned: when O(include_versions=true)
      type: list
      elements: dict
      sample: [{"version_id": "a1b2...", "stages": ["AWSCURRENT"], "created_date": "2024-05-01T12:00:00+00:00"}]
summary:
  description: Counts over RV(secrets).
  returned: always
  type: dict
  contains:
    total:
      description: Secrets selected.
      type: int
    rotation_enabled:
      description: Secrets with ASM rotation on.
      type: int
    cmk_encrypted:
      description: Secrets on a customer managed KMS key.
      type: int
    replicas:
      description: Replicas of secrets from other regions.
      type: int
    planned_deletion:
      description: Secrets scheduled for deletion.
      type: int
    owned_by_service:
      description: Secrets managed by another AWS service.
      type: int
    services:
      description: Secrets per service group (C((none)) for names without a folder).
      type: dict
    tag_keys:
      description: Secrets per tag key.
      type: dict
    targets:
      description: Secrets per migration preview status.
      type: dict
  sample: {"total": 12, "rotation_enabled": 1, "cmk_encrypted": 1, "replicas": 0, "planned_deletion": 0,
           "owned_by_service": 0, "services": {"prod/billing": 3}, "tag_keys": {"environment": 9},
           "targets": {"ok": 7, "invalid": 3, "collision": 2}}
not_found:
  description: Entries of O(names) that match no secret.
  returned: always
  type: list
  elements: str
  sample: []
query_result:
  description: The answer of O(query), as the AWS CLI would print it.
  returned: when O(query) is set
  type: raw
  sample: [["prod/billing/stripe", "Stripe API key", "production"]]
iam_policy:
  description: The least-privilege IAM policy for ScaiVault's ASM reader.
  returned: always
  type: dict
  contains:
    document:
      description:
        - The policy document. C(GetSecretValue), C(DescribeSecret) and C(ListSecretVersionIds) on the selected
          secrets or O(iam_prefixes); C(ListSecrets) and C(BatchGetSecretValue) on C(*) (neither supports resource
          scoping; batch reads still need C(GetSecretValue) per secret); C(DeleteSecret) only with
          O(iam_allow_delete); C(kms:Decrypt) on customer managed keys with O(iam_include_kms).
      type: dict
    resources:
      description: The secret resources the read statement is scoped to.
      type: list
      elements: str
    notes:
      description: Things to check before using the policy (unknown account, policy too large, prefix without C(/)).
      type: list
      elements: str
    size:
      description: Characters IAM counts against its 6,144 character limit for managed policies.
      type: int
cost:
  description:
    - Monthly ASM API calls and USD for one federation backend over the selected secrets (those not scheduled for
      deletion), in C(sync) mode at O(cost_sync_interval) versus C(proxy) mode at O(cost_proxy_reads_per_minute).
    - RV(cost.assumptions) states the model.
  returned: always
  type: dict
  contains:
    secrets:
      description: Secrets a backend would list.
      type: int
    price_per_10k_calls_usd:
      description: The price used.
      type: float
    sync:
      description:
        - C(interval_seconds), C(syncs_per_month), C(list_calls_per_sync), C(changes_per_month),
          C(list_calls_per_month), C(value_read_calls_per_month), C(calls_per_month), C(usd_per_month) and
          C(first_sync_calls) (one-off full read).
      type: dict
    proxy:
      description: C(reads_per_minute), C(calls_per_month) and C(usd_per_month).
      type: dict
    cheaper:
      description: C(sync), C(proxy) or C(equal).
      type: str
    break_even_proxy_reads_per_minute:
      description: The proxy read rate that costs as much as sync.
      type: float
    assumptions:
      description: The cost model, one sentence each.
      type: list
      elements: str
  sample: {"secrets": 250, "price_per_10k_calls_usd": 0.05, "cheaper": "sync",
           "sync": {"interval_seconds": 900, "calls_per_month": 8790, "usd_per_month": 0.044},
           "proxy": {"reads_per_minute": 60.0, "calls_per_month": 2628000, "usd_per_month": 13.14}}
reports:
  description: The report files, with C(changed) false when the file already held the same content.
  returned: when O(report_json) or O(report_markdown) is set
  type: dict
  sample: {"json": {"path": "/tmp/inventory.json", "changed": true, "written": true}}
errors:
  description: Per-secret failures of C(DescribeSecret) or C(ListSecretVersionIds); the module then fails.
  returned: when a per-secret call failed
  type: list
  elements: dict
  sample: [{"name": "prod/x", "operation": "DescribeSecret", "code": "AccessDeniedException", "message": "..."}]
api_calls:
  description: ASM API calls this run made, per operation, with C(total) and C(retries).
  returned: always
  type: dict
  sample: {"asm": {"ListSecrets": 1, "total": 1, "retries": 0}}
"""

import copy

try:
    import jmespath
    from jmespath.exceptions import JMESPathError
    HAS_JMESPATH = True
    JMESPATH_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - depends on the controller
    jmespath = None
    JMESPathError = Exception
    HAS_JMESPATH = False
    JMESPATH_IMPORT_ERROR = exc

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.durations import DurationError, parse_duration
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.errors import AsmError
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.mapping import IDENTITY_RULES, MappingError, compile_rules
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.options import NAMING, REPORT, SELECTION
from ansible_collections.scailabs.scaivault.plugins.module_utils._module_base import run_module, shared_options
from ansible_collections.scailabs.scaivault.plugins.module_utils._plan.cost import (
    CostError, estimate_federation_cost, rotation_changes_per_month)
from ansible_collections.scailabs.scaivault.plugins.module_utils._plan.iam_policy import PolicyError, reader_policy
from ansible_collections.scailabs.scaivault.plugins.module_utils._plan.inventory import (
    classify_entry, cli_view, migration_exclusion, summarize)
from ansible_collections.scailabs.scaivault.plugins.module_utils._plan.selection import check_filters, SelectionError
from ansible_collections.scailabs.scaivault.plugins.module_utils._plan.targets import plan_targets
from ansible_collections.scailabs.scaivault.plugins.module_utils._run.report_markdown import inventory_markdown
from ansible_collections.scailabs.scaivault.plugins.module_utils._run.reports import ReportError, module_reports, parse_mode
from ansible_collections.scailabs.scaivault.plugins.module_utils._run.selection import list_scope


def argument_spec():
    return dict(
        shared_options(SELECTION, NAMING, REPORT),
        include_planned_deletion=dict(type="bool", default=False),
        query=dict(type="str"),
        service_depth=dict(type="int", default=2),
        include_replication=dict(type="bool", default=False),
        include_versions=dict(type="bool", default=False),
        mapping=dict(type="list", elements="raw"),
        iam_prefixes=dict(type="list", elements="str"),
        iam_allow_delete=dict(type="bool", default=False),
        iam_include_kms=dict(type="bool", default=True),
        cost_sync_interval=dict(type="str", default="15m"),
        cost_proxy_reads_per_minute=dict(type="float", default=60.0),
        cost_changes_per_month=dict(type="float"),
        cost_price_per_10k_calls=dict(type="float", default=0.05),
        report_json=dict(type="path"),
        report_markdown=dict(type="path"),
    )


def check_options(module):
    """Everything that can be wrong without asking AWS, checked before the first call."""
    params = module.params
    compiled = {}
    if params["query"] is not None:
        if not HAS_JMESPATH:
            module.fail(missing_required_lib("jmespath"), exception=str(JMESPATH_IMPORT_ERROR))
        try:
            compiled["query"] = jmespath.compile(params["query"])
        except JMESPathError as exc:
            module.fail("query %r is not a valid JMESPath expression: %s" % (params["query"], exc))
    if params["service_depth"] < 1:
        module.fail("service_depth must be 1 or more, got %d" % params["service_depth"])
    try:
        check_filters(params["filters"])
        compiled["rules"] = compile_rules(params["mapping"] if params["mapping"] is not None else IDENTITY_RULES)
        compiled["sync_interval"] = parse_duration(params["cost_sync_interval"])
    except (SelectionError, MappingError) as exc:
        module.fail(str(exc))
    except DurationError as exc:
        module.fail("cost_sync_interval: %s" % exc)
    if compiled["sync_interval"] <= 0:
        module.fail("cost_sync_interval must be longer than 0s, got %r" % params["cost_sync_interval"])
    for name in ("cost_proxy_reads_per_minute", "cost_changes_per_month", "cost_price_per_10k_calls"):
        if params[name] is not None and params[name] < 0:
            module.fail("%s must be 0 or more, got %s" % (name, params[name]))
    return compiled


def add_targets(secrets, rules, naming_policy):
    """Give every secret a target: a path plan for the migratable ones, the exclusion for the others."""
    migratable = [secret for secret in secrets if migration_exclusion(secret) is None]
    plans = plan_targets([secret["name"] for secret in migratable], rules, naming_policy)
    for secret in secrets:
        excluded = migration_exclusion(secret)
        if excluded:
            secret["target"] = {"status": excluded[0], "path": None, "reason": excluded[1], "collides_with": []}
        else:
            plan = plans[secret["name"]]
            secret["target"] = {"status": plan.status, "path": plan.path, "reason": plan.reason,
                                "collides_with": list(plan.collides_with)}


def replica_regions(asm, secret):
    described = asm.describe(secret["arn"])
    return [{"region": status.get("Region"), "status": status.get("Status"),
             "kms_key_id": status.get("KmsKeyId"), "status_message": status.get("StatusMessage")}
            for status in described.get("ReplicationStatus") or []]


def versions(asm, secret):
    return [{"version_id": version.get("VersionId"), "stages": list(version.get("VersionStages") or []),
             "created_date": cli_view(version.get("CreatedDate"))}
            for version in asm.list_version_ids(secret["arn"])]


def add_details(asm, secrets, field, read, errors):
    """secret[field] = read(asm, secret) for every secret; a failed call goes to errors instead."""
    for secret in secrets:
        try:
            secret[field] = read(asm, secret)
        except AsmError as exc:
            errors.append({"name": secret["name"], "operation": exc.operation, "code": exc.code,
                           "message": exc.message})


def estimate_cost(params, secrets, sync_interval):
    listed = [secret for secret in secrets if not secret["planned_deletion"]]
    changes = params["cost_changes_per_month"]
    if changes is None:
        changes = rotation_changes_per_month([secret["rotation"] for secret in listed])
    return estimate_federation_cost(len(listed), sync_interval, params["cost_proxy_reads_per_minute"], changes,
                                    params["cost_price_per_10k_calls"])


def run(module):
    params = module.params
    compiled = check_options(module)
    parse_mode(params["report_mode"])  # a bad mode fails before any call
    region = params["region"]
    asm = module.asm

    try:
        entries, not_found = list_scope(asm, region, names=params["names"], prefixes=params["prefixes"],
                                        filters=params["filters"],
                                        include_planned_deletion=params["include_planned_deletion"])
    except AsmError as exc:
        module.fail_from(exc, "listing the secrets of region %s" % region, api_calls=module.api_calls())

    result = {"changed": False, "region": region, "not_found": not_found}
    if "query" in compiled:
        # Same input as the CLI: the merged pages, in the order ASM returned them.
        result["query_result"] = compiled["query"].search({"SecretList": [cli_view(entry) for entry in entries]})

    secrets = sorted((classify_entry(entry, region, params["service_depth"]) for entry in entries),
                     key=lambda secret: (secret["name"], secret["arn"]))
    errors = []
    if params["include_replication"]:
        add_details(asm, [secret for secret in secrets if not secret["replica"]], "replica_regions",
                    replica_regions, errors)
    if params["include_versions"]:
        add_details(asm, secrets, "versions", versions, errors)
    add_targets(secrets, compiled["rules"], params["naming_policy"])
    summary = summarize(secrets)

    try:
        readable = [secret for secret in secrets if not secret["planned_deletion"]]
        result["iam_policy"] = reader_policy(region, readable, params["iam_prefixes"],
                                             params["iam_allow_delete"], params["iam_include_kms"])
        result["cost"] = estimate_cost(params, secrets, compiled["sync_interval"])
    except (PolicyError, CostError) as exc:
        module.fail(str(exc), api_calls=module.api_calls())

    result.update(secrets=secrets, summary=summary)
    for missing in not_found:
        module.warn("%s: no such secret in %s%s" % (
            missing, region, "" if params["include_planned_deletion"] else
            " (a secret scheduled for deletion is listed only with include_planned_deletion)"))

    if params["report_json"] or params["report_markdown"]:
        report = copy.deepcopy(result)
        report.pop("changed", None)
        try:
            result["reports"] = module_reports(
                {"json": params["report_json"], "markdown": params["report_markdown"]}, report,
                inventory_markdown(region, secrets, summary), module.check_mode, parse_mode(params["report_mode"]))
        except ReportError as exc:
            module.fail(str(exc), api_calls=module.api_calls())

    result["api_calls"] = module.api_calls()
    if errors:
        result["errors"] = errors
        module.fail("%d of %d secrets could not be fully inventoried: %s. Grant the AWS identity the named "
                    "operation, or turn off the option that needs it (include_replication: DescribeSecret, "
                    "include_versions: ListSecretVersionIds)"
                    % (len(set(e["name"] for e in errors)), len(secrets),
                       "; ".join("%s (%s: %s)" % (e["name"], e["operation"], e["code"]) for e in errors[:10])),
                    **result)
    return result


def main():
    run_module(run, argument_spec(), scaivault=False, asm=True)


if __name__ == "__main__":
    main()
