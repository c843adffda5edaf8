# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The asm_migrate engine: list -> plan -> probe targets -> read values -> write, in one process.

Cost (N secrets in one region, see migration-design.md "Cost and speed floor"):
  ListSecrets           ceil(N/100): every entry already carries AWSCURRENT's VersionId, the
                        tags, description, KMS key, rotation, primary region and deletion date
  batch metadata        ceil(N/100) ScaiVault calls (audited as list, not read)
  BatchGetSecretValue   ceil(N/20), only for secrets whose target does not already record the
                        current VersionId with the wanted metadata: an unchanged re-run reads no value
  PUT                   one per secret (or per ASM version with versions=all), paced by
                        _pacing.WritePacer from the X-RateLimit-* headers
Pipeline: units of 100 secrets go through a small pool of reader threads (probe, decide,
read values 20 at a time) that hand each value to a bounded pool of writer threads; a
semaphore caps the values held in memory, so memory does not grow with N.

Values stay inside this process: they go from the ASM (or federation) answer through the
encoder into the PUT body and are dropped; tasks keep names, paths, versions, change names
and (in diff mode) salted fingerprints only. Error texts come from the shared layer's
exceptions, which carry codes and paths, never bodies.

Private to this collection: no API promise.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.errors import (
    VERSION_CONFLICT, AsmError, ScaiVaultError, ScaiVaultUnknownOutcome, is_missing_code)
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.metadata import masked_secret_view
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.encoding import (
    EncodedValue, EncodingError, FORMAT_BINARY, FORMAT_JSON, FORMAT_TEXT, VALUE_FORMATS, encode_asm_value, values_equal)
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.fingerprint import data_fingerprints, new_salt
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.mapping import compile_rules, invert_rules, map_name
from ansible_collections.scailabs.scaivault.plugins.module_utils._plan.migration import (
    ACTION_CREATE, ACTION_UPDATE, CHANGING_ACTIONS, METADATA_AS_VERSION, METADATA_IN_PLACE, SECRET_TYPE_BY_FORMAT,
    SourceSecret, batch_slice, decide_from_target, metadata_update, ordered_versions, plan_tasks, plan_write,
    summarize, versions_to_write)
from ansible_collections.scailabs.scaivault.plugins.module_utils._clients.pacing import WritePacer
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.provenance import recorded_source
from ansible_collections.scailabs.scaivault.plugins.module_utils._plan.selection import (
    listing_requests, select_entries_for)

PROBE_UNIT = 100           # secrets per batch-metadata call (the API's maximum)
ASM_BATCH = 20             # ids per BatchGetSecretValue (the API's maximum)
FEDERATION_BATCH = 100     # paths per ScaiVault batch read
MAX_READERS = 4            # units probed and read at the same time
PENDING_PER_WORKER = 8     # values waiting for a writer, per writer thread (bounds memory)
FATAL_STATUSES = (401, 403)


class MigrationAborted(Exception):
    """A failure that no secret can get past (bad token, missing scope): the run stops."""

    def __init__(self, cause, action):
        super(MigrationAborted, self).__init__(str(cause))
        self.cause = cause
        self.action = action


def describe_error(exc):
    """(reason_code, text) of an exception, without values (shared-layer errors carry none)."""
    if isinstance(exc, ScaiVaultError):
        return (exc.code or "scaivault_error"), exc.describe()
    if isinstance(exc, AsmError):
        return (exc.code or "asm_error"), exc.message
    if isinstance(exc, EncodingError):
        return "encoding_error", str(exc)
    # Anything else: the type only; its text could in principle quote data.
    return "internal_error", "unexpected %s while migrating this secret; re-run, and report it if it persists" % (
        type(exc).__name__)


