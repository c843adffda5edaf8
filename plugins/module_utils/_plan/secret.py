# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Plan the write of one ScaiVault secret from its stored state and the requested state.

Pure functions, shared by scaivault_secret and the bulk migration module:

  plan_present()        what to PUT (or nothing), which fields change, the predicted result
  write_outcome()       after a PUT whose answer was lost: was it applied?
  public_view()         the secret object without data (safe for results)
  diff_view()           public fields + options + per-key data fingerprints (diff mode)
  stored_options()      the write options (max_versions, expires_in, rotation_policy_id)
                        as far as the stored object lets us see them

Every PUT carries data and creates a version. A change of metadata alone goes through the
tenant's metadata-only update where it has one (the client discovers it: no version is
written, and the value need not be known); otherwise, and for a change of type or options, the
stored data is re-sent, which then must be known (read with secrets:read). A PUT always carries
the full metadata, so a tenant that clears omitted metadata keeps it all the same.

How options compare (the secret object does not echo every write option):
  rotation_policy_id    the object's rotation_policy_id.
  expires_in            a duration counted from the write that set it: compared with
                        expires_at - updated_at of the stored version (within
                        EXPIRY_TOLERANCE_SECONDS), or with options.expires_in when echoed.
  max_versions          options.max_versions or max_versions when the object echoes it
                        (null = unbounded);
                        otherwise it cannot be compared: it is sent with every write but
                        never causes one by itself (no perpetual change).

Private to this collection: no API promise.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import datetime
import re

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.errors import PlanError
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.metadata import desired_metadata
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.durations import (
    DurationError, format_duration, parse_duration)
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.encoding import check_secret_data, values_equal
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.fingerprint import data_fingerprints

SECRET_TYPES = ("kv", "json", "certificate", "ssh_key", "api_key")
DEFAULT_SECRET_TYPE = "kv"  # [assumed] the server's default when a PUT omits secret_type
OPTION_NAMES = ("max_versions", "expires_in", "rotation_policy_id")
OVERWRITE_CHOICES = ("always", "never")
COMPARE_CHOICES = ("full", "metadata_only")

# Fields of a secret object that may appear in results; data is never one of them.
PUBLIC_FIELDS = ("path", "version", "secret_type", "metadata", "created_at", "updated_at", "expires_at",
                 "last_accessed_at", "rotation_policy_id", "options")
# A server stamps expires_at and updated_at in one request; allow for rounding and slow commits.
EXPIRY_TOLERANCE_SECONDS = 5

ACTION_CREATE = "create"
ACTION_UPDATE = "update"
ACTION_NONE = "none"

OUTCOME_APPLIED = "applied"
OUTCOME_NOT_APPLIED = "not_applied"
OUTCOME_CONFLICT = "conflict"


class Plan:
    """What to do with one secret.

    action          create | update | none
    changed_fields  sorted names: data, secret_type, metadata.<key>, options.<name>
    body            keyword arguments for ScaiVaultClient.put_secret (None when action is none)
    before          public view of the stored secret ({} when it does not exist)
    after           predicted public view after the write (version included)
    data_compared   False with compare=metadata_only (the stored value is never read then)
    skipped_data    True when data was given but not used (overwrite=never on an existing secret)
    wanted_options  the options asked for ({name: value}, expires_in in seconds)
    metadata_only   only metadata.* changes: the tenant's metadata-only update may carry it (no version)
    metadata        the metadata to store (for the metadata-only update)
    value_needed    why the change cannot be written as a version (body is None then): the message to
                    fail with when the tenant has no metadata-only update
    """

    def __init__(self, action, changed_fields, body, before, after, data_compared, skipped_data=False,
                 wanted_options=None, metadata_only=False, metadata=None, value_needed=None):
        self.action = action
        self.changed_fields = changed_fields
        self.body = body
        self.before = before
        self.after = after
        self.data_compared = data_compared
        self.skipped_data = skipped_data
        self.wanted_options = wanted_options or {}
        self.metadata_only = metadata_only
        self.metadata = metadata
        self.value_needed = value_needed

    @property
    def changed(self):
        return self.action != ACTION_NONE

    @property
    def previous_version(self):
        return self.before.get("version")


# ---------------------------------------------------------------------------------------
# Views
# ---------------------------------------------------------------------------------------
def public_view(secret_obj):
    """Whitelisted copy of a secret object (never data), {} for None."""
    if not secret_obj:
        return {}
    return dict((field, copy.deepcopy(secret_obj[field])) for field in PUBLIC_FIELDS if field in secret_obj)


