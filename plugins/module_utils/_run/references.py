# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The I/O of the reference scan (the matching itself is _plan/references.py).

  scan_trees()            walk directory trees (globs, excludes, a size cap, binary files skipped),
                          scan each text file, and build the suggested patch
  catalog_from_asm()      the migrated selection from ListSecrets and the mapping rules
  catalog_from_scaivault() the migrated selection from metadata.source of ScaiVault paths
  add_formats()           value formats and presence of the targets (batch metadata, no value)
  gather_evidence()       cutover evidence per secret: audit reads of the new and the federated
                          paths by other identities, ASM's LastAccessedDate
  references_markdown()   the report for people

No secret value is read anywhere here: ASM is listed, ScaiVault is asked for metadata and audit
rows only. Results carry names, ARNs, paths, file names and line numbers, never a line's text.

Private to this collection: no API promise.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import time

from ansible_collections.scailabs.scaivault.plugins.module_utils._clients.scaivault import batch_path_error
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.counting import count_by
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.errors import CollectionError, is_missing_code
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.provenance import recorded_source
from ansible_collections.scailabs.scaivault.plugins.module_utils._plan.cleanup import federations_of, iso_date
from ansible_collections.scailabs.scaivault.plugins.module_utils._plan.references import (
    Catalog, Globs, KIND_PLAIN, PATCHABLE_KINDS, STATUSES, catalog_entry, cutover_status, file_type, scan_text,
    suggest_patch, unified_diff)
from ansible_collections.scailabs.scaivault.plugins.module_utils._plan.targets import STATUS_OK, plan_targets
from ansible_collections.scailabs.scaivault.plugins.module_utils._run.audit import collect_reads
from ansible_collections.scailabs.scaivault.plugins.module_utils._run.reports import markdown_table
from ansible_collections.scailabs.scaivault.plugins.module_utils._run.selection import list_scope

BINARY_PROBE_BYTES = 8192


class ReferenceScanError(CollectionError):
    """A tree that cannot be scanned (missing root, unreadable directory); names the path and the fix."""


# -- the walk -------------------------------------------------------------------------------------------
def _is_binary(head):
    return b"\0" in head


def walk_files(roots, globs, max_size, skip_paths=()):
    """Yield (root as given, relative path, absolute path, size) of the files to scan; fill a skipped list.

    Returns a generator and the list it appends to: [{file, reason, size}] for files over the size
    cap, binary files (a NUL byte in the first 8 KiB), unreadable files and symbolic links (never
    followed, so a link cannot lead the walk in circles or out of the tree). Excluded files and
    directories are counted in walk_files.excluded, never read.
    """
    skipped = []
    state = {"excluded": 0}
    skip = set(os.path.abspath(path) for path in skip_paths if path)
    skip.update([os.path.realpath(path) for path in skip])
    seen = set()

    def generate():
        for root in roots:
            base = os.path.abspath(os.path.expanduser(root))
            if not os.path.isdir(base):
                raise ReferenceScanError("roots: %s is not a directory; give the top directory of a repository "
                                         "or deployment tree" % root)
            real_base = os.path.realpath(base)
            for folder, dirs, files in os.walk(base, onerror=_raise_walk_error, followlinks=False):
                relative_folder = os.path.relpath(folder, base).replace(os.sep, "/")
                relative_folder = "" if relative_folder == "." else relative_folder + "/"
                kept = []
                for name in sorted(dirs):
                    absolute = os.path.join(folder, name)
                    spellings = (absolute, os.path.join(real_base, relative_folder + name))
                    if globs.excluded(relative_folder + name, spellings):
                        state["excluded"] += 1
                    elif os.path.islink(absolute):
                        skipped.append({"file": _display(root, relative_folder + name), "reason": "symlink",
                                        "size": None})
                    else:
                        kept.append(name)
                dirs[:] = kept
                for name in sorted(files):
                    relative = relative_folder + name
                    absolute = os.path.join(folder, name)
                    spellings = (absolute, os.path.join(real_base, relative))
                    if skip.intersection(spellings):
                        continue  # the run's own report and patch files
                    if globs.excluded(relative, spellings) or not globs.included(relative, spellings):
                        state["excluded"] += 1
                        continue
                    if os.path.islink(absolute):
                        skipped.append({"file": _display(root, relative), "reason": "symlink", "size": None})
                        continue
                    real = os.path.realpath(absolute)
                    if real in seen:
                        continue  # overlapping roots: each file once
                    seen.add(real)
                    try:
                        size = os.path.getsize(absolute)
                    except OSError:
                        skipped.append({"file": _display(root, relative), "reason": "unreadable", "size": None})
                        continue
                    if size > max_size:
                        skipped.append({"file": _display(root, relative), "reason": "too_large", "size": size})
                        continue
                    yield root, relative, absolute, size

    return generate(), skipped, state


