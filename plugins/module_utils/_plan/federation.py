# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Planning for federation backends: desired spec, field-by-field compare, value-free diffs.

Pure functions (no I/O), so that the module stays small and every decision is unit tested.

  build_desired()   the fields the user set (None = unset = leave alone), validated
  creation_body()   the POST body for a new backend (defaults filled, required fields checked)
  compare()         (PATCH body of only the changed top-level fields, names of what changed)
  backend_view()    a backend as shown in results and diffs: credential-like config keys masked
  sync_completed()  whether a status shows a sync that finished after a trigger

PATCH semantics [assumed in the contract as "partial"]: each top-level field sent replaces
that field as a whole, so a change inside ``config`` sends the whole desired ``config``.
``path_mapping`` is a JSON object and compares as one (key order does not count).

Private to this collection: no API promise.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import re

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.errors import PlanError
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.durations import (
    DurationError, durations_equal, format_duration, parse_duration)
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.encoding import values_equal
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.mapping import MappingError, compile_rules
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.tags import DEFAULT_TAG_STYLE, TAG_STYLES

BACKEND_TYPES = ("aws-secrets-manager", "hashicorp-vault", "azure-key-vault", "google-secret-manager")
ASM_TYPE = "aws-secrets-manager"
DEFAULT_TYPE = ASM_TYPE
MODES = ("proxy", "sync")
TRANSFORM_KEYS = ("tags",)
DEFAULT_TRANSFORM = {"tags": DEFAULT_TAG_STYLE}
# Fields a backend has that the user manages; anything else the server returns is shown, never compared.
MANAGED_FIELDS = ("type", "config", "path_mapping", "mode", "sync_interval", "transform")
VIEW_FIELDS = ("id", "name") + MANAGED_FIELDS
MASK = "********"

# AWS keys must live in a ScaiVault secret referenced by credentials_path, never in the backend config.
INLINE_AWS_CREDENTIAL_KEYS = frozenset([
    "access_key_id", "secret_access_key", "session_token", "aws_access_key_id", "aws_secret_access_key",
    "aws_session_token", "access_key", "secret_key"])
# Keys that name a credential, at any depth of a config: refused (credentials live in a ScaiVault secret
# named by credentials_path). Keys ending in _path (credentials_path, auth_config_path) name a ScaiVault
# path and are not credentials.
_CREDENTIAL_KEY_RE = re.compile(r"secret|password|passwd|passphrase|token|private|credential|access_key|api_key|"
                                r"client_key|key_id|session", re.I)
# Results, diffs and the invocation show only these config keys (at any depth); every other value is masked,
# so a credential under a name nobody thought of is hidden too.
VISIBLE_CONFIG_KEYS = frozenset([
    "region", "credentials_path", "auth_config_path", "address", "endpoint", "mount", "namespace", "role_arn",
    "vault_url", "project_id", "kv_version", "auth_method"])

CREDENTIALS_PATTERN_HINT = (
    "store the reader's keys with scailabs.scaivault.scaivault_secret (path infra/aws/sm-reader, "
    "secret_type json, keys access_key_id, secret_access_key and optionally session_token) and set "
    "config.credentials_path to that path, or omit credentials_path to use ScaiVault's own IAM role")


def _is_credential_key(key):
    key = str(key)
    return key in INLINE_AWS_CREDENTIAL_KEYS or (bool(_CREDENTIAL_KEY_RE.search(key)) and not key.endswith("_path"))


def credential_keys(config, where="config"):
    """Dotted names of the credential-like keys anywhere in config (dicts inside dicts and lists)."""
    found = []
    if isinstance(config, dict):
        for key, value in config.items():
            name = "%s.%s" % (where, key)
            if _is_credential_key(key):
                found.append(name)
            found.extend(credential_keys(value, name))
    elif isinstance(config, (list, tuple)):
        for index, item in enumerate(config):
            found.extend(credential_keys(item, "%s[%d]" % (where, index)))
    return found


