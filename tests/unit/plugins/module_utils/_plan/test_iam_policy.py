# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The ScaiVault reader's least-privilege IAM policy document."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.scailabs.scaivault.plugins.module_utils._plan.iam_policy import (
    MANAGED_POLICY_MAX_CHARS, PolicyError, reader_policy)

ARN = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:%s-XyZ789"


def secret(name, kms=None, arn=None):
    return {"name": name, "arn": arn or ARN % name, "kms_key_id": kms}


def statements(result):
    return dict((s["Sid"], s) for s in result["document"]["Statement"])


def test_selected_secrets_get_read_actions_with_the_suffix_wildcard():
    result = reader_policy("eu-west-1", [secret("prod/billing/stripe"), secret("prod/orders/db")])
    by_sid = statements(result)
    assert result["document"]["Version"] == "2012-10-17"
    assert by_sid["ScaiVaultReadSecrets"]["Action"] == [
        "secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue", "secretsmanager:ListSecretVersionIds"]
    assert by_sid["ScaiVaultReadSecrets"]["Resource"] == [
        "arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/billing/stripe-??????",
        "arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/orders/db-??????"]
    # Neither supports resource-level permissions; values stay gated by GetSecretValue above.
    assert by_sid["ScaiVaultListSecrets"] == {"Sid": "ScaiVaultListSecrets", "Effect": "Allow", "Resource": "*",
                                              "Action": ["secretsmanager:BatchGetSecretValue",
                                                         "secretsmanager:ListSecrets"]}
    assert set(by_sid) == {"ScaiVaultReadSecrets", "ScaiVaultListSecrets"}
    assert result["notes"] == [] and result["size"] < MANAGED_POLICY_MAX_CHARS


def test_prefixes_replace_single_secrets_and_delete_only_when_asked():
    result = reader_policy("eu-west-1", [secret("prod/a")], prefixes=["prod/", "shared/"], allow_delete=True)
    by_sid = statements(result)
    expected = ["arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/*",
                "arn:aws:secretsmanager:eu-west-1:111122223333:secret:shared/*"]
    assert by_sid["ScaiVaultReadSecrets"]["Resource"] == expected
    assert by_sid["ScaiVaultDeleteSecrets"] == {"Sid": "ScaiVaultDeleteSecrets", "Effect": "Allow",
                                                "Action": ["secretsmanager:DeleteSecret", "secretsmanager:RestoreSecret",
                                                           "secretsmanager:TagResource", "secretsmanager:UntagResource"],
                                                "Resource": expected}
    assert "ScaiVaultDeleteSecrets" not in statements(reader_policy("eu-west-1", [secret("prod/a")]))


def test_prefix_without_slash_gets_a_note_and_wildcards_are_refused():
    assert "no trailing '/'" in reader_policy("eu-west-1", [secret("prod/a")], prefixes=["prod"])["notes"][0]
    with pytest.raises(PolicyError, match="contains a wildcard"):
        reader_policy("eu-west-1", [], prefixes=["prod/*"])


def test_unknown_account_uses_a_wildcard_and_says_so():
    result = reader_policy("eu-west-1", [], prefixes=["prod/"])
    assert statements(result)["ScaiVaultReadSecrets"]["Resource"] == ["arn:aws:secretsmanager:eu-west-1:*:secret:prod/*"]
    assert any("account is unknown" in note for note in result["notes"])
    empty = reader_policy("eu-west-1", [])
    assert set(statements(empty)) == {"ScaiVaultListSecrets"}
    assert any("grants no secret reads" in note for note in empty["notes"])


def test_several_accounts_are_refused():
    other = "arn:aws:secretsmanager:eu-west-1:999999999999:secret:prod/b-AbCdEf"
    with pytest.raises(PolicyError, match="several AWS accounts"):
        reader_policy("eu-west-1", [secret("prod/a"), secret("prod/b", arn=other)])


def test_partition_comes_from_the_arns():
    arn = "arn:aws-cn:secretsmanager:cn-north-1:111122223333:secret:prod/a-AbCdEf"
    result = reader_policy("cn-north-1", [secret("prod/a", arn=arn)])
    assert statements(result)["ScaiVaultReadSecrets"]["Resource"] == [
        "arn:aws-cn:secretsmanager:cn-north-1:111122223333:secret:prod/a-??????"]


def test_customer_managed_keys_get_decrypt_via_secrets_manager_only():
    result = reader_policy("eu-west-1", [
        secret("a", kms="arn:aws:kms:eu-west-1:111122223333:key/k-1"),
        secret("b", kms="k-2"),
        secret("c", kms="alias/billing"),
        secret("d", kms="arn:aws:kms:eu-west-1:111122223333:alias/orders"),
        secret("e", kms="alias/aws/secretsmanager"),
        secret("f")])
    by_sid = statements(result)
    keys = by_sid["ScaiVaultDecryptWithCustomerManagedKeys"]
    assert keys["Action"] == ["kms:Decrypt"]
    assert keys["Resource"] == ["arn:aws:kms:eu-west-1:111122223333:key/k-1",
                                "arn:aws:kms:eu-west-1:111122223333:key/k-2"]
    assert keys["Condition"] == {"StringEquals": {"kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com"}}
    assert by_sid["ScaiVaultDecryptWithCustomerManagedKeysByAlias"] == {
        "Sid": "ScaiVaultDecryptWithCustomerManagedKeysByAlias", "Effect": "Allow", "Action": ["kms:Decrypt"],
        "Resource": "arn:aws:kms:eu-west-1:111122223333:key/*",
        "Condition": {"StringEquals": {"kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com"},
                      "ForAnyValue:StringEquals": {"kms:ResourceAliases": ["alias/billing", "alias/orders"]}}}
    without = statements(reader_policy("eu-west-1", [secret("a", kms="alias/x")], include_kms=False))
    assert not [sid for sid in without if "Decrypt" in sid]


