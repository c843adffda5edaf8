#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: asm_cleanup
short_description: Retire migrated AWS Secrets Manager secrets behind guards, or restore them
version_added: 0.1.0
author:
  - ScaiLabs platform engineering (@scailabs)
description:
  - Runbook step 8 of the ASM to ScaiVault migration. With O(state=absent) schedules the deletion of AWS
    Secrets Manager secrets with a recovery window (O(recovery_window_days), 7 to 30 days); with
    O(state=restored) cancels a scheduled deletion inside that window.
  - "Before a secret is scheduled for deletion every guard must pass, per secret; a secret that fails any guard
    is refused with the reasons and left alone, and the others proceed. The guards:"
  - "B(replica): a replica is deleted through its primary, and a primary only once it no longer replicates (ASM refuses otherwise)."
  - "B(rotation): ASM rotation is still enabled on the secret (disable it first, rotation option A)."
  - "B(sync): a federation backend in C(sync) mode still maps the secret (rotation option B depends on ASM),
    unless O(allow_sync_backend=true)."
  - "B(audit): ScaiVault's audit (see O(audit_method)) shows reads of a federated path of the secret (C(external/aws/...), a read of the
    old ASM secret through ScaiVault) by identities other than the migration's inside O(quiet_window). Reads of the
    new canonical path are what the cutover wants and never count."
  - "B(target): the ScaiVault target path is unknown (no O(mapping) rule or O(paths) entry), does not exist, or
    holds a value that differs from ASM's current value (compared structurally inside the module; values are
    never returned, reasons name keys at most). Turned off with O(require_target=false)."
  - "B(references) (opt-in, with O(references)): the consumers' trees still name the secret or its ARN (full or
    partial) - code that will read ASM tomorrow, which neither ScaiVault's audit nor ASM's C(LastAccessedDate) can
    see yet. The reason names the files and lines."
  - The task fails when any secret was refused, unless O(fail_on_refusal=false); it fails when any secret could
    not be processed (an API error).
  - Needs C(secretsmanager:DescribeSecret), C(GetSecretValue) (and C(BatchGetSecretValue) when allowed),
    C(ListSecrets) for O(prefixes), C(DeleteSecret) and C(RestoreSecret); a ScaiVault token with
    C(secrets:read), C(federation:read) and C(audit:read).
extends_documentation_fragment:
  - scailabs.scaivault.aws
  - scailabs.scaivault.scaivault
  - scailabs.scaivault.selection
  - scailabs.scaivault.naming
  - scailabs.scaivault.references.guard
  - scailabs.scaivault.attributes.both_groups
attributes:
  check_mode:
    description: Evaluates every guard and reports per secret what would be scheduled, restored or refused; deletes
      and restores nothing.
    support: full
  diff_mode:
    description: Shows per secret the state before and after (present, scheduled with its deletion date, deleted),
      never a value.
    support: full
