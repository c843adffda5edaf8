# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment:
    """AWS Secrets Manager connection options of the asm_* modules."""

    DOCUMENTATION = r"""
options:
  region:
    description:
      - The AWS region of the secrets. One region per task; run several regions as several inventory hosts.
      - If not set, E(AWS_REGION) or E(AWS_DEFAULT_REGION) is used.
    type: str
    aliases: [aws_region]
  profile:
    description:
      - A named profile from the AWS config files. If not set, boto3's own chain applies (E(AWS_PROFILE), ...).
    type: str
    aliases: [aws_profile]
  access_key:
    description:
      - AWS access key id. If not set, boto3's credential chain applies (E(AWS_ACCESS_KEY_ID), profiles,
        instance roles, ...).
    type: str
    aliases: [aws_access_key_id]
  secret_key:
    description:
      - AWS secret access key. If not set, boto3's credential chain applies (E(AWS_SECRET_ACCESS_KEY), ...).
    type: str
    aliases: [aws_secret_access_key]
  session_token:
    description:
      - AWS session token for temporary credentials. If not set, E(AWS_SESSION_TOKEN) applies through boto3.
    type: str
    aliases: [aws_session_token]
  endpoint_url:
    description:
      - Use this Secrets Manager endpoint instead of AWS's (a VPC endpoint, or a local stand-in for tests).
      - If not set, boto3 honours E(AWS_ENDPOINT_URL_SECRETS_MANAGER) and E(AWS_ENDPOINT_URL).
    type: str
    aliases: [aws_endpoint_url]
  aws_ca_bundle:
    description:
      - CA bundle used to verify the AWS endpoint's certificate.
    type: path
  aws_validate_certs:
    description:
      - Verify the AWS endpoint's TLS certificate.
    type: bool
    default: true
  aws_max_attempts:
    description:
      - Total attempts per AWS API call; throttling (C(ThrottlingException)) and transient errors are retried
        with jittered exponential backoff by botocore.
    type: int
    default: 10
  aws_retry_mode:
    description:
      - botocore retry mode. C(adaptive) also rate-limits the client itself after throttling.
    type: str
    choices: [standard, adaptive]
    default: standard
requirements:
  - boto3 >= 1.34.0
  - botocore >= 1.34.0
"""
