# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""scaivault_report: write the runbook's report files on the controller, without a module process.

The reports (JSON and Markdown rendered by the task's own arguments) are written here, in the controller's worker,
atomically and only when their content changed (module_utils/_run/reports.py). One task writes every file of a
phase: at fleet scale a copy or template task per file costs a Python process per region and file.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.errors import PlanError
from ansible_collections.scailabs.scaivault.plugins.module_utils._run.reports import (
    ReportError, parse_mode, render_json, write_text_atomic)


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(("files", "mode"))

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        args = self._task.args
        files = args.get("files") or []
        result.update(changed=False, files=[])
        if not isinstance(files, list) or any(not isinstance(entry, dict) or not entry.get("dest") for entry in files):
            result.update(failed=True, msg="scaivault_report: files must be a list of {dest, json or text}")
            return result
        try:
            mode = parse_mode(to_text(args.get("mode") or "0600"), "mode")
        except PlanError as exc:
            result.update(failed=True, msg=str(exc))
            return result
        for entry in files:
            if "json" in entry:
                text = render_json(entry["json"])
            else:
                text = to_text(entry.get("text", ""))
                text = text if text.endswith("\n") else text + "\n"
            written = False
            if not self._play_context.check_mode:
                try:
                    written = write_text_atomic(to_text(entry["dest"]), text, mode)
                except ReportError as exc:
                    result.update(failed=True, msg=str(exc))
                    return result
            result["files"].append({"dest": to_text(entry["dest"]), "written": written})
        return result