def parse_timestamp(text):
    """ISO-8601 (Z, offset, or naive = UTC) to an aware datetime; None when absent or unreadable."""
    if not isinstance(text, str) or not text.strip():
        return None
    value = text.strip()
    value = re.sub(r"[Zz]$", "+00:00", value)
    # Python < 3.11 fromisoformat accepts only 0, 3 or 6 fraction digits.
    found = re.match(r"^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(.*)$", value)
    if found:
        fraction = (found.group(2) or "")[:6]
        value = found.group(1) + ("." + fraction.ljust(6, "0") if fraction else "") + found.group(3)
    try:
        moment = datetime.datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment


def stored_options(secret_obj):
    """{option: stored value} for the options the object lets us see; unknowable ones are left out.

    expires_in comes back as seconds (int), or None when the secret does not expire.
    """
    if not secret_obj:
        return {}
    echoed = secret_obj.get("options") if isinstance(secret_obj.get("options"), dict) else {}
    found = {}
    if "rotation_policy_id" in secret_obj:
        found["rotation_policy_id"] = secret_obj.get("rotation_policy_id")
    elif "rotation_policy_id" in echoed:
        found["rotation_policy_id"] = echoed.get("rotation_policy_id")
    # An echoed null means "unbounded", which is known; a missing key is unknowable.
    if "max_versions" in echoed:
        found["max_versions"] = echoed["max_versions"]
    elif "max_versions" in secret_obj:
        found["max_versions"] = secret_obj["max_versions"]
    if echoed.get("expires_in") is not None:
        try:
            found["expires_in"] = parse_duration(echoed["expires_in"])
        except DurationError:
            pass
    elif "expires_at" in secret_obj:
        if secret_obj.get("expires_at") is None:
            found["expires_in"] = None
        else:
            expires_at = parse_timestamp(secret_obj.get("expires_at"))
            written_at = parse_timestamp(secret_obj.get("updated_at") or secret_obj.get("created_at"))
            if expires_at is not None and written_at is not None:
                found["expires_in"] = int(round((expires_at - written_at).total_seconds()))
    return found


def options_view(secret_obj):
    """Stored options as shown in diffs and results (expires_in as a duration string)."""
    view = stored_options(secret_obj)
    if view.get("expires_in") is not None:
        view["expires_in"] = format_duration(max(0, view["expires_in"]))
    return view


def diff_view(secret_obj, salt, data=None, options=None):
    """Public fields, options and per-key data fingerprints (no values) for diff mode."""
    if not secret_obj:
        return {}
    view = dict((field, copy.deepcopy(secret_obj[field])) for field in ("path", "version", "secret_type", "metadata")
                if field in secret_obj)
    shown_options = options if options is not None else options_view(secret_obj)
    if shown_options:
        view["options"] = dict(shown_options)
    if data is None:
        data = secret_obj.get("data")
    if data is not None:
        view["data"] = data_fingerprints(data, salt)
    return view


# ---------------------------------------------------------------------------------------
# Validating the request (before any request is sent)
# ---------------------------------------------------------------------------------------
def normalize_options(path, options):
    """Check the options dict; return {name: value} of the set ones, expires_in as seconds."""
    wanted = {}
    for name, value in (options or {}).items():
        if name not in OPTION_NAMES:
            raise PlanError("%s: unknown option %r (known: %s)" % (path, name, ", ".join(OPTION_NAMES)))
        if value is None:
            continue
        if name == "max_versions":
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise PlanError("%s: options.max_versions must be a whole number of at least 1, got %r" % (path, value))
        elif name == "expires_in":
            try:
                value = parse_duration(value)
            except DurationError as exc:
                raise PlanError("%s: options.expires_in: %s" % (path, exc))
            if value <= 0:
                raise PlanError("%s: options.expires_in must be longer than 0s" % path)
        elif name == "rotation_policy_id" and not isinstance(value, str):
            raise PlanError("%s: options.rotation_policy_id must be a string such as rot_..." % path)
        wanted[name] = value
    return wanted


def split_metadata(path, metadata):
    """metadata option -> (description, owner, tags, custom); None for each unset field."""
    if metadata is None:
        return None, None, None, {}
    if not isinstance(metadata, dict):
        raise PlanError("%s: metadata must be a dict (description, tags, owner and custom keys)" % path)
    custom = dict((key, value) for key, value in metadata.items() if key not in ("description", "owner", "tags"))
    return metadata.get("description"), metadata.get("owner"), metadata.get("tags"), custom


