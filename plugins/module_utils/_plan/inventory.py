# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What an AWS Secrets Manager secret is, read from its ListSecrets entry alone (no value, no Describe).

Selection lives in _plan/selection.py, the Markdown report in _run/report_markdown.py.

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
Summary counts (summarize).

Datetimes are rendered as ``datetime.isoformat()`` of what botocore parsed, which is exactly
what the AWS CLI prints with ``cli_timestamp_format = iso8601`` (the AWS CLI v2 default), so a
JMESPath query over ``cli_view`` output equals ``aws secretsmanager list-secrets --query``.

Private to this collection: no API promise.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.arns import parse_arn
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.counting import count_by
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.tags import asm_tags_to_dict

AWS_MANAGED_KMS_ALIAS = "alias/aws/secretsmanager"
DEFAULT_SERVICE_DEPTH = 2


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
        "services": count_by(secrets, lambda secret: secret["service"] or "(none)"),
        "tag_keys": count_by(key for secret in secrets for key in secret["tags"]),
        "targets": count_by(secrets, lambda secret: (secret.get("target") or {}).get("status")),
    }
    for secret in secrets:
        summary["rotation_enabled"] += int(secret["rotation_enabled"])
        summary["cmk_encrypted"] += int(secret["cmk_encrypted"])
        summary["replicas"] += int(secret["replica"])
        summary["planned_deletion"] += int(secret["planned_deletion"])
        summary["owned_by_service"] += int(bool(secret.get("owning_service")))
    return summary
