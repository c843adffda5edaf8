# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The verify phase both ways it picks its secrets: from this run's migrate report, and alone (``--tags verify``,
a fresh job) from a preview of the targets. A secret changed behind the collection's back is caught and named."""

from __future__ import annotations

import json
import textwrap

from .asm_seed import client as asm_client
from .playbook_runner import run_playbook

PLAY = textwrap.dedent("""
    - name: Migrate then verify one namespace
      hosts: localhost
      connection: local
      gather_facts: false
      vars:
        namespaces:
          - name: verify
            prefixes: [verify/]
            mapping: [{match: "verify/**", path: "checked/**"}]
      tasks:
        - name: Migrate phase
          ansible.builtin.import_role:
            name: scailabs.scaivault.migrate
          vars:
            migrate_region: us-east-1
            migrate_namespaces: "{{ namespaces }}"
            migrate_report_dir: "{{ report_dir }}"
          tags: [migrate]
        - name: Verify phase
          ansible.builtin.import_role:
            name: scailabs.scaivault.migrate
            tasks_from: verify
          vars:
            migrate_region: us-east-1
            migrate_namespaces: "{{ namespaces }}"
            migrate_verify_sample: 0
          tags: [verify]
""")


def verify_report(result):
    return result.task("Keep the verification result of this region")["result"]["ansible_facts"]["migrate_verify_report"]


def test_verify_from_the_report_then_alone_catches_a_changed_secret(dev_server, tmp_path):
    sm = asm_client(dev_server.asm_url, "us-east-1")
    for index in range(3):
        sm.create_secret(Name="verify/app-%d" % index, SecretString=json.dumps({"key": "verify-value-%d-abc" % index}))
    extra = {"report_dir": str(tmp_path)}

    both = run_playbook(PLAY, env=dev_server.env, extra_vars=extra).assert_ok()
    assert verify_report(both)["compared"] == 3 and verify_report(both)["all_match"]  # picked from the migrate report

    # Out of band, a newer value on one migrated path: a fresh job running the verify phase alone must notice.
    dev_server.dev_call("PUT", "/v1/secrets/checked/app-1", {"data": {"key": "changed-elsewhere-0001"}})
    alone = run_playbook(PLAY, env=dev_server.env, extra_vars=extra, tags="verify")
    assert alone.rc != 0
    report = verify_report(alone)
    assert report["compared"] == 3 and not report["all_match"]  # picked from the preview of the targets
    assert list(report["not_matching"]) == ["checked/app-1"]
    assert "NOT matching: checked/app-1 mismatch" in alone.output  # the summary line names the path
    assert "Migrated secrets differ from ASM or are missing: checked/app-1: mismatch." in alone.output
    assert "changed-elsewhere-0001" not in alone.output and "verify-value-1-abc" not in alone.output


def test_a_secret_that_cannot_be_migrated_fails_the_phase_naming_it_and_why(dev_server, tmp_path):
    sm = asm_client(dev_server.asm_url, "us-east-1")
    sm.create_secret(Name="verify/good", SecretString=json.dumps({"key": "verify-good-value-0001"}))
    sm.create_secret(Name="verify/Bad+Name", SecretString=json.dumps({"key": "verify-bad-value-0002"}))
    result = run_playbook(PLAY, env=dev_server.env, extra_vars={"report_dir": str(tmp_path)}, tags="migrate")
    assert result.rc != 0
    assert "1 secret(s) of us-east-1 failed: verify/Bad+Name: " in result.output
    assert dev_server.dev_call("GET", "/v1/secrets/checked/good")["version"] == 1  # the rest was migrated
    assert "verify-bad-value-0002" not in result.output and "verify-good-value-0001" not in result.output
