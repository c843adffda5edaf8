# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The guards of ASM cleanup (runbook step 8), as pure decisions.

An ASM secret may be scheduled for deletion only when every guard passes. Each guard that
fails gives one sentence naming the cause and the fix; the secret is then refused and the
others go on. Guards:
  replica      the secret is a replica: it is deleted at its primary region only
  rotation     ASM rotation is still enabled (the Lambda would keep changing the source)
  sync         a sync-mode federation backend still maps the secret (option B depends on it),
               unless explicitly allowed
  audit        identities other than the migration's read the migrated or federated paths
               inside the quiet window
  target       the ScaiVault target is unknown, missing, or holds a different value than ASM
  references   (opt-in) the scanned trees still name the secret or its ARN (_plan/references.py)
Values are compared here and never put into a reason: a reason names keys at most.

Private to this collection: no API promise.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

from ansible_collections.scailabs.scaivault.plugins.module_utils._plan.audit import foreign_reads
from ansible_collections.scailabs.scaivault.plugins.module_utils._plan.references import where_referenced
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.encoding import values_equal
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.mapping import MappingError, compile_rules, invert_rules
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.provenance import recorded_source

ASM_BACKEND_TYPE = "aws-secrets-manager"

# Per-secret cleanup statuses.
PRESENT = "present"
SCHEDULED = "scheduled"
ABSENT = "absent"


def deletion_state(description):
    """(state, deletion date as ISO text or None) of an ASM secret from DescribeSecret (None = not found)."""
    if description is None:
        return ABSENT, None
    deleted = description.get("DeletedDate")
    if deleted:
        return SCHEDULED, iso_date(deleted)
    return PRESENT, None


def iso_date(value):
    """A datetime (boto3) or text as ISO-8601 text in UTC."""
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.timezone.utc)
        return value.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value) if value is not None else None


def planned_deletion_date(now, recovery_window_days):
    """Date ASM will delete the secret if it is scheduled now with this window."""
    return iso_date(now + datetime.timedelta(days=int(recovery_window_days)))


# -- federation --------------------------------------------------------------------------------
def backend_region(backend):
    config = backend.get("config") if isinstance(backend.get("config"), dict) else {}
    return config.get("region")


def federated_path(backend, name):
    """(ScaiVault path the backend serves for the ASM name, None) or (None, problem) or (None, None).

    The backend's path_mapping maps ScaiVault globs to ASM name templates ({"external/aws/**":
    "prod/**"}); read backwards, it tells where an ASM name appears in ScaiVault.
    """
    mapping = backend.get("path_mapping") or {}
    if not isinstance(mapping, dict):
        return None, "its path_mapping is not a {glob: template} object"
    try:
        rules = invert_rules(compile_rules(mapping))
    except MappingError as error:
        return None, "its path_mapping cannot be read (%s)" % error
    for rule in rules:
        captures = rule.match(name)
        if captures is not None:
            return rule.render(captures), None
    return None, None


def federations_of(backends, name, region):
    """Every ASM backend of this region that maps the name: [{id, name, mode, path, problem}]."""
    found = []
    for backend in backends:
        if backend.get("type") != ASM_BACKEND_TYPE:
            continue
        where = backend_region(backend)
        if where and region and where != region:
            continue
        path, problem = federated_path(backend, name)
        if path is None and problem is None:
            continue
        found.append({"id": backend.get("id"), "name": backend.get("name"), "mode": backend.get("mode"),
                      "path": path, "problem": problem})
    return found


# -- the guards --------------------------------------------------------------------------------
def replica_reason(description, region):
    """Replicas are deleted through their primary; a primary is deletable only once it has no replicas."""
    description = description or {}
    primary = description.get("PrimaryRegion")
    if primary and region and primary != region:
        return ("replica", "it is a replica of the secret in %s: remove this region from the primary's replication "
                           "(or retire the secret at the primary once its replicas are gone)" % primary)
    replicas = sorted(entry.get("Region") for entry in description.get("ReplicationStatus") or [] if entry.get("Region"))
    if replicas:
        # ASM itself refuses DeleteSecret on a primary that still replicates (InvalidParameterException).
        return ("replica", "it still replicates to %s: ASM refuses to delete a primary with replicas; remove the "
                           "replica regions first (RemoveRegionsFromReplication), then re-run" % ", ".join(replicas))
    return None


def rotation_reason(description):
    description = description or {}
    if description.get("RotationEnabled"):
        lam = description.get("RotationLambdaARN")
        return ("rotation", "ASM rotation is still enabled%s: disable it first (for example "
                            "scailabs.scaivault.asm_rotation with state=disabled), and move the rotation to a "
                            "ScaiVault rotation policy" % (" (Lambda %s)" % lam if lam else ""))
    return None


