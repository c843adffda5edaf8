# -*- coding: utf-8 -*-
# Copyright: ScaiLabs
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Seed the ASM stand-in (moto) with a realistic mix of secrets in two regions, or with many at once.

Reused by the asm_inventory / asm_rotation tests, the migration tests, the examples setup hook
and the demo. Fake values only: nothing here is a real credential. Every string value contains
VALUE_MARKER ("v4lue") and no name, tag or description does, so a leak check can search output
for the marker (or for the exact values in the description); seed_bulk's values are
BULK_VALUE_FORMAT % index ("bulk-value-7").

    from integration.asm_seed import seed_mix, seed_bulk
    mix = seed_mix(servers.asm_url)          # after servers.reset_all() (or clean_servers)
    mix.names("us-east-1")                   # every name created there (incl. pending deletion)
    mix.secret("us-east-1", "prod/orders/db")["rotation"]
    mix.by_kind("invalid")                   # [("us-east-1", "prod/Billing/Stripe"), ...]
    seed_bulk(servers.asm_url, 250, "us-east-1", "bulk/")

What ``seed_mix`` makes (account 123456789012, moto's default):

us-east-1 (primary region)
    prod/billing/stripe            JSON, 3 versions (AWSCURRENT, AWSPREVIOUS, one unlabelled),
                                   tags environment=production team=billing, description;
                                   collides with prod/Billing/Stripe under lowercase/normalize
    prod/billing/eu/vat/api-key    plain text, nested 5 segments deep, environment=production
    prod/orders/db                 JSON, rotation ON (moto recipe: IAM role + Lambda, 30 days,
                                   RotateImmediately=False), environment=production team=orders
    prod/payments/card-vault       JSON, customer managed KMS key (KMS_KEY_ARN), environment=production
    prod/certs/tls-key             binary (SecretBinary), environment=production
    prod/shared/api-gateway        JSON, replicated to eu-west-1, environment=production
    prod/legacy/old-token          plain text, scheduled for deletion (7-day window)
    prod/Billing/Stripe            invalid path (upper case); collides with prod/billing/stripe
                                   under lowercase/normalize
    prod/a+b                       invalid path ('+')
    prod/x@y                       invalid path ('@')
    prod/cache.main, prod/cache-main   collide after normalize ('.' -> '-'); cache.main is invalid
                                   under strict
    dev/billing/stripe             JSON, environment=development
    standalone-token               plain text, no folder (no service group), no tags
eu-west-1
    prod/shared/api-gateway        the replica (PrimaryRegion us-east-1)
    prod/billing/stripe            an independent secret with the same name, environment=production
    prod/eu/gdpr/export-key        JSON, rotation ON (7 days), environment=production
    dev/eu/sandbox                 plain text, environment=development

Rotation Lambdas: ``scaivault-test-rotation`` in each region (LAMBDA_ARNS). The stand-in sets
moto's ``lambda.use_docker`` to false at start, which the recipe needs (see moto-probe.md).
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from concurrent.futures import ThreadPoolExecutor

import boto3
from botocore.config import Config

ACCOUNT = "123456789012"
PRIMARY = "us-east-1"
SECONDARY = "eu-west-1"
KMS_KEY_ID = "7f3c1a52-9d1e-4c1b-8a57-3f0e8c2d9b10"
KMS_KEY_ARN = "arn:aws:kms:%s:%s:key/%s" % (PRIMARY, ACCOUNT, KMS_KEY_ID)
LAMBDA_NAME = "scaivault-test-rotation"
LAMBDA_ARNS = {region: "arn:aws:lambda:%s:%s:function:%s" % (region, ACCOUNT, LAMBDA_NAME)
               for region in (PRIMARY, SECONDARY)}
ROLE_NAME = "scaivault-test-rotation-role"
VALUE_MARKER = "v4lue"
# seed_bulk's values (other suites compare migrated data with it); never in a name or description.
BULK_VALUE_FORMAT = "bulk-value-%d"

# Kinds a secret can have in the description (a secret can have several).
KINDS = ("json", "text", "binary", "nested", "rotation", "cmk", "replica", "replicated", "planned_deletion",
         "invalid", "collision", "no_folder", "versions")


def _session(region):
    return boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=region)


