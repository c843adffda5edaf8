# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""asm_cleanup's guards (_plan/cleanup.py): deletion state, federation mapping read backwards, refusals."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import time

import pytest

from ansible_collections.scailabs.scaivault.plugins.module_utils._plan.audit import AuditSummary
from ansible_collections.scailabs.scaivault.plugins.module_utils._plan.cleanup import (
    ABSENT, PRESENT, SCHEDULED, audit_reason, cleanup_action, deletion_state, federated_path, federations_of, iso_date,
    planned_deletion_date, references_reason, refusal, replica_reason, rotation_reason, sync_reason, target_reason)

ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/billing/stripe-AbCdEf"
SYNC = {"id": "fed_1", "name": "aws-us-east-1", "type": "aws-secrets-manager", "mode": "sync",
        "config": {"region": "us-east-1"}, "path_mapping": {"external/aws/**": "prod/**"}}
PROXY = dict(SYNC, id="fed_2", name="aws-proxy", mode="proxy", path_mapping={"proxied/*/db": "prod/*/db"})
OTHER_REGION = dict(SYNC, id="fed_3", name="aws-eu", config={"region": "eu-west-1"})
VAULT = dict(SYNC, id="fed_4", type="hashicorp-vault")


def test_deletion_state():
    assert deletion_state(None) == (ABSENT, None)
    assert deletion_state({"Name": "x"}) == (PRESENT, None)
    when = datetime.datetime(2026, 4, 1, 0, 0, tzinfo=datetime.timezone.utc)
    assert deletion_state({"Name": "x", "DeletedDate": when}) == (SCHEDULED, "2026-04-01T00:00:00Z")


def test_planned_deletion_date():
    now = datetime.datetime(2026, 3, 1, 12, 0, tzinfo=datetime.timezone.utc)
    assert planned_deletion_date(now, 7) == "2026-03-08T12:00:00Z"


class TestFederation:
    def test_mapping_read_backwards(self):
        assert federated_path(SYNC, "prod/billing/stripe") == ("external/aws/billing/stripe", None)
        assert federated_path(SYNC, "dev/x") == (None, None)
        assert federated_path(PROXY, "prod/orders/db") == ("proxied/orders/db", None)

    def test_unreadable_mapping_is_a_problem_not_a_silent_pass(self):
        path, problem = federated_path(dict(SYNC, path_mapping={"a/**/b/**": "x/**"}), "x/y")
        assert path is None and "cannot be read" in problem

    def test_only_asm_backends_of_the_region(self):
        found = federations_of([SYNC, PROXY, OTHER_REGION, VAULT], "prod/orders/db", "us-east-1")
        assert [(fed["name"], fed["mode"], fed["path"]) for fed in found] == [
            ("aws-us-east-1", "sync", "external/aws/orders/db"), ("aws-proxy", "proxy", "proxied/orders/db")]

    def test_backend_without_region_counts_everywhere(self):
        backend = dict(SYNC, config={})
        assert federations_of([backend], "prod/a", "eu-west-1")[0]["path"] == "external/aws/a"


class TestGuards:
    def test_replica(self):
        assert replica_reason({"PrimaryRegion": "eu-west-1"}, "us-east-1")[0] == "replica"
        assert replica_reason({"PrimaryRegion": "us-east-1"}, "us-east-1") is None
        assert replica_reason({}, "us-east-1") is None
        reason = replica_reason({"ReplicationStatus": [{"Region": "eu-west-1", "Status": "InSync"}]}, "us-east-1")
        assert reason[0] == "replica" and "still replicates to eu-west-1" in reason[1]
        assert "RemoveRegionsFromReplication" in reason[1]

    def test_rotation(self):
        guard, text = rotation_reason({"RotationEnabled": True, "RotationLambdaARN": "arn:aws:lambda:x:fn"})
        assert guard == "rotation" and "arn:aws:lambda:x:fn" in text and "disable it first" in text
        assert rotation_reason({"RotationEnabled": False}) is None
        assert rotation_reason({}) is None

    def test_sync_backend_unless_allowed(self):
        feds = federations_of([SYNC, PROXY], "prod/orders/db", "us-east-1")
        guard, text = sync_reason(feds, False)
        assert guard == "sync" and "aws-us-east-1 (external/aws/orders/db)" in text and "allow_sync_backend" in text
        assert "aws-proxy" not in text
        assert sync_reason(feds, True) is None
        assert sync_reason(federations_of([PROXY], "prod/orders/db", "us-east-1"), False) is None

    def test_audit(self):
        summary = AuditSummary(paths=["a", "b"], exclude_identities=["sa:me"])
        summary.add({"id": 1, "secret_path": "b", "identity_id": "sa:app", "action": "read",
                     "timestamp": "2026-02-01T00:00:00.000000Z"})
        summary.add({"id": 2, "secret_path": "a", "identity_id": "sa:me", "action": "read"})
        guard, text = audit_reason(summary.per_path(), ["a", "b"], "14d")
        assert guard == "audit" and "b: 1 read(s) by sa:app (1)" in text and "14d" in text and "(a: " not in text and "; a: " not in text
        assert audit_reason(summary.per_path(), ["a"], "14d") is None