def _option_changes(current_obj, wanted):
    """Names of wanted options that differ from what is stored (unknowable ones never differ)."""
    stored = stored_options(current_obj)
    changes = []
    for name, value in sorted(wanted.items()):
        if name not in stored:
            continue
        if name == "expires_in":
            have = stored[name]
            if have is None or abs(have - value) > EXPIRY_TOLERANCE_SECONDS:
                changes.append(name)
        elif stored[name] != value:
            changes.append(name)
    return changes


def _api_options(wanted):
    """Options as the PUT body carries them (expires_in as a single-unit duration string)."""
    body = dict(wanted)
    if "expires_in" in body:
        body["expires_in"] = format_duration(body["expires_in"])
    return body


# ---------------------------------------------------------------------------------------
# Planning
# ---------------------------------------------------------------------------------------
def plan_present(path, current, data=None, secret_type=None, metadata=None, purge_tags=True, options=None,
                 overwrite="always", compare="full"):
    """Plan state=present for one secret.

    current   the stored secret object: with data for compare=full, without for
              compare=metadata_only; None when the path holds no secret.
    data      the wanted data (dict) or None to keep the stored value.
    Raises PlanError for a request that cannot be carried out (the message never
    contains a value).
    """
    if overwrite not in OVERWRITE_CHOICES:
        raise PlanError("%s: overwrite must be one of %s" % (path, ", ".join(OVERWRITE_CHOICES)))
    if compare not in COMPARE_CHOICES:
        raise PlanError("%s: compare must be one of %s" % (path, ", ".join(COMPARE_CHOICES)))
    if secret_type is not None and secret_type not in SECRET_TYPES:
        raise PlanError("%s: secret_type %r is not one of %s" % (path, secret_type, ", ".join(SECRET_TYPES)))
    if data is not None:
        try:
            check_secret_data(data)
        except ValueError:
            raise PlanError("%s: data must be a dict (ScaiVault stores a JSON object), got a %s"
                            % (path, type(data).__name__))
    wanted_options = normalize_options(path, options)
    description, owner, tags, custom = split_metadata(path, metadata)

    before = public_view(current)
    if current is None:
        return _plan_create(path, data, secret_type, description, owner, tags, purge_tags, custom, wanted_options,
                            compare == "full")

    data_known = compare == "full" and isinstance(current.get("data"), dict)
    skipped_data = data is not None and overwrite == "never"
    given_data = data if overwrite == "always" else None

    changed = []
    if given_data is not None and data_known and not values_equal(current["data"], given_data):
        changed.append("data")
    stored_type = current.get("secret_type") or DEFAULT_SECRET_TYPE
    if secret_type is not None and secret_type != stored_type:
        changed.append("secret_type")
    try:
        merged_metadata, metadata_changes = desired_metadata(
            current.get("metadata") or {}, description=description, owner=owner, tags=tags,
            purge_tags=purge_tags, custom=custom)
    except ValueError as exc:
        raise PlanError("%s: metadata: %s" % (path, exc))
    changed.extend("metadata." + name for name in metadata_changes)
    changed.extend("options." + name for name in _option_changes(current, wanted_options))
    changed.sort()

    if not changed:
        return Plan(ACTION_NONE, [], None, before, copy.deepcopy(before), data_known, skipped_data, wanted_options)

    if given_data is not None and not data_known and compare == "metadata_only":
        # The value given is written with the change; whether it differs from the stored one is unknown.
        changed = sorted(set(changed) | set(["data"]))
    metadata_only = all(name.startswith("metadata.") for name in changed)
    value_needed = None
    if given_data is not None:
        write_data = given_data
    elif data_known:
        write_data = current["data"]
    else:
        write_data = None
        value_needed = (
            "%s: %s must change; this ScaiVault has no metadata-only update, so it writes metadata, type and options "
            "only together with the value (every write is a new version), but the stored value was not read "
            "(compare=metadata_only)%s. Give data (it replaces the stored value), or use compare=full with a token "
            "that has secrets:read" % (path, ", ".join(changed),
                                       " and overwrite=never keeps data from being used" if skipped_data else ""))
        if not metadata_only:
            raise PlanError(value_needed.replace("this ScaiVault has no metadata-only update, so it writes",
                                                 "ScaiVault writes"))

    # The full metadata goes with every write: a tenant may clear what a PUT leaves out.
    body = None
    secret_type_after = secret_type or stored_type
    if write_data is not None:
        body = {"data": write_data, "secret_type": secret_type_after, "metadata": merged_metadata}
        if wanted_options:
            body["options"] = _api_options(wanted_options)
    after = copy.deepcopy(before)
    after.update(_predicted_fields(current.get("version"), secret_type_after, merged_metadata, wanted_options,
                                   current))
    return Plan(ACTION_UPDATE, changed, body, before, after, data_known, skipped_data, wanted_options,
                metadata_only=metadata_only, metadata=merged_metadata, value_needed=value_needed)