def credential_values(config):
    """Every string that the masked view hides (any depth), for the module's no_log masking as a second layer."""
    hidden = []

    def walk(value, visible):
        if isinstance(value, dict):
            for key, item in value.items():
                walk(item, visible and key in VISIBLE_CONFIG_KEYS)
        elif isinstance(value, (list, tuple)):
            for item in value:
                walk(item, visible)
        elif isinstance(value, str) and value and not visible:
            hidden.append(value)

    walk(config if isinstance(config, dict) else {}, True)
    return hidden


def _without_none(mapping):
    return dict((key, value) for key, value in mapping.items() if value is not None)


def _check_config(name, backend_type, config):
    if not isinstance(config, dict):
        raise PlanError("federation backend %s: config must be a dict, got a %s" % (name, type(config).__name__))
    config = _without_none(config)
    inline = credential_keys(config)
    if inline:
        raise PlanError("federation backend %s: %s holds credentials; never put keys in a backend config: %s"
                        % (name, ", ".join(inline), CREDENTIALS_PATTERN_HINT))
    if backend_type in (None, ASM_TYPE):
        for key in ("region", "credentials_path"):
            if key in config and not (isinstance(config[key], str) and config[key]):
                raise PlanError("federation backend %s: config.%s must be a non-empty string" % (name, key))
        path = config.get("credentials_path")
        if path and (path.startswith("/") or path.endswith("/")):
            raise PlanError("federation backend %s: config.credentials_path %r must be a ScaiVault path without "
                            "leading or trailing '/' (for example infra/aws/sm-reader)" % (name, path))
    return config


def _check_mapping(name, path_mapping):
    if not isinstance(path_mapping, dict) or not path_mapping:
        raise PlanError("federation backend %s: path_mapping must be a non-empty dict of ScaiVault glob: backend "
                        "template, for example {'external/aws/**': 'prod/**'}" % name)
    try:
        compile_rules(path_mapping)
    except MappingError as exc:
        raise PlanError("federation backend %s: path_mapping: %s" % (name, exc))
    return dict(path_mapping)


def _check_transform(name, transform):
    if not isinstance(transform, dict):
        raise PlanError("federation backend %s: transform must be a dict such as {tags: key=value}" % name)
    transform = _without_none(transform)
    unknown = sorted(set(transform) - set(TRANSFORM_KEYS))
    if unknown:
        raise PlanError("federation backend %s: unknown transform key(s) %s (known: %s)"
                        % (name, ", ".join(unknown), ", ".join(TRANSFORM_KEYS)))
    if "tags" in transform and transform["tags"] not in TAG_STYLES:
        raise PlanError("federation backend %s: transform.tags %r is not one of %s"
                        % (name, transform["tags"], ", ".join(TAG_STYLES)))
    return transform


def _normal_interval(name, sync_interval):
    try:
        return format_duration(parse_duration(sync_interval))
    except DurationError as exc:
        raise PlanError("federation backend %s: sync_interval: %s" % (name, exc))


def build_desired(name, backend_type=None, config=None, path_mapping=None, mode=None, sync_interval=None,
                  transform=None):
    """Return {field: value} for the fields the user set (validated); unset fields are absent."""
    if not isinstance(name, str) or not name.strip():
        raise PlanError("a federation backend needs a non-empty name")
    desired = {}
    if backend_type is not None:
        if backend_type not in BACKEND_TYPES:
            raise PlanError("federation backend %s: type %r is not one of %s"
                            % (name, backend_type, ", ".join(BACKEND_TYPES)))
        desired["type"] = backend_type
    if config is not None:
        desired["config"] = _check_config(name, backend_type, config)
    if path_mapping is not None:
        desired["path_mapping"] = _check_mapping(name, path_mapping)
    if mode is not None:
        if mode not in MODES:
            raise PlanError("federation backend %s: mode %r is not one of %s" % (name, mode, ", ".join(MODES)))
        desired["mode"] = mode
    if sync_interval is not None:
        desired["sync_interval"] = _normal_interval(name, sync_interval)
    if transform is not None:
        desired["transform"] = _check_transform(name, transform)
    return desired