def sync_reason(federations, allow_sync_backend):
    """Refuse while a sync-mode backend maps the secret (option B), unless allowed."""
    if allow_sync_backend:
        return None
    syncing = [fed for fed in federations if fed.get("mode") == "sync"]
    if not syncing:
        return None
    names = ", ".join("%s (%s)" % (fed.get("name") or fed.get("id"), fed.get("path") or fed.get("problem"))
                      for fed in syncing)
    return ("sync", "sync-mode federation backend %s still maps it (rotation option B depends on ASM): move the "
                    "secret to option A or narrow the backend's path_mapping first, or set allow_sync_backend=true "
                    "to delete it anyway" % names)


def audit_reason(per_path, paths, quiet_window):
    """Refuse when any of the paths was read by a non-excluded identity inside the quiet window."""
    parts = []
    for path in sorted(set(paths)):
        text = foreign_reads(per_path.get(path))
        if text:
            parts.append("%s: %s" % (path, text))
    if not parts:
        return None
    return ("audit", "ScaiVault audit shows reads by identities other than the migration's within the quiet window "
                     "of %s (%s): repoint those consumers to the canonical path and wait until the window "
                     "is quiet, or add the identity to exclude_identities if it is yours"
            % (quiet_window, "; ".join(parts)))


def references_reason(hits, target_path=None):
    """Refuse while consumers in the scanned trees still name the secret: files and lines, and the fix."""
    if not hits:
        return None
    files = len(set(hit["file"] for hit in hits))
    return ("references", "still referenced %d time(s) in %d file(s) of the scanned trees: %s: repoint those consumers "
                          "to %s (scailabs.scaivault.asm_reference_scan suggests a patch for Ansible lookups and "
                          "tasks) and re-run, or exclude a file that is no consumer (references.exclude)"
            % (len(hits), files, where_referenced(hits), target_path or "the ScaiVault path"))


def _key_difference(target_data, asm_data):
    """Which keys differ, by name only (key names are not secret, values are)."""
    if not isinstance(target_data, dict) or not isinstance(asm_data, dict):
        return "the data shapes differ"
    missing = sorted(set(asm_data) - set(target_data))
    extra = sorted(set(target_data) - set(asm_data))
    changed = sorted(key for key in set(asm_data) & set(target_data) if not values_equal(asm_data[key], target_data[key]))
    parts = []
    if missing:
        parts.append("keys missing in ScaiVault: %s" % ", ".join(missing))
    if extra:
        parts.append("keys only in ScaiVault: %s" % ", ".join(extra))
    if changed:
        parts.append("values differ for keys: %s" % ", ".join(changed))
    return "; ".join(parts) or "the values differ"


def target_reason(target_path, problem, target, asm_data, arn=None, asm_version_id=None, allow_rotated_target=False):
    """Refuse when the ScaiVault target is unknown, missing, or differs from ASM's current value.

    target is the ScaiVault secret object (with data) or None when missing; asm_data is the ASM
    value encoded as ScaiVault data (_encoding.encode_asm_value). With allow_rotated_target, a
    target whose provenance records this very ASM secret at its current VersionId passes even
    when its value changed since (ScaiVault rotated it after the migration, option A).
    """
    if target_path is None:
        return ("target", "no ScaiVault target path: %s" % (problem or "add a mapping rule or a paths entry for it"))
    if target is None:
        return ("target", "its ScaiVault target %s does not exist: migrate it first (scailabs.scaivault.asm_migrate)"
                % target_path)
    if values_equal(target.get("data"), asm_data):
        return None
    if allow_rotated_target:
        source = recorded_source(target.get("metadata"))
        if source and arn and source.get("arn") == arn and asm_version_id and source.get("version_id") == asm_version_id:
            return None
    return ("target", "its ScaiVault target %s (version %s) differs from the current ASM value (%s): migrate it "
                      "again, or set allow_rotated_target=true if ScaiVault rotated it after the migration"
            % (target_path, target.get("version"), _key_difference(target.get("data"), asm_data)))


def refusal(reasons):
    """Keep the reasons that fired: [(guard, sentence)] -> {'guards': [...], 'reasons': [...]}."""
    fired = [reason for reason in reasons if reason]
    return {"guards": [guard for guard, _text in fired], "reasons": [text for _guard, text in fired]}


def cleanup_action(state, wanted, force=False):
    """What to do for one secret given its state and the wanted state.

    wanted 'absent': present -> 'delete' (or 'force_delete'), scheduled -> None (already), absent -> None.
    wanted 'restored': scheduled -> 'restore', present -> None, absent -> 'missing' (cannot restore).
    """
    if wanted == "absent":
        if state == PRESENT:
            return "force_delete" if force else "delete"
        return None
    if state == SCHEDULED:
        return "restore"
    if state == ABSENT:
        return "missing"
    return None