def _raise_walk_error(error):
    raise ReferenceScanError("cannot read directory %s: %s; grant read access or exclude it"
                             % (error.filename, error.strerror))


def _display(root, relative):
    return os.path.normpath(os.path.join(root, relative)) if root not in ("", ".") else relative


def patch_base(roots):
    """The directory the patch's paths are relative to: the common parent of the roots."""
    absolute = [os.path.abspath(os.path.expanduser(root)) for root in roots]
    return os.path.commonpath(absolute) if absolute else None


def scan_trees(catalog, roots, include=None, exclude=None, max_size=2097152, skip_paths=(), patch=False,
               patch_fallback=True):
    """Scan every file of the trees for the catalog's names and ARNs.

    Returns {hits, files_scanned, bytes_scanned, files_with_references, skipped, excluded, diffs,
    patch_base, seconds}; diffs is [(path relative to patch_base, unified diff)] when ``patch``.
    """
    started = time.monotonic()
    globs = Globs(include, exclude)
    files, skipped, state = walk_files(roots, globs, max_size, skip_paths)
    base = patch_base(roots)
    hits, diffs = [], []
    scanned = scanned_bytes = with_refs = 0
    for root, relative, absolute, _size in files:
        try:
            with open(absolute, "rb") as handle:
                raw = handle.read()
        except (IOError, OSError):
            skipped.append({"file": _display(root, relative), "reason": "unreadable", "size": None})
            continue
        if _is_binary(raw[:BINARY_PROBE_BYTES]):
            skipped.append({"file": _display(root, relative), "reason": "binary", "size": len(raw)})
            continue
        scanned += 1
        scanned_bytes += len(raw)
        try:
            text, utf8 = raw.decode("utf-8"), True
        except UnicodeDecodeError:
            text, utf8 = raw.decode("utf-8", "replace"), False
        kind_of_file = file_type(relative)
        found = scan_text(text, catalog, kind_of_file)
        if not found:
            continue
        with_refs += 1
        display = _display(root, relative)
        for hit in found:
            hit.update(file=display, root=os.path.normpath(root), relative=relative)
        if patch and any(hit["kind"] in PATCHABLE_KINDS for hit in found):
            _patch_file(text, utf8, found, catalog, kind_of_file, os.path.relpath(absolute, base).replace(os.sep, "/"),
                        patch_fallback, diffs)
        for hit in found:
            hit.pop("offset", None)
            hit.pop("length", None)
        hits.extend(found)
    hits.sort(key=lambda hit: (hit["file"], hit["line"], hit["column"], hit["asm_name"], hit["region"] or ""))
    skipped.sort(key=lambda item: item["file"])
    diffs.sort()
    return {"hits": hits, "files_scanned": scanned, "bytes_scanned": scanned_bytes, "files_with_references": with_refs,
            "skipped": skipped, "excluded": state["excluded"], "diffs": diffs, "patch_base": base,
            "seconds": round(time.monotonic() - started, 3)}


