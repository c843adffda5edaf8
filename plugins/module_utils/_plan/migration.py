# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Planning for asm_migrate: selection, skip reasons, targets, per-secret decisions. No I/O.

The engine (_migration.py) feeds in what it read (ListSecrets entries, ScaiVault metadata,
ASM version lists, encoded values) and gets back, per secret, what to do and why. Every
function here is plain and deterministic, so unit tests drive it without any server.

Every selected secret ends as one MigrationTask with an action:
  create     the target path does not exist yet
  update     the target exists and differs (version, metadata, type or options)
  unchanged  the target records this ASM VersionId and the wanted metadata: nothing to do
  skip       left alone on purpose (replica, pending deletion, unmapped, no value)
  error      cannot be migrated as asked (reason says why and how to fix it)

Private to this collection: no API promise.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.counting import count_by
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.errors import PlanError
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.metadata import desired_metadata
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.encoding import (
    FORMAT_BINARY, FORMAT_JSON, FORMAT_TEXT, VALUE_FORMATS)
from ansible_collections.scailabs.scaivault.plugins.module_utils._plan.inventory import classify_entry, migration_exclusion
from ansible_collections.scailabs.scaivault.plugins.module_utils._plan.secret import stored_options
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.provenance import (
    PROVENANCE_KEY, SOURCE_SYSTEM, recorded_source, source_metadata)
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.tags import flatten_asm_tags
from ansible_collections.scailabs.scaivault.plugins.module_utils._plan.targets import (
    STATUS_COLLISION, STATUS_INVALID, STATUS_OK, STATUS_UNMAPPED, plan_targets)

ACTION_CREATE = "create"
ACTION_UPDATE = "update"
ACTION_UNCHANGED = "unchanged"
ACTION_SKIP = "skip"
ACTION_ERROR = "error"
ACTIONS = (ACTION_CREATE, ACTION_UPDATE, ACTION_UNCHANGED, ACTION_SKIP, ACTION_ERROR)
CHANGING_ACTIONS = (ACTION_CREATE, ACTION_UPDATE)
# How a change of metadata alone was written (a task's metadata_write, a result's metadata_update).
METADATA_IN_PLACE = "in_place"          # the tenant's metadata-only update: no version, no value read
METADATA_AS_VERSION = "new_version"     # no such update on the tenant: the value was read and written again

PENDING_STAGE = "AWSPENDING"

SECRET_TYPE_BY_FORMAT = {FORMAT_JSON: "json", FORMAT_TEXT: "kv", FORMAT_BINARY: "kv"}

ROTATION_WARNING = (
    "ASM rotation is enabled for this secret: its value will change in ASM after this copy. Follow "
    "'disable rotation -> migrate -> switch consumers -> retire' (asm_rotation state=disabled, then re-run "
    "asm_migrate), or keep ASM as the authority behind a sync-mode federation backend (option B)")


# ---------------------------------------------------------------------------------------------
# Options, as the engine needs them
# ---------------------------------------------------------------------------------------------
class MigrationSettings:
    """Everything that decides the plan, validated once. Plain attributes, no values inside."""

    FIELDS = {
        "region": None, "rules": None, "naming_policy": "strict", "owner": None, "tags": ("migrated-from-asm",),
        "tag_style": "key=value", "copy_description": True, "metadata": None, "max_versions": None,
        "versions": "current", "include_replicas": False, "include_planned_deletion": False, "take_over": False,
        "workers": 8, "batch": None, "source": "asm",
    }

    def __init__(self, **options):
        unknown = set(options) - set(self.FIELDS)
        if unknown:
            raise PlanError("unknown migration setting(s): %s" % ", ".join(sorted(unknown)))
        for name, default in self.FIELDS.items():
            setattr(self, name, options.get(name, default))
        self.tags = list(self.tags or [])
        self.metadata = dict(self.metadata or {})
        if PROVENANCE_KEY in self.metadata:
            raise PlanError("metadata key %r is reserved for the provenance asm_migrate records; "
                            "choose another key" % PROVENANCE_KEY)
        for reserved in ("description", "owner", "tags"):
            if reserved in self.metadata:
                raise PlanError("metadata key %r is reserved; use the %s option instead" % (
                    reserved, "copy_description" if reserved == "description" else reserved))
        if self.versions not in ("current", "all"):
            raise PlanError("versions must be 'current' or 'all', got %r" % (self.versions,))
        if self.max_versions is not None and self.max_versions < 1:
            raise PlanError("max_versions must be 1 or more (or unset to keep ScaiVault's setting)")
        if not self.workers or self.workers < 1:
            raise PlanError("workers must be 1 or more")