class TestTarget:
    def test_unknown_and_missing(self):
        assert target_reason(None, "no mapping rules", None, None)[1] == "no ScaiVault target path: no mapping rules"
        guard, text = target_reason("env/a", None, None, {"k": "v"})
        assert guard == "target" and "env/a does not exist" in text

    def test_equal_structurally(self):
        target = {"data": {"b": 1, "a": [1, 2]}, "version": 2}
        assert target_reason("env/a", None, target, {"a": [1, 2], "b": 1}) is None

    def test_difference_names_keys_never_values(self):
        target = {"data": {"user": "u", "password": "old-secret", "extra": "zz"}, "version": 3}
        guard, text = target_reason("env/a", None, target, {"user": "u", "password": "new-secret", "host": "h"})
        assert guard == "target"
        assert "keys missing in ScaiVault: host" in text and "keys only in ScaiVault: extra" in text
        assert "values differ for keys: password" in text and "version 3" in text
        for value in ("old-secret", "new-secret", "zz", "'h'"):
            assert value not in text

    def test_true_and_one_differ(self):
        assert target_reason("p", None, {"data": {"a": True}}, {"a": 1}) is not None

    def test_rotated_target_accepted_only_with_matching_provenance(self):
        meta = {"source": {"system": "aws-secrets-manager", "arn": ARN, "version_id": "v1", "format": "json"}}
        target = {"data": {"a": "rotated"}, "metadata": meta, "version": 4}
        assert target_reason("p", None, target, {"a": "old"}, arn=ARN, asm_version_id="v1") is not None
        assert target_reason("p", None, target, {"a": "old"}, arn=ARN, asm_version_id="v1", allow_rotated_target=True) is None
        assert target_reason("p", None, target, {"a": "old"}, arn=ARN, asm_version_id="v2",
                             allow_rotated_target=True) is not None
        assert target_reason("p", None, dict(target, metadata={}), {"a": "old"}, arn=ARN, asm_version_id="v1",
                             allow_rotated_target=True) is not None


def test_refusal_collects_every_fired_guard():
    verdict = refusal([None, ("rotation", "r"), None, ("audit", "a")])
    assert verdict == {"guards": ["rotation", "audit"], "reasons": ["r", "a"]}
    assert refusal([None]) == {"guards": [], "reasons": []}


@pytest.mark.parametrize("state, wanted, force, action", [
    (PRESENT, "absent", False, "delete"), (PRESENT, "absent", True, "force_delete"), (SCHEDULED, "absent", False, None),
    (SCHEDULED, "absent", True, None), (ABSENT, "absent", False, None), (SCHEDULED, "restored", False, "restore"),
    (PRESENT, "restored", False, None), (ABSENT, "restored", False, "missing")])
def test_cleanup_action(state, wanted, force, action):
    assert cleanup_action(state, wanted, force) == action


def test_references_reason_names_files_and_lines_and_the_fix():
    assert references_reason([]) is None
    hits = [{"file": "deploy/site.yml", "line": 9, "kind": "ansible_lookup"},
            {"file": "app/billing.py", "line": 7, "kind": "boto3_get_secret_value"},
            {"file": "deploy/site.yml", "line": 30, "kind": "plain"}]
    guard, text = references_reason(hits, "environments/production/billing/stripe")
    assert guard == "references"
    assert text.startswith("still referenced 3 time(s) in 2 file(s) of the scanned trees: deploy/site.yml:9 "
                           "(ansible_lookup), app/billing.py:7 (boto3_get_secret_value), deploy/site.yml:30 (plain)")
    assert "repoint those consumers to environments/production/billing/stripe" in text


# -- dates are written in UTC ---------------------------------------------------------------------
def test_iso_date_writes_utc_whatever_the_zone_of_the_date_or_the_machine(monkeypatch):
    monkeypatch.setenv("TZ", "JST-9")
    time.tzset()
    try:
        tokyo = datetime.timezone(datetime.timedelta(hours=9))
        assert iso_date(datetime.datetime(2026, 4, 1, 9, 30, tzinfo=tokyo)) == "2026-04-01T00:30:00Z"
        assert iso_date(datetime.datetime(2026, 4, 1, 9, 30)) == "2026-04-01T09:30:00Z"  # naive = UTC (boto3)
    finally:
        monkeypatch.undo()
        time.tzset()
    assert iso_date("2026-04-01T00:00:00Z") == "2026-04-01T00:00:00Z"
    assert iso_date(None) is None


