# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The least-privilege IAM policy document for ScaiVault's AWS Secrets Manager reader (runbook step 2).

Statements (Sids are stable so a policy diff stays readable):
  ScaiVaultReadSecrets     secretsmanager:GetSecretValue, DescribeSecret, ListSecretVersionIds
                           on the selected secrets ('secret:NAME-??????': ASM appends a random
                           6-character suffix to every ARN, and '??????' survives a secret being
                           deleted and re-created) or on name prefixes ('secret:prod/*').
  ScaiVaultListSecrets     secretsmanager:ListSecrets and BatchGetSecretValue on "*": neither
                           supports resource-level permissions. BatchGetSecretValue returns only
                           the secrets the caller may GetSecretValue, so the read scope above
                           still decides which values can be read.
  ScaiVaultDeleteSecrets   secretsmanager:DeleteSecret, RestoreSecret, TagResource, UntagResource on
                           the same resources; only when asked (runbook step 8, cleanup, which tags
                           what it schedules, and its restore).
  ScaiVaultDecryptWithCustomerManagedKeys (and ...ByAlias)
                           kms:Decrypt on the customer managed KMS keys of the selected secrets,
                           only through Secrets Manager in this region (kms:ViaService).
                           Secrets on the AWS managed key aws/secretsmanager need no KMS grant.
                           A key known only by alias is granted through kms:ResourceAliases,
                           because IAM never matches an alias ARN for kms:Decrypt.
Account and partition come from the secret ARNs; with no ARN to read them from (prefixes
only, nothing selected) the account is '*', and a note says so.

Private to this collection: no API promise.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.arns import parse_arn
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.errors import PlanError
from ansible_collections.scailabs.scaivault.plugins.module_utils._plan.inventory import is_cmk

POLICY_VERSION = "2012-10-17"
READ_ACTIONS = ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue",
                "secretsmanager:ListSecretVersionIds"]
LIST_ACTIONS = ["secretsmanager:BatchGetSecretValue", "secretsmanager:ListSecrets"]
# Cleanup tags what it schedules (scaivault:cleanup:scheduled-at) and rollback restores it and removes the tag.
DELETE_ACTIONS = ["secretsmanager:DeleteSecret", "secretsmanager:RestoreSecret", "secretsmanager:TagResource",
                  "secretsmanager:UntagResource"]
KMS_ACTIONS = ["kms:Decrypt"]
# An IAM managed policy may hold at most 6,144 characters, whitespace not counted.
MANAGED_POLICY_MAX_CHARS = 6144
ARN_SUFFIX_WILDCARD = "-??????"

_KMS_ARN_RE = re.compile(r"^arn:(?P<partition>[^:]+):kms:(?P<region>[^:]*):(?P<account>[^:]*):(?P<kind>key|alias)/(?P<id>.+)$")


class PolicyError(PlanError):
    """Inputs that cannot give one policy; the message says what to change."""


def _account_and_partition(secret_arns):
    accounts, partitions = set(), set()
    for arn in secret_arns:
        parsed = parse_arn(arn)
        if parsed is None:
            raise PolicyError("%r is not a Secrets Manager secret ARN" % (arn,))
        accounts.add(parsed["account"])
        partitions.add(parsed["partition"])
    if len(accounts) > 1:
        raise PolicyError("the selected secrets belong to several AWS accounts (%s); ScaiVault needs one "
                          "reader per account: select one account's secrets per task" % ", ".join(sorted(accounts)))
    return (accounts.pop() if accounts else None), (partitions.pop() if partitions else None)


def secret_resource(partition, region, account, name):
    """The IAM resource of one secret by name: '...:secret:NAME-??????'."""
    return "arn:%s:secretsmanager:%s:%s:secret:%s%s" % (partition, region, account, name, ARN_SUFFIX_WILDCARD)


def prefix_resource(partition, region, account, prefix):
    """The IAM resource of every secret whose name starts with prefix: '...:secret:PREFIX*'."""
    return "arn:%s:secretsmanager:%s:%s:secret:%s*" % (partition, region, account, prefix)


