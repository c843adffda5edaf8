# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""collect_reads: the audit log queries it sends (one per parent path) and the summary it builds.

ScaiVault is the dev server's own App in process (``inprocess_vault``, tests/unit/fakes.py): the audit rows are
the ones its handlers write for real reads by two identities.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.scailabs.scaivault.plugins.module_utils._plan.audit import window
from ansible_collections.scailabs.scaivault.plugins.module_utils._run.audit import collect_reads


def reader(vault, identity):
    """A client whose reads the server audits as ``identity`` (a token minted through /_dev/tokens)."""
    return vault.client_as(identity)


def spied(client):
    """The client, with the filters of each audit_logs call recorded in client.queries."""
    client.queries = []
    real = client.audit_logs

    def audit_logs(**filters):
        client.queries.append(filters)
        return real(**filters)

    client.audit_logs = audit_logs
    return client


def estate(vault):
    for path in ("a/b", "a/c", "z"):
        vault.put(path, {"k": path})
    app, me = reader(vault, "sa:app"), reader(vault, "sa:me")
    app.get_secret("a/b")
    me.get_secret("a/c")
    app.get_secret("z")
    app.get_secret("a/missing")  # a failed read (404) is audited too, with success false


def test_collect_reads_queries_once_per_parent_and_sends_the_window(inprocess_vault):
    estate(inprocess_vault)
    client = spied(inprocess_vault.client())
    start, end = window("14d", None)
    summary, queries = collect_reads(client, paths=["a/b", "a/c", "z"], start=start, end=end, exclude=["sa:me"])
    assert queries == 2
    assert [call["path_prefix"] for call in client.queries] == ["a/", "z"]
    assert client.queries[0]["from"].endswith("Z") and client.queries[0]["action"] == "read"
    assert "success" not in client.queries[0]
    per_path = summary.per_path()
    assert per_path["a/b"]["reads"] == 1 and per_path["a/c"]["excluded_reads"] == 1 and per_path["z"]["reads"] == 1


def test_collect_reads_with_prefix_and_success_only(inprocess_vault):
    estate(inprocess_vault)
    client = spied(inprocess_vault.client())
    summary, queries = collect_reads(client, path_prefix="a/", include_failed=False)
    assert queries == 1 and client.queries[0]["success"] == "true"
    assert summary.totals()["reads"] == 2  # a/b and a/c; the failed read of a/missing is left out
    summary, _queries = collect_reads(spied(inprocess_vault.client()), path_prefix="a/")
    assert summary.totals()["reads"] == 3


def test_a_window_that_ended_before_the_reads_finds_none(inprocess_vault):
    estate(inprocess_vault)
    start, end = window("2019-12-01T00:00:00Z", "2020-01-01T00:00:00Z")
    summary, _queries = collect_reads(inprocess_vault.client(), path_prefix="", start=start, end=end)
    assert summary.totals()["reads"] == 0
