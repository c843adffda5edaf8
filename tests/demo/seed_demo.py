# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Seed the ASM stand-in with the demo estate: about 60 secrets of every kind in two regions.

    python tests/demo/seed_demo.py --asm-url http://127.0.0.1:PORT [--json]

Fake, deterministic values only (long and distinctive, so tests can scan output for them).
Used by scripts/demo.sh and tests/integration/test_roles_playbooks.py (``seed_demo(asm_url)``).

us-east-1                                              eu-west-1
  prod/billing/stripe         JSON, 2 versions           prod/billing/stripe       JSON (own EU secret)
  prod/billing/eu/vat/api-key text, nested               prod/eu/gdpr/export-key   JSON, ASM rotation (option B)
  prod/orders/db              JSON, ASM rotation (A)     prod/shared/api-gateway   replica of us-east-1
  prod/payments/card-vault    JSON, customer KMS key     prod/eu/apps/svc-NN/...   15 JSON + text
  prod/certs/tls-key          binary
  prod/shared/api-gateway     JSON, replicated
  prod/legacy/old-token       text, pending deletion
  prod/legacy/Bad+Name        invalid ScaiVault path
  prod/apps/svc-NN/...        30 JSON + text
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE)))

from integration.asm_seed import (  # noqa: E402  pylint: disable=wrong-import-position
    ACCOUNT, KMS_KEY_ARN, client, enable_rotation, ensure_rotation_lambda)

PRIMARY = "us-east-1"
SECONDARY = "eu-west-1"


def _tags(**pairs):
    return [{"Key": key, "Value": value} for key, value in pairs.items()]


def _special():
    """(region, name, kwargs for create, extras) of the hand-made secrets."""
    prod = dict(environment="production")
    return [
        (PRIMARY, "prod/billing/stripe", dict(Description="Stripe API key for billing",
                                              SecretString=json.dumps({"api_key": "sk_demo_first_version_0001"}),
                                              Tags=_tags(team="billing", **prod)),
         dict(kind="json", later=json.dumps({"api_key": "sk_demo_stripe_current_7c1f", "account": "acct_demo_42"}))),
        (PRIMARY, "prod/billing/eu/vat/api-key", dict(Description="VAT service key",
                                                      SecretString="vat-demo-plain-text-key-93ab",
                                                      Tags=_tags(team="billing", **prod)), dict(kind="text nested")),
        (PRIMARY, "prod/orders/db", dict(Description="Orders database credentials",
                                         SecretString=json.dumps({"username": "orders", "password": "orders-demo-pw-5d2e",
                                                                  "host": "db.orders.internal", "port": 5432}),
                                         Tags=_tags(team="orders", **prod)), dict(kind="json rotation-A", rotation_days=30)),
        (PRIMARY, "prod/payments/card-vault", dict(Description="Card vault token", KmsKeyId=KMS_KEY_ARN,
                                                   SecretString=json.dumps({"token": "card-vault-demo-token-81fa"}),
                                                   Tags=_tags(team="payments", kms="customer-managed", **prod)),
         dict(kind="json cmk")),
        (PRIMARY, "prod/certs/tls-key", dict(Description="TLS private key (DER)",
                                             SecretBinary=b"\x30\x82\x01\x0a\x02\x82\x01\x01\x00demo-der-bytes\xff\xfe",
                                             Tags=_tags(**prod)), dict(kind="binary")),
        (PRIMARY, "prod/shared/api-gateway", dict(Description="API gateway key",
                                                  SecretString=json.dumps({"key": "gw-demo-key-replicated-44c1"}),
                                                  Tags=_tags(team="platform", **prod),
                                                  AddReplicaRegions=[{"Region": SECONDARY}]), dict(kind="json replicated")),
        (PRIMARY, "prod/legacy/old-token", dict(Description="Retired token", SecretString="old-demo-token-value-0b9e",
                                                Tags=_tags(**prod)), dict(kind="text pending-deletion", delete_days=7)),
        (PRIMARY, "prod/legacy/Bad+Name", dict(Description="Name that is not a valid ScaiVault path",
                                               SecretString="bad-name-demo-value-6f0d", Tags=_tags(**prod)),
         dict(kind="text invalid-name")),
        (SECONDARY, "prod/billing/stripe", dict(Description="Stripe API key for billing (EU)",
                                                SecretString=json.dumps({"api_key": "sk_demo_eu_current_2aa7"}),
                                                Tags=_tags(team="billing", **prod)), dict(kind="json")),
        (SECONDARY, "prod/eu/gdpr/export-key", dict(Description="GDPR export key",
                                                    SecretString=json.dumps({"key": "gdpr-demo-export-key-v1-c3d4"}),
                                                    Tags=_tags(team="privacy", **prod)),
         dict(kind="json rotation-B", rotation_days=7)),
    ]


