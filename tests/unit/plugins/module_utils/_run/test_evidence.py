# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""_run/evidence.py against the dev server in process: the three ways of counting reads agree, and what each costs."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.scailabs.scaivault.plugins.module_utils._plan.audit import window
from ansible_collections.scailabs.scaivault.plugins.module_utils._run import evidence

PATHS = ["external/aws/a/one", "external/aws/a/two", "external/aws/b/three"]


@pytest.fixture(name="reads")
def fixture_reads(inprocess_vault):
    for path in PATHS:
        inprocess_vault.put(path, {"k": "v"})
    for path, count in zip(PATHS, (3, 1, 2)):
        for _read in range(count):
            inprocess_vault.http.get("/v1/secrets/" + path)
    return inprocess_vault


def audit_gets(client):
    return client.counter.snapshot().get("GET audit", 0)


@pytest.mark.parametrize("page_size, method, gets, used", [
    (1000, "auto", 1, "logs"),            # quiet: one page under external/aws/
    # busy: the common page, a/'s first page (busy: its 2 summaries instead of more pages), b/three alone (summary)
    (2, "auto", 1 + 1 + 2 + 1, "summary"),
    (1000, "logs", 2, "logs"),            # a page per parent folder
    (1000, "summary", 3, "summary"),      # a request per path
])
def test_methods_agree_and_cost(reads, monkeypatch, page_size, method, gets, used):
    monkeypatch.setattr(evidence, "PAGE_SIZE", page_size)
    client = reads.client(retries=0)
    start, end = window("1h", None)
    per_path, how = evidence.reads_per_path(client, PATHS, start, end, exclude=[], method=method)
    assert {path: entry["reads"] for path, entry in per_path.items()} == {PATHS[0]: 3, PATHS[1]: 1, PATHS[2]: 2}
    assert how == used and audit_gets(client) == gets


def test_excluded_identities_count_apart(reads):
    client = reads.client(retries=0)
    start, end = window("1h", None)
    per_path, _how = evidence.reads_per_path(client, PATHS, start, end, exclude=["user:dev@scaivault.local"], method="summary")
    assert per_path[PATHS[0]]["reads"] == 0 and per_path[PATHS[0]]["excluded_reads"] == 3


def test_common_prefix_is_a_folder():
    assert evidence.common_prefix(PATHS) == "external/aws/"
    assert evidence.common_prefix(["a/b", "c/d"]) == ""
    assert evidence.common_prefix(["a/b/c"]) == "a/b/"
