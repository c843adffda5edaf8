#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: scaivault_report
short_description: Write report files on the controller
version_added: 0.2.0
author:
  - ScaiLabs platform engineering (@scailabs)
extends_documentation_fragment:
  - scailabs.scaivault.attributes.reports
description:
  - Writes the runbook's report files (JSON data or text such as rendered Markdown) on the Ansible controller, from
    the action plugin, without starting a module process - the roles write several reports per region, and a copy
    or template task per file costs a process per region and file.
  - Each file is written atomically with O(mode), and only when its content changed (an unchanged report keeps its
    mtime). Parent directories are created.
  - Reports are output - writing one is not reported as a change.
  - Put names, paths, versions and counts in reports, never secret values.
options:
  files:
    description:
      - The files, each C(dest) (a path on the controller) and either C(json) (data, rendered with sorted keys and a
        two-space indent) or C(text).
    type: list
    elements: dict
    required: true
  mode:
    description:
      - File mode of every file.
    type: str
    default: "0600"
attributes:
  action:
    description: Indicates this has a corresponding action plugin so some parts of the options can be executed on the controller.
    support: full
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details:
      - Check mode writes nothing.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
"""

EXAMPLES = r"""
- name: Write the reports of this region
  scailabs.scaivault.scaivault_report:
    files:
      - dest: reports/migrate-{{ inventory_hostname }}.json
        json:
          region: us-east-1
          counts: {created: 12, unchanged: 3}
      - dest: reports/migrate-{{ inventory_hostname }}.md
        text: "# Migration of us-east-1\n\n12 created, 3 unchanged.\n"
"""

RETURN = r"""
changed:
  description: Always false - reports are output.
  returned: always
  type: bool
files:
  description: Each file with C(dest) and C(written) (false when its content had not changed, and in check mode).
  returned: always
  type: list
  elements: dict
"""

from ansible_collections.scailabs.scaivault.plugins.module_utils._module_base import run_module


def argument_spec():
    return dict(files=dict(type="list", elements="dict", required=True), mode=dict(type="str", default="0600"))


def run(module):
    module.fail("scaivault_report runs on the controller through its action plugin; call it as "
                "scailabs.scaivault.scaivault_report")


def main():
    run_module(run, argument_spec(), scaivault=False, asm=False)


if __name__ == "__main__":
    main()
