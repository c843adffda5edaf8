# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What an AWS Secrets Manager secret is, read from its ListSecrets entry alone (no value, no Describe).

Scope:
  check_filters      validates the ASM filter list ({key, values}) and turns it into the API's shape
  name_filter_chunks turns explicit names/ARNs into ListSecrets name filters (10 values per filter)
  select_entries     keeps the entries that a list of names/ARNs asks for, and says which were not found
Classification (classify_entry), per secret:
  rotation_enabled   RotationEnabled, with the Lambda ARN and the rules (days, schedule, window)
  cmk_encrypted      KmsKeyId present and not the AWS managed key alias/aws/secretsmanager
                     (ASM omits KmsKeyId for the AWS managed key; the key itself stays in KMS)
  replica            PrimaryRegion set and different from the region being inventoried:
                     migrate and rotate it in its primary region only
  planned_deletion   DeletedDate set (scheduled for deletion; its value cannot be read)
  service            the first N segments of the name's folder (name minus its last segment),
                     e.g. prod/billing/stripe -> prod/billing with depth 2; None for 'stripe'
  tags               {key: value}
Summary counts (summarize) and a Markdown rendering (inventory_markdown).

Datetimes are rendered as ``datetime.isoformat()`` of what botocore parsed, which is exactly
what the AWS CLI prints with ``cli_timestamp_format = iso8601`` (the AWS CLI v2 default), so a
JMESPath query over ``cli_view`` output equals ``aws secretsmanager list-secrets --query``.

Private to this collection: no API promise.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import re

from ansible_collections.scailabs.scaivault.plugins.module_utils._reports import markdown_table
from ansible_collections.scailabs.scaivault.plugins.module_utils._tags import asm_tags_to_dict

FILTER_KEYS = ("name", "tag-key", "tag-value", "description", "primary-region", "owning-service", "all")
MAX_FILTER_VALUES = 10
AWS_MANAGED_KMS_ALIAS = "alias/aws/secretsmanager"
DEFAULT_SERVICE_DEPTH = 2

_ARN_RE = re.compile(r"^arn:(?P<partition>[^:]+):secretsmanager:(?P<region>[^:]*):(?P<account>[^:]*):secret:(?P<rest>.+)$")
_ARN_SUFFIX_RE = re.compile(r"-[A-Za-z0-9]{6}$")


class SelectionError(ValueError):
    """Options that cannot select secrets; the message says what to change."""


# -- ARNs ---------------------------------------------------------------------------------------
def parse_arn(arn):
    """{partition, region, account, name} of a Secrets Manager secret ARN, or None for a plain name.

    The name is the ARN's resource part minus AWS's random '-XXXXXX' suffix when the ARN is
    complete (ASM always adds one); a partial ARN keeps its name as written.
    """
    found = _ARN_RE.match(arn or "")
    if not found:
        return None
    rest = found.group("rest")
    return {"partition": found.group("partition"), "region": found.group("region"),
            "account": found.group("account"), "name": _ARN_SUFFIX_RE.sub("", rest), "resource": rest}


# -- scope --------------------------------------------------------------------------------------
def check_filters(filters):
    """Validate filters ([{key, values}]) and return them in the API's shape ([{Key, Values}]).

    Semantics are ASM's own: values of one filter are ORed, filters are ANDed, a value
    starting with '!' negates, and name/tag-key/tag-value match as case-sensitive prefixes.
    """
    result = []
    for index, item in enumerate(filters or []):
        key = (item or {}).get("key")
        values = (item or {}).get("values")
        where = "filter %d (key %r)" % (index + 1, key)
        if key not in FILTER_KEYS:
            raise SelectionError("%s: key must be one of %s" % (where, ", ".join(FILTER_KEYS)))
        if not values or not isinstance(values, (list, tuple)):
            raise SelectionError("%s: give at least one value in 'values'" % where)
        if len(values) > MAX_FILTER_VALUES:
            raise SelectionError("%s has %d values; ASM accepts at most %d per filter: split it or use a "
                                 "shorter common prefix" % (where, len(values), MAX_FILTER_VALUES))
        for value in values:
            if not isinstance(value, str) or not value:
                raise SelectionError("%s: every value must be a non-empty string, got %r" % (where, value))
        result.append({"Key": key, "Values": list(values)})
    return result