def _kms_resources(kms_key_ids, partition, region, account):
    """(key ARNs, aliases) to grant kms:Decrypt on, from the KmsKeyId values ASM reports."""
    keys, aliases = set(), set()
    for key_id in kms_key_ids:
        if not is_cmk(key_id):
            continue
        found = _KMS_ARN_RE.match(key_id)
        if found and found.group("kind") == "key":
            keys.add(key_id)
        elif found:
            aliases.add("alias/" + found.group("id"))
        elif key_id.startswith("alias/"):
            aliases.add(key_id)
        else:
            # A bare key id (UUID or mrk-...): ASM keys live in the secret's own region.
            keys.add("arn:%s:kms:%s:%s:key/%s" % (partition, region, account, key_id))
    return sorted(keys), sorted(aliases)


def policy_size(document):
    """Characters IAM counts against its limits: the JSON without any whitespace outside strings."""
    return len(json.dumps(document, separators=(",", ":"), sort_keys=True))


def reader_policy(region, secrets=None, prefixes=None, allow_delete=False, include_kms=True):
    """Build the reader policy; return {"document", "resources", "notes", "size"}.

    secrets: [{"arn": ..., "name": ..., "kms_key_id": ...}] (classified inventory entries work).
    prefixes: name prefixes; when given they replace the per-secret resources (the policy
    then also covers secrets created under them later). The KMS statement is always built
    from the secrets, since the keys cannot be known from a prefix.
    """
    secrets = list(secrets or [])
    prefixes = [prefix for prefix in (prefixes or []) if prefix is not None]
    if not region:
        raise PolicyError("a region is needed to build the reader policy")
    for prefix in prefixes:
        if not isinstance(prefix, str) or not prefix:
            raise PolicyError("every IAM prefix must be a non-empty name prefix such as 'prod/', got %r" % (prefix,))
        if "*" in prefix or "?" in prefix:
            raise PolicyError("IAM prefix %r contains a wildcard; give the plain name prefix (e.g. 'prod/'), "
                              "the policy appends the wildcard itself" % prefix)
    account, partition = _account_and_partition([secret["arn"] for secret in secrets if secret.get("arn")])
    notes = []
    if account is None:
        account = "*"
        notes.append("No secret was selected, so the AWS account is unknown: the resources use '*' for the "
                     "account. Replace it with the account id before use.")
    partition = partition or "aws"
    if prefixes:
        resources = sorted(set(prefix_resource(partition, region, account, prefix) for prefix in prefixes))
        for prefix in prefixes:
            if not prefix.endswith("/"):
                notes.append("Prefix %r has no trailing '/': it also covers names such as '%s-other' or '%sX/...'."
                             % (prefix, prefix, prefix))
    else:
        resources = sorted(set(secret_resource(partition, region, account, secret["name"]) for secret in secrets))
    statements = []
    if resources:
        statements.append({"Sid": "ScaiVaultReadSecrets", "Effect": "Allow", "Action": list(READ_ACTIONS),
                           "Resource": resources})
    else:
        notes.append("Nothing was selected and no prefix was given: the policy grants no secret reads.")
    statements.append({"Sid": "ScaiVaultListSecrets", "Effect": "Allow", "Action": list(LIST_ACTIONS),
                       "Resource": "*"})
    if allow_delete and resources:
        statements.append({"Sid": "ScaiVaultDeleteSecrets", "Effect": "Allow", "Action": list(DELETE_ACTIONS),
                           "Resource": resources})
    if include_kms:
        keys, aliases = _kms_resources([secret.get("kms_key_id") for secret in secrets if secret.get("kms_key_id")],
                                       partition, region, account)
        via = {"kms:ViaService": "secretsmanager.%s.amazonaws.com" % region}
        if keys:
            statements.append({"Sid": "ScaiVaultDecryptWithCustomerManagedKeys", "Effect": "Allow",
                               "Action": list(KMS_ACTIONS), "Resource": keys,
                               "Condition": {"StringEquals": via}})
        if aliases:
            statements.append({"Sid": "ScaiVaultDecryptWithCustomerManagedKeysByAlias", "Effect": "Allow",
                               "Action": list(KMS_ACTIONS),
                               "Resource": "arn:%s:kms:%s:%s:key/*" % (partition, region, account),
                               "Condition": {"StringEquals": via,
                                             "ForAnyValue:StringEquals": {"kms:ResourceAliases": aliases}}})
    document = {"Version": POLICY_VERSION, "Statement": statements}
    size = policy_size(document)
    if size > MANAGED_POLICY_MAX_CHARS:
        notes.append("The policy has %d characters; IAM managed policies allow %d. Scope it by name prefixes "
                     "instead of single secrets." % (size, MANAGED_POLICY_MAX_CHARS))
    return {"document": document, "resources": resources, "notes": notes, "size": size}
