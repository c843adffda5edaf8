#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: asm_run_lock
short_description: Hold or release the runbook's lock on one AWS Secrets Manager region
version_added: 0.2.0
author:
  - ScaiLabs platform engineering (@scailabs)
description:
  - Keeps two jobs (two AWX jobs, a job and a person at a terminal) from working on the same ASM region at the same
    time - two migrations would both write a ScaiVault version of a secret that changed, and a migration running
    beside a rollback would undo part of it.
  - The lock is an ASM secret without a value, O(name), in the region. C(CreateSecret) is atomic - of two jobs that
    try at once, exactly one creates it - so the lock lives where every job can see it, not on a node's disk.
    Who holds it (holder, label, since) is in its tags under C(scaivault:lock:) and in its description.
  - O(state=present) takes the lock, or, when another run holds it, waits up to O(wait_timeout) seconds and then
    fails with a message naming the other run and how to clear the lock if that run is gone.
  - O(state=absent) releases the lock held by O(holder) (C(DeleteSecret) without recovery, so the name is free at
    once). A lock held by another holder is left alone, with a warning.
  - Taking or releasing the lock is not reported as a change - it is transient, and a re-run that changes nothing
    else reports C(changed=false).
  - Never reads or writes a secret value.
extends_documentation_fragment:
  - scailabs.scaivault.aws
  - scailabs.scaivault.attributes.asm_group
options:
  name:
    description:
      - The lock's ASM secret name. Keep it outside the prefixes you migrate.
    type: str
    default: scaivault-runbook-lock
  state:
    description:
      - V(present) takes the lock; V(absent) releases it.
    type: str
    choices: [present, absent]
    default: present
  holder:
    description:
      - Who takes or releases the lock. With O(state=present) a random one is made when not given (RV(holder));
        with O(state=absent) it is required - give the RV(holder) of the task that took the lock.
    type: str
  label:
    description:
      - What the holder is, for the message another run shows, for example C(migrate.yml awx-job-42).
    type: str
    default: ""
  wait_timeout:
    description:
      - Seconds to wait for another run's lock to be released before failing. V(0) fails at once.
    type: int
    default: 0
  break_holder:
    description:
      - Remove the lock first when exactly this holder holds it - for a lock left behind by a run that is gone
        (a killed job). Naming the holder keeps a run that is still going from losing its lock by mistake.
    type: str
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details:
      - Check mode takes no lock; it warns when another run holds one.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
seealso:
  - module: scailabs.scaivault.asm_migrate
"""

EXAMPLES = r"""
- name: Hold the runbook lock of this region
  scailabs.scaivault.asm_run_lock:
    region: us-east-1
    label: migrate.yml
  register: lock

- name: Release it
  scailabs.scaivault.asm_run_lock:
    region: us-east-1
    state: absent
    holder: "{{ lock.holder }}"
"""

RETURN = r"""
changed:
  description: Always false - the lock is transient.
  returned: always
  type: bool
holder:
  description: The holder this task took or released the lock as.
  returned: always
  type: str
  sample: awx@node-3:7f3a9c01
acquired:
  description: Whether this task holds the lock now (O(state=present)); in check mode, whether it is free.
  returned: always
  type: bool
lock:
  description: The lock as found - C(holder), C(label), C(since) - before this task took or released it; empty when free.
  returned: always
  type: dict
  sample: {"holder": "awx@node-1:11aa22bb", "label": "migrate.yml awx-job-41", "since": "2026-12-01T18:00:00Z"}
api_calls:
  description: ASM API calls this run made, per operation.
  returned: always
  type: dict