options:
  state:
    description:
      - V(absent) schedules the deletion of each secret whose guards all pass. A secret already scheduled, or gone,
        is left alone (not changed).
      - V(absent) first tags each secret it schedules with C(scaivault:cleanup:scheduled-at) (the time, UTC), so a
        later job on any machine knows which deletions cleanup scheduled; ASM's own deletion date says until when
        it can be restored.
      - V(restored) restores each secret scheduled for deletion, and removes the tag. Guards do not apply. A secret
        that is not scheduled is not changed; one that no longer exists is refused (it cannot be restored).
        Selected by O(prefixes), only secrets that carry the tag are restored (C(not_ours) for the others - name them
        in O(names) to restore them too).
    type: str
    choices: [absent, restored]
    default: absent
  recovery_window_days:
    description:
      - Days ASM keeps a deleted secret restorable, 7 to 30. Ignored with O(force_delete_without_recovery).
    type: int
    default: 30
  force_delete_without_recovery:
    description:
      - Delete at once, with no recovery window. The guards still apply. Only when sure.
      - A secret already scheduled for deletion is left as it is; restore it first to delete it without recovery.
    type: bool
    default: false
  mapping:
    description:
      - The rules that give the ScaiVault target path of each ASM name, written and applied exactly as
        O(scailabs.scaivault.asm_migrate#module:mapping) (the first rule whose glob matches wins).
    type: list
    elements: raw
  paths:
    description:
      - Explicit ASM name to ScaiVault path map. An entry wins over O(mapping).
    type: dict
  require_target:
    description:
      - Refuse a secret whose ScaiVault target is unknown, missing or different from ASM.
      - V(false) skips the target guard, for secrets that are retired without being migrated.
    type: bool
    default: true
  allow_rotated_target:
    description:
      - Accept a target whose value differs from ASM when its provenance metadata records this very ASM secret at
        its current version (ScaiVault rotated it after the migration, rotation option A).
    type: bool
    default: false
  allow_sync_backend:
    description:
      - Schedule the deletion even while a sync-mode federation backend maps the secret (the backend then drops
        the path at its next sync).
    type: bool
    default: false
  quiet_window:
    description:
      - How far back the audit must show no reads by other identities, as a duration (V(14d), V(72h)).
    type: str
    default: 14d
  exclude_identities:
    description:
      - Identities whose reads do not count, in addition to the caller's own identity (the migration's), which is
        always excluded.
    type: list
    elements: str
  fail_on_refusal:
    description:
      - Fail the task when any secret was refused. With V(false) refused secrets are only reported.
    type: bool
    default: true
  audit_method:
    description:
      - How the audit guard counts reads of the federated paths. V(logs) pages the raw audit rows (one request per
        parent folder and per 1000 rows); V(summary) asks ScaiVault's per-secret audit summary (one request per
        path, whatever the traffic); V(auto) first asks one page of rows under the paths' common folder (the
        federated paths of a cleanup should be quiet, so one request usually answers for all of them), and when
        there is more, per folder the summary for a path alone in its folder or a busy folder, one page of rows
        otherwise; it pages when the tenant has no usable summary.
    type: str
    choices: [auto, summary, logs]
    default: auto
  evidence:
    description:
      - Keep the evidence of the deletion. Before any secret is scheduled for deletion, the module writes the reads
        of the federated paths it relied on (per secret, per identity, the window, the excluded identities) to
        O(evidence.file), and with O(evidence.export) requests an audit export of the window's read rows and
        records its manifest there. When the evidence cannot be kept, nothing is deleted.
      - Nothing is written or exported in check mode, nor when no secret is to be deleted.
    type: dict
    suboptions:
      file:
        description: The JSON evidence file (one per region, for example C(reports/evidence-us-east-1.json)).
        type: path
        required: true
      mode:
        description: File mode of the evidence file.
        type: str
        default: "0600"
      export:
        description: Request an audit export (ScaiVault writes to an object store; credentials from a ScaiVault secret).
        type: dict
        suboptions:
          format:
            description: V(jsonl) or V(csv).
            type: str
            choices: [jsonl, csv]
            default: jsonl
          type:
            description: Destination type.
            type: str
            choices: [s3, gcs, azure_blob]
            default: s3
          bucket:
            description: Bucket (or container).
            type: str
            required: true
          prefix:
            description: Key prefix in the bucket.
            type: str
          credentials_path:
            description: The ScaiVault secret with the destination's credentials.
            type: str
          wait:
            description: Seconds to wait for the export to complete before giving up (nothing is deleted then).
            type: int
            default: 60
notes:
  - O(names) are looked up one by one (C(DescribeSecret)); a name that matches no secret ends with status
    C(absent) (with O(state=restored), refused - it cannot be restored).
  - O(prefixes) list secrets scheduled for deletion too, so that O(state=restored) finds them. O(filters) narrow
    these prefix listings only, and need O(prefixes); O(names) are acted on as given.
  - ScaiVault's audit sees reads through ScaiVault only. Consumers that still call AWS directly show up in ASM's
    C(LastAccessedDate) (returned per secret as C(asm_last_accessed)) and in CloudTrail.