# ---------------------------------------------------------------------------------------------
# ASM listing entries, kept small
# ---------------------------------------------------------------------------------------------
class SourceSecret:
    """The parts of one ListSecrets entry the migration uses (a 10,000-entry listing stays small)."""

    __slots__ = ("name", "arn", "version_id", "primary_region", "replica", "planned_deletion", "deleted_date",
                 "description", "tags", "kms_key_id", "cmk_encrypted", "rotation_enabled", "rotation_lambda_arn",
                 "exclusion")

    def __init__(self, name, arn, version_id=None, primary_region=None, replica=False, planned_deletion=False,
                 deleted_date=None, description=None, tags=(), kms_key_id=None, cmk_encrypted=False,
                 rotation_enabled=False, rotation_lambda_arn=None, exclusion=None):
        self.name = name
        self.arn = arn
        self.version_id = version_id
        self.primary_region = primary_region
        self.replica = bool(replica)
        self.planned_deletion = bool(planned_deletion)
        self.deleted_date = deleted_date
        self.description = description
        self.tags = tuple(sorted(dict(tags).items())) if isinstance(tags, dict) else tuple(tags)
        self.kms_key_id = kms_key_id
        self.cmk_encrypted = bool(cmk_encrypted)
        self.rotation_enabled = bool(rotation_enabled)
        self.rotation_lambda_arn = rotation_lambda_arn
        self.exclusion = exclusion

    @classmethod
    def from_entry(cls, entry, region):
        """Build from a SecretListEntry (classified by _inventory: replica, deletion, rotation, CMK).

        Its SecretVersionsToStages already names AWSCURRENT: no DescribeSecret is needed.
        """
        secret = classify_entry(entry, region)
        return cls(
            name=secret["name"], arn=secret["arn"], version_id=secret["current_version_id"],
            primary_region=secret["primary_region"], replica=secret["replica"],
            planned_deletion=secret["planned_deletion"], deleted_date=secret["deleted_date"],
            description=secret["description"] or None, tags=secret["tags"], kms_key_id=secret["kms_key_id"],
            cmk_encrypted=secret["cmk_encrypted"], rotation_enabled=secret["rotation_enabled"],
            rotation_lambda_arn=secret["rotation"]["lambda_arn"], exclusion=migration_exclusion(secret))

    def tag_dict(self):
        return dict(self.tags)


# ---------------------------------------------------------------------------------------------
# Tasks
# ---------------------------------------------------------------------------------------------
class MigrationTask:
    """One selected secret: where it goes, what to do, and what happened. Never holds a value."""

    __slots__ = ("source", "name", "path", "action", "reason_code", "reason", "from_version", "to_version",
                 "versions_written", "changes", "target", "federated_path", "written_version_id", "diff",
                 "versions_planned", "notes", "metadata_only", "metadata_write")

    def __init__(self, source, name=None, path=None, action=None, reason_code=None, reason=None):
        self.source = source
        self.name = name or (source.name if source else None)
        self.path = path
        self.action = action
        self.reason_code = reason_code
        self.reason = reason
        self.from_version = None
        self.to_version = None
        self.versions_written = 0
        self.changes = []
        self.target = None           # the target's metadata object (no data), as batch metadata returned it
        self.federated_path = None
        self.written_version_id = None
        self.diff = None
        self.versions_planned = None
        self.notes = []
        # Only metadata differs (the value and its provenance are current): the tenant's metadata-only
        # update can carry it without reading the value; metadata_write says how it went
        # (METADATA_IN_PLACE, or METADATA_AS_VERSION when the tenant has no such update).
        self.metadata_only = False
        self.metadata_write = None

    @property
    def open(self):
        """Still to be decided (no skip, error or unchanged yet)."""
        return self.action is None or self.action in CHANGING_ACTIONS

    def fail(self, reason_code, reason):
        self.action = ACTION_ERROR
        self.reason_code = reason_code
        self.reason = reason

    def skip(self, reason_code, reason):
        self.action = ACTION_SKIP
        self.reason_code = reason_code
        self.reason = reason

    def result(self):
        """The per-secret entry of the module result: names, paths, versions, reasons; never a value."""
        source = self.source
        entry = {
            "name": self.name,
            "arn": source.arn if source else None,
            "path": self.path,
            "action": self.action,
            "reason_code": self.reason_code,
            "reason": self.reason,
            "source_version_id": source.version_id if source else None,
            "from_version": self.from_version,
            "to_version": self.to_version,
            "versions_written": self.versions_written,
            "changes": list(self.changes),
            "rotation_enabled": bool(source and source.rotation_enabled),
            "kms_key_id": source.kms_key_id if source else None,
        }
        if source and source.rotation_enabled:
            entry["rotation_warning"] = ROTATION_WARNING
            entry["rotation_lambda_arn"] = source.rotation_lambda_arn
        if self.versions_planned is not None:
            entry["versions_planned"] = self.versions_planned
        if self.notes:
            entry["notes"] = list(self.notes)
        if self.federated_path:
            entry["federated_path"] = self.federated_path
        if self.metadata_write:
            entry["metadata_update"] = self.metadata_write
        return entry