# ---------------------------------------------------------------------------------------------
# Where values come from
# ---------------------------------------------------------------------------------------------
class AsmValues:
    """Current values from ASM, BatchGetSecretValue 20 per call (GetSecretValue where denied)."""

    chunk = ASM_BATCH
    name = "asm"

    def __init__(self, asm):
        self.asm = asm

    def read(self, tasks):
        """{task.name: (EncodedValue, VersionId) or exception} for the tasks' current versions."""
        answers, errors = self.asm.batch_get_values([task.source.arn for task in tasks])
        result = {}
        for task in tasks:
            arn = task.source.arn
            if arn in errors:
                result[task.name] = errors[arn]
                continue
            value = answers.get(arn)
            if value is None:
                result[task.name] = AsmError("no value returned for %s" % task.name, code="NoValue",
                                             operation="BatchGetSecretValue", secret_id=task.name)
                continue
            try:
                encoded = encode_asm_value(value.get("SecretString"), value.get("SecretBinary"))
            except EncodingError as exc:
                result[task.name] = exc
                continue
            result[task.name] = (encoded, value.get("VersionId") or task.source.version_id)
        return result


def _format_of(obj, recorded):
    """How a federated copy was encoded: its recorded format, else what its type and keys say."""
    if recorded and recorded.get("format") in VALUE_FORMATS:
        return recorded["format"]
    data = obj.get("data") or {}
    if obj.get("secret_type") == "json":
        return FORMAT_JSON
    if set(data) == {"value_base64"}:
        return FORMAT_BINARY
    if set(data) == {"value"}:
        return FORMAT_TEXT
    return FORMAT_JSON


class FederationValues:
    """Current values through ScaiVault federation: batch reads of the federated paths.

    Same results as reading ASM: the federated copy carries the value under the same encoding
    rule; its recorded VersionId must be ASM's current one (else the copy is stale: sync the
    backend and re-run). A copy without provenance (a proxied live read) is ASM's current value.
    """

    chunk = FEDERATION_BATCH
    name = "federation"

    def __init__(self, scaivault, rules):
        self.scaivault = scaivault
        self.rules = rules

    def federated_path(self, name):
        path, _index = map_name(self.rules, name)
        return path

    def read(self, tasks):
        paths = [task.federated_path for task in tasks]
        found, errors = self.scaivault.batch_read(paths, include_metadata=True)
        result = {}
        for task in tasks:
            path = task.federated_path
            obj = found.get(path)
            if obj is None or not isinstance(obj.get("data"), dict):
                error = errors.get(path) or {}
                result[task.name] = ScaiVaultError(
                    "the federated path %s has no value (%s); check that the backend maps %s and has synced" % (
                        path, error.get("code") or "missing", task.name),
                    code="federated_read_failed", path=path)
                continue
            recorded = recorded_source(obj.get("metadata"))
            version_id = (recorded or {}).get("version_id") or task.source.version_id
            if version_id != task.source.version_id:
                result[task.name] = ScaiVaultError(
                    "the federated copy at %s holds ASM version %s, but AWSCURRENT is %s: the backend has not "
                    "synced yet; sync it and re-run" % (path, version_id, task.source.version_id),
                    code="stale_federation", path=path)
                continue
            value_format = _format_of(obj, recorded)
            result[task.name] = (EncodedValue(obj["data"], SECRET_TYPE_BY_FORMAT[value_format], value_format),
                                 version_id)
        return result


def federation_rules(path_mapping):
    """Rules from ASM name to federated ScaiVault path: the backend's path_mapping, inverted."""
    return invert_rules(compile_rules(path_mapping))


# ---------------------------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------------------------
class MigrationOutcome:
    def __init__(self, tasks, selected_total, batch_range, duration, pacing, timings=None):
        self.tasks = tasks
        self.selected_total = selected_total
        self.batch_range = batch_range
        self.duration = duration
        self.pacing = pacing
        self.timings = timings or {}

    @property
    def changed(self):
        return any(task.action in CHANGING_ACTIONS for task in self.tasks)

    @property
    def failed(self):
        return [task for task in self.tasks if task.action == "error"]

    def summary(self):
        return summarize(self.tasks, self.selected_total, self.batch_range)

    def results(self):
        return [task.result() for task in self.tasks]

    def diffs(self):
        return [task.diff for task in self.tasks if task.diff]


