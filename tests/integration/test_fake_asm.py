# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""tests/unit's one ASM stand-in (unit.fakes.FakeAsm) answers what the collection's AsmClient reads from moto.

The engine unit tests trust FakeAsm for listing (name filters), current values, single versions and version
lists; this holds it to the ASM stand-in for the same estate, field by field of what the engine reads, so the
fake cannot drift. (ScaiVault needs no such proof: unit tests use the dev server's own App in process.)
"""

from __future__ import annotations

import pytest

from ansible_collections.scailabs.scaivault.plugins.module_utils._clients.asm import AsmClient

from unit.fakes import FakeAsm

REGION = "us-east-1"
ESTATE = {"prod/a": ["a-one"], "prod/b": ["b-one", "b-two", "b-three"], "prod/sub/c": ["c-one"], "stage/d": ["d-one"]}


@pytest.fixture
def both(asm_client_factory, clean_servers):
    """(AsmClient on moto, FakeAsm) holding the same secrets, versions and current values."""
    boto = asm_client_factory(REGION)
    fake = {}
    for name, values in ESTATE.items():
        boto.create_secret(Name=name, SecretString=values[0])
        for value in values[1:]:
            boto.put_secret_value(SecretId=name, SecretString=value)
        listed = boto.list_secret_version_ids(SecretId=name, IncludeDeprecated=True)["Versions"]
        current = [item["VersionId"] for item in listed if "AWSCURRENT" in item.get("VersionStages", [])][0]
        by_id = {boto.get_secret_value(SecretId=name, VersionId=item["VersionId"])["SecretString"]: item["VersionId"]
                 for item in listed}
        fake[name] = [(by_id[value], value) for value in values]
        assert fake[name][-1][0] == current
    real = AsmClient(REGION, boto_client=boto)
    return real, FakeAsm(fake), boto


def _arns(boto):
    return {item["Name"]: item["ARN"] for item in boto.list_secrets()["SecretList"]}


@pytest.mark.parametrize("filters", [None, [{"Key": "name", "Values": ["prod/"]}],
                                     [{"Key": "name", "Values": ["prod/sub/", "stage/"]}],
                                     [{"Key": "name", "Values": ["prod/"]}, {"Key": "name", "Values": ["prod/s"]}]])
def test_listing_selects_the_same_names_with_the_same_current_version(both, filters):
    real, fake, _boto = both

    def seen(client):
        return sorted((item["Name"], [vid for vid, stages in item["SecretVersionsToStages"].items()
                                      if "AWSCURRENT" in stages]) for item in client.list_secrets(filters=filters))

    assert seen(fake) == seen(real) != []


def test_current_values_single_versions_and_version_lists_are_the_same(both):
    real, fake, boto = both
    arns = _arns(boto)
    real_values, real_errors = real.batch_get_values([arns[name] for name in ESTATE])
    fake_values, fake_errors = fake.batch_get_values([fake.ARN_TEMPLATE % name for name in ESTATE])
    assert real_errors == fake_errors == {}

    def current(values):
        return sorted((item["Name"], item["VersionId"], item["SecretString"]) for item in values.values())

    assert current(fake_values) == current(real_values)
    for name, versions in fake.secrets.items():
        for version_id, value in versions:
            assert real.get_value(arns[name], version_id=version_id)["SecretString"] == value
            assert fake.get_value(fake.ARN_TEMPLATE % name, version_id=version_id)["SecretString"] == value

        def labels(listed):
            return sorted((item["VersionId"], "AWSCURRENT" in (item.get("VersionStages") or [])) for item in listed)

        assert labels(fake.list_version_ids(fake.ARN_TEMPLATE % name, include_deprecated=True)) == \
            labels(real.list_version_ids(arns[name], include_deprecated=True, name=name))