def _patch_file(text, utf8, found, catalog, kind_of_file, patch_path, fallback, diffs):
    if not utf8:
        for hit in found:
            if hit["kind"] in PATCHABLE_KINDS:
                hit.update(patch="manual", patch_note="the file is not UTF-8 text; edit it by hand")
        return
    new_text, outcome = suggest_patch(text, found, catalog, kind_of_file, fallback)
    for hit in found:
        if hit["kind"] in PATCHABLE_KINDS:
            status, note = outcome.get(hit["offset"], ("manual", "not recognised as a whole lookup or task"))
            hit["patch"] = status
            if note:
                hit["patch_note"] = note
    if new_text is not None:
        diffs.append((patch_path, unified_diff(patch_path, text, new_text)))


# -- the migrated selection -----------------------------------------------------------------------------
def _secret(name, arn, region, path, value_format=None, target_status=None, reason=None):
    return {"name": name, "arn": arn, "region": region, "scaivault_path": path, "format": value_format,
            "target_status": target_status, "target_reason": reason}


def catalog_from_asm(asm, region, names=None, prefixes=None, filters=None, rules=None, paths=None,
                     naming_policy="strict", namespaces=None):
    """(secrets, {name: SecretListEntry}, names not found): ListSecrets of the selection + the mapping rules.

    ``namespaces`` ([{prefixes, names, rules, naming_policy}], in order) maps each secret with the rules of the
    first namespace that selects it, as the migrate role migrates them; without it, ``rules`` map every name.
    Every selected secret is in the list with its target plan; only those with a path are looked for.
    """
    if namespaces:
        names = [name for namespace in namespaces for name in namespace.get("names") or []]
        prefixes = [prefix for namespace in namespaces for prefix in namespace.get("prefixes") or []]
    entries, not_found = list_scope(asm, region, names=names or None, prefixes=prefixes or None, filters=filters)
    listing = dict((entry.get("Name"), entry) for entry in entries if entry.get("Name"))
    explicit = paths or {}
    groups = namespaces or [{"rules": rules or [], "naming_policy": naming_policy}]
    members = [[] for _group in groups]
    for name in listing:
        if name in explicit:
            continue
        for index, group in enumerate(groups):
            if _selects(group, name):
                members[index].append(name)
                break
    planned = {}
    for group, group_names in zip(groups, members):
        planned.update(plan_targets(group_names, group["rules"], group.get("naming_policy") or naming_policy))
    secrets = []
    for name in sorted(listing):
        arn = listing[name].get("ARN")
        if name in explicit:
            secrets.append(_secret(name, arn, region, explicit[name], target_status=STATUS_OK))
            continue
        plan = planned.get(name)
        if plan is None:
            secrets.append(_secret(name, arn, region, None, target_status="unmapped",
                                   reason="no namespace selects %s" % name))
            continue
        secrets.append(_secret(name, arn, region, plan.path if plan.status == STATUS_OK else None,
                               target_status=plan.status, reason=plan.reason))
    return secrets, listing, not_found


def _selects(group, name):
    """A namespace without names and prefixes selects every name; otherwise one of them must."""
    names, prefixes = group.get("names") or [], group.get("prefixes") or []
    if not names and not prefixes:
        return True
    return name in names or any(name.startswith(prefix) for prefix in prefixes)


def catalog_from_scaivault(client, prefixes, region=None):
    """(secrets, paths without ASM provenance): every migrated path under the prefixes, by metadata.source."""
    secrets, foreign = [], []
    seen = set()
    for prefix in prefixes:
        for item in client.list_secrets(prefix=prefix):
            path = item.get("path")
            if not path or path in seen:
                continue
            seen.add(path)
            source = recorded_source(item.get("metadata"))
            if source is None or not source.get("name"):
                foreign.append(path)
                continue
            if region and source.get("region") and source["region"] != region:
                continue
            secrets.append(_secret(source["name"], source.get("arn"), source.get("region") or region, path,
                                   value_format=source.get("format"), target_status=STATUS_OK))
    secrets.sort(key=lambda secret: (secret["name"], secret["region"] or "", secret["scaivault_path"]))
    return secrets, sorted(foreign)