class Migration:
    """One asm_migrate run over one region. Thread-safe where it has to be; see the module docstring."""

    def __init__(self, asm, scaivault, settings, check_mode=False, diff_mode=False, values=None, warn=None,
                 clock=time.monotonic):
        self.asm = asm
        self.scaivault = scaivault
        self.settings = settings
        self.check_mode = check_mode
        self.diff_mode = diff_mode
        self.values = values or AsmValues(asm)
        self.warn = warn or (lambda message: None)
        self.clock = clock
        self.salt = new_salt() if diff_mode else None
        self.pacer = WritePacer(lambda: scaivault.rate_limits.get("write"))
        self._fatal = None
        self._fatal_lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(max(ASM_BATCH, FEDERATION_BATCH,
                                                     settings.workers * PENDING_PER_WORKER))
        self._slots_lock = threading.Lock()

    # -- selection and planning ------------------------------------------------------------
    def select(self, names=None, prefixes=None, filters=None):
        """Listed and classified secrets, and the names asked for that do not exist."""
        region = self.settings.region
        sources = []
        for request in listing_requests(names, prefixes, filters, region):
            for entry in self.asm.list_secrets(filters=request or None, include_planned_deletion=True):
                # Compact at once: a 10,000-secret listing must not stay in memory as raw dicts.
                sources.append(_Listed(SourceSecret.from_entry(entry, region)))
        chosen, missing = select_entries_for(sources, region, names, prefixes)
        return [listed.source for listed in chosen], missing

    def run(self, names=None, prefixes=None, filters=None):
        started = self.clock()
        sources, missing = self.select(names, prefixes, filters)
        listed = self.clock()
        tasks = plan_tasks(sources, self.settings, missing)
        sources = None
        total = len(tasks)
        start, stop = batch_slice(total, self.settings.batch)
        tasks = tasks[start:stop]
        if isinstance(self.values, FederationValues):
            for task in tasks:
                if task.action is None:
                    task.federated_path = self.values.federated_path(task.name)
                    if not task.federated_path:
                        task.fail("not_federated", "the federation mapping has no path for %s; add it to the "
                                                   "backend's path_mapping or use source=asm" % task.name)
        planned = self.clock()
        self.execute([task for task in tasks if task.action is None])
        if self._fatal is not None:
            raise self._fatal
        done = self.clock()
        timings = {"list_seconds": round(listed - started, 3), "plan_seconds": round(planned - listed, 3),
                   "execute_seconds": round(done - planned, 3)}
        return MigrationOutcome(tasks, total, (start, stop) if self.settings.batch else None,
                                done - started, self.pacer.snapshot(), timings)

    # -- pipeline ----------------------------------------------------------------------------
    def execute(self, tasks):
        units = [tasks[start:start + PROBE_UNIT] for start in range(0, len(tasks), PROBE_UNIT)]
        if not units:
            return
        readers = min(MAX_READERS, len(units))
        with ThreadPoolExecutor(max_workers=self.settings.workers) as writers:
            with ThreadPoolExecutor(max_workers=readers) as reading:
                futures = [reading.submit(self._unit, unit, writers) for unit in units]
                for future in futures:
                    future.result()

    def _abort(self, exc, action):
        with self._fatal_lock:
            if self._fatal is None:
                self._fatal = MigrationAborted(exc, action)

    def _take_slots(self, count):
        """Reserve memory slots for count values; one reader at a time, so two readers can never
        each hold part of what they need while no value is with a writer (a deadlock)."""
        with self._slots_lock:
            for _index in range(count):
                self._slots.acquire()

    def _unit(self, unit, writers):
        """Probe, decide, read and hand over one unit of at most 100 secrets. Never raises."""
        handed = set()
        try:
            if self._fatal is not None:
                raise self._fatal
            self._probe(unit)
            if not self.check_mode:
                self._metadata_in_place([task for task in unit if task.metadata_only and task.action in CHANGING_ACTIONS])
            if self.settings.versions == "all":
                for task in [t for t in unit if t.action in CHANGING_ACTIONS and t.metadata_write != METADATA_IN_PLACE]:
                    self._take_slots(1)
                    handed.add(task.name)
                    writers.submit(self._guarded, self._write_all_versions, task)
                return
            need = [task for task in unit if task.action in CHANGING_ACTIONS and task.metadata_write != METADATA_IN_PLACE]
            before = self._before_fingerprints(need) if self.diff_mode else {}
            for start in range(0, len(need), self.values.chunk):
                chunk = need[start:start + self.values.chunk]
                if self._fatal is not None:
                    raise self._fatal
                self._take_slots(len(chunk))
                try:
                    answers = self.values.read(chunk)
                except (AsmError, ScaiVaultError) as exc:
                    if getattr(exc, "status", None) in FATAL_STATUSES:
                        self._abort(exc, "reading values through federation")
                    answers = dict((task.name, exc) for task in chunk)
                except Exception:
                    for _task in chunk:
                        self._slots.release()
                    raise
                for task in chunk:
                    answer = answers.pop(task.name, None)
                    if isinstance(answer, Exception) or answer is None:
                        task.fail(*describe_error(answer or AsmError("no value", code="NoValue")))
                        self._slots.release()
                        continue
                    handed.add(task.name)
                    writers.submit(self._guarded, self._write_current, task, answer[0], answer[1],
                                   before.get(task.name))
                    answer = None
        except MigrationAborted:
            self._fail_open(unit, handed, "aborted", "not migrated: the run stopped early (%s)" % self._fatal)
        except Exception as exc:  # pylint: disable=broad-except
            # Never let one unit take the others down; each of its open tasks reports why.
            self._fail_open(unit, handed, *describe_error(exc))

    @staticmethod
    def _fail_open(unit, handed, code, reason):
        for task in unit:
            if task.name not in handed and (task.action is None or task.action in CHANGING_ACTIONS):
                task.fail(code, reason)

    def _guarded(self, job, task, *args):
        """Run one writer job; whatever happens lands in the task, and the memory slot is freed."""
        try:
            job(task, *args)
        except MigrationAborted:
            task.fail("aborted", "not migrated: the run stopped early (%s)" % self._fatal)
        except Exception as exc:  # pylint: disable=broad-except
            task.fail(*describe_error(exc))
        finally:
            self._slots.release()

    def _probe(self, unit):
        """Batch metadata of the unit's targets (no values: audited as list), then the first decision."""
        try:
            found, errors = self.scaivault.batch_metadata([task.path for task in unit])
        except ScaiVaultError as exc:
            if exc.status in FATAL_STATUSES:
                self._abort(exc, "reading target metadata")
                raise self._fatal
            raise
        for task in unit:
            error = errors.get(task.path)
            if error and not is_missing_code(error.get("code")):
                task.fail(error.get("code") or "target_unreadable", "cannot read the target %s: %s" % (
                    task.path, error.get("message") or error.get("code")))
                continue
            decide_from_target(task, found.get(task.path), self.settings)
            if task.action not in CHANGING_ACTIONS:
                task.target = None  # not needed any more: 10,000 unchanged targets must not stay in memory

    def _metadata_in_place(self, tasks):
        """Metadata-only changes through the tenant's metadata-only update: no value read, no version.

        The first one discovers whether the tenant has such an update (the client remembers it); without
        one, the tasks go on to the value read and the PUT, as every update did before.
        """
        for task in tasks:
            if self._fatal is not None:
                raise self._fatal
            metadata, changed = metadata_update(task, self.settings)
            self.pacer.acquire()
            try:
                answer = self.scaivault.update_metadata(task.path, metadata, version=task.from_version)
            except ScaiVaultError as exc:
                if exc.status in FATAL_STATUSES:
                    self._abort(exc, "updating metadata")
                    raise self._fatal
                task.fail(*describe_error(exc))
                continue
            finally:
                self.pacer.release()
            if answer is None:
                task.metadata_write = METADATA_AS_VERSION
                task.notes.append("only metadata changed, but this ScaiVault has no metadata-only update: a new version "
                                  "with the unchanged value is written for it")
                continue
            target = task.target
            task.metadata_write = METADATA_IN_PLACE
            task.changes = list(changed)
            task.to_version = answer.get("version") or task.from_version
            if self.diff_mode:
                task.diff = {"before_header": "%s (v%s)" % (task.path, target.get("version")),
                             "after_header": "%s (v%s, metadata only)" % (task.path, task.to_version),
                             "before": masked_secret_view(dict(target, path=task.path), self.salt),
                             "after": masked_secret_view(dict(target, path=task.path, metadata=metadata), self.salt)}
            task.target = None

    def _before_fingerprints(self, tasks):
        """Diff mode: fingerprints of the targets' current data (batch read), never the data."""
        paths = [task.path for task in tasks if task.action == ACTION_UPDATE]
        if not paths:
            return {}
        found, _errors = self.scaivault.batch_read(paths, include_metadata=False)
        by_path = dict((task.path, task.name) for task in tasks)
        return dict((by_path[path], data_fingerprints(obj.get("data") or {}, self.salt))
                    for path, obj in found.items() if path in by_path and isinstance(obj.get("data"), dict))

    # -- writer jobs ---------------------------------------------------------------------------
    def _write_current(self, task, encoded, version_id, before_fingerprints):
        target = task.target
        metadata, options, changes = plan_write(task, self.settings, version_id, encoded,
                                                target.get("metadata") if target else None, target,
                                                written_version=(task.from_version or 0) + 1)
        after_fingerprints = data_fingerprints(encoded.data, self.salt) if self.diff_mode else None
        if task.action == ACTION_UPDATE:
            if before_fingerprints is not None and after_fingerprints is not None \
                    and before_fingerprints != after_fingerprints:
                changes.append("data")
            task.changes = changes
        task.written_version_id = version_id
        if self.check_mode:
            task.versions_planned = 1
            task.to_version = (task.from_version or 0) + 1
        else:
            task.to_version = self._put(task, encoded, metadata, options, version_id, task.from_version or 0)
            task.versions_written = 1
        if self.diff_mode:
            task.diff = self._diff(task, encoded, metadata, before_fingerprints, after_fingerprints)

    def _write_all_versions(self, task):
        """versions=all: every retained ASM version still missing at the target, oldest first."""
        listed = self._list_versions(task.source)
        order = ordered_versions(listed, task.source.version_id)
        todo, note = versions_to_write(order, task, self.settings)
        if note:
            task.notes.append(note)
        if not todo and task.action == ACTION_UPDATE:
            todo = order[-1:]  # history complete, but metadata/type/options changed: rewrite AWSCURRENT
        task.versions_planned = len(todo)
        target = task.target
        current_metadata = target.get("metadata") if target else None
        version = task.from_version or 0
        changes = []
        for version_id in todo:
            answer = self.asm.get_value(task.source.arn, version_id=version_id)
            encoded = encode_asm_value(answer.get("SecretString"), answer.get("SecretBinary"))
            answer = None
            metadata, options, changed = plan_write(task, self.settings, version_id, encoded, current_metadata, target,
                                                    written_version=version + 1)
            changes.extend(change for change in changed if change not in changes)
            if self.check_mode:
                version += 1
            else:
                version = self._put(task, encoded, metadata, options, version_id, version)
                task.versions_written += 1
                task.written_version_id = version_id
            current_metadata = metadata
            task.to_version = version
            if self.diff_mode and version_id == todo[-1]:
                task.diff = self._diff(task, encoded, metadata, None, data_fingerprints(encoded.data, self.salt))
        if task.action == ACTION_UPDATE:
            task.changes = changes
        elif task.action == ACTION_CREATE:
            task.changes = ["created"]

    def _list_versions(self, source):
        """Every retained version (IncludeDeprecated: versions without a staging label too)."""
        return self.asm.list_version_ids(source.arn, include_deprecated=True, name=source.name)

    def _put(self, task, encoded, metadata, options, version_id, before_version):
        """One PUT, paced. A lost answer or a 409 version_conflict (a concurrent write; ScaiVault's core-concepts/errors:
        fetch the current state, then retry) is resolved by re-reading: sent once more only while the target is still
        at before_version, never over another writer's newer version, never blindly."""
        for attempt in (1, 2):
            if self._fatal is not None:
                raise self._fatal
            self.pacer.acquire()
            conflict = None
            try:
                answer = self.scaivault.put_secret(task.path, encoded.data, secret_type=encoded.secret_type,
                                                   metadata=metadata, options=options)
            except ScaiVaultUnknownOutcome:
                answer = None
            except ScaiVaultError as exc:
                if exc.status in FATAL_STATUSES:
                    # A token that may not write (or has expired) refuses every secret alike:
                    # stop reading values and writing instead of collecting N identical refusals.
                    self._abort(exc, "writing secrets")
                if exc.code != VERSION_CONFLICT:
                    raise
                answer, conflict = None, exc
            finally:
                self.pacer.release()
            if answer is not None:
                return answer.get("version") or before_version + 1
            what = "was refused with version_conflict" if conflict else "got no answer"
            applied, current_version = self._applied_version(task.path, encoded.data, version_id, before_version)
            if applied is not None:
                task.notes.append("the PUT of ASM version %s %s; a re-read showed it was applied" % (version_id, what))
                return applied
            if current_version != before_version:
                raise ScaiVaultError(
                    "PUT %s %s, and a re-read shows another writer's version %s (the migration planned from version "
                    "%s); it was kept, not overwritten: re-run to compare against it"
                    % (task.path, what, current_version, before_version), status=409, code=VERSION_CONFLICT,
                    path=task.path, method="PUT")
            if attempt == 2:
                raise ScaiVaultUnknownOutcome(
                    "PUT %s: %s twice, and a re-read shows neither write applied; re-run to finish it" % (task.path, what),
                    code="unknown_outcome", path=task.path, method="PUT")
            task.notes.append("the PUT of ASM version %s %s and was not applied; sent once more" % (version_id, what))
        return None  # not reached

    def _applied_version(self, path, data, version_id, before_version):
        """(the target's version when it now holds exactly this write (data and recorded VersionId) else None,
        the target's version now, 0 when absent)."""
        current = self.scaivault.get_secret(path)
        if not current:
            return None, 0
        version = current.get("version") or 0
        recorded = recorded_source(current.get("metadata"))
        if version > before_version and recorded and recorded.get("version_id") == version_id \
                and values_equal(current.get("data"), data):
            return version, version
        return None, version

    def _diff(self, task, encoded, metadata, before_fingerprints, after_fingerprints):
        target = task.target
        before = masked_secret_view(dict(target, path=task.path), self.salt) if target else {}
        if before and before_fingerprints is not None:
            before["data"] = before_fingerprints
        after = masked_secret_view({"path": task.path, "version": task.to_version, "secret_type": encoded.secret_type,
                                    "metadata": metadata}, self.salt)
        if after_fingerprints is not None:
            after["data"] = after_fingerprints
        return {"before_header": "%s (%s)" % (task.path, "absent" if not target else "v%s" % target.get("version")),
                "after_header": "%s (v%s, from ASM %s)" % (task.path, task.to_version, task.name),
                "before": before, "after": after}


class _Listed:
    """A SourceSecret seen through the entry interface _inventory's selection helpers expect."""

    __slots__ = ("source",)

    def __init__(self, source):
        self.source = source

    def get(self, key, default=None):
        if key == "Name":
            return self.source.name
        if key == "ARN":
            return self.source.arn
        return default
