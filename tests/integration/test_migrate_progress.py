# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Progress at real rate limits: the migrate role sizes its batches from the write limit ScaiVault reports.

At the managed default (100 writes/min) a 10,000-secret region takes 100 minutes; with batches of what the reported
limit writes in migrate_progress_minutes (4), the job shows a line at least every 4 minutes. Here the dev server
limits writes to 600/min and the window is 0.01 min, so batches must hold 6 secrets - a size nothing but the
X-RateLimit-Limit header gives.
"""

from __future__ import annotations

import json
import re
import textwrap

from .asm_seed import client as asm_client
from .playbook_runner import run_playbook

PLAY = textwrap.dedent("""
    - name: Migrate one namespace with batches sized from the write limit
      hosts: localhost
      connection: local
      gather_facts: false
      tasks:
        - name: Migrate role
          ansible.builtin.import_role:
            name: scailabs.scaivault.migrate
          vars:
            migrate_region: us-east-1
            migrate_namespaces:
              - name: progress
                prefixes: [progress/]
                mapping: [{match: "progress/**", path: "progress/**"}]
            migrate_first_batch: 5
            migrate_progress_minutes: 0.01
            migrate_report_dir: "{{ report_dir }}"
""")


def test_batches_are_sized_from_the_reported_write_limit(clean_servers, tmp_path):
    servers = clean_servers
    sm = asm_client(servers.asm_url, "us-east-1")
    for index in range(23):
        sm.create_secret(Name="progress/app-%02d" % index, SecretString=json.dumps({"n": "value-%02d-xyz" % index}))
    servers.dev_rate_limits(True, {"write": 600})
    servers.reset_asm_calls()
    try:
        res = run_playbook(PLAY, env=servers.env, extra_vars={"report_dir": str(tmp_path)}).assert_ok()
    finally:
        servers.dev_rate_limits(False)
    assert "progress batch 1: up to 5 secrets (sizes the other batches)" in res.stdout
    # The first batch counted the namespace (summary.selected_total): one ListSecrets per batch, no counting pass.
    assert servers.asm_calls()["by_operation"]["ListSecrets"] == 4, servers.asm_calls()
    labels = re.findall(r"progress batch (\d+)/(\d+): (\d+) secrets", res.stdout)
    # First batch of 5 (it reads the limit), then 600/min x 0.01 min = 6 per batch: 6, 6, 6 of the other 18.
    assert labels == [("2", "4", "6"), ("3", "4", "6"), ("4", "4", "6")], labels
    report = json.loads((tmp_path / "migrate-localhost.json").read_text())
    assert report["write_limit_per_minute"] == 600 and report["batches"] == 4
    assert report["counts"]["created"] == 23
    listed = servers.dev_call("GET", "/v1/secrets?prefix=progress/&limit=1000")
    assert len(listed["secrets"]) == 23
