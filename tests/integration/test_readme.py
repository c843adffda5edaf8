# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The README's module_defaults example, run verbatim: both action groups side by side in one play.

The YAML block after the README-TESTED marker is taken from README.md as it is and run as a playbook
against the local servers. The play uses an ASM module (asm_inventory), a ScaiVault module
(scaivault_secret_info) and asm_migrate, which takes the options of both groups. The environment has
no SCAIVAULT_* setting and no AWS region, so the connection can only come from module_defaults (and,
for the ASM endpoint and the dummy keys, from boto3's own chain: AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID).
What was migrated is read back from the dev server and the ASM stand-in, not from the play.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from integration.secret_helpers import Vault

README = Path(__file__).resolve().parents[2] / "README.md"
MARKER = "<!-- README-TESTED:"

SEEDED = {
    ("eu-west-1", "prod/billing/stripe"): {"publishable_key": "pk_readme", "secret_key": "readme-value-1"},
    ("eu-west-1", "prod/billing/eu/vat"): {"api_key": "readme-value-2"},
    ("eu-west-1", "prod/orders/db"): {"password": "readme-value-3"},       # another prefix: not selected
    ("us-east-1", "prod/billing/stripe"): {"secret_key": "readme-value-4"},  # another region: not read
}


def readme_block() -> str:
    """The YAML block right after the marker, exactly as written in README.md."""
    text = README.read_text(encoding="utf-8")
    assert text.count(MARKER) == 1, "README.md must mark exactly one tested block with %s" % MARKER
    match = re.search(re.escape(MARKER) + r"[^\n]*\n```yaml\n(.*?)\n```", text, re.S)
    assert match, "the README-TESTED marker must be followed by a ```yaml block"
    return match.group(1) + "\n"


def test_readme_block_is_one_play_with_both_groups():
    play = yaml.safe_load(readme_block())
    assert len(play) == 1
    defaults = play[0]["module_defaults"]
    assert sorted(defaults) == ["group/scailabs.scaivault.asm", "group/scailabs.scaivault.scaivault"]
    actions = [next(key for key in task if key.startswith("scailabs.")) for task in play[0]["tasks"]]
    assert {"scailabs.scaivault.asm_inventory", "scailabs.scaivault.asm_migrate",
            "scailabs.scaivault.scaivault_secret_info"} <= set(actions)


def test_readme_module_defaults_example_runs_verbatim(playbook, dev_server, scaivault_http, asm_client_factory):
    for (region, name), value in SEEDED.items():
        asm_client_factory(region).create_secret(Name=name, SecretString=json.dumps(value))
    dev_server.reset_asm_calls()
    env = {key: value for key, value in dev_server.env.items()
           if not key.startswith("SCAIVAULT_") and key not in ("AWS_DEFAULT_REGION", "AWS_REGION")}

    res = playbook(readme_block(), env=env,
                   extra_vars={"scaivault_url": dev_server.scaivault_url, "scaivault_token": dev_server.token})

    res.assert_ok()
    inventory, migration, migrated = (res.registered[name] for name in ("inventory", "migration", "migrated"))
    assert inventory["region"] == "eu-west-1"
    assert sorted(s["name"] for s in inventory["secrets"]) == ["prod/billing/eu/vat", "prod/billing/stripe"]
    assert migration["changed"] and [s["action"] for s in migration["secrets"]] == ["create", "create"]
    assert sorted(s["path"] for s in migrated["secrets"]) == [
        "environments/production/billing/eu/vat", "environments/production/billing/stripe"]
    # Out of band: ScaiVault holds the eu-west-1 values, and only ASM's eu-west-1 was asked.
    vault = Vault(scaivault_http, dev_server)
    assert vault.get("environments/production/billing/stripe")["data"] == SEEDED[("eu-west-1", "prod/billing/stripe")]
    assert vault.get("environments/production/billing/eu/vat")["data"] == SEEDED[("eu-west-1", "prod/billing/eu/vat")]
    assert vault.get("environments/production/orders/db") is None
    assert set(dev_server.asm_calls()["by_region"]) == {"eu-west-1"}
    assert "readme-value" not in res.stdout