def creation_body(name, desired):
    """Return the POST body of a new backend named name; raise PlanError naming what is missing."""
    body = {"name": name, "type": desired.get("type", DEFAULT_TYPE)}
    missing = [field for field in ("config", "path_mapping", "mode") if field not in desired]
    if missing:
        raise PlanError("federation backend %s does not exist yet; to create it set %s"
                        % (name, ", ".join(missing)))
    body["config"] = copy.deepcopy(desired["config"])
    if body["type"] == ASM_TYPE:
        # type may have been unset when config was checked: check the ASM rules again.
        _check_config(name, ASM_TYPE, body["config"])
        if not body["config"].get("region"):
            raise PlanError("federation backend %s: config.region is required for type %s (for example us-east-1)"
                            % (name, ASM_TYPE))
    body["path_mapping"] = copy.deepcopy(desired["path_mapping"])
    body["mode"] = desired["mode"]
    if "sync_interval" in desired:
        body["sync_interval"] = desired["sync_interval"]
    elif body["mode"] == "sync":
        raise PlanError("federation backend %s: sync_interval is required with mode sync (for example 15m)" % name)
    if "transform" in desired:
        body["transform"] = copy.deepcopy(desired["transform"])
    return body


def _config_changes(current_config, desired_config):
    """Names (config.KEY) of the keys that differ; a key on one side only differs."""
    changed = []
    for key in sorted(set(current_config) | set(desired_config)):
        if key not in current_config or key not in desired_config \
                or not values_equal(current_config[key], desired_config[key]):
            changed.append("config.%s" % key)
    return changed


def effective_transform(transform):
    """The transform a backend applies: the default, overlaid with what is stored."""
    result = dict(DEFAULT_TRANSFORM)
    result.update(_without_none(transform or {}))
    return result


def compare(name, current, desired):
    """Return (PATCH body with only the changed fields, sorted names of what changed).

    current is the backend as the server returns it, desired as build_desired() returns it.
    Raises PlanError when the change is impossible in place (type) or leaves an invalid backend.
    """
    changes, changed = {}, []
    current_type = current.get("type") or DEFAULT_TYPE
    if "type" in desired and desired["type"] != current_type:
        raise PlanError("federation backend %s is of type %s and cannot become %s in place: remove it "
                        "(state=absent, which also removes the paths it synced) and create it again"
                        % (name, current_type, desired["type"]))
    if "config" in desired:
        current_config = current.get("config") or {}
        if current_type == ASM_TYPE:
            _check_config(name, ASM_TYPE, desired["config"])
        config_changed = _config_changes(current_config, desired["config"])
        if config_changed:
            changes["config"] = copy.deepcopy(desired["config"])
            changed.extend(config_changed)
    if "path_mapping" in desired and not values_equal(current.get("path_mapping") or {}, desired["path_mapping"]):
        changes["path_mapping"] = copy.deepcopy(desired["path_mapping"])
        changed.append("path_mapping")
    if "mode" in desired and desired["mode"] != current.get("mode"):
        changes["mode"] = desired["mode"]
        changed.append("mode")
    if "sync_interval" in desired:
        try:
            same = durations_equal(current.get("sync_interval"), desired["sync_interval"])
        except DurationError:
            same = False  # an interval the server wrote differently: resend ours
        if not same:
            changes["sync_interval"] = desired["sync_interval"]
            changed.append("sync_interval")
    if "transform" in desired:
        now = effective_transform(current.get("transform"))
        wanted = effective_transform(dict(now, **desired["transform"]))
        if not values_equal(now, wanted):
            changes["transform"] = wanted
            changed.extend("transform.%s" % key for key in sorted(wanted) if now.get(key) != wanted.get(key))
    final = projected(current, changes)
    if final.get("mode") == "sync" and not final.get("sync_interval"):
        raise PlanError("federation backend %s: sync_interval is required with mode sync (for example 15m)" % name)
    return changes, sorted(changed)