def test_a_large_selection_warns_about_the_managed_policy_limit():
    result = reader_policy("eu-west-1", [secret("prod/service-%03d/credentials" % i) for i in range(120)])
    assert result["size"] > MANAGED_POLICY_MAX_CHARS
    assert any("Scope it by name prefixes" in note for note in result["notes"])


def test_same_input_same_document():
    one = reader_policy("eu-west-1", [secret("b"), secret("a"), secret("a")])
    two = reader_policy("eu-west-1", [secret("a"), secret("b")])
    assert one == two


# -- whole documents, word for word (what an AWS admin pastes into IAM) ----------------------------------
READ_ACTIONS = ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue', 'secretsmanager:ListSecretVersionIds']
LIST_STATEMENT = {'Sid': 'ScaiVaultListSecrets', 'Effect': 'Allow',
                  'Action': ['secretsmanager:BatchGetSecretValue', 'secretsmanager:ListSecrets'], 'Resource': '*'}

KMS_AND_DELETE = {
    'document': {
        'Version': '2012-10-17',
        'Statement': [
            {
                'Sid': 'ScaiVaultReadSecrets',
                'Effect': 'Allow',
                'Action': READ_ACTIONS,
                'Resource': [
                    'arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/a-??????',
                    'arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/b-??????',
                    'arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/c-??????',
                ],
            },
            LIST_STATEMENT,
            {
                'Sid': 'ScaiVaultDeleteSecrets',
                'Effect': 'Allow',
                'Action': ['secretsmanager:DeleteSecret', 'secretsmanager:RestoreSecret', 'secretsmanager:TagResource',
                           'secretsmanager:UntagResource'],
                'Resource': [
                    'arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/a-??????',
                    'arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/b-??????',
                    'arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/c-??????',
                ],
            },
            {
                'Sid': 'ScaiVaultDecryptWithCustomerManagedKeys',
                'Effect': 'Allow',
                'Action': ['kms:Decrypt'],
                'Resource': [
                    'arn:aws:kms:eu-west-1:111122223333:key/k1',
                    'arn:aws:kms:eu-west-1:111122223333:key/k2',
                ],
                'Condition': {
                    'StringEquals': {
                        'kms:ViaService': 'secretsmanager.eu-west-1.amazonaws.com',
                    },
                },
            },
        ],
    },
    'resources': [
        'arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/a-??????',
        'arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/b-??????',
        'arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/c-??????',
    ],
    'notes': [],
    'size': 1243,
}

PREFIXES_WITHOUT_KMS = {
    'document': {
        'Version': '2012-10-17',
        'Statement': [
            {
                'Sid': 'ScaiVaultReadSecrets',
                'Effect': 'Allow',
                'Action': READ_ACTIONS,
                'Resource': [
                    'arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/*',
                    'arn:aws:secretsmanager:eu-west-1:111122223333:secret:shared*',
                ],
            },
            LIST_STATEMENT,
        ],
    },
    'resources': [
        'arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/*',
        'arn:aws:secretsmanager:eu-west-1:111122223333:secret:shared*',
    ],
    'notes': [
        "Prefix 'shared' has no trailing '/': it also covers names such as 'shared-other' or 'sharedX/...'.",
    ],
    'size': 477,
}

NOTHING_SELECTED = {
    'document': {
        'Version': '2012-10-17',
        'Statement': [
            LIST_STATEMENT,
        ],
    },
    'resources': [],
    'notes': [
        "No secret was selected, so the AWS account is unknown: the resources use '*' for the account. Replace it with the account id before use.",
        'Nothing was selected and no prefix was given: the policy grants no secret reads.',
    ],
    'size': 178,
}


def test_reader_policy_word_for_word():
    assert reader_policy("eu-west-1", [secret("prod/a", kms="arn:aws:kms:eu-west-1:111122223333:key/k1"),
                                       secret("prod/b", kms="alias/aws/secretsmanager"), secret("prod/c", kms="k2")],
                         allow_delete=True) == KMS_AND_DELETE
    assert reader_policy("eu-west-1", [secret("prod/a", kms="k1")], prefixes=["prod/", "shared"],
                         include_kms=False) == PREFIXES_WITHOUT_KMS
    assert reader_policy("eu-west-1", []) == NOTHING_SELECTED


@pytest.mark.parametrize("prefixes, text", [
    ([""], "every IAM prefix must be a non-empty name prefix such as 'prod/', got ''"),  # "" would grant every secret
    ([7], "every IAM prefix must be a non-empty name prefix such as 'prod/', got 7"),
    (["prod/*"], "IAM prefix 'prod/*' contains a wildcard; give the plain name prefix (e.g. 'prod/'), the policy "
                 "appends the wildcard itself"),
    (["prod/?x"], "IAM prefix 'prod/?x' contains a wildcard"),
])
def test_a_prefix_that_would_widen_the_policy_is_refused(prefixes, text):
    with pytest.raises(PolicyError) as info:
        reader_policy("eu-west-1", [secret("prod/a")], prefixes=["shared/"] + prefixes)
    assert str(info.value).startswith(text)
    with pytest.raises(PolicyError) as info:
        reader_policy("", [secret("prod/a")])
    assert str(info.value) == "a region is needed to build the reader policy"