def requested_names(names, region):
    """Check explicit names/ARNs against the task's region; return [(as given, name to search)]."""
    requested = []
    for given in names or []:
        if not isinstance(given, str) or not given:
            raise SelectionError("every entry of names must be a non-empty secret name or ARN, got %r" % (given,))
        arn = parse_arn(given)
        if given.startswith("arn:") and arn is None:
            raise SelectionError("%r is not a Secrets Manager secret ARN (arn:aws:secretsmanager:REGION:"
                                 "ACCOUNT:secret:NAME-XXXXXX); give the ARN or the plain name" % given)
        if arn and arn["region"] and region and arn["region"] != region:
            raise SelectionError("%s is in region %s but this task runs in %s; set region: %s for it, or "
                                 "run one task per region" % (given, arn["region"], region, arn["region"]))
        requested.append((given, arn["name"] if arn else given))
    return requested


def name_filter_chunks(requested):
    """ListSecrets name filters for the requested names, at most 10 values each, names deduplicated."""
    search = []
    for _given, name in requested:
        if name not in search:
            search.append(name)
    return [search[start:start + MAX_FILTER_VALUES] for start in range(0, len(search), MAX_FILTER_VALUES)]


def _matches(entries, given, name):
    """Entries named by one name or ARN; a full ARN wins over a partial-ARN reading of the same text."""
    if not given.startswith("arn:"):
        return [entry for entry in entries if entry.get("Name") == name]
    exact = [entry for entry in entries if entry.get("ARN") == given]
    if exact:
        return exact
    # A partial ARN (without AWS's random suffix) names the secret too.
    return [entry for entry in entries if _ARN_SUFFIX_RE.sub("", entry.get("ARN") or "") == given]


def select_entries(entries, requested):
    """(entries asked for, in the order seen, each once; [names/ARNs as given that matched none])."""
    wanted, missing = set(), []
    for given, name in requested:
        hits = _matches(entries, given, name)
        if not hits:
            missing.append(given)
        wanted.update(entry.get("ARN") for entry in hits)
    return [entry for entry in entries if entry.get("ARN") in wanted], missing


def list_scope(asm, region, names=None, filters=None, include_planned_deletion=False):
    """Every SecretListEntry in scope, as ListSecrets returned them (datetimes parsed), and missing names.

    filters only: ceil(N/100) ListSecrets calls for N matches. With names: one paginated
    ListSecrets per 10 names (name filters are prefix matches, so extra entries are dropped
    here); the user's filters are ANDed in. Raises SelectionError for options that conflict.
    """
    api_filters = check_filters(filters)
    if not names:
        return list(asm.list_secrets(filters=api_filters, include_planned_deletion=include_planned_deletion)), []
    if any(item["Key"] == "name" for item in api_filters):
        raise SelectionError("names and a 'name' filter cannot be combined (ASM would AND two name "
                             "prefixes); use either names or the name filter")
    requested = requested_names(names, region)
    entries, seen = [], set()
    for chunk in name_filter_chunks(requested):
        for entry in asm.list_secrets(filters=[{"Key": "name", "Values": chunk}] + api_filters,
                                      include_planned_deletion=include_planned_deletion):
            if entry.get("ARN") not in seen:
                seen.add(entry.get("ARN"))
                entries.append(entry)
    return select_entries(entries, requested)


# -- rendering ----------------------------------------------------------------------------------
def cli_view(value):
    """value with every datetime as ISO-8601 text, as the AWS CLI prints it (see the module docstring)."""
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    if isinstance(value, dict):
        return dict((key, cli_view(item)) for key, item in value.items() if key != "ResponseMetadata")
    if isinstance(value, (list, tuple)):
        return [cli_view(item) for item in value]
    return value


