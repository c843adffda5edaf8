# -*- coding: utf-8 -*-
"""Settings of the demo billing service: it still reads its Stripe key from AWS Secrets Manager."""

import json

import boto3


def stripe_api_key(region="us-east-1"):
    """The Stripe key, straight from ASM (to be repointed to ScaiVault)."""
    client = boto3.client("secretsmanager", region_name=region)
    answer = client.get_secret_value(SecretId="prod/billing/stripe")
    return json.loads(answer["SecretString"])["api_key"]