seealso:
  - module: scailabs.scaivault.asm_migrate
  - module: scailabs.scaivault.scaivault_audit_info
  - module: scailabs.scaivault.scaivault_rotation_policy
"""

EXAMPLES = r"""
# AWS credentials, region and endpoint come from the AWS_* environment, ScaiVault's from
# SCAIVAULT_URL / SCAIVAULT_TOKEN (see make dev-up).
- name: Plan the retirement of the billing namespace (check mode reports every guard's verdict)
  scailabs.scaivault.asm_cleanup:
    region: us-east-1
    prefixes: [prod/billing/]
    mapping:
      - match: "prod/**"
        path: "environments/production/**"
    quiet_window: 14d
    fail_on_refusal: false
  check_mode: true
  register: cleanup_plan

- name: Show what would be refused, and why
  ansible.builtin.debug:
    msg: "{{ cleanup_plan.secrets | selectattr('status', 'equalto', 'refused') | map(attribute='reasons') | list }}"

- name: Schedule the deletion with a 30-day window (a refused secret fails the task, the others proceed)
  scailabs.scaivault.asm_cleanup:
    region: us-east-1
    names:
      - prod/legacy/old-token
    mapping:
      - match: "prod/**"
        path: "environments/production/**"
    recovery_window_days: 30

- name: Roll back, restoring whatever is still inside its recovery window
  scailabs.scaivault.asm_cleanup:
    region: us-east-1
    names:
      - prod/legacy/old-token
    state: restored
    fail_on_refusal: false
"""

RETURN = r"""
secrets:
  description: One entry per selected secret, sorted by name. Never a value.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: ASM secret name.
      type: str
      sample: prod/billing/stripe
    arn:
      description: ASM ARN (when the secret exists).
      type: str
    status:
      description:
        - C(scheduled) (deletion scheduled), C(deleted) (without recovery), C(restored), C(already_scheduled),
          C(absent) (does not exist), C(not_scheduled) (restore of a secret that is not scheduled), C(not_ours)
          (restore by prefix of a secret whose deletion cleanup did not schedule), C(refused), C(failed). In check
          mode, what would happen.
      type: str
      sample: scheduled
    changed:
      description: Whether this secret was (or would be) changed.
      type: bool
    scheduled_by_cleanup:
      description: Whether the secret carries (or, after this task, would carry) cleanup's C(scaivault:cleanup:scheduled-at) tag.
      type: bool
    state_before:
      description: The secret's state in ASM before the task - C(present), C(scheduled) or C(absent).
      type: str
    state_after:
      description: Its state after the task (planned in check mode), in the same words.
      type: str
    deletion_date:
      description: When ASM deletes the secret, if scheduled (planned date in check mode).
      type: str
    target_path:
      description: The ScaiVault target path, if known.
      type: str
    federated_paths:
      description: ScaiVault paths where federation backends of this region serve the secret, with backend and mode.
      type: list
      elements: dict
    guards:
      description: Names of the guards that refused it (C(replica), C(rotation), C(sync), C(audit), C(target),
        C(references)).
      type: list
      elements: str
    reasons:
      description: Why it was refused or failed, one sentence each with the fix.
      type: list
      elements: str
    asm_last_accessed:
      description: ASM's LastAccessedDate, when AWS reports it (direct ASM reads are not in ScaiVault's audit).
      type: str
    references:
      description: With O(references), where the scanned trees still name the secret (C(file), C(line), C(kind),
        C(form)).
      type: list
      elements: dict
summary:
  description: Number of secrets per status, plus C(total).
  returned: always
  type: dict
  sample: {total: 3, scheduled: 2, refused: 1}
refused_secrets:
  description: Names of the refused secrets.
  returned: always
  type: list
  elements: str
failed_secrets:
  description: Names of the secrets that could not be processed.
  returned: always
  type: list
  elements: str
references_scan:
  description: With O(references), what the scan read (C(files_scanned), C(files_skipped), C(references),
    C(scan_seconds)).
  returned: when the references guard ran
  type: dict