def without_unreported_transform(name, current, desired):
    """(desired, warning): a backend object without ``transform`` is a tenant that does not report (or know)
    the [assumed] transform field; comparing it would PATCH on every run, so it is left out, with a
    warning when the wanted style is not the default (tags then arrive as the tenant writes them)."""
    if "transform" in current or "transform" not in desired:
        return desired, None
    rest = dict((key, value) for key, value in desired.items() if key != "transform")
    if effective_transform(desired["transform"]) == effective_transform(None):
        return rest, None
    return rest, ("federation backend %s: this ScaiVault does not report transform, so transform.tags=%s cannot be "
                  "checked or applied; ASM tags arrive as the tenant writes them (our reading's default: key=value)"
                  % (name, effective_transform(desired["transform"]).get("tags")))


def projected(current, changes):
    """The backend as it will be after the PATCH (for check mode and diffs)."""
    after = copy.deepcopy(current)
    after.update(copy.deepcopy(changes))
    return after


def masked_config(config):
    """config as results, diffs and the invocation show it: only VISIBLE_CONFIG_KEYS keep their values.

    Every other value is replaced by a mask at any depth (keys stay, so a diff still shows which key
    changed); a list or dict under a visible key is masked the same way inside.
    """
    def masked(value, visible):
        if isinstance(value, dict):
            return dict((key, masked(item, visible and key in VISIBLE_CONFIG_KEYS)) for key, item in value.items())
        if isinstance(value, (list, tuple)):
            return [masked(item, visible) for item in value]
        return copy.deepcopy(value) if visible or value is None else MASK

    if not isinstance(config, dict):
        return MASK if config is not None else None
    return masked(config, True)


def backend_view(backend, extra_fields=()):
    """A backend as results and diffs show it: managed fields, config credentials masked; {} for None."""
    if not backend:
        return {}
    view = dict((field, copy.deepcopy(backend[field]))
                for field in VIEW_FIELDS + tuple(extra_fields) if field in backend)
    if "config" in view:
        view["config"] = masked_config(view["config"])
    return view


def backend_diff(before, after):
    """An Ansible diff of two backends (None = absent), without timestamps or credentials."""
    return {"before": backend_view(before), "after": backend_view(after)}


# -- status ---------------------------------------------------------------------------------
def status_errors(status):
    """The status errors as one readable line: 'source: code: message; ...' ('' when none)."""
    parts = []
    for error in (status or {}).get("errors") or []:
        if not isinstance(error, dict):
            parts.append(str(error))
            continue
        bits = [str(error[key]) for key in ("source", "code", "message") if error.get(key)]
        parts.append(": ".join(bits))
    return "; ".join(parts)


def sync_completed(status, before_last_sync, triggered, sync_id=None):
    """Whether status shows the completed sync a module waits for.

    triggered: a sync was triggered after before_last_sync was read, so a different
    last_sync means a run finished after the trigger. Not triggered: any completed
    sync counts (a new backend's first sync). A server that names the run in
    last_sync_id (not in the contract; read when present) is matched exactly on sync_id.
    """
    status = status or {}
    last_sync = status.get("last_sync")
    if not last_sync:
        return False
    if not triggered:
        return True
    if sync_id and "last_sync_id" in status:
        return status["last_sync_id"] == sync_id
    return last_sync != before_last_sync


def proxy_settled(status):
    """A proxy backend has no sync: it is settled once its status is no longer pending."""
    return bool(status) and (status.get("status") or "pending") != "pending"