def add_formats(client, secrets):
    """Fill format and migrated from the targets' metadata.source (batch metadata: no value, audited as list)."""
    paths = sorted(set(secret["scaivault_path"] for secret in secrets if secret["scaivault_path"]))
    if not paths:
        return
    found, errors = client.batch_metadata(paths)
    for path, error in errors.items():
        if not is_missing_code(error.get("code")):
            raise batch_path_error(path, error)
    for secret in secrets:
        path = secret["scaivault_path"]
        if not path:
            continue
        target = found.get(path)
        secret["migrated"] = target is not None
        source = recorded_source((target or {}).get("metadata"))
        if source and source.get("name") == secret["name"]:
            secret["format"] = source.get("format")


def build_catalog(secrets):
    return Catalog(catalog_entry(secret["name"], secret.get("arn"), secret.get("region"), path=secret["scaivault_path"],
                                 value_format=secret.get("format"))
                   for secret in secrets)


# -- cutover evidence -------------------------------------------------------------------------------------
def asm_listing(asm, region, names):
    """{name: SecretListEntry} of names in a region (ListSecrets, 10 names per call)."""
    if not names:
        return {}
    entries, _missing = list_scope(asm, region, names=sorted(set(names)))
    return dict((entry.get("Name"), entry) for entry in entries)


def gather_evidence(client, secrets, listing, start, end, exclude_identities=(), region=None):
    """Audit and ASM evidence per secret: {(name, region): evidence}, plus {identity, excluded_identities,
    audit_queries}.

    ``listing`` holds the ListSecrets entries of ``region`` (LastAccessedDate); a secret of another region
    has no ASM date. The caller's own identity (the migration's) and ``exclude_identities`` do not count.
    """
    own = client.whoami().get("identity_id")
    exclude = [identity for identity in [own] + list(exclude_identities or []) if identity]
    backends = client.list_backends()
    federated = {}
    paths = set()
    for secret in secrets:
        feds = [fed for fed in federations_of(backends, secret["name"], secret.get("region") or region) if fed["path"]]
        federated[_key(secret)] = feds
        paths.update(fed["path"] for fed in feds)
        if secret["scaivault_path"]:
            paths.add(secret["scaivault_path"])
    per_path, queries = {}, 0
    if paths:
        summary, queries = collect_reads(client, paths=sorted(paths), start=start, end=end, exclude=exclude)
        per_path = summary.per_path()
    evidence = {}
    for secret in secrets:
        new = (per_path.get(secret["scaivault_path"]) or {}) if secret["scaivault_path"] else {}
        feds = []
        for fed in federated[_key(secret)]:
            reads = per_path.get(fed["path"]) or {}
            feds.append({"path": fed["path"], "backend": fed["name"], "mode": fed["mode"],
                         "reads": reads.get("reads", 0), "readers": reads.get("readers", [])})
        listed = secret.get("region") in (None, region)
        entry = (listing.get(secret["name"]) if listed else None) or {}
        last = entry.get("LastAccessedDate")
        evidence[_key(secret)] = {
            "new_path_reads": new.get("reads", 0), "new_path_readers": new.get("readers", []),
            "new_path_last_read": new.get("last_read"), "federated": feds,
            "federated_reads": sum(fed["reads"] for fed in feds),
            "asm_last_accessed": iso_date(last) if last else None,
            "asm_accessed_in_window": bool(last) and _on_or_after(last, start)}
    return evidence, {"identity": own, "excluded_identities": exclude, "audit_queries": queries}


def _key(secret):
    return secret["name"], secret.get("region")


def _on_or_after(day, start):
    """ASM's LastAccessedDate is a day (rounded down): inside the window when that day reaches its start."""
    if start is None:
        return True
    if not hasattr(day, "date"):
        return True
    return day.date() >= start.date()