def _bulk(region, prefix, count):
    """count app secrets: every third is plain text, the rest JSON; tagged by team."""
    out = []
    for index in range(count):
        name = "%s/svc-%02d/%s" % (prefix, index, "token" if index % 3 == 2 else "config")
        team = ("apps", "data", "web")[index % 3]
        if index % 3 == 2:
            value = dict(SecretString="demo-token-%s-%02d-plain-text" % (region, index))
        else:
            value = dict(SecretString=json.dumps({"db_url": "postgres://svc%02d.%s.internal/app" % (index, region),
                                                  "api_key": "demo-api-key-%s-%02d-xyz" % (region, index)}))
        out.append((region, name, dict(Description="Service %02d settings" % index,
                                       Tags=_tags(environment="production", team=team), **value), dict(kind="bulk")))
    return out


def seed_demo(asm_url, bulk_primary=30, bulk_secondary=15):
    """Create the demo estate on an empty stand-in; return {"secrets": [{region, name, kind}], "values": [...]}."""
    made, values = [], []
    for region in (PRIMARY, SECONDARY):
        ensure_rotation_lambda(asm_url, region)
    for region, name, kwargs, extra in _special():
        sm = client(asm_url, region)
        sm.create_secret(Name=name, **kwargs)
        if "later" in extra:
            sm.put_secret_value(SecretId=name, SecretString=extra["later"])
        if extra.get("rotation_days"):
            enable_rotation(asm_url, region, name, extra["rotation_days"])
        if extra.get("delete_days"):
            sm.delete_secret(SecretId=name, RecoveryWindowInDays=extra["delete_days"])
        made.append({"region": region, "name": name, "kind": extra["kind"]})
        for key in ("SecretString",):
            if key in kwargs:
                values.append(kwargs[key])
        if "later" in extra:
            values.append(extra["later"])
        if kwargs.get("AddReplicaRegions"):
            made.append({"region": SECONDARY, "name": name, "kind": "replica"})
    bulk = _bulk(PRIMARY, "prod/apps", bulk_primary) + _bulk(SECONDARY, "prod/eu/apps", bulk_secondary)

    def create(item):
        region, name, kwargs, extra = item
        client(asm_url, region).create_secret(Name=name, **kwargs)
        return {"region": region, "name": name, "kind": extra["kind"]}

    with ThreadPoolExecutor(max_workers=8) as pool:
        made.extend(pool.map(create, bulk))
    values.extend(item[2]["SecretString"] for item in bulk)
    return {"account": ACCOUNT, "secrets": made, "values": values}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--asm-url", default=os.environ.get("AWS_ENDPOINT_URL"), help="ASM stand-in URL")
    parser.add_argument("--json", action="store_true", help="print what was made as JSON (names, no values)")
    args = parser.parse_args(argv)
    if not args.asm_url:
        parser.error("--asm-url or AWS_ENDPOINT_URL is required")
    info = seed_demo(args.asm_url)
    if args.json:
        print(json.dumps(info["secrets"], indent=1))
    else:
        by_region = {}
        for item in info["secrets"]:
            by_region[item["region"]] = by_region.get(item["region"], 0) + 1
        print("demo: seeded %d ASM secrets (%s)" % (len(info["secrets"]), ", ".join(
            "%s: %d" % pair for pair in sorted(by_region.items()))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
