# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""scaivault_policy(_info, _test), scaivault_subscription(_events), rotate_now and scaivault_audit_evidence on live servers.

Every module's outcome is read back out of band (plain HTTP on the dev server, its export directory), check mode
is shown to write nothing, and outputs are scanned for the values of the secrets involved.
"""

from __future__ import annotations

import json

from integration.leakscan import assert_no_leak
from integration.test_rotation_policy_webhook_audit_cleanup_modules import (  # pylint: disable=unused-import
    four_steps, mint_token, ok, put_secret, run)

POLICY = "scaivault_policy"
POLICY_INFO = "scaivault_policy_info"
POLICY_TEST = "scaivault_policy_test"
SUBSCRIPTION = "scaivault_subscription"
EVENTS = "scaivault_subscription_events"
ROTATION = "scaivault_rotation_policy"
EVIDENCE = "scaivault_audit_evidence"
VALUE = "billing-stripe-key-value-0001"
DB_VALUE = "orders-db-password-value-0002"
NAMESPACES = [
    {"name": "billing", "prefixes": ["prod/billing/"],
     "mapping": [{"match": "prod/billing/**", "path": "environments/production/billing/**"}]},
    {"name": "platform", "prefixes": ["prod/orders/", "prod/payments/"],
     "mapping": [{"match": "prod/**", "path": "environments/production/**"}]},
]
CONSUMERS = [{"identity": "sa:billing-api", "namespaces": ["billing"]},
             {"identity": "sa:orders-api", "namespaces": ["platform", "billing"]}]
STRIPE = "environments/production/billing/stripe"
ORDERS_DB = "environments/production/orders/db"


def stored_policies(http):
    """{name: full policy} as the dev server holds them."""
    found = {}
    for item in http.get("/v1/policies").json()["policies"]:
        found[item["name"]] = http.get("/v1/policies/%s" % item["id"]).json()
    return found


def bound(policy):
    return sorted(item["identity_id"] for item in policy["bindings"])


def read_status(http, token, path):
    return http.get("/v1/secrets/" + path, headers={"Authorization": "Bearer " + token}).status_code


def test_consumer_policies_four_steps_then_denied_before_and_allowed_after(run, scaivault_http):
    put_secret(scaivault_http, STRIPE, {"key": VALUE})
    put_secret(scaivault_http, ORDERS_DB, {"password": DB_VALUE})
    token = mint_token(scaivault_http, "sa:billing-api", ["secrets:read"])
    # Another team's policy: the tenant is policy-checked from now on, and the consumer has no grant yet.
    ok(run(POLICY, {"name": "other-team", "rules": [{"path_pattern": "other/**", "permissions": ["read"]}]}), changed=True)
    assert read_status(scaivault_http, token, STRIPE) == 403
    denied = run(POLICY_TEST, {"consumers": CONSUMERS, "namespaces": NAMESPACES, "fail_on_denied": True})
    assert denied.failed and "sa:billing-api read %s" % STRIPE in denied.result["msg"]
    assert denied.result["allowed"] is False and len(denied.result["results"]) == 3

    args = {"consumers": CONSUMERS, "namespaces": NAMESPACES}

    def nothing_written():
        assert sorted(stored_policies(scaivault_http)) == ["other-team"]

    def granted():
        stored = stored_policies(scaivault_http)
        assert bound(stored["consumers-billing-read"]) == ["sa:billing-api", "sa:orders-api"]
        assert bound(stored["consumers-platform-read"]) == ["sa:orders-api"]
        assert sorted(rule["path_pattern"] for rule in stored["consumers-platform-read"]["rules"]) == [
            "environments/production/orders/**", "environments/production/payments/**"]

    first, last = four_steps(run, POLICY, args, check_state=nothing_written, apply_state=granted)
    assert [item["name"] for item in first["policies"]] == ["consumers-billing-read", "consumers-platform-read"]
    assert first["diff"]["before"]["consumers-billing-read"] == {}
    assert all(not item["changed"] for item in last["policies"])

    allowed = ok(run(POLICY_TEST, {"consumers": CONSUMERS, "namespaces": NAMESPACES, "fail_on_denied": True}))
    assert allowed["allowed"] is True and allowed["empty_patterns"] == ["environments/production/payments/**"]
    assert {(item["identity_id"], item["path"]) for item in allowed["results"]} == {
        ("sa:billing-api", STRIPE), ("sa:orders-api", STRIPE), ("sa:orders-api", ORDERS_DB)}
    assert read_status(scaivault_http, token, STRIPE) == 200  # a real read with the consumer's own token
    assert read_status(scaivault_http, token, ORDERS_DB) == 403  # its grant stops at its namespace

    info = ok(run(POLICY_INFO, {"name": "consumers-platform-read"}), changed=False)
    assert [policy["bindings"] for policy in info["policies"]] == [[{"identity_type": "service_account",
                                                                    "identity_id": "sa:orders-api"}]]
    texts = {"first": json.dumps(first), "last": json.dumps(last), "test": json.dumps(allowed), "info": json.dumps(info)}
    assert_no_leak([VALUE, DB_VALUE], texts=texts)


def test_single_policy_rules_bindings_purge_and_removal(run, scaivault_http):
    args = {"name": "ops", "description": "ops", "rules": [{"path_pattern": "infra/**", "permissions": ["read", "list"]}],
            "bindings": [{"identity_id": "group:ops"}, {"identity_id": "user:alice"}]}
    first, _last = four_steps(run, POLICY, args, apply_state=lambda: None)
    assert first["policy"]["bindings"][0]["identity_type"] == "group"
    # Same rules in another order: no change; a new rule replaces the rules, bindings stay.
    ok(run(POLICY, dict(args, rules=[{"path_pattern": "infra/**", "permissions": ["list", "read", "read"]}])), changed=False)
    changed = ok(run(POLICY, {"name": "ops", "rules": [{"path_pattern": "infra/db/*", "permissions": ["read"]}]}), changed=True)
    assert changed["policies"][0]["changed_fields"] == ["rules"]
    assert bound(stored_policies(scaivault_http)["ops"]) == ["group:ops", "user:alice"]
    purged = ok(run(POLICY, {"name": "ops", "bindings": [{"identity_id": "group:ops"}], "purge_bindings": True},
                    check=True), changed=True)
    assert purged["policies"][0]["bindings_removed"] == ["user:alice"]
    assert bound(stored_policies(scaivault_http)["ops"]) == ["group:ops", "user:alice"]  # check mode wrote nothing
    ok(run(POLICY, {"name": "ops", "bindings": [{"identity_id": "group:ops"}], "purge_bindings": True}), changed=True)
    assert bound(stored_policies(scaivault_http)["ops"]) == ["group:ops"]
    ok(run(POLICY, {"name": "ops", "state": "absent"}), changed=True)
    assert stored_policies(scaivault_http) == {}
    refused = run(POLICY, {"name": "new", "bindings": [{"identity_id": "sa:x"}]})
    assert refused.failed and "access policy new does not exist; to create it, give its rules" in refused.result["msg"]


def events_of(run, **args):
    return ok(run(EVENTS, dict({"subscription": "orders-db-rotation"}, **args)))["events"]


def test_rotation_due_by_polling_is_delivered_until_acknowledged(run, scaivault_http):
    put_secret(scaivault_http, ORDERS_DB, {"password": DB_VALUE})
    args = {"name": "orders-db-rotation", "paths": ["environments/production/orders/**"], "events": ["rotation.due"]}

    def none_yet():
        assert scaivault_http.get("/v1/subscriptions").json()["subscriptions"] == []

    def subscribed():
        [stored] = scaivault_http.get("/v1/subscriptions").json()["subscriptions"]
        assert stored["paths"] == args["paths"] and stored["delivery"]["type"] == "polling"

    # Not created yet: a check-mode plan polls nothing; a real poll fails naming the fix.
    assert ok(run(EVENTS, {"subscription": "orders-db-rotation"}, check=True), changed=False)["events"] == []
    missing = run(EVENTS, {"subscription": "orders-db-rotation"})
    assert missing.failed and "does not exist for this identity" in missing.result["msg"]
    four_steps(run, SUBSCRIPTION, args, check_state=none_yet, apply_state=subscribed)
    policy = {"name": "orders-db", "interval": "30d", "auto_generate": False, "secrets": [ORDERS_DB]}
    ok(run(ROTATION, policy), changed=True)
    planned = ok(run(ROTATION, dict(policy, rotate_now=True), check=True), changed=True)
    assert planned["rotations"] == [{"secret_path": ORDERS_DB, "status": "planned", "old_version": None, "new_version": None}]
    assert events_of(run) == []  # check mode triggered nothing

    rotated = ok(run(ROTATION, dict(policy, rotate_now=True, rotate_paths=[ORDERS_DB])), changed=True)
    assert [(item["secret_path"], item["status"]) for item in rotated["rotations"]] == [(ORDERS_DB, "due")]
    [event] = events_of(run, wait=5)
    assert event["event_type"] == "rotation.due" and event["path"] == ORDERS_DB and event["data"]["due_now"] is True
    assert [item["event_id"] for item in events_of(run)] == [event["event_id"]]  # not acknowledged: delivered again
    ack = {"subscription": "orders-db-rotation", "action": "ack", "event_ids": [event["event_id"]]}
    ok(run(EVENTS, ack, check=True), changed=True)
    assert len(events_of(run)) == 1  # check mode acknowledged nothing
    ok(run(EVENTS, ack), changed=True)
    assert events_of(run) == []
    assert scaivault_http.get("/v1/secrets/" + ORDERS_DB).json()["version"] == 1  # event-driven: the poller writes


def test_rotate_now_with_auto_generate_writes_a_new_version(run, scaivault_http):
    put_secret(scaivault_http, ORDERS_DB, {"password": DB_VALUE})
    policy = {"name": "auto", "interval": "30d", "auto_generate": True, "secrets": [ORDERS_DB], "rotate_now": True}
    result = ok(run(ROTATION, policy), changed=True)
    assert result["rotations"][0]["status"] == "rotated" and result["rotations"][0]["new_version"] == 2
    stored = scaivault_http.get("/v1/secrets/" + ORDERS_DB).json()
    assert stored["version"] == 2 and stored["data"]["password"] != DB_VALUE
    assert_no_leak([DB_VALUE, stored["data"]["password"]], texts={"result": json.dumps(result)})


def test_audit_evidence_summary_and_logs_agree_and_the_export_holds_the_reads(run, scaivault_http, dev_server):
    paths = ["external/aws/us-east-1/billing/stripe", "external/aws/us-east-1/orders/db"]
    for path in paths:
        put_secret(scaivault_http, path, {"value": VALUE})
    token = mint_token(scaivault_http, "sa:legacy-reader", ["secrets:read"])
    for _read in range(3):
        assert read_status(scaivault_http, token, paths[0]) == 200
    scaivault_http.get("/v1/secrets/" + paths[1])  # the caller's own read: excluded by default
    evidence_file = dev_server.state_dir / "evidence" / "us-east-1.json"
    args = {"paths": paths, "since": "1h", "label": "us-east-1", "evidence_file": str(evidence_file),
            "export": {"bucket": "evidence", "prefix": "asm/us-east-1", "wait": 20}}

    planned = ok(run(EVIDENCE, args, check=True), changed=False)
    assert not evidence_file.exists() and planned["export"] == {}
    assert scaivault_http.get("/v1/audit/logs", params={"action": "export_created"}).json()["logs"] == []

    by_summary = ok(run(EVIDENCE, dict(args, method="summary", export=None, evidence_file=None)), changed=False)
    by_logs = ok(run(EVIDENCE, dict(args, method="logs", export=None, evidence_file=None)), changed=False)
    assert by_summary["paths"][paths[0]]["by_identity"] == {"sa:legacy-reader": 3}
    assert by_summary["paths"][paths[1]]["reads"] == 0 and by_summary["paths"][paths[1]]["excluded_reads"] == 1
    for path in paths:
        for key in ("reads", "excluded_reads", "by_identity", "readers"):
            assert by_summary["paths"][path][key] == by_logs["paths"][path][key]
    assert by_summary["requests"]["GET audit"] == 2  # one summary per path
    assert by_logs["requests"]["GET audit"] == 2  # one page per parent folder
    assert by_summary["method"] == "summary" and by_logs["method"] == "logs"

    archived = ok(run(EVIDENCE, args), changed=True)
    assert archived["export"]["status"] == "completed" and archived["method"] == "logs"  # one page for both
    assert archived["requests"]["GET audit"] >= 2  # that page, then the export's status

    saved = json.loads(evidence_file.read_text())
    assert oct(evidence_file.stat().st_mode & 0o777) == "0o600"
    assert saved["paths"][paths[0]]["reads"] == 3 and saved["export"]["status"] == "completed"
    [manifest] = saved["export"]["files"]
    exported = dev_server.data_dir / "audit-exports" / "evidence" / manifest["key"]
    rows = [json.loads(line) for line in exported.read_text().splitlines()]
    assert sorted(row["identity_id"] for row in rows if row["secret_path"] == paths[0]) == ["sa:legacy-reader"] * 3
    assert_no_leak([VALUE], texts={"summary": json.dumps(by_summary), "logs": json.dumps(by_logs),
                                   "archived": json.dumps(archived)},
                   files=[evidence_file, exported])