def _iso(value):
    if value is None:
        return None
    return cli_view(value)


# -- classification -----------------------------------------------------------------------------
def is_cmk(kms_key_id):
    """True when kms_key_id names a customer managed key (anything but aws/secretsmanager)."""
    if not kms_key_id:
        return False
    return not (kms_key_id == AWS_MANAGED_KMS_ALIAS or kms_key_id.endswith(":" + AWS_MANAGED_KMS_ALIAS))


def service_of(name, depth=DEFAULT_SERVICE_DEPTH):
    """The service group of a name: the first `depth` segments of its folder, None without a folder."""
    if depth is None or depth < 1:
        raise ValueError("service depth must be 1 or more, got %r" % (depth,))
    folder = (name or "").split("/")[:-1]
    if not folder or not any(folder):
        return None
    return "/".join(folder[:depth])


def rotation_config(entry):
    """The rotation settings of a ListSecrets or DescribeSecret entry, in the collection's flat shape.

    Absent fields (ASM omits them until rotation was first configured) read as disabled / None.
    ASM reports AutomaticallyAfterDays 0 when a schedule expression is used; that reads as None.
    """
    rules = entry.get("RotationRules") or {}
    days = rules.get("AutomaticallyAfterDays")
    return {
        "enabled": bool(entry.get("RotationEnabled", False)),
        "lambda_arn": entry.get("RotationLambdaARN") or None,
        "automatically_after_days": days if days else None,
        "schedule_expression": rules.get("ScheduleExpression") or None,
        "duration": rules.get("Duration") or None,
    }


def current_version_id(entry):
    """The VersionId labelled AWSCURRENT in a ListSecrets (or DescribeSecret) entry, or None."""
    stages = entry.get("SecretVersionsToStages") or entry.get("VersionIdsToStages") or {}
    for version_id, labels in stages.items():
        if "AWSCURRENT" in (labels or []):
            return version_id
    return None


def classify_entry(entry, region, service_depth=DEFAULT_SERVICE_DEPTH):
    """A flat, JSON-ready description of one SecretListEntry (see the module docstring). No values."""
    arn = entry.get("ARN")
    parsed = parse_arn(arn) or {}
    primary_region = entry.get("PrimaryRegion") or None
    kms_key_id = entry.get("KmsKeyId") or None
    rotation = rotation_config(entry)
    stages = entry.get("SecretVersionsToStages") or {}
    return {
        "name": entry.get("Name"),
        "arn": arn,
        "region": parsed.get("region") or region,
        "account_id": parsed.get("account") or None,
        "description": entry.get("Description"),
        "service": service_of(entry.get("Name"), service_depth),
        "tags": asm_tags_to_dict(entry.get("Tags")),
        "rotation_enabled": rotation["enabled"],
        "rotation": rotation,
        "next_rotation_date": _iso(entry.get("NextRotationDate")),
        "last_rotated_date": _iso(entry.get("LastRotatedDate")),
        "cmk_encrypted": is_cmk(kms_key_id),
        "kms_key_id": kms_key_id,
        "replica": bool(primary_region) and primary_region != region,
        "primary_region": primary_region,
        "planned_deletion": entry.get("DeletedDate") is not None,
        "deleted_date": _iso(entry.get("DeletedDate")),
        "owning_service": entry.get("OwningService"),
        "created_date": _iso(entry.get("CreatedDate")),
        "last_changed_date": _iso(entry.get("LastChangedDate")),
        "last_accessed_date": _iso(entry.get("LastAccessedDate")),
        "current_version_id": current_version_id(entry),
        # AWS lists only labelled versions here; moto also lists unlabelled (deprecated) ones.
        "version_count": len([labels for labels in stages.values() if labels]),
    }


