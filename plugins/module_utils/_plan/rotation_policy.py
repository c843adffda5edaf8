# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Plan a ScaiVault rotation policy change: fields to PATCH, enable/disable, secrets to attach/detach.

Rules (the module documents them for users):
  - An option left unset (None) leaves the stored field alone.
  - Durations compare by length ('90d' == '2160h'); they are sent in canonical form, the
    largest unit that divides them exactly ('2160h' is sent as '90d').
  - warn_before compares as a set of lengths ('7d,1d' == '1d,7d' == '168h,24h') and is sent
    longest first.
  - webhook_ids compare as a set of resolved ids; webhook references may be ids or names.
  - Secrets: `secrets` are attached; with purge_secrets every other attached secret is
    detached; `detach` names secrets to detach explicitly. Naming one path in both is an error.

Private to this collection: no API promise.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.errors import PlanError
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.durations import (
    DurationError, format_duration, format_warn_before, parse_duration, parse_warn_before)

DURATION_FIELDS = ("interval", "grace_period")
POLICY_FIELDS = ("description", "interval", "grace_period", "warn_before", "auto_generate", "secret_policy_id",
                 "webhook_ids")
# Field shown in diffs and results for the enable/disable endpoints.
ENABLED_FIELD = "enabled"


def canonical_duration(value, option):
    """Return value as the API's canonical duration string ('2160h' -> '90d'); PlanError names option."""
    try:
        seconds = parse_duration(value)
    except DurationError as error:
        raise PlanError("%s: %s" % (option, error))
    if seconds <= 0:
        raise PlanError("%s: %r is not a positive duration" % (option, value))
    return format_duration(seconds)


def canonical_warn_before(value, option="warn_before"):
    """Return warn_before as a canonical string, longest first, no repeats ('1d,7d' -> '7d,1d')."""
    try:
        seconds = parse_warn_before(value)
    except DurationError as error:
        raise PlanError("%s: %s" % (option, error))
    if any(item <= 0 for item in seconds):
        raise PlanError("%s: every threshold must be a positive duration (got %r)" % (option, value))
    return format_warn_before(sorted(set(seconds), reverse=True))


def _warn_set(value):
    if value in (None, ""):
        return frozenset()
    try:
        return frozenset(parse_warn_before(value))
    except DurationError:
        # An unreadable stored value never equals a wanted one: the PATCH rewrites it.
        return None


def _duration_seconds(value):
    if value in (None, ""):
        return None
    try:
        return parse_duration(value)
    except DurationError:
        return None


def current_duration_seconds(policy, field):
    """Seconds of a stored duration field; interval falls back to interval_seconds."""
    seconds = _duration_seconds(policy.get(field))
    if seconds is None and field == "interval" and isinstance(policy.get("interval_seconds"), int):
        seconds = policy["interval_seconds"]
    return seconds


def resolve_webhook_refs(refs, webhooks):
    """Map webhook references (ids or names) to ids: (ids in the given order, unknown refs, ambiguous refs).

    An exact id match wins over a name; a name that several webhooks carry is ambiguous.
    """
    by_id = dict((hook.get("id"), hook) for hook in webhooks if hook.get("id"))
    by_name = {}
    for hook in webhooks:
        by_name.setdefault(hook.get("name"), []).append(hook.get("id"))
    ids, unknown, ambiguous = [], [], []
    for ref in refs:
        if ref in by_id:
            found = ref
        elif len(by_name.get(ref, [])) == 1:
            found = by_name[ref][0]
        elif len(by_name.get(ref, [])) > 1:
            ambiguous.append(ref)
            continue
        else:
            unknown.append(ref)
            continue
        if found not in ids:
            ids.append(found)
    return ids, unknown, ambiguous


def wanted_fields(description=None, interval=None, grace_period=None, warn_before=None, auto_generate=None,
                  secret_policy_id=None, webhook_ids=None):
    """Return the canonical value of every option that is set (None = leave alone)."""
    wanted = {}
    if description is not None:
        wanted["description"] = description
    for field, value in (("interval", interval), ("grace_period", grace_period)):
        if value is not None:
            wanted[field] = canonical_duration(value, field)
    if warn_before is not None:
        wanted["warn_before"] = canonical_warn_before(warn_before)
    if auto_generate is not None:
        wanted["auto_generate"] = bool(auto_generate)
    if secret_policy_id is not None:
        wanted["secret_policy_id"] = secret_policy_id
    if webhook_ids is not None:
        wanted["webhook_ids"] = list(webhook_ids)
    return wanted


def field_differs(policy, field, value):
    """Tell whether the stored policy's field differs from the wanted canonical value."""
    if field in DURATION_FIELDS:
        return current_duration_seconds(policy, field) != parse_duration(value)
    if field == "warn_before":
        return _warn_set(policy.get("warn_before")) != frozenset(parse_warn_before(value))
    if field == "webhook_ids":
        return set(policy.get("webhook_ids") or []) != set(value)
    if field == "auto_generate":
        return bool(policy.get("auto_generate")) != bool(value)
    if field == "description":
        return (policy.get("description") or "") != value
    return policy.get(field) != value


def policy_changes(policy, wanted):
    """Return {field: new value} of the wanted fields that differ from the stored policy (None = new)."""
    if policy is None:
        return dict(wanted)
    return dict((field, value) for field, value in wanted.items() if field_differs(policy, field, value))


def enabled_action(policy, enabled):
    """'enable', 'disable' or None: what the enable/disable endpoints must do (policy None = new, active)."""
    if enabled is None:
        return None
    active = True if policy is None else bool(policy.get("is_active", True))
    if enabled and not active:
        return "enable"
    if not enabled and active:
        return "disable"
    return None


def secret_changes(attached, secrets=None, purge_secrets=False, detach=None):
    """Return (to_attach, to_detach), each sorted, from the attached paths and the options.

    secrets None attaches nothing and, even with purge_secrets, detaches nothing (unset means
    leave alone); secrets [] with purge_secrets detaches every attached secret.
    """
    attached = set(attached or [])
    wanted = list(dict.fromkeys(secrets or []))
    explicit = list(dict.fromkeys(detach or []))
    both = sorted(set(wanted) & set(explicit))
    if both:
        raise PlanError("%s listed in both secrets and detach; list each path in one of them only"
                        % ", ".join(both))
    to_attach = sorted(set(wanted) - attached)
    to_detach = set(path for path in explicit if path in attached)
    if purge_secrets and secrets is not None:
        to_detach.update(attached - set(wanted))
    return to_attach, sorted(to_detach)


def policy_view(policy, secrets=None):
    """A value-free, comparison-friendly view of a policy for diffs and results (None = absent)."""
    if policy is None:
        return {}
    view = {"name": policy.get("name")}
    for field in POLICY_FIELDS:
        if field in policy:
            view[field] = policy[field]
    if view.get("webhook_ids") is not None:
        view["webhook_ids"] = sorted(view["webhook_ids"])
    view[ENABLED_FIELD] = bool(policy.get("is_active", True))
    if secrets is not None:
        view["secrets"] = sorted(secrets)
    return view


def planned_policy(policy, name, changes, action):
    """The policy as it will be after the changes (for check mode results and diffs)."""
    after = dict(policy or {"name": name, "is_active": True, "grace_period": "48h", "auto_generate": False,
                            "webhook_ids": []})
    after.update(changes)
    if "interval" in changes:
        after["interval_seconds"] = parse_duration(changes["interval"])
    if action == "enable":
        after["is_active"] = True
    elif action == "disable":
        after["is_active"] = False
    return after