def cutover(secrets, evidence, scanned):
    """Set secret['cutover'] from the evidence and secret['references']; return the counts per status."""
    for secret in secrets:
        found = evidence.get(_key(secret))
        if found is None:
            continue
        verdict = cutover_status(references=secret.get("references", 0),
                                 new_path_reads=found["new_path_reads"], federated_reads=found["federated_reads"],
                                 asm_accessed_in_window=found["asm_accessed_in_window"],
                                 asm_last_accessed=found["asm_last_accessed"], scanned=scanned)
        secret["cutover"] = dict(found, status=verdict["status"], reasons=verdict["reasons"],
                                 references=secret.get("references", 0) if scanned else None)
    counts = dict((status, 0) for status in STATUSES)
    counts.update(count_by(secret["cutover"]["status"] for secret in secrets if "cutover" in secret))
    return counts


# -- the Markdown report -----------------------------------------------------------------------------------
_STATUS_TEXT = {"not_started": "not started", "in_transition": "in transition", "moved": "moved"}


def references_markdown(report):
    """Summary, cutover per secret, then every reference (file:line, kind) and the skipped files."""
    summary = report.get("summary") or {}
    lines = ["# References to migrated ASM secrets%s" % (": %s" % report["region"] if report.get("region") else ""),
             ""]
    counts = [("secrets looked for", summary.get("secrets", 0)),
              ("secrets referenced", summary.get("referenced_secrets", 0)),
              ("references", summary.get("references", 0)),
              ("files scanned", summary.get("files_scanned", 0)),
              ("files with references", summary.get("files_with_references", 0)),
              ("files skipped", summary.get("files_skipped", 0)),
              ("patch: suggested / by hand", "%s / %s" % (summary.get("patch_suggested", 0), summary.get("patch_manual", 0)))]
    for status, count in sorted((summary.get("cutover") or {}).items()):
        counts.append(("cutover %s" % _STATUS_TEXT.get(status, status), count))
    lines.append(markdown_table(["", "count"], counts))
    if summary.get("by_kind"):
        lines.append("## Kinds\n")
        lines.append(markdown_table(["kind", "references"], sorted(summary["by_kind"].items())))
    lines.append("## Secrets\n")
    rows = []
    for secret in report.get("secrets") or []:
        cut = secret.get("cutover") or {}
        rows.append((secret["name"], secret.get("region"), secret.get("scaivault_path"), secret.get("references", 0),
                     _STATUS_TEXT.get(cut.get("status"), cut.get("status")), "; ".join(cut.get("reasons") or [])))
    lines.append(markdown_table(["ASM name", "region", "ScaiVault path", "references", "cutover", "evidence"], rows))
    lines.append("## References\n")
    rows = [("%s:%d" % (hit["file"], hit["line"]), hit["kind"] if hit["kind"] != KIND_PLAIN else "plain (%s)" % hit["file_type"],
             hit["form"], hit["asm_name"], hit.get("scaivault_path"),
             hit.get("patch") or "", hit.get("patch_note") or "")
            for hit in report.get("references") or []]
    lines.append(markdown_table(["file:line", "kind", "form", "ASM name", "ScaiVault path", "patch", "note"], rows))
    if report.get("skipped_files"):
        lines.append("## Skipped files\n")
        rows = [(item["file"], item["reason"], item.get("size")) for item in report["skipped_files"]]
        lines.append(markdown_table(["file", "reason", "bytes"], rows))
    return "\n".join(lines)


def summarize(secrets, scan, diffs_written=0):
    """Counts of a scan for results and reports."""
    hits = scan["hits"] if scan else []
    referenced = set((hit["asm_name"], hit["region"]) for hit in hits)
    return {"secrets": len(secrets), "referenced_secrets": len(referenced), "references": len(hits),
            "by_kind": count_by(hit["kind"] for hit in hits),
            "files_scanned": scan["files_scanned"] if scan else 0,
            "bytes_scanned": scan["bytes_scanned"] if scan else 0,
            "files_with_references": scan["files_with_references"] if scan else 0,
            "files_skipped": len(scan["skipped"]) if scan else 0,
            "files_excluded": scan["excluded"] if scan else 0,
            "patch_suggested": sum(1 for hit in hits if hit.get("patch") == "suggested"),
            "patch_manual": sum(1 for hit in hits if hit.get("patch") == "manual"),
            "patched_files": diffs_written,
            "scan_seconds": scan["seconds"] if scan else 0.0}
