# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Secrets Manager ARNs: parsing, and the secret name without AWS's random suffix."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.scailabs.scaivault.plugins.module_utils._common import arns

ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:%s-AbC123"


def test_parse_arn_strips_the_random_suffix_only_from_full_arns():
    assert arns.parse_arn(ARN % "prod/db") == {"partition": "aws", "region": "us-east-1", "account": "123456789012",
                                               "name": "prod/db", "resource": "prod/db-AbC123"}
    assert arns.parse_arn("arn:aws-cn:secretsmanager:cn-north-1:1:secret:x")["partition"] == "aws-cn"
    assert arns.parse_arn("prod/db") is None
    assert arns.parse_arn("arn:aws:s3:::bucket") is None


def test_name_from_arn_drops_the_random_suffix_and_leaves_plain_names():
    arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/billing/stripe-AbC123"
    assert arns.name_from_arn(arn) == "prod/billing/stripe"
    assert arns.name_from_arn("prod/x") == "prod/x"
    assert arns.name_from_arn("arn:aws:s3:::bucket") == "arn:aws:s3:::bucket"
