# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Plan ScaiVault access policies: compare rules and bindings, and derive consumers' read policies.

Rules (the modules document them for users):
  - rules compare as a set: permissions as sets, conditions as dicts, order never counts;
  - bindings are keyed by (identity_type, identity_id); listed ones are added, others are removed
    only with purge_bindings;
  - a consumer read policy grants C(read) on the ScaiVault paths a namespace's mapping rules give its
    ASM prefixes and names (``prod/orders/`` with ``prod/** -> environments/production/**`` gives
    ``environments/production/orders/**``), bound to every consumer that lists the namespace.

Private to this collection: no API promise.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.errors import PlanError
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.mapping import map_name

PERMISSIONS = ("read", "write", "delete", "list", "rotate", "admin")
IDENTITY_TYPES = ("user", "service_account", "group")
VIEW_FIELDS = ("id", "name", "description", "is_active")
DEFAULT_POLICY_NAME = "consumers-{namespace}-read"


def default_identity_type(identity_id):
    """ScaiKey ids say what they are: ``sa:`` service accounts, ``group:`` groups, anything else a user."""
    if identity_id.startswith("sa:"):
        return "service_account"
    if identity_id.startswith(("group:", "grp_")):
        return "group"
    return "user"


def normalize_rules(rules):
    """Rules as sorted, canonical dicts: {path_pattern, permissions (sorted), conditions (only when set)}."""
    result = []
    for index, rule in enumerate(rules or []):
        if not isinstance(rule, dict) or not rule.get("path_pattern"):
            raise PlanError("rules[%d] needs a path_pattern (a glob such as environments/production/billing/**)" % index)
        permissions = sorted(set(rule.get("permissions") or []))
        unknown = [item for item in permissions if item not in PERMISSIONS]
        if not permissions or unknown:
            raise PlanError("rules[%d] (%s): permissions must be some of %s%s" % (
                index, rule["path_pattern"], ", ".join(PERMISSIONS), " (unknown: %s)" % ", ".join(unknown) if unknown else ""))
        item = {"path_pattern": rule["path_pattern"], "permissions": permissions}
        conditions = dict((key, value) for key, value in (rule.get("conditions") or {}).items() if value not in (None, [], ""))
        if conditions:
            item["conditions"] = conditions
        result.append(item)
    return sorted(result, key=lambda item: json.dumps(item, sort_keys=True))


def normalize_bindings(bindings):
    """[{identity_type, identity_id, expires_at?}] with the type filled in from the id when left out."""
    result = []
    for index, binding in enumerate(bindings or []):
        identity_id = binding.get("identity_id") if isinstance(binding, dict) else None
        if not identity_id:
            raise PlanError("bindings[%d] needs an identity_id (a ScaiKey identity such as sa:billing-api)" % index)
        identity_type = binding.get("identity_type") or default_identity_type(identity_id)
        if identity_type not in IDENTITY_TYPES:
            raise PlanError("bindings[%d] (%s): identity_type must be one of %s" % (index, identity_id, ", ".join(IDENTITY_TYPES)))
        item = {"identity_type": identity_type, "identity_id": identity_id}
        if binding.get("expires_at"):
            item["expires_at"] = binding["expires_at"]
        result.append(item)
    return result


def binding_key(binding):
    return (binding.get("identity_type"), binding.get("identity_id"))


def binding_changes(stored, wanted, purge):
    """(bindings to add, stored bindings to remove); wanted None = leave the bindings alone."""
    if wanted is None:
        return [], []
    stored_keys = set(binding_key(item) for item in stored or [])
    wanted_keys = set(binding_key(item) for item in wanted)
    to_add = [item for item in wanted if binding_key(item) not in stored_keys]
    to_remove = [item for item in stored or [] if purge and binding_key(item) not in wanted_keys]
    return to_add, to_remove


def policy_changes(policy, description=None, rules=None):
    """{field: value} that differ (all given fields for a new policy); None values leave a field alone."""
    changes = {}
    if rules is not None and (policy is None or normalize_rules(policy.get("rules")) != rules):
        changes["rules"] = rules
    if description is not None and (policy is None or (policy.get("description") or "") != description):
        changes["description"] = description
    return changes


def policy_view(policy):
    """What results and diffs show of a policy: fields, normalized rules, sorted bindings (never a value)."""
    if not policy:
        return {}
    view = dict((key, policy[key]) for key in VIEW_FIELDS if key in policy)
    view["rules"] = normalize_rules(policy.get("rules"))
    view["bindings"] = sorted(({"identity_type": item.get("identity_type"), "identity_id": item.get("identity_id")}
                               for item in policy.get("bindings") or []), key=lambda item: (item["identity_id"] or "",))
    return view


def namespace_patterns(namespace):
    """The ScaiVault path globs a migrate-role namespace's secrets land on (sorted, without repeats)."""
    rules = namespace.get("mapping")
    if not rules:
        raise PlanError("namespace %s has no mapping rules: its ScaiVault paths are unknown" % namespace.get("name"))
    patterns = []
    for prefix in namespace.get("prefixes") or []:
        probe = prefix + "**" if prefix.endswith("/") else prefix.rstrip("*") + "/**"
        mapped, _index = map_name(rules, probe)
        patterns.append(mapped if mapped else None)
    for name in namespace.get("names") or []:
        mapped, _index = map_name(rules, name)
        patterns.append(mapped)
    found = sorted(set(pattern for pattern in patterns if pattern))
    if not found:
        raise PlanError("namespace %s: none of its prefixes or names maps through its mapping rules; "
                        "give it prefixes that its rules match" % namespace.get("name"))
    return found


def consumer_policies(namespaces, consumers, name_template=DEFAULT_POLICY_NAME, permissions=("read",)):
    """One policy per namespace that a consumer lists: {name, description, rules, bindings}, sorted by name."""
    by_name = dict((namespace.get("name"), namespace) for namespace in namespaces or [])
    readers = {}
    for index, consumer in enumerate(consumers or []):
        identity = consumer.get("identity") if isinstance(consumer, dict) else None
        if not identity:
            raise PlanError("consumers[%d] needs an identity (the ScaiKey identity the application reads as)" % index)
        for namespace in consumer.get("namespaces") or []:
            if namespace not in by_name:
                raise PlanError("consumer %s lists namespace %s, which is not one of the namespaces (%s)" % (
                    identity, namespace, ", ".join(sorted(str(name) for name in by_name)) or "none"))
            readers.setdefault(namespace, []).append(identity)
    policies = []
    for namespace in sorted(readers):
        patterns = namespace_patterns(by_name[namespace])
        policies.append({
            "name": name_template.format(namespace=namespace),
            "description": "Consumers of namespace %s read its migrated secrets (scailabs.scaivault)" % namespace,
            "rules": normalize_rules([{"path_pattern": pattern, "permissions": list(permissions)} for pattern in patterns]),
            "bindings": normalize_bindings([{"identity_id": identity} for identity in sorted(set(readers[namespace]))]),
            "namespace": namespace, "patterns": patterns})
    return policies


def literal_prefix(pattern):
    """The part of a glob before its first wildcard, cut at a '/' (what a listing can ask for)."""
    head = pattern.split("*", 1)[0].split("?", 1)[0]
    if head == pattern:
        return pattern
    return head[:head.rfind("/") + 1] if "/" in head else ""


def _pattern_regex(pattern):
    """ScaiVault's policy glob: ``*`` one segment, ``**`` any number (a leading ``**/`` needs a parent), ``?`` one character."""
    segments = pattern.split("/")
    parts = []
    for index, segment in enumerate(segments):
        if segment == "**":
            parts.append(("(?:[^/]+/)+" if len(segments) > 1 else ".*") if index == 0 else "(?:/[^/]+)*")
            continue
        separator = "" if index == 0 or (index == 1 and segments[0] == "**") else "/"
        parts.append(separator + "".join("[^/]*" if char == "*" else "[^/]" if char == "?" else re.escape(char)
                                         for char in segment))
    return re.compile("^%s$" % "".join(parts))


def pattern_matches(pattern, path):
    return bool(_pattern_regex(pattern).match(path))
