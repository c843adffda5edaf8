# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark-only stand-in for amazon.aws's secretsmanager_secret lookup (not installed here).

Like that lookup it builds a boto3 client per call and reads each term with GetSecretValue, so the
anchors' pattern (one lookup + one scaivault_secret task per secret) is measured the way users run it.
Endpoint and credentials come from the environment (AWS_ENDPOINT_URL, dummy keys from the harness).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: bench_asm_value
short_description: Read ASM SecretString values (benchmark only)
description: GetSecretValue per term, a client per call, like amazon.aws.secretsmanager_secret.
options:
  _terms:
    description: Secret names.
    required: true
  region:
    description: AWS region.
    type: str
"""

import boto3
from botocore.config import Config

from ansible.plugins.lookup import LookupBase


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        client = boto3.session.Session(region_name=self.get_option("region")).client(
            "secretsmanager", config=Config(proxies={}))
        return [client.get_secret_value(SecretId=term)["SecretString"] for term in terms]