"""

import getpass
import re
import secrets
import socket
import time

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.errors import AsmError
from ansible_collections.scailabs.scaivault.plugins.module_utils._module_base import run_module
from ansible_collections.scailabs.scaivault.plugins.module_utils._plan.records import now_tag
from ansible_collections.scailabs.scaivault.plugins.module_utils._run.run_lock import LOCK_TAGS, read_lock

POLL_SECONDS = 5
_UNSAFE = re.compile(r"[^\w.:/=+\-@ ]")


def argument_spec():
    return dict(
        name=dict(type="str", default="scaivault-runbook-lock"),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        holder=dict(type="str"),
        label=dict(type="str", default=""),
        wait_timeout=dict(type="int", default=0),
        break_holder=dict(type="str"),
    )


def safe(text):
    """Text ASM accepts as a tag value (letters, digits, spaces, _ . : / = + - @), at most 256 characters."""
    return _UNSAFE.sub("_", text or "")[:256]


def new_holder():
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return safe("%s@%s:%s" % (user, socket.gethostname(), secrets.token_hex(4)))


def held_message(params, region, lock):
    name = params["name"]
    return ("ASM region %s is locked by another run: holder %s (%s) since %s. Another job is migrating, cleaning up "
            "or rolling back this region; run again when it has finished (or set wait_timeout). If that run is gone "
            "(a killed job), clear its lock: break_holder=%s (in the playbooks: -e scaivault_lock_break=%s), or "
            "aws secretsmanager delete-secret --region %s --secret-id %s --force-delete-without-recovery"
            % (region, lock.get("holder") or "?", lock.get("label") or "no label", lock.get("since") or "?",
               lock.get("holder"), lock.get("holder"), region, name))


def acquire(module, holder):
    """Take the lock; returns (acquired, lock as found)."""
    asm, params = module.asm, module.params
    name = params["name"]
    deadline = time.time() + max(params["wait_timeout"], 0)
    tags = {LOCK_TAGS["holder"]: holder, LOCK_TAGS["label"]: safe(params["label"]), LOCK_TAGS["since"]: now_tag()}
    description = "Held by %s (%s) since %s; see scailabs.scaivault.asm_run_lock" % (
        holder, tags[LOCK_TAGS["label"]] or "no label", tags[LOCK_TAGS["since"]])
    while True:
        lock = read_lock(asm, name)
        if lock.get("holder") == holder and not lock["pending_deletion"]:
            return True, lock
        if module.check_mode:
            if lock and not lock["pending_deletion"]:
                module.warn(held_message(params, module.params["region"], lock))
            return not lock, lock
        if lock and (lock["pending_deletion"] or (params["break_holder"] and lock["holder"] == params["break_holder"])):
            # A released-with-recovery lock, or the named stale holder: free the name at once.
            asm.delete(name, force=True)
            lock = {}
        if not lock:
            try:
                asm.create_empty(name, description, tags)
                return True, {}
            except AsmError as exc:
                if exc.code != "ResourceExistsException":
                    raise
                lock = read_lock(asm, name)  # another run created it first
                if lock.get("holder") == holder:
                    return True, {}
        if time.time() >= deadline:
            module.fail(held_message(params, module.params["region"], lock), holder=holder, acquired=False, lock=lock,
                        api_calls=module.api_calls())
        time.sleep(POLL_SECONDS)


def release(module, holder):
    asm, name = module.asm, module.params["name"]
    lock = read_lock(asm, name)
    if not lock:
        return lock
    if lock["holder"] != holder:
        module.warn("lock %s in %s is held by %s, not %s: left alone" % (name, module.params["region"],
                                                                         lock["holder"], holder))
        return lock
    if not module.check_mode:
        asm.delete(name, force=True)
    return lock


def run(module):
    params = module.params
    try:
        if params["state"] == "absent":
            if not params["holder"]:
                module.fail("asm_run_lock state=absent needs holder: the holder returned when the lock was taken")
            lock = release(module, params["holder"])
            return dict(changed=False, holder=params["holder"], acquired=False, lock=lock, api_calls=module.api_calls())
        holder = safe(params["holder"]) if params["holder"] else new_holder()
        acquired, lock = acquire(module, holder)
    except AsmError as exc:
        module.fail_from(exc, "the run lock %s" % params["name"], api_calls=module.api_calls())
    return dict(changed=False, holder=holder, acquired=acquired, lock=lock, api_calls=module.api_calls())


def main():
    run_module(run, argument_spec(), scaivault=False, asm=True)


if __name__ == "__main__":
    main()