def migration_exclusion(secret):
    """Why a classified secret is not migrated from this region (status, reason), or None."""
    if secret["planned_deletion"]:
        return ("planned_deletion", "%s is scheduled for deletion (%s); restore it first if it must be migrated"
                % (secret["name"], secret["deleted_date"]))
    if secret["replica"]:
        return ("replica", "%s is a replica of the secret in %s; migrate it from its primary region %s"
                % (secret["name"], secret["primary_region"], secret["primary_region"]))
    return None


def summarize(secrets):
    """Counts over classified secrets (after the mapping preview was added, if any)."""
    summary = {
        "total": len(secrets),
        "rotation_enabled": 0,
        "cmk_encrypted": 0,
        "replicas": 0,
        "planned_deletion": 0,
        "owned_by_service": 0,
        "services": {},
        "tag_keys": {},
        "targets": {},
    }
    for secret in secrets:
        summary["rotation_enabled"] += int(secret["rotation_enabled"])
        summary["cmk_encrypted"] += int(secret["cmk_encrypted"])
        summary["replicas"] += int(secret["replica"])
        summary["planned_deletion"] += int(secret["planned_deletion"])
        summary["owned_by_service"] += int(bool(secret.get("owning_service")))
        service = secret["service"] or "(none)"
        summary["services"][service] = summary["services"].get(service, 0) + 1
        for key in secret["tags"]:
            summary["tag_keys"][key] = summary["tag_keys"].get(key, 0) + 1
        target = secret.get("target")
        if target:
            summary["targets"][target["status"]] = summary["targets"].get(target["status"], 0) + 1
    return summary


def _rotation_cell(secret):
    rotation = secret["rotation"]
    if not rotation["enabled"]:
        return "off"
    if rotation["schedule_expression"]:
        schedule = rotation["schedule_expression"] + (" / " + rotation["duration"] if rotation["duration"] else "")
    elif rotation["automatically_after_days"]:
        schedule = "every %sd" % rotation["automatically_after_days"]
    else:
        schedule = "on"
    lambda_name = (rotation["lambda_arn"] or "").split(":")[-1]
    return schedule + (" (%s)" % lambda_name if lambda_name else "")


def _flags_cell(secret):
    flags = []
    if secret["cmk_encrypted"]:
        flags.append("CMK")
    if secret["replica"]:
        flags.append("replica of %s" % secret["primary_region"])
    if secret["planned_deletion"]:
        flags.append("deletion %s" % (secret["deleted_date"] or "")[:10])
    if secret.get("owning_service"):
        flags.append("owned by %s" % secret["owning_service"])
    return ", ".join(flags)


def inventory_markdown(region, secrets, summary, title=None):
    """A Markdown report for people: summary counts, then one row per secret (no values)."""
    lines = ["# %s" % (title or "AWS Secrets Manager inventory: %s" % region), ""]
    counts = [("secrets", summary["total"]), ("rotation enabled", summary["rotation_enabled"]),
              ("customer managed KMS key", summary["cmk_encrypted"]), ("replicas", summary["replicas"]),
              ("scheduled for deletion", summary["planned_deletion"])]
    for status in sorted(summary.get("targets") or {}):
        counts.append(("target %s" % status, summary["targets"][status]))
    lines.append(markdown_table(["", "count"], counts))
    if summary["services"]:
        lines.append("## Services\n")
        lines.append(markdown_table(["service", "secrets"], sorted(summary["services"].items())))
    lines.append("## Secrets\n")
    has_targets = any(secret.get("target") for secret in secrets)
    headers = ["name", "service", "rotation", "flags", "tags"]
    if has_targets:
        headers += ["target path", "status", "reason"]
    rows = []
    for secret in secrets:
        row = [secret["name"], secret["service"], _rotation_cell(secret), _flags_cell(secret),
               ", ".join("%s=%s" % pair for pair in sorted(secret["tags"].items()))]
        if has_targets:
            target = secret.get("target") or {}
            row += [target.get("path"), target.get("status"), target.get("reason")]
        rows.append(row)
    lines.append(markdown_table(headers, rows))
    return "\n".join(lines)