_CLIENTS = {}


def client(asm_url, region, service="secretsmanager"):
    """A boto3 client on the stand-in with dummy credentials and no proxy (cached: creating one costs ~50 ms)."""
    key = (asm_url, region, service)
    if key not in _CLIENTS:
        _CLIENTS[key] = _session(region).client(
            service, endpoint_url=asm_url, config=Config(proxies={}, retries={"mode": "standard",
                                                                              "total_max_attempts": 3}))
    return _CLIENTS[key]


def _lambda_zip():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("rotate.py", "def handler(event, context):\n    return {}\n")
    return buffer.getvalue()


def ensure_rotation_lambda(asm_url, region):
    """Create (once) the IAM role and the dummy rotation Lambda in region; return the Lambda ARN."""
    iam = client(asm_url, region, "iam")
    try:
        role_arn = iam.get_role(RoleName=ROLE_NAME)["Role"]["Arn"]
    except iam.exceptions.NoSuchEntityException:
        role_arn = iam.create_role(RoleName=ROLE_NAME, AssumeRolePolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                           "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
    functions = client(asm_url, region, "lambda")
    try:
        return functions.get_function(FunctionName=LAMBDA_NAME)["Configuration"]["FunctionArn"]
    except functions.exceptions.ResourceNotFoundException:
        return functions.create_function(FunctionName=LAMBDA_NAME, Runtime="python3.11", Role=role_arn,
                                         Handler="rotate.handler", Code={"ZipFile": _lambda_zip()})["FunctionArn"]


def enable_rotation(asm_url, region, name, days):
    """Turn on ASM rotation of name with the test Lambda (no immediate rotation: values stay put)."""
    lambda_arn = ensure_rotation_lambda(asm_url, region)
    client(asm_url, region).rotate_secret(SecretId=name, RotationLambdaARN=lambda_arn,
                                          RotationRules={"AutomaticallyAfterDays": days}, RotateImmediately=False)
    return lambda_arn


def _tags(**pairs):
    return [{"Key": key, "Value": value} for key, value in pairs.items()]


# (region, name, spec). Values are fake and deterministic so migration tests can compare them.
_MIX = [
    (PRIMARY, "prod/billing/stripe", dict(
        kinds=["json", "versions", "collision"], description="Stripe API key for billing",
        string={"api_key": "sk_test_v4lue_primary_3", "webhook_secret": "whsec_v4lue"},
        older=[{"api_key": "sk_test_v4lue_primary_1"}, {"api_key": "sk_test_v4lue_primary_2"}],
        tags=_tags(environment="production", team="billing"))),
    (PRIMARY, "prod/billing/eu/vat/api-key", dict(
        kinds=["text", "nested"], description="VAT service key", string="vat-v4lue-plain-text",
        tags=_tags(environment="production", team="billing"))),
    (PRIMARY, "prod/orders/db", dict(
        kinds=["json", "rotation"], description="Orders database credentials",
        string={"username": "orders_v4lue_user", "password": "orders-pw-v4lue-1", "host": "db.v4lue.internal", "port": 5432},
        tags=_tags(environment="production", team="orders"), rotation_days=30)),
    (PRIMARY, "prod/payments/card-vault", dict(
        kinds=["json", "cmk"], description="Card vault token", string={"token": "card-vault-v4lue-token"},
        kms_key_id=KMS_KEY_ARN, tags=_tags(environment="production", team="payments"))),
    (PRIMARY, "prod/certs/tls-key", dict(
        kinds=["binary"], description="TLS private key (DER)", binary=b"\x30\x82\x01\x0av4lue\x02\x82\x01\x01\x00\xff",
        tags=_tags(environment="production"))),
    (PRIMARY, "prod/shared/api-gateway", dict(
        kinds=["json", "replicated"], description="API gateway key", string={"key": "gw-v4lue-key"},
        tags=_tags(environment="production", team="platform"), replicate_to=SECONDARY)),
    (PRIMARY, "prod/legacy/old-token", dict(
        kinds=["text", "planned_deletion"], description="Retired token", string="old-token-v4lue",
        tags=_tags(environment="production"), delete_days=7)),
    (PRIMARY, "prod/Billing/Stripe", dict(
        kinds=["json", "invalid", "collision"], description="Duplicate with upper case",
        string={"api_key": "sk_test_v4lue_upper"}, tags=_tags(environment="production"))),
    (PRIMARY, "prod/a+b", dict(kinds=["text", "invalid"], string="a-plus-b-v4lue", tags=_tags(environment="production"))),
    (PRIMARY, "prod/x@y", dict(kinds=["text", "invalid"], string="x-at-y-v4lue", tags=_tags(environment="production"))),
    (PRIMARY, "prod/cache.main", dict(
        kinds=["text", "invalid", "collision"], string="cache-dot-v4lue", tags=_tags(environment="production"))),
    (PRIMARY, "prod/cache-main", dict(
        kinds=["text", "collision"], string="cache-dash-v4lue", tags=_tags(environment="production"))),
    (PRIMARY, "dev/billing/stripe", dict(
        kinds=["json"], description="Stripe test key", string={"api_key": "sk_test_v4lue_dev"},
        tags=_tags(environment="development", team="billing"))),
    (PRIMARY, "standalone-token", dict(kinds=["text", "no_folder"], string="standalone-v4lue")),
    (SECONDARY, "prod/billing/stripe", dict(
        kinds=["json"], description="Stripe API key for billing (EU)", string={"api_key": "sk_test_v4lue_eu"},
        tags=_tags(environment="production", team="billing"))),
    (SECONDARY, "prod/eu/gdpr/export-key", dict(
        kinds=["json", "nested", "rotation"], description="GDPR export key", string={"key": "gdpr-export-v4lue"},
        tags=_tags(environment="production", team="privacy"), rotation_days=7)),
    (SECONDARY, "dev/eu/sandbox", dict(
        kinds=["text"], string="sandbox-v4lue", tags=_tags(environment="development"))),
]


class SeedInfo(dict):
    """What seed_mix made: {"secrets": {region: {name: description}}, "lambda_arns", "kms_key_arn", ...}."""

    def secret(self, region, name):
        return self["secrets"][region][name]

    def names(self, region, include_planned_deletion=True):
        return sorted(name for name, info in self["secrets"][region].items()
                      if include_planned_deletion or not info["planned_deletion"])

    def by_kind(self, kind, region=None):
        return sorted((r, name) for r, secrets in self["secrets"].items() if region in (None, r)
                      for name, info in secrets.items() if kind in info["kinds"])


def seed_mix(asm_url, primary=PRIMARY, secondary=SECONDARY):
    """Create the mix above (on an empty moto) and return a SeedInfo describing it."""
    regions = {PRIMARY: primary, SECONDARY: secondary}
    info = SeedInfo(secrets={primary: {}, secondary: {}}, lambda_arns={}, kms_key_arn=KMS_KEY_ARN.replace(
        PRIMARY, primary), account=ACCOUNT, primary=primary, secondary=secondary)
    for logical_region, name, spec in _MIX:
        region = regions[logical_region]
        sm = client(asm_url, region)
        kwargs = {"Name": name}
        if spec.get("description"):
            kwargs["Description"] = spec["description"]
        if spec.get("tags"):
            kwargs["Tags"] = spec["tags"]
        if spec.get("kms_key_id"):
            kwargs["KmsKeyId"] = info["kms_key_arn"]
        if spec.get("replicate_to"):
            kwargs["AddReplicaRegions"] = [{"Region": regions[spec["replicate_to"]]}]
        versions = []
        for older in spec.get("older", []):
            versions.append(older)
        value = spec.get("string")
        if "binary" in spec:
            kwargs["SecretBinary"] = spec["binary"]
        else:
            first = versions[0] if versions else value
            kwargs["SecretString"] = first if isinstance(first, str) else json.dumps(first)
        created = sm.create_secret(**kwargs)
        for later in (versions[1:] + [value]) if versions else []:
            sm.put_secret_value(SecretId=name, SecretString=later if isinstance(later, str) else json.dumps(later))
        description = {
            "name": name, "region": region, "arn": created["ARN"], "kinds": list(spec["kinds"]),
            "description": spec.get("description"), "tags": dict((t["Key"], t["Value"]) for t in spec.get("tags", [])),
            "value": value, "binary": spec.get("binary"), "older_values": list(spec.get("older", [])),
            "kms_key_id": kwargs.get("KmsKeyId"), "rotation": None, "planned_deletion": False,
            "replica": False, "primary_region": None,
        }
        if spec.get("rotation_days"):
            lambda_arn = enable_rotation(asm_url, region, name, spec["rotation_days"])
            info["lambda_arns"][region] = lambda_arn
            description["rotation"] = {"enabled": True, "lambda_arn": lambda_arn,
                                       "automatically_after_days": spec["rotation_days"]}
        if spec.get("delete_days"):
            sm.delete_secret(SecretId=name, RecoveryWindowInDays=spec["delete_days"])
            description["planned_deletion"] = True
        info["secrets"][region][name] = description
        if spec.get("replicate_to"):
            target = regions[spec["replicate_to"]]
            replica_arn = client(asm_url, target).describe_secret(SecretId=name)["ARN"]
            info["secrets"][target][name] = dict(
                description, region=target, arn=replica_arn, kinds=[k for k in spec["kinds"] if k != "replicated"]
                + ["replica"], replica=True, primary_region=region)
    for region in (primary, secondary):
        info["lambda_arns"][region] = ensure_rotation_lambda(asm_url, region)
    return info


def seed_bulk(asm_url, n, region=PRIMARY, prefix="bulk/", workers=8, tags=None):
    """Create n small plain-text secrets named PREFIX00000.. in region, fast; return their names in order.

    Created in name order from one thread per chunk, so ListSecrets (insertion order in moto)
    returns them sorted within each chunk. Every 3rd gets tag environment=production, the others
    environment=staging, unless tags (a list of ASM tags for all) is given.
    """
    names = ["%s%05d" % (prefix, index) for index in range(n)]

    def create(chunk):
        # One client per thread: boto3 clients are thread-safe, but a shared one serializes on its pool.
        sm = _session(region).client("secretsmanager", endpoint_url=asm_url, config=Config(proxies={}))
        for name in chunk:
            index = int(name[len(prefix):])
            sm.create_secret(Name=name, SecretString=BULK_VALUE_FORMAT % index,
                             Description="bulk secret %d" % index,
                             Tags=tags if tags is not None else _tags(
                                 environment="production" if index % 3 == 0 else "staging"))

    size = max(1, (n + workers - 1) // workers)
    chunks = [names[start:start + size] for start in range(0, n, size)]
    with ThreadPoolExecutor(max_workers=max(1, len(chunks))) as pool:
        list(pool.map(create, chunks))
    return names


# -- one ASM secret of every value kind the migration encodes ---------------------------------------------------
# name -> (SecretString, SecretBinary): JSON objects, text, JSON that is not an object, malformed JSON, unicode,
# binary that is and is not UTF-8, and the largest value the dev server takes.
LARGEST_TEXT = 64 * 1024 - len('{"value":""}')  # the dev server's 64 KiB limit on the data's JSON
VALUE_KINDS = {
    "prod/enc/json-object": ('{"user": "svc", "password": "p@ss w0rd", "port": 5432, "nested": {"a": [1, 2.5, null]}}', None),
    "prod/enc/json-object-spaced": ('{ "b" : 1 ,\n "a" : "x" }', None),
    "prod/enc/text": ("just some text with spaces ", None),
    "prod/enc/json-list": ('["a", "b", 3]', None),
    "prod/enc/json-scalar": ("42", None),
    "prod/enc/json-string": ('"quoted"', None),
    "prod/enc/malformed-json": ('{"user": "svc", "password": ', None),
    "prod/enc/duplicate-keys": ('{"a": 1, "a": 2}', None),
    "prod/enc/unicode": ("p\u00e4ss-\u5bc6\u7801-\U0001f511-e\u0301", None),
    "prod/enc/unicode-json": ('{"name": "J\u00fcrgen \U0001f600"}', None),
    "prod/enc/binary": (None, bytes(range(256))),
    "prod/enc/binary-not-utf8": (None, b"\xff\xfe\x00\x80invalid\xc3\x28"),
    "prod/enc/largest-text": ("x" * LARGEST_TEXT, None),
    "prod/enc/large-binary": (None, os.urandom(48 * 1024 - 16)),
}
