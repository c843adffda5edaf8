# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""module_defaults for group/scailabs.scaivault.scaivault and group/scailabs.scaivault.asm reach the modules.

The environment carries no SCAIVAULT_* setting, so the connection can only come from the defaults;
a task outside any module_defaults fails, which shows that nothing else connected the others. With
both groups set side by side, a ScaiVault-only and an ASM-only module each get only the options they
take (a module in the wrong group would fail on an unsupported parameter). The README's own example is
run verbatim by test_readme.py.
"""

from __future__ import annotations

import json

from integration.secret_helpers import Vault

PATH = "environments/production/defaults/check"

PLAY = """
- name: group/scailabs.scaivault.scaivault
  hosts: localhost
  gather_facts: false
  module_defaults:
    group/scailabs.scaivault.scaivault:
      url: "{{ sv_url }}"
      token: "{{ sv_token }}"
  tasks:
    - name: write through the service group
      scailabs.scaivault.scaivault_secret:
        path: "{{ path }}"
        data: {value: "{{ value }}"}
        metadata: {owner: "team:platform"}
      register: w1
    - name: read metadata through the service group
      scailabs.scaivault.scaivault_secret_info:
        path: "{{ path }}"
      register: i1

- name: both groups side by side, and an option default beyond the connection
  hosts: localhost
  gather_facts: false
  module_defaults:
    group/scailabs.scaivault.scaivault:
      url: "{{ sv_url }}"
      token: "{{ sv_token }}"
    group/scailabs.scaivault.asm:
      aws_region: us-east-1
      aws_max_attempts: 2
    scailabs.scaivault.scaivault_secret:
      purge_tags: false
  tasks:
    - name: same write with both groups set is idempotent
      scailabs.scaivault.scaivault_secret:
        path: "{{ path }}"
        data: {value: "{{ value }}"}
        metadata: {owner: "team:platform", tags: [added]}
      register: w2
    - name: read metadata with both groups set
      scailabs.scaivault.scaivault_secret_info:
        paths: ["{{ path }}"]
      register: i2
    - name: an ASM-only module gets the asm group (an amazon.aws alias included), not url or token
      scailabs.scaivault.asm_inventory:
        prefixes: [defaults/]
      register: a2

- name: no module_defaults
  hosts: localhost
  gather_facts: false
  tasks:
    - name: without defaults there is no connection
      scailabs.scaivault.scaivault_secret_info:
        path: "{{ path }}"
      register: i3
      ignore_errors: true
    - name: check
      ansible.builtin.assert:
        that:
          - w1 is changed and w1.version == 1
          - i1.exists and i1.secret.metadata.owner == 'team:platform'
          - w2 is changed and w2.changed_fields == ['metadata.tags'] and w2.version == 2
          - i2.count == 1 and i2.secrets[0].metadata.tags == ['added']
          - a2.region == 'us-east-1' and a2.summary.total == 0
          - i3 is failed and 'no ScaiVault URL' in i3.msg
"""


def test_module_defaults_groups(playbook, dev_server, scaivault_http):
    env = {k: v for k, v in dev_server.env.items() if not k.startswith("SCAIVAULT_")}
    res = playbook(PLAY, env=env, extra_vars={"sv_url": dev_server.scaivault_url, "sv_token": dev_server.token,
                                              "path": PATH, "value": "module-defaults-value"})
    res.assert_ok()
    stored = Vault(scaivault_http, dev_server).meta(PATH)
    assert stored["version"] == 2 and stored["metadata"] == {"owner": "team:platform", "tags": ["added"]}


REPORT_PLAY = """
- name: group/scailabs.scaivault.reports sets the report options of every report task
  hosts: localhost
  gather_facts: false
  module_defaults:
    group/scailabs.scaivault.reports:
      mode: "0640"
  tasks:
    - name: a report without its own mode
      scailabs.scaivault.scaivault_report:
        files:
          - dest: "{{ report_dir }}/grouped.json"
            json: {region: us-east-1}
    - name: an explicit mode wins
      scailabs.scaivault.scaivault_report:
        files:
          - dest: "{{ report_dir }}/own.json"
            json: {region: us-east-1}
        mode: "0600"
"""


def test_reports_group_reaches_the_report_action(playbook, dev_server, tmp_path):
    playbook(REPORT_PLAY, env=dev_server.env, extra_vars={"report_dir": str(tmp_path)}).assert_ok()
    assert (tmp_path / "grouped.json").stat().st_mode & 0o777 == 0o640
    assert (tmp_path / "own.json").stat().st_mode & 0o777 == 0o600
    assert json.loads((tmp_path / "grouped.json").read_text()) == {"region": "us-east-1"}
