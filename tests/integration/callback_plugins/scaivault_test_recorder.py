# -*- coding: utf-8 -*-
# Copyright: ScaiLabs
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test-only callback: every task result as one JSON line in $SCAIVAULT_TEST_RESULTS_FILE.

Enabled by tests/integration/playbook_runner.py (ANSIBLE_CALLBACK_PLUGINS + ANSIBLE_CALLBACKS_ENABLED)
next to the default stdout callback, so tests get structured results AND the human output to
scan for leaks. It records what every callback sees: results of no_log tasks arrive censored.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: scaivault_test_recorder
type: aggregate
short_description: record task results as JSON lines for the test harness
description:
  - Test-only. Appends one JSON object per task result (and one for the final stats) to the
    file named by the environment variable E(SCAIVAULT_TEST_RESULTS_FILE).
requirements:
  - enabled in callbacks_enabled
"""

import json
import os

from ansible.plugins.callback import CallbackBase


def _payload(result):
    data = getattr(result, "result", None)
    if data is None:
        data = result._result  # ansible-core < 2.19
    return data


def _json_default(value):
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "scaivault_test_recorder"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super(CallbackModule, self).__init__(*args, **kwargs)
        self._path = os.environ.get("SCAIVAULT_TEST_RESULTS_FILE")
        self._play = None
        self._index = 0

    def _write(self, record):
        if not self._path:
            return
        with open(self._path, "a") as handle:
            handle.write(json.dumps(record, default=_json_default, sort_keys=True) + "\n")

    def _record(self, status, result, **extra):
        task = getattr(result, "task", None) or result._task
        host = getattr(result, "host", None) or result._host
        data = _payload(result)
        self._index += 1
        record = {
            "event": "task",
            "index": self._index,
            "play": self._play,
            "task": task.get_name(),
            "action": task.action,
            "register": getattr(task, "register", None),
            "tags": list(getattr(task, "tags", None) or []),
            "host": host.get_name(),
            "status": status,
            "changed": bool(data.get("changed", False)),
            "failed": status in ("failed", "unreachable"),
            "skipped": status == "skipped",
            "msg": data.get("msg"),
            "result": data,
        }
        record.update(extra)
        self._write(record)

    def v2_playbook_on_play_start(self, play):
        self._play = play.get_name()

    def v2_runner_on_ok(self, result, **kwargs):
        self._record("ok", result)

    def v2_runner_on_failed(self, result, ignore_errors=False, **kwargs):
        self._record("failed", result, ignore_errors=bool(ignore_errors))

    def v2_runner_on_skipped(self, result, **kwargs):
        self._record("skipped", result)

    def v2_runner_on_unreachable(self, result, **kwargs):
        self._record("unreachable", result)

    def v2_playbook_on_stats(self, stats):
        summary = {}
        for host in sorted(stats.processed.keys()):
            summary[host] = stats.summarize(host)
        self._write({"event": "stats", "stats": summary})