def skip_reason(source, settings):
    """(reason_code, reason) when this listed secret is left alone by default, else None."""
    if source.exclusion:
        code = source.exclusion[0]
        if code == "planned_deletion" and not settings.include_planned_deletion:
            return code, source.exclusion[1] + " (or set include_planned_deletion; ASM refuses to read its value)"
        if code == "replica" and not settings.include_replicas:
            return source.exclusion
    if not source.version_id:
        return ("no_value", "%s has no AWSCURRENT version (created without a value): nothing to copy" % source.name)
    return None


_TARGET_REASON_CODES = {STATUS_UNMAPPED: "unmapped", STATUS_INVALID: "invalid_path", STATUS_COLLISION: "collision"}


def plan_tasks(sources, settings, missing=()):
    """Turn the selection into tasks: skip reasons first, then targets for the rest (collisions
    are found among those only: a skipped secret is never written, so it cannot collide)."""
    tasks = []
    eligible = []
    for source in sources:
        reason = skip_reason(source, settings)
        task = MigrationTask(source)
        if reason:
            task.skip(*reason)
        else:
            eligible.append(task)
        tasks.append(task)
    targets = plan_targets([task.name for task in eligible], settings.rules, settings.naming_policy)
    for task in eligible:
        target = targets[task.name]
        task.path = target.path
        if target.status == STATUS_OK:
            continue
        code = _TARGET_REASON_CODES[target.status]
        if target.status == STATUS_UNMAPPED:
            task.skip(code, target.reason)
        else:
            task.fail(code, target.reason)
    for skipped in tasks:
        if skipped.action == ACTION_SKIP and skipped.path is None and skipped.reason_code != "unmapped":
            # Show where it would have gone, for the report (no collision check: it is not written).
            preview = plan_targets([skipped.name], settings.rules, settings.naming_policy)[skipped.name]
            skipped.path = preview.path if preview.status == STATUS_OK else None
    for given, code, reason in missing:
        tasks.append(MigrationTask(None, name=given, action=ACTION_ERROR, reason_code=code, reason=reason))
    tasks.sort(key=lambda task: task.name)
    return tasks


def batch_slice(count_total, batch):
    """(start, stop) of the batch within count_total tasks sorted by name.

    batch = {index, count} (1-based index of count equal parts) or {offset, limit}.
    """
    if not batch:
        return 0, count_total
    index, count = batch.get("index"), batch.get("count")
    offset, limit = batch.get("offset"), batch.get("limit")
    if index is not None or count is not None:
        if offset is not None or limit is not None:
            raise PlanError("batch takes either index/count or offset/limit, not both")
        if index is None or count is None:
            raise PlanError("batch.index and batch.count go together")
        if count < 1 or not 1 <= index <= count:
            raise PlanError("batch.index must be between 1 and batch.count (got index %s of %s)" % (index, count))
        return (index - 1) * count_total // count, index * count_total // count
    offset = offset or 0
    if offset < 0 or (limit is not None and limit < 0):
        raise PlanError("batch.offset and batch.limit must not be negative")
    stop = count_total if limit is None else min(count_total, offset + limit)
    return min(offset, count_total), stop


# ---------------------------------------------------------------------------------------------
# Decisions
# ---------------------------------------------------------------------------------------------
def wanted_tags(settings, source):
    return list(settings.tags) + [tag for tag in flatten_asm_tags(source.tag_dict(), settings.tag_style)
                                  if tag not in settings.tags]


HISTORY_KEY = "versions"
HISTORY_LIMIT = 100  # ASM keeps about 100 versions; older entries are dropped first


