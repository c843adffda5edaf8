# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""In-memory stand-ins shared by several unit test files (no servers, no network).

Import as ``from unit.fakes import FakeAsm`` (tests/ is on sys.path, see tests/conftest.py).
A fake used by one test file only stays in that file.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

from dateutil.tz import tzutc

# -- ListSecrets entries ------------------------------------------------------------------------
ASM_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:%s-AbC123"
ASM_WHEN = datetime.datetime(2026, 5, 1, 12, 0, 0, tzinfo=tzutc())


def asm_entry(name, **fields):
    """A SecretListEntry as boto3 returns it (us-east-1, two versions, dates parsed); ``fields`` override."""
    result = {"ARN": ASM_ARN % name, "Name": name, "CreatedDate": ASM_WHEN, "LastChangedDate": ASM_WHEN,
              "SecretVersionsToStages": {"v-1": ["AWSPREVIOUS"], "v-2": ["AWSCURRENT"]}}
    result.update(fields)
    return result


# -- AsmClient ----------------------------------------------------------------------------------
class FakeAsm:
    """The part of ``_clients.asm.AsmClient`` that selection and the migration engine use.

    Either ``secrets`` ({name: [(version_id, SecretString)], oldest first; the last one is
    AWSCURRENT}, listed sorted by name with ``ARN_TEMPLATE``) or ``entries`` (SecretListEntry
    dicts, listed as given) is the estate. ListSecrets applies the 'name' filters as ASM does
    (prefix match, values ORed, filters ANDed); other filter keys are ignored.

    ``calls``: {API operation: count}, like ``AsmClient.calls``. ``listings``: the
    ``(filters, include_planned_deletion)`` of every ListSecrets, in order.
    """

    ARN_TEMPLATE = "arn:aws:secretsmanager:us-east-1:123456789012:secret:%s-AbCdEf"

    def __init__(self, secrets=None, entries=None):
        self.secrets = {} if secrets is None else secrets
        self.entries = entries
        self.calls = {}
        self.listings = []

    def _count(self, op):
        self.calls[op] = self.calls.get(op, 0) + 1

    @staticmethod
    def _name_of(secret_id):
        return secret_id.split(":secret:")[1][:-7]  # drop "-" and AWS's 6-character suffix

    def _listed(self):
        if self.entries is not None:
            return self.entries
        return [{"Name": name, "ARN": self.ARN_TEMPLATE % name, "SecretVersionsToStages": {versions[-1][0]: ["AWSCURRENT"]}}
                for name, versions in sorted(self.secrets.items())]

    def list_secrets(self, filters=None, include_planned_deletion=False):
        self._count("ListSecrets")
        self.listings.append((filters, include_planned_deletion))
        prefixes = [f["Values"] for f in filters or [] if f["Key"] == "name"]
        for item in self._listed():
            if all(any(item["Name"].startswith(p) for p in values) for values in prefixes):
                yield item

    def batch_get_values(self, ids):
        self._count("BatchGetSecretValue")
        values = {}
        for arn in ids:
            name = self._name_of(arn)
            version_id, string = self.secrets[name][-1]
            values[arn] = {"ARN": arn, "Name": name, "VersionId": version_id, "SecretString": string}
        return values, {}

    def get_value(self, secret_id, version_id=None, version_stage=None):
        self._count("GetSecretValue")
        return {"VersionId": version_id, "SecretString": dict(self.secrets[self._name_of(secret_id)])[version_id]}

    def list_version_ids(self, secret_id, include_deprecated=False, name=None):
        self._count("ListSecretVersionIds")
        assert include_deprecated, "versions: all must see versions without a staging label too"
        versions = self.secrets[self._name_of(secret_id)]
        return [{"VersionId": vid, "VersionStages": ["AWSCURRENT"] if index == len(versions) - 1 else []}
                for index, (vid, _s) in enumerate(versions)]


# -- time -----------------------------------------------------------------------------------------
class FakeClock:
    """A clock callable (``time.monotonic`` stand-in) that moves only when a test sets ``now``."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now
