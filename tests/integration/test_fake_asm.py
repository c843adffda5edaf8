# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""tests/unit's one ASM stand-in (unit.fakes.FakeAsm) answers what the collection's AsmClient reads from moto.

The engine unit tests trust FakeAsm for listing (name filters, tags), current values (text and binary), single
versions, version lists and DescribeSecret (the run lock's tags, a missing secret); this holds it to the ASM stand-in
for the same estate, field by field of what the engine reads, so the fake cannot drift. (ScaiVault needs no such
proof: unit tests use the dev server's own App in process.)
"""

from __future__ import annotations

import pytest

from ansible_collections.scailabs.scaivault.plugins.module_utils._clients.asm import AsmClient
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.errors import AsmError
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.tags import asm_tags_to_dict

from unit.fakes import FakeAsm

REGION = "us-east-1"
ESTATE = {"prod/a": ["a-one"], "prod/b": ["b-one", "b-two", "b-three"], "prod/sub/c": ["c-one"], "stage/d": ["d-one"],
          "prod/bin": [b"\x00\xffone", b"\x01two"]}  # bytes: SecretBinary
TAGS = {"prod/b": {"scaivault:lock:holder": "awx@node-2:0badc0de", "env": "prod"}}


@pytest.fixture
def both(asm_client_factory, clean_servers):
    """(AsmClient on moto, FakeAsm) holding the same secrets, versions and current values."""
    boto = asm_client_factory(REGION)
    fake = {}
    for name, values in ESTATE.items():
        tags = [{"Key": key, "Value": value} for key, value in TAGS.get(name, {}).items()]
        boto.create_secret(Name=name, **dict(FakeAsm.value_field(values[0]), **({"Tags": tags} if tags else {})))
        for value in values[1:]:
            boto.put_secret_value(SecretId=name, **FakeAsm.value_field(value))
        listed = boto.list_secret_version_ids(SecretId=name, IncludeDeprecated=True)["Versions"]
        current = [item["VersionId"] for item in listed if "AWSCURRENT" in item.get("VersionStages", [])][0]
        by_id = {value_of(boto.get_secret_value(SecretId=name, VersionId=item["VersionId"])): item["VersionId"]
                 for item in listed}
        fake[name] = [(by_id[value], value) for value in values]
        assert fake[name][-1][0] == current
    real = AsmClient(REGION, boto_client=boto)
    return real, FakeAsm(fake, tags=TAGS), boto


def value_of(answer):
    """SecretString or SecretBinary, whichever the answer has (never both)."""
    assert ("SecretString" in answer) != ("SecretBinary" in answer), sorted(answer)
    return answer["SecretString"] if "SecretString" in answer else answer["SecretBinary"]


def current_version(stages):
    return [version_id for version_id, labels in stages.items() if "AWSCURRENT" in labels]


def _arns(boto):
    return {item["Name"]: item["ARN"] for item in boto.list_secrets()["SecretList"]}


@pytest.mark.parametrize("filters", [None, [{"Key": "name", "Values": ["prod/"]}],
                                     [{"Key": "name", "Values": ["prod/sub/", "stage/"]}],
                                     [{"Key": "name", "Values": ["prod/"]}, {"Key": "name", "Values": ["prod/s"]}]])
def test_listing_selects_the_same_names_with_the_same_current_version(both, filters):
    real, fake, _boto = both

    def seen(client):
        return sorted((item["Name"], current_version(item["SecretVersionsToStages"]), asm_tags_to_dict(item.get("Tags")))
                      for item in client.list_secrets(filters=filters))

    assert seen(fake) == seen(real) != []


def test_current_values_single_versions_and_version_lists_are_the_same(both):
    real, fake, boto = both
    arns = _arns(boto)
    real_values, real_errors = real.batch_get_values([arns[name] for name in ESTATE])
    fake_values, fake_errors = fake.batch_get_values([fake.ARN_TEMPLATE % name for name in ESTATE])
    assert real_errors == fake_errors == {}

    def current(values):
        return sorted((item["Name"], item["VersionId"], value_of(item)) for item in values.values())

    assert current(fake_values) == current(real_values)
    for name, versions in fake.secrets.items():
        for version_id, value in versions:
            assert value_of(real.get_value(arns[name], version_id=version_id)) == value
            assert value_of(fake.get_value(fake.ARN_TEMPLATE % name, version_id=version_id)) == value

        def labels(listed):
            return sorted((item["VersionId"], "AWSCURRENT" in (item.get("VersionStages") or [])) for item in listed)

        assert labels(fake.list_version_ids(fake.ARN_TEMPLATE % name, include_deprecated=True)) == \
            labels(real.list_version_ids(arns[name], include_deprecated=True, name=name))


def test_describe_shows_the_same_tags_and_current_version_and_the_same_not_found(both):
    real, fake, boto = both
    arns = _arns(boto)

    def described(client, secret_id):
        answer = client.describe(secret_id)
        return (answer["Name"], current_version(answer["VersionIdsToStages"]), asm_tags_to_dict(answer.get("Tags")),
                "DeletedDate" in answer)

    for name in ESTATE:
        assert described(fake, name) == described(real, name) == described(real, arns[name])
        assert described(fake, fake.ARN_TEMPLATE % name) == described(real, name)
    assert described(fake, "prod/b")[2] == TAGS["prod/b"]
    missing = []
    for client in (real, fake):
        with pytest.raises(AsmError) as err:
            client.describe("scaivault-runbook-lock")
        missing.append((err.value.code, err.value.not_found, err.value.operation))
    assert missing[0] == missing[1] == ("ResourceNotFoundException", True, "DescribeSecret")
    assert fake.calls["DescribeSecret"] == 2 * len(ESTATE) + 2