def recorded_history(current_metadata, source, region):
    """{ScaiVault version (str): ASM VersionId} recorded by earlier runs for this ASM secret, else {}."""
    recorded = recorded_source(current_metadata)
    if recorded and recorded.get("name") == source.name and recorded.get("region") == region \
            and isinstance(recorded.get(HISTORY_KEY), dict):
        return dict(recorded[HISTORY_KEY])
    return {}


def _trimmed(history):
    def number(key):
        try:
            return int(key)
        except (TypeError, ValueError):
            return -1
    keys = sorted(history, key=number)[-HISTORY_LIMIT:]
    return dict((key, history[key]) for key in keys)


def wanted_metadata(current_metadata, source, settings, version_id, value_format, written_version=None):
    """(metadata to store, names of the changed fields) for this source version over current_metadata.

    Follows 'unset means leave alone': keys, tags and fields the migration does not set are
    kept; tags are added, never removed; description is copied only when ASM has one.
    ScaiVault metadata belongs to the secret, not to a version, so the provenance also keeps
    source.versions = {ScaiVault version: ASM VersionId} for every version written (the last 100):
    written_version adds the entry of the version this write creates; None keeps the record as is.
    """
    history = recorded_history(current_metadata, source, settings.region)
    if written_version is not None:
        history[str(written_version)] = version_id
        history = _trimmed(history)
    provenance = source_metadata(settings.region, source.arn, source.name, version_id, value_format,
                                 extra={HISTORY_KEY: history} if history else None)
    custom = dict(settings.metadata)
    custom[PROVENANCE_KEY] = provenance
    description = source.description if settings.copy_description and source.description else None
    return desired_metadata(current_metadata or {}, description=description, owner=settings.owner,
                            tags=wanted_tags(settings, source), purge_tags=False, custom=custom)


def target_owner(target, source, region):
    """'mine' when the target records this ASM secret (same name and region), 'foreign' otherwise."""
    recorded = recorded_source((target or {}).get("metadata"))
    if recorded and recorded.get("name") == source.name and recorded.get("region") == region:
        return "mine", recorded
    return "foreign", recorded


def _describe_foreign(recorded):
    if recorded:
        return "was written from ASM secret %s in %s" % (recorded.get("name"), recorded.get("region"))
    if recorded is None:
        return "was not written by asm_migrate (no metadata.source of system %s)" % SOURCE_SYSTEM
    return "has another owner"


def other_changes(target, settings, value_format):
    """Changes besides metadata: secret_type, and max_versions where the target lets us see it.

    The documented secret object has no ``options`` field (ScaiVault core-concepts/secrets): options
    exist only in the PUT body, so a stored ``max_versions`` is normally unknowable. It is then sent with
    every write but never causes one by itself (a re-run writes nothing); a server that does echo it
    (``options.max_versions`` or ``max_versions``) gets it compared.
    """
    changes = []
    if target.get("secret_type") != SECRET_TYPE_BY_FORMAT[value_format]:
        changes.append("secret_type")
    stored = stored_options(target)
    if settings.max_versions is not None and "max_versions" in stored and stored["max_versions"] != settings.max_versions:
        changes.append("max_versions")
    return changes


def decide_from_target(task, target, settings):
    """First decision, from the target's metadata only (no value read yet).

    Sets the action to unchanged (the cheap skip), error (foreign target) or leaves the task
    open with action create/update; an open task needs its ASM value.
    """
    task.target = target
    source = task.source
    if target is None:
        task.action = ACTION_CREATE
        task.changes = ["created"]
        return task
    task.from_version = target.get("version")
    task.to_version = task.from_version
    owner, recorded = target_owner(target, source, settings.region)
    if owner == "foreign" and not settings.take_over:
        task.fail("foreign_target", "the target %s already exists and %s; map this secret elsewhere, or set "
                                    "take_over=true to write over it" % (task.path, _describe_foreign(recorded)))
        return task
    task.action = ACTION_UPDATE
    if owner == "mine" and recorded.get("version_id") == source.version_id and recorded.get("format") in VALUE_FORMATS:
        _merged, changed = wanted_metadata(target.get("metadata"), source, settings, source.version_id,
                                           recorded["format"])
        other = other_changes(target, settings, recorded["format"])
        if not changed and not other:
            task.action = ACTION_UNCHANGED
            task.changes = []
        elif not other:
            task.metadata_only = True
            task.changes = list(changed)
    return task