# -- every refusal names the cause and the fix, word for word -------------------------------------
def test_a_replica_refusal_names_the_primary_or_the_replica_regions():
    assert replica_reason({"PrimaryRegion": "eu-west-1"}, "us-east-1") == (
        "replica", "it is a replica of the secret in eu-west-1: remove this region from the primary's replication "
                   "(or retire the secret at the primary once its replicas are gone)")
    status = [{"Region": "us-west-2"}, {"Region": "eu-west-1"}, {"Status": "Failed"}]
    assert replica_reason({"ReplicationStatus": status}, "us-east-1") == (
        "replica", "it still replicates to eu-west-1, us-west-2: ASM refuses to delete a primary with replicas; remove "
                   "the replica regions first (RemoveRegionsFromReplication), then re-run")


def test_a_rotation_refusal_names_the_lambda_when_there_is_one():
    fix = ": disable it first (for example scailabs.scaivault.asm_rotation with state=disabled), and move the " \
          "rotation to a ScaiVault rotation policy"
    assert rotation_reason({"RotationEnabled": True, "RotationLambdaARN": "arn:aws:lambda:x:fn"}) == (
        "rotation", "ASM rotation is still enabled (Lambda arn:aws:lambda:x:fn)" + fix)
    assert rotation_reason({"RotationEnabled": True}) == ("rotation", "ASM rotation is still enabled" + fix)


def test_a_sync_refusal_names_each_backend_by_name_or_id_with_its_path_or_problem():
    federations = [{"id": "fed_1", "name": "aws-east", "mode": "sync", "path": "external/aws/a", "problem": None},
                   {"id": "fed_9", "name": None, "mode": "sync", "path": None, "problem": "its path_mapping is odd"},
                   {"id": "fed_2", "name": "aws-proxy", "mode": "proxy", "path": "proxied/a", "problem": None}]
    assert sync_reason(federations, False) == (
        "sync", "sync-mode federation backend aws-east (external/aws/a), fed_9 (its path_mapping is odd) still maps "
                "it (rotation option B depends on ASM): move the secret to option A or narrow the backend's "
                "path_mapping first, or set allow_sync_backend=true to delete it anyway")


def test_an_audit_refusal_lists_each_path_read_and_the_fix():
    summary = AuditSummary(paths=["a", "b"], exclude_identities=[])
    summary.add({"id": 1, "secret_path": "b", "identity_id": "sa:app", "action": "read",
                 "timestamp": "2026-02-01T00:00:00Z"})
    summary.add({"id": 2, "secret_path": "a", "identity_id": "sa:web", "action": "read",
                 "timestamp": "2026-02-02T00:00:00Z"})
    assert audit_reason(summary.per_path(), ["b", "a", "b"], "14d") == (
        "audit", "ScaiVault audit shows reads by identities other than the migration's within the quiet window of "
                 "14d (a: 1 read(s) by sa:web (1), last at 2026-02-02T00:00:00Z; b: 1 read(s) by sa:app (1), last at "
                 "2026-02-01T00:00:00Z): repoint those consumers to the "
                 "canonical path and wait until the window is quiet, or add the identity to exclude_identities if it "
                 "is yours")


def test_a_references_refusal_without_a_target_path_says_the_scaivault_path():
    guard, text = references_reason([{"file": "f.yml", "line": 1, "kind": "plain"}])
    assert text == ("still referenced 1 time(s) in 1 file(s) of the scanned trees: f.yml:1 (plain): repoint those "
                    "consumers to the ScaiVault path (scailabs.scaivault.asm_reference_scan suggests a patch for "
                    "Ansible lookups and tasks) and re-run, or exclude a file that is no consumer (references.exclude)")


def test_a_target_refusal_names_the_path_the_version_and_the_keys_word_for_word():
    assert target_reason(None, None, None, None) == (
        "target", "no ScaiVault target path: add a mapping rule or a paths entry for it")
    assert target_reason("env/a", None, None, {"k": "v"}) == (
        "target", "its ScaiVault target env/a does not exist: migrate it first (scailabs.scaivault.asm_migrate)")
    target = {"data": {"user": "u", "password": "old", "extra": "x", "zone": "z"}, "version": 3}
    asm = {"user": "u", "password": "new", "host": "h", "port": 1, "zone": "y"}
    assert target_reason("env/a", None, target, asm) == (
        "target", "its ScaiVault target env/a (version 3) differs from the current ASM value (keys missing in "
                  "ScaiVault: host, port; keys only in ScaiVault: extra; values differ for keys: password, zone): "
                  "migrate it again, or set allow_rotated_target=true if ScaiVault rotated it after the migration")


@pytest.mark.parametrize("target_data, asm_data, difference", [
    (None, {"k": "v"}, "the data shapes differ"),
    ({"k": "v"}, "text", "the data shapes differ"),
    ({"k": "v"}, {"k": "w"}, "values differ for keys: k"),
])
def test_a_target_difference_is_told_by_shape_or_by_key(target_data, asm_data, difference):
    _guard, text = target_reason("p", None, {"data": target_data, "version": 1}, asm_data)
    assert "differs from the current ASM value (%s): migrate" % difference in text


def test_cleanup_deletes_without_force_by_default():
    assert cleanup_action(PRESENT, "absent") == "delete"