excluded_identities:
  description: Identities whose reads did not count (the caller's own first).
  returned: when a guard evaluation ran
  type: list
  elements: str
audit_method:
  description: How the audit guard counted reads (V(summary), V(logs) or both joined by C(+)).
  returned: when the audit guard queried ScaiVault
  type: str
evidence:
  description: With O(evidence), the file written (C(path), C(changed), C(written)) and the export (C(id), C(status),
    C(row_count), C(files), C(destination), C(filters)); empty when nothing was to be deleted or in check mode.
  returned: when O(evidence) is set
  type: dict
api_calls:
  description: Calls made, per service and operation.
  returned: always
  type: dict
"""

import datetime

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.arns import name_from_arn
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.counting import count_by
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.encoding import EncodingError, encode_asm_value
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.errors import (
    AsmError, CollectionError, ScaiVaultError, is_missing_code)
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.mapping import MappingError
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.options import NAMING, REFERENCE_SCAN, SELECTION
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.tags import asm_tags_to_dict
from ansible_collections.scailabs.scaivault.plugins.module_utils._module_base import run_module, shared_options
from ansible_collections.scailabs.scaivault.plugins.module_utils._plan.audit import WindowError, iso_z, window
from ansible_collections.scailabs.scaivault.plugins.module_utils._plan.cleanup import (
    ABSENT, PRESENT, SCHEDULED, audit_reason, cleanup_action, deletion_state, federations_of, iso_date,
    planned_deletion_date, references_reason, refusal, replica_reason, rotation_reason, sync_reason, target_reason)
from ansible_collections.scailabs.scaivault.plugins.module_utils._plan.records import CLEANUP_MARKER, now_tag
from ansible_collections.scailabs.scaivault.plugins.module_utils._plan.references import Globs, ScanOptionError, parse_size
from ansible_collections.scailabs.scaivault.plugins.module_utils._plan.selection import listing_requests, SelectionError
from ansible_collections.scailabs.scaivault.plugins.module_utils._plan.targets import (
    STATUS_OK, explicit_paths_problem, plan_targets)
from ansible_collections.scailabs.scaivault.plugins.module_utils._run.evidence import (
    EXPORT_OPTIONS, METHODS, keep_evidence, reads_per_path)
from ansible_collections.scailabs.scaivault.plugins.module_utils._run.references import (
    ReferenceScanError, build_catalog, scan_trees)

MIN_WINDOW = 7
MAX_WINDOW = 30


class Secret:
    """One selected ASM secret and what the run learns and decides about it."""

    def __init__(self, ref):
        self.ref = ref
        self.name = name_from_arn(ref)
        self.description = None
        self.state = ABSENT
        self.deletion_date = None
        self.deletion_date_before = None
        self.target_path = None
        self.target_problem = None
        self.federations = []
        self.guards = []
        self.reasons = []
        self.status = None
        self.changed = False
        self.state_after = None
        self.references = None
        self.named = False
        self.marker = False

    def fail(self, reason):
        self.status = "failed"
        self.reasons.append(reason)

    def result(self):
        entry = {"name": self.name, "status": self.status, "changed": self.changed, "state_before": self.state,
                 "state_after": self.state_after or self.state, "deletion_date": self.deletion_date,
                 "guards": self.guards, "reasons": self.reasons, "scheduled_by_cleanup": self.marker}
        if self.description:
            entry["arn"] = self.description.get("ARN")
            if self.description.get("LastAccessedDate"):
                entry["asm_last_accessed"] = iso_date(self.description["LastAccessedDate"])
        if self.target_path is not None:
            entry["target_path"] = self.target_path
        if self.federations:
            entry["federated_paths"] = [dict((k, fed[k]) for k in ("name", "id", "mode", "path"))
                                        for fed in self.federations]
        if self.references is not None:
            entry["references"] = [dict((k, hit[k]) for k in ("file", "line", "kind", "form"))
                                   for hit in self.references]
        return entry


def argument_spec():
    return dict(
        shared_options(SELECTION, NAMING),
        state=dict(type="str", default="absent", choices=["absent", "restored"]),
        recovery_window_days=dict(type="int", default=30),
        force_delete_without_recovery=dict(type="bool", default=False),
        mapping=dict(type="list", elements="raw"),
        paths=dict(type="dict"),
        require_target=dict(type="bool", default=True),
        allow_rotated_target=dict(type="bool", default=False),
        allow_sync_backend=dict(type="bool", default=False),
        quiet_window=dict(type="str", default="14d"),
        exclude_identities=dict(type="list", elements="str"),
        fail_on_refusal=dict(type="bool", default=True),
        references=dict(type="dict", options=shared_options(REFERENCE_SCAN)),
        audit_method=dict(type="str", default="auto", choices=list(METHODS)),
        evidence=dict(type="dict", options=dict(
            file=dict(type="path", required=True),
            mode=dict(type="str", default="0600"),
            export=dict(type="dict", options=EXPORT_OPTIONS),
        )),
    )


def check_options(module):
    """Everything that can be wrong without asking AWS or ScaiVault; returns the prefix listings' filters."""
    params = module.params
    days = params["recovery_window_days"]
    if not params["force_delete_without_recovery"] and not MIN_WINDOW <= days <= MAX_WINDOW:
        module.fail("recovery_window_days must be between %d and %d (got %d); use force_delete_without_recovery "
                    "to delete without a window" % (MIN_WINDOW, MAX_WINDOW, days))
    problem = explicit_paths_problem(params["paths"])
    if problem:
        module.fail(problem)
    try:
        window(params["quiet_window"], None, since_option="quiet_window")
    except WindowError as exc:
        module.fail(str(exc))
    if params["filters"] and not params["prefixes"]:
        module.fail("filters narrow the prefixes listings of asm_cleanup, and names are acted on as given: "
                    "give prefixes with the filters, or remove the filters")
    references = params["references"]
    if references is not None:
        if not references.get("roots"):
            module.fail("references needs roots, the consumers' trees to scan (or leave references unset to turn the "
                        "guard off)")
        try:
            references["max_size"] = parse_size(references["max_file_size"], "references.max_file_size")
            Globs(references["include"], references["exclude"])
        except ScanOptionError as exc:
            module.fail("references: %s" % exc)
    try:
        # One listing per prefix, the user's filters ANDed into each.
        return [api_filters for prefix in params["prefixes"] or []
                for api_filters in listing_requests(prefixes=[prefix], filters=params["filters"])]
    except SelectionError as exc:
        module.fail(str(exc))


def run(module):
    params = module.params
    listings = check_options(module)
    force = params["force_delete_without_recovery"]
    days = params["recovery_window_days"]

    try:
        secrets = select(module, listings)
    except AsmError as exc:
        module.fail_from(exc, "selecting the ASM secrets")
    now = datetime.datetime.now(datetime.timezone.utc)

    extra = {}
    if params["state"] == "restored":
        for secret in secrets:
            plan_restore(secret)
    else:
        candidates = [secret for secret in secrets if secret.state == PRESENT and secret.status is None]
        for secret in secrets:
            if secret.status is None and secret.state == SCHEDULED:
                secret.status = "already_scheduled"
            elif secret.status is None and secret.state == ABSENT:
                secret.status = "absent"
        if candidates:
            # A guard that cannot be evaluated at all (a missing scope, ScaiVault down) stops the
            # whole run before anything is deleted: no secret may pass a guard that did not run.
            try:
                extra["excluded_identities"] = evaluate_guards(module, params, candidates, now, extra)
            except (ScaiVaultError, AsmError) as exc:
                module.fail_from(exc, "asm_cleanup guards (nothing was deleted)")
            except ReferenceScanError as exc:
                module.fail("asm_cleanup references guard (nothing was deleted): %s" % exc)
            except (MappingError, ValueError) as exc:
                module.fail("asm_cleanup: %s" % exc)
        for secret in candidates:
            if secret.status is None:
                secret.marker = not force
                secret.status = "deleted" if force else "scheduled"
                secret.changed = True
                secret.state_after = ABSENT if force else SCHEDULED
                secret.deletion_date = None if force else planned_deletion_date(now, days)

    audit = extra.pop("_audit", None)
    if params["evidence"] and params["state"] == "absent":
        extra["evidence"] = {}
        to_delete = [secret for secret in secrets if secret.changed]
        if to_delete and audit and not module.check_mode:
            try:
                extra["evidence"] = keep_evidence(module.scaivault, params["evidence"], evidence_data(module, to_delete, audit),
                                                  [fed["path"] for secret in to_delete for fed in secret.federations
                                                   if fed["path"]], audit["start"], audit["end"])
            except CollectionError as exc:
                module.fail_from(exc, "asm_cleanup evidence (nothing was deleted)")
    if not module.check_mode:
        apply(module, secrets, params["state"], days, force)
    return finish(module, params, secrets, extra)


def evidence_data(module, to_delete, audit):
    """What the evidence file holds: per secret to delete, its federated paths and the reads found there."""
    per_path = audit["per_path"]
    return {"region": module.asm.region, "quiet_window": module.params["quiet_window"],
            "window": {"since": iso_z(audit["start"]), "until": iso_z(audit["end"])},
            "excluded_identities": audit["exclude"], "audit_method": module.params["audit_method"],
            "secrets": dict((secret.name, {
                "arn": (secret.description or {}).get("ARN"), "target_path": secret.target_path,
                "federated_paths": dict((fed["path"], per_path.get(fed["path"], {})) for fed in secret.federations
                                        if fed["path"])}) for secret in to_delete)}


def select(module, listings):
    """Describe every selected secret once: names (or ARNs) first, then prefix matches."""
    asm = module.asm
    params = module.params
    prefixes = params["prefixes"] or []
    refs = list(dict.fromkeys(params["names"] or []))
    named = set(refs)
    for api_filters in listings:
        for entry in asm.list_secrets(filters=api_filters, include_planned_deletion=True):
            name = entry.get("Name", "")
            if any(name.startswith(prefix) for prefix in prefixes) and name not in refs:
                refs.append(name)
    secrets, seen = [], set()
    for ref in refs:
        secret = Secret(ref)
        secret.named = ref in named
        try:
            secret.description = asm.describe(ref)
        except AsmError as exc:
            if not exc.not_found:
                secret.fail(exc.message)
                secrets.append(secret)
                continue
        if secret.description:
            secret.name = secret.description.get("Name") or secret.name
        if secret.name in seen:
            continue
        seen.add(secret.name)
        secret.state, secret.deletion_date = deletion_state(secret.description)
        secret.marker = CLEANUP_MARKER in asm_tags_to_dict((secret.description or {}).get("Tags"))
        secret.deletion_date_before = secret.deletion_date
        secrets.append(secret)
    return sorted(secrets, key=lambda item: item.name)


def plan_restore(secret):
    if secret.status == "failed":
        return
    action = cleanup_action(secret.state, "restored")
    if action == "restore" and not (secret.named or secret.marker):
        secret.status = "not_ours"
        secret.reasons.append("scheduled for deletion, but not by cleanup (no %s tag): name it to restore it"
                              % CLEANUP_MARKER)
        return
    if action == "restore":
        secret.status, secret.changed, secret.state_after = "restored", True, PRESENT
        secret.deletion_date = None
    elif action == "missing":
        secret.status = "refused"
        secret.guards.append("missing")
        secret.reasons.append("it does not exist in ASM (deleted without recovery, its recovery window ended, or the "
                              "name is wrong), so it cannot be restored; restore its value from ScaiVault instead")
    else:
        secret.status = "not_scheduled"


def plan_target_paths(params, candidates):
    explicit = params["paths"] or {}
    rest = [secret.name for secret in candidates if secret.name not in explicit]
    plans = plan_targets(rest, params["mapping"], params["naming_policy"]) if params["mapping"] and rest else {}
    for secret in candidates:
        if secret.name in explicit:
            secret.target_path = explicit[secret.name]
            continue
        plan = plans.get(secret.name)
        if plan is None:
            secret.target_problem = "no mapping rules and no paths entry for %s" % secret.name
        elif plan.status == STATUS_OK:
            secret.target_path = plan.path
        else:
            secret.target_problem = plan.reason


def evaluate_guards(module, params, candidates, now, extra=None):
    """Run every guard for the secrets still present in ASM; refused ones get status 'refused'."""
    client = module.scaivault
    region = module.asm.region
    own = client.whoami().get("identity_id")
    exclude = [identity for identity in [own] + list(params["exclude_identities"] or []) if identity]
    backends = client.list_backends()
    plan_target_paths(params, candidates)
    for secret in candidates:
        secret.federations = federations_of(backends, secret.name, region)

    # Audit: the federated paths (reads of the old ASM secret through ScaiVault), one query per parent folder.
    # Reads of the canonical path are consumers that moved: they never hold the deletion back.
    audit_paths = set()
    for secret in candidates:
        audit_paths.update(fed["path"] for fed in secret.federations if fed["path"])
    start, end = window(params["quiet_window"], None, now=now, since_option="quiet_window")
    per_path = {}
    if audit_paths:
        per_path, extra["audit_method"] = reads_per_path(client, audit_paths, start, end, exclude, params["audit_method"])
    extra["_audit"] = {"per_path": per_path, "start": start, "end": end, "exclude": exclude}

    targets, target_errors, asm_values, asm_errors = {}, {}, {}, {}
    if params["require_target"]:
        paths = sorted(set(secret.target_path for secret in candidates if secret.target_path))
        if paths:
            found, errors = client.batch_read(paths, include_metadata=True)
            targets.update(found)
            target_errors.update(errors)
        compare = [secret for secret in candidates if secret.target_path in targets]
        if compare:
            asm_values, asm_errors = module.asm.batch_get_values([secret.description["ARN"] for secret in compare])

    referenced = scan_references(params["references"], candidates, region) if params["references"] else None
    if referenced is not None:
        scanned, by_name = referenced
        if extra is not None:
            extra["references_scan"] = scanned
        for secret in candidates:
            secret.references = by_name.get(secret.name, [])

    for secret in candidates:
        reasons = [replica_reason(secret.description, region), rotation_reason(secret.description),
                   sync_reason(secret.federations, params["allow_sync_backend"])]
        if secret.references:
            reasons.append(references_reason(secret.references, secret.target_path))
        paths = [fed["path"] for fed in secret.federations]
        reasons.append(audit_reason(per_path, [path for path in paths if path], params["quiet_window"]))
        for fed in secret.federations:
            if fed["problem"] and fed["mode"] == "sync" and not params["allow_sync_backend"]:
                reasons.append(("sync", "federation backend %s: %s" % (fed["name"], fed["problem"])))
        if params["require_target"]:
            reason, failure = target_guard(secret, targets, target_errors, asm_values, asm_errors,
                                           params["allow_rotated_target"])
            if failure:
                secret.fail(failure)
                continue
            reasons.append(reason)
        verdict = refusal(reasons)
        if verdict["reasons"]:
            secret.status = "refused"
            secret.guards, secret.reasons = verdict["guards"], verdict["reasons"]
    return exclude


def scan_references(options, candidates, region):
    """(scan summary, {name: [hit]}): the references guard's scan for the candidates' names and ARNs."""
    secrets = [{"name": secret.name, "arn": (secret.description or {}).get("ARN"), "region": region,
                "scaivault_path": secret.target_path} for secret in candidates]
    scan = scan_trees(build_catalog(secrets), options["roots"], options["include"], options["exclude"],
                      options["max_size"])
    by_name = {}
    for hit in scan["hits"]:
        by_name.setdefault(hit["asm_name"], []).append(hit)
    summary = {"files_scanned": scan["files_scanned"], "files_skipped": len(scan["skipped"]),
               "references": len(scan["hits"]), "scan_seconds": scan["seconds"]}
    return summary, by_name


def target_guard(secret, targets, target_errors, asm_values, asm_errors, allow_rotated_target):
    """(refusal reason or None, failure text or None) of the target guard for one secret."""
    path = secret.target_path
    error = target_errors.get(path) if path else None
    if error and not is_missing_code(error.get("code")):
        return None, "reading its ScaiVault target %s failed: %s %s" % (path, error.get("code"), error.get("message"))
    target = targets.get(path) if path else None
    asm_data = None
    arn = secret.description["ARN"]
    version_id = None
    if target is not None:
        if arn in asm_errors:
            return None, asm_errors[arn].message
        value = asm_values.get(arn) or {}
        version_id = value.get("VersionId")
        try:
            asm_data = encode_asm_value(value.get("SecretString"), value.get("SecretBinary")).data
        except EncodingError as exc:
            return None, "its ASM value cannot be encoded for the comparison: %s" % exc
    return target_reason(path, secret.target_problem, target, asm_data, arn=arn, asm_version_id=version_id,
                         allow_rotated_target=allow_rotated_target), None


def apply(module, secrets, state, days, force):
    asm = module.asm
    for secret in secrets:
        if not secret.changed:
            continue
        try:
            if state == "restored":
                asm.restore(secret.description["ARN"])
                secret.deletion_date = None
                if secret.marker:
                    asm.untag(secret.description["ARN"], [CLEANUP_MARKER])
                    secret.marker = False
            else:
                if secret.marker:  # before the delete: ASM refuses tags on a secret scheduled for deletion
                    asm.tag(secret.description["ARN"], {CLEANUP_MARKER: now_tag()})
                answer = asm.delete(secret.description["ARN"], recovery_window_days=days, force=force)
                secret.deletion_date = None if force else iso_date(answer.get("DeletionDate")) or secret.deletion_date
        except AsmError as exc:
            secret.changed = False
            secret.state_after = None
            secret.deletion_date = secret.deletion_date_before
            secret.fail(exc.message)


def finish(module, params, secrets, extra):
    results = [secret.result() for secret in secrets]
    summary = {"total": len(results)}
    summary.update(count_by(entry["status"] for entry in results))
    refused = [secret.name for secret in secrets if secret.status == "refused"]
    failed = [secret.name for secret in secrets if secret.status == "failed"]
    changed = any(secret.changed for secret in secrets)
    result = dict(changed=changed, secrets=results, summary=summary, refused_secrets=refused, failed_secrets=failed,
                  api_calls=module.api_calls(), **extra)
    if module.diff_mode:
        changed_secrets = [secret for secret in secrets if secret.changed]
        result["diff"] = {
            "before": dict((secret.name, {"state": secret.state, "deletion_date": secret.deletion_date_before})
                           for secret in changed_secrets),
            "after": dict((secret.name, {"state": secret.state_after, "deletion_date": secret.deletion_date})
                          for secret in changed_secrets)}
    problems = ["%s: %s" % (secret.name, " ".join(secret.reasons)) for secret in secrets if secret.status == "failed"]
    if refused and params["fail_on_refusal"]:
        problems += ["%s refused: %s" % (secret.name, " ".join(secret.reasons))
                     for secret in secrets if secret.status == "refused"]
    if problems:
        what = []
        if failed:
            what.append("%d failed" % len(failed))
        if refused and params["fail_on_refusal"]:
            what.append("%d refused (set fail_on_refusal=false to only report refusals)" % len(refused))
        module.fail("asm_cleanup: %s of %d secret(s); the others were processed. %s" % (
            " and ".join(what), len(secrets), " | ".join(problems)), **result)
    return result


def main():
    run_module(run, argument_spec(), scaivault=True, asm=True, required_one_of=[["names", "prefixes"]])


if __name__ == "__main__":
    main()