def metadata_update(task, settings):
    """(metadata to store, changed field names) of a metadata-only task: its value and provenance stay."""
    recorded = recorded_source((task.target or {}).get("metadata")) or {}
    return wanted_metadata((task.target or {}).get("metadata"), task.source, settings, task.source.version_id,
                           recorded.get("format"))


def plan_write(task, settings, version_id, encoded, current_metadata, target, written_version=None):
    """(metadata, options, changes) of one PUT writing this encoded ASM version as written_version."""
    metadata, _changed = wanted_metadata(current_metadata, task.source, settings, version_id, encoded.format,
                                         written_version)
    # What really differs, without the history entry that every write adds.
    _metadata, changed = wanted_metadata(current_metadata, task.source, settings, version_id, encoded.format)
    changes = list(changed)
    if target is not None:
        changes += [change for change in other_changes(target, settings, encoded.format) if change not in changes]
    options = {"max_versions": settings.max_versions} if settings.max_versions is not None else None
    return metadata, options, changes


# ---------------------------------------------------------------------------------------------
# versions: all
# ---------------------------------------------------------------------------------------------
def ordered_versions(versions, current_version_id):
    """ASM versions to export, oldest first, AWSCURRENT last (so ScaiVault's latest is ASM's current).

    versions: ListSecretVersionIds' Versions. Versions staged only AWSPENDING (a rotation in
    progress, not yet valid) are left out. Sorted by CreatedDate; equal dates keep the listing
    order (moto returns every version with the same date, in creation order).
    """
    kept = []
    for position, version in enumerate(versions or []):
        stages = version.get("VersionStages") or []
        if stages and set(stages) == {PENDING_STAGE}:
            continue
        created = version.get("CreatedDate")
        if isinstance(created, datetime.datetime):
            key = created.timestamp()
        elif isinstance(created, (int, float)):
            key = float(created)
        else:
            key = 0.0
        kept.append((key, position, version["VersionId"]))
    kept.sort()
    order = [version_id for _key, _position, version_id in kept if version_id != current_version_id]
    if current_version_id and any(version_id == current_version_id for _k, _p, version_id in kept):
        order.append(current_version_id)
    return order


def versions_to_write(order, task, settings):
    """The versions still missing at the target, in order, and a note or None.

    Versions the target's provenance lists in source.versions are done (robust to the order
    changing when a new AWSCURRENT arrives); a record without that list resumes after the
    recorded VersionId. A recorded VersionId that ASM no longer lists cannot be placed in the
    history: only AWSCURRENT is written then.
    """
    target = task.target
    if target is None:
        return list(order), None
    owner, recorded = target_owner(target, task.source, settings.region)
    if owner != "mine":
        return list(order), None
    done = set(recorded_history(target.get("metadata"), task.source, settings.region).values())
    if done:
        return [version_id for version_id in order if version_id not in done], None
    version_id = recorded.get("version_id")
    if version_id in order:
        return order[order.index(version_id) + 1:], None
    return order[-1:], ("the target records ASM version %s, which ASM no longer lists; only AWSCURRENT is "
                        "written" % version_id)


# ---------------------------------------------------------------------------------------------
# Summary
# ---------------------------------------------------------------------------------------------
def summarize(tasks, selected_total=None, batch_range=None):
    """Counts per action and per reason code, versions written, and the batch covered."""
    summary = count_by(tasks, lambda task: task.action, start=ACTIONS)
    reasons = count_by(tasks, lambda task: task.reason_code or None)
    versions = sum(task.versions_written for task in tasks)
    rotation = len([task for task in tasks if task.source and task.source.rotation_enabled
                    and task.action in CHANGING_ACTIONS + (ACTION_UNCHANGED,)])
    summary["total"] = len(tasks)
    summary["failed"] = summary[ACTION_ERROR]
    summary["changed"] = summary[ACTION_CREATE] + summary[ACTION_UPDATE]
    summary["versions_written"] = versions
    summary["metadata_in_place"] = len([task for task in tasks if task.metadata_write == METADATA_IN_PLACE])
    summary["versions_for_metadata"] = len([task for task in tasks if task.metadata_write == METADATA_AS_VERSION])
    summary["rotation_enabled"] = rotation
    summary["by_reason"] = reasons
    if selected_total is not None:
        summary["selected_total"] = selected_total
    if batch_range is not None:
        summary["batch"] = {"start": batch_range[0], "stop": batch_range[1]}
    return summary