def _plan_create(path, data, secret_type, description, owner, tags, purge_tags, custom, wanted_options, data_compared):
    if data is None:
        raise PlanError("%s does not exist: data is required to create it" % path)
    try:
        merged_metadata, metadata_changes = desired_metadata(
            {}, description=description, owner=owner, tags=tags, purge_tags=purge_tags, custom=custom)
    except ValueError as exc:
        raise PlanError("%s: metadata: %s" % (path, exc))
    body = {"data": data, "secret_type": secret_type or DEFAULT_SECRET_TYPE}
    if merged_metadata:
        body["metadata"] = merged_metadata
    if wanted_options:
        body["options"] = _api_options(wanted_options)
    changed = ["data", "secret_type"] + ["metadata." + name for name in metadata_changes]
    changed += ["options." + name for name in sorted(wanted_options)]
    after = {"path": path}
    after.update(_predicted_fields(None, body["secret_type"], merged_metadata, wanted_options, None))
    return Plan(ACTION_CREATE, sorted(changed), body, {}, after, data_compared, False, wanted_options)


def _predicted_fields(current_version, secret_type, metadata, wanted_options, current):
    fields = {"version": (current_version or 0) + 1, "secret_type": secret_type, "metadata": copy.deepcopy(metadata)}
    if "rotation_policy_id" in wanted_options:
        fields["rotation_policy_id"] = wanted_options["rotation_policy_id"]
    elif current is None:
        fields["rotation_policy_id"] = None
    echoed = dict((current or {}).get("options") or {}) if isinstance((current or {}).get("options"), dict) else {}
    if "max_versions" in wanted_options:
        echoed["max_versions"] = wanted_options["max_versions"]
    if echoed or current is None:
        fields["options"] = echoed
    return fields


def predicted_options(plan, current):
    """Options view after the plan runs (for diff mode): stored ones overlaid with the wanted ones."""
    view = options_view(current) if current else {}
    if not plan.changed:
        return view
    for name, value in plan.wanted_options.items():
        view[name] = format_duration(value) if name == "expires_in" else value
    return view


# ---------------------------------------------------------------------------------------
# After a write whose answer was lost
# ---------------------------------------------------------------------------------------
def write_outcome(previous_version, body, reread):
    """Decide whether a PUT of ``body`` was applied, from a fresh read of the secret.

    previous_version  the version before the write (None when the secret did not exist)
    reread            the secret object now (with data when it could be read), or None
    Returns OUTCOME_APPLIED (the stored version is what was written), OUTCOME_NOT_APPLIED
    (the version did not move: resending is safe) or OUTCOME_CONFLICT (something else
    changed the secret meanwhile: neither resend nor claim success).
    """
    if reread is None:
        return OUTCOME_NOT_APPLIED if previous_version is None else OUTCOME_CONFLICT
    version = reread.get("version")
    if previous_version is not None and version == previous_version:
        return OUTCOME_NOT_APPLIED
    if not isinstance(version, int) or (previous_version is not None and version < previous_version):
        return OUTCOME_CONFLICT
    if not matches_written(body, reread):
        return OUTCOME_CONFLICT
    return OUTCOME_APPLIED


def matches_written(body, stored):
    """True when the stored object holds what ``body`` wrote (data only when it was read)."""
    if body.get("secret_type") and (stored.get("secret_type") or DEFAULT_SECRET_TYPE) != body["secret_type"]:
        return False
    if "metadata" in body and not values_equal(stored.get("metadata") or {}, body["metadata"]):
        return False
    if isinstance(stored.get("data"), dict) and not values_equal(stored["data"], body["data"]):
        return False
    rotation = (body.get("options") or {}).get("rotation_policy_id")
    if rotation is not None and "rotation_policy_id" in stored and stored["rotation_policy_id"] != rotation:
        return False
    return True


def check_request(path, data=None, secret_type=None, metadata=None, purge_tags=True, options=None,
                  overwrite="always", compare="full"):
    """Raise PlanError for a request that is wrong whatever is stored (run before any request)."""
    plan_present(path, None, data if data is not None else {}, secret_type, metadata, purge_tags, options,
                 overwrite, compare)
