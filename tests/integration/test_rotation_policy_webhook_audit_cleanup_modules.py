# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""scaivault_rotation_policy, scaivault_webhook, scaivault_audit_info and asm_cleanup on live servers.

Every module runs the four steps (check, apply, check, apply) and the server state is read back
out of band (plain HTTP on the dev server, boto3 on moto) after each step. asm_cleanup is shown
refusing once per guard, scheduling and restoring a clean secret, and deleting without recovery.
A loopback receiver checks the HMAC of the rotation.due delivery of a module-made webhook.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import http.server
import json
import threading

import pytest
from botocore.exceptions import ClientError

from integration.asm_seed import enable_rotation
from integration.leakscan import assert_no_leak
from integration.secret_helpers import CREATED, attached_path, fast_module_runner, list_of

POLICY = "scaivault_rotation_policy"
WEBHOOK = "scaivault_webhook"
AUDIT = "scaivault_audit_info"
CLEANUP = "asm_cleanup"
REGION = "us-east-1"
HOOK_SECRET = "hmac-signing-secret-for-module-tests-0001"
NEW_HOOK_SECRET = "hmac-signing-secret-for-module-tests-0002"
MAPPING = [{"match": "prod/**", "path": "environments/production/**"}]


def ok(run, changed=None):
    assert not run.failed, json.dumps(run.result, indent=1)[:4000]
    if changed is not None:
        assert run.changed is changed, json.dumps(run.result, indent=1)[:4000]
    return run.result


def four_steps(module, name, args, diff=True, check_state=None, apply_state=None):
    """check (changed, nothing written), apply (changed), check and apply again (not changed)."""
    first = ok(module(name, args, check=True, diff=diff), changed=True)
    if check_state:
        check_state()
    ok(module(name, args, diff=diff), changed=True)
    if apply_state:
        apply_state()
    ok(module(name, args, check=True, diff=diff), changed=False)
    last = ok(module(name, args, diff=diff), changed=False)
    if apply_state:
        apply_state()
    return first, last


@pytest.fixture
def run(clean_servers):
    """run_module in-process (tens of ms a run); the ``module`` fixture runs a real subprocess."""
    return fast_module_runner(clean_servers.env)


class Receiver:
    """Loopback webhook receiver that keeps every (headers, raw body)."""

    def __init__(self):
        self.deliveries = []
        self.arrived = threading.Event()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # pylint: disable=invalid-name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outer.deliveries.append(({k.lower(): v for k, v in self.headers.items()}, body))
                outer.arrived.set()
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = "http://127.0.0.1:%d/rotate" % self.server.server_port

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    rec = Receiver()
    yield rec
    rec.close()


def signature_ok(headers, body, secret):
    expected = "sha256=" + hmac.new(secret.encode(), headers["x-scaivault-timestamp"].encode() + b"." + body,
                                    hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers["x-scaivault-signature"])


def put_secret(http, path, data, **extra):
    answer = http.put("/v1/secrets/" + path, json=dict({"data": data}, **extra))
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


def mint_token(http, identity_id, scopes):
    token = "skt_modules_" + identity_id.replace(":", "_")
    answer = http.post("/_dev/tokens", json={"token": token, "identity_id": identity_id, "scopes": scopes})
    assert answer.status_code in (200, 201), answer.text
    return token


def read_as(http, token, path):
    answer = http.get("/v1/secrets/" + path, headers={"Authorization": "Bearer " + token})
    assert answer.status_code == 200, answer.text


# -- scaivault_webhook ----------------------------------------------------------------------------
def webhooks(http):
    return {hook["name"]: hook for hook in http.get("/v1/webhooks").json()["webhooks"]}


def test_webhook_four_steps_update_secret_and_removal(run, scaivault_http, receiver):
    args = {"name": "rotation-runner", "webhook_url": receiver.url, "events": ["rotation.due", "rotation.overdue"],
            "filters": {"path_prefix": "environments/", "tags": ["b", "a"]}, "secret": HOOK_SECRET}

    def absent():
        assert webhooks(scaivault_http) == {}

    def present():
        hook = webhooks(scaivault_http)["rotation-runner"]
        assert hook["url"] == receiver.url and sorted(hook["events"]) == ["rotation.due", "rotation.overdue"]
        assert hook["filters"] == {"path_prefix": "environments/", "tags": ["a", "b"]} and hook["enabled"] is True

    first, last = four_steps(run, WEBHOOK, args, check_state=absent, apply_state=present)
    assert first["secret_sent"] is True and "id" not in first["webhook"]
    assert last["secret_sent"] is False and last["webhook"]["id"].startswith("wh_")
    assert_no_leak([HOOK_SECRET], texts={"first": json.dumps(first), "last": json.dumps(last)})

    # Same events in another order, unset options: still no change.
    ok(run(WEBHOOK, {"name": "rotation-runner", "events": ["rotation.overdue", "rotation.due"]}), changed=False)
    # Disable, then rotate the secret once with update_secret=always (always a change).
    ok(run(WEBHOOK, {"name": "rotation-runner", "enabled": False}, diff=True), changed=True)
    assert webhooks(scaivault_http)["rotation-runner"]["enabled"] is False
    rotate = {"name": "rotation-runner", "secret": NEW_HOOK_SECRET, "update_secret": "always", "enabled": True}
    checked = ok(run(WEBHOOK, rotate, check=True, diff=True), changed=True)
    assert checked["changed_fields"] == ["enabled", "secret"]
    assert NEW_HOOK_SECRET not in json.dumps(checked) and checked["diff"]["after"]["secret"] == "(new secret sent)"
    hook_id = webhooks(scaivault_http)["rotation-runner"]["id"]
    ok(run(WEBHOOK, rotate), changed=True)
    ok(run(WEBHOOK, rotate), changed=True)
    answer = scaivault_http.post("/v1/webhooks/%s/test" % hook_id).json()
    assert answer["status"] == "success"
    headers, body = receiver.deliveries[-1]
    assert signature_ok(headers, body, NEW_HOOK_SECRET) and not signature_ok(headers, body, HOOK_SECRET)

    gone = {"name": "rotation-runner", "state": "absent"}
    four_steps(run, WEBHOOK, gone, apply_state=absent)


def test_webhook_creation_needs_url_events_and_secret(module):
    run = module(WEBHOOK, {"name": "incomplete", "events": ["rotation.due"]})
    assert run.failed and "webhook incomplete does not exist; to create it, set webhook_url, secret" in run.result["msg"]


# -- scaivault_rotation_policy --------------------------------------------------------------------
def policies(http):
    return {policy["name"]: policy for policy in http.get("/v1/rotation/policies").json()["data"]}


def attached(http, policy_id):
    return sorted(attached_path(item) for item in list_of(http.get("/v1/rotation/policies/%s/secrets" % policy_id).json()))


def test_rotation_policy_four_steps_attach_purge_disable_delete(run, scaivault_http):
    hook = scaivault_http.post("/v1/webhooks", json={"name": "runner", "url": "https://runner.example.com/x",
                                                     "secret": HOOK_SECRET, "events": ["rotation.due"]}).json()
    for path in ("environments/production/db", "environments/production/api", "environments/production/old"):
        put_secret(scaivault_http, path, {"password": "p4ssword-for-" + path.rsplit("/", 1)[1]})
    args = {"name": "quarterly", "description": "migrated from ASM", "interval": "2160h", "grace_period": "2d",
            "warn_before": ["1d", "7d"], "auto_generate": False, "webhook_ids": ["runner"],
            "secrets": ["environments/production/db", "environments/production/api"]}

    def absent():
        assert policies(scaivault_http) == {}

    def present():
        policy = policies(scaivault_http)["quarterly"]
        assert policy["interval_seconds"] == 90 * 86400 and policy["interval"] == "90d"
        assert policy["grace_period"] == "2d" and policy["warn_before"] == "7d,1d"
        assert policy["webhook_ids"] == [hook["id"]] and policy["is_active"] is True
        assert attached(scaivault_http, policy["id"]) == ["environments/production/api", "environments/production/db"]

    first, last = four_steps(run, POLICY, args, check_state=absent, apply_state=present)
    assert first["attached"] == ["environments/production/api", "environments/production/db"]
    assert first["policy"]["interval"] == "90d" and first["diff"]["before"] == {}
    assert last["secrets"] == ["environments/production/api", "environments/production/db"] and last["attached"] == []
    policy_id = policies(scaivault_http)["quarterly"]["id"]

    # The same durations written another way, the webhook by id: no change.
    same = dict(args, interval="90d", grace_period="48h", warn_before="168h,24h", webhook_ids=[hook["id"]])
    ok(run(POLICY, same), changed=False)
    ok(run(POLICY, dict(args, grace_period="48h")), changed=False)

    # Attach one more without purge: the others stay. Explicit detach.
    ok(run(POLICY, {"name": "quarterly", "secrets": ["environments/production/old"]}), changed=True)
    assert len(attached(scaivault_http, policy_id)) == 3
    ok(run(POLICY, {"name": "quarterly", "detach": ["environments/production/api", "environments/production/none"]}),
       changed=True)
    assert attached(scaivault_http, policy_id) == ["environments/production/db", "environments/production/old"]

    # Purge down to one, disabling at the same time: the four steps again.
    purge = {"name": "quarterly", "secrets": ["environments/production/db"], "purge_secrets": True, "enabled": False}

    def purged():
        assert attached(scaivault_http, policy_id) == ["environments/production/db"]
        assert policies(scaivault_http)["quarterly"]["is_active"] is False

    first, _last = four_steps(run, POLICY, purge, apply_state=purged)
    assert first["detached"] == ["environments/production/old"] and first["changed_fields"] == ["enabled"]
    assert first["diff"]["before"]["enabled"] is True and first["diff"]["after"]["enabled"] is False
    assert "p4ssword" not in json.dumps(first)

    def deleted():
        assert policies(scaivault_http) == {}
        assert scaivault_http.get("/v1/secrets/environments/production/db").json()["rotation_policy_id"] is None

    first, _last = four_steps(run, POLICY, {"name": "quarterly", "state": "absent"}, apply_state=deleted)
    assert first["detached"] == ["environments/production/db"]


@pytest.mark.parametrize("args, message", [
    ({"name": "p"}, "rotation policy p: interval is required to create the policy"),
    ({"name": "p", "interval": "ninety days"}, "rotation policy p: interval: invalid duration 'ninety days'"),
    ({"name": "p", "interval": "1d", "webhook_ids": ["nope"]}, "webhook_ids: no webhook has the name or id nope"),
    ({"name": "p", "interval": "1d", "secrets": ["environments/none"]}, "cannot attach environments/none"),
    ({"name": "p", "interval": "1d", "secrets": ["a"], "detach": ["a"]}, "a listed in both secrets and detach"),
])
def test_rotation_policy_refuses_with_the_fix(run, scaivault_http, args, message):
    run = run(POLICY, args)
    assert run.failed and message in run.result["msg"], run.result
    assert policies(scaivault_http) == {}


def test_rotation_due_reaches_a_module_made_webhook_with_a_valid_hmac(module, scaivault_http, dev_server, receiver):
    put_secret(scaivault_http, "environments/production/orders/db", {"password": "db-p4ssword-value"})
    ok(module(WEBHOOK, {"name": "db-rotator", "webhook_url": receiver.url, "events": ["rotation.due"],
                        "filters": {"path_prefix": "environments/production/"}, "secret": HOOK_SECRET}), changed=True)
    result = ok(module(POLICY, {"name": "db-monthly", "interval": "30d", "webhook_ids": ["db-rotator"],
                                "secrets": ["environments/production/orders/db"]}), changed=True)
    items = list_of(scaivault_http.get("/v1/rotation/policies/%s/secrets" % result["policy"]["id"]).json())
    due = datetime.datetime.fromisoformat(items[0]["next_rotation_at"].replace("Z", "+00:00"))
    fired = dev_server.dev_call("POST", "/_dev/rotation/tick", {"now": (due + datetime.timedelta(seconds=1)).isoformat(),
                                                                "wait": True})
    assert [event["event_type"] for event in fired["events"]] == ["rotation.due"]
    assert receiver.arrived.wait(10)
    headers, body = receiver.deliveries[0]
    assert signature_ok(headers, body, HOOK_SECRET)
    event = json.loads(body)
    assert headers["x-scaivault-event-type"] == "rotation.due" and headers["x-scaivault-event-id"] == event["event_id"]
    assert event["path"] == "environments/production/orders/db" and event["data"]["due_now"] is True
    assert b"db-p4ssword-value" not in body


# -- scaivault_audit_info -------------------------------------------------------------------------
def test_audit_info_counts_other_readers_and_excludes_the_caller(run, scaivault_http):
    for path in ("external/aws/billing/stripe", "external/aws/billing/stripe-eu", "external/aws/orders/db"):
        put_secret(scaivault_http, path, {"key": "audit-v4lue-" + path.rsplit("/", 1)[1]})
    app = mint_token(scaivault_http, "sa:billing-api", ["secrets:read"])
    for _attempt in range(2):
        read_as(scaivault_http, app, "external/aws/billing/stripe")
    read_as(scaivault_http, app, "external/aws/orders/db")
    scaivault_http.get("/v1/secrets/external/aws/billing/stripe")  # the caller's own read (the migration)
    listing = scaivault_http.post("/v1/secrets/batch/metadata", json={"paths": ["external/aws/billing/stripe-eu"]})
    # A 'list' row where the tenant has the batch-metadata route (the alt contract has none: no row at all).
    list_rows = 1 if listing.status_code == 200 else 0

    exact = ok(run(AUDIT, {"paths": ["external/aws/billing/stripe", "external/aws/billing/stripe-eu"], "since": "1h"},
                   check=True), changed=False)
    stripe = exact["paths"]["external/aws/billing/stripe"]
    assert stripe["reads"] == 2 and stripe["excluded_reads"] == 1 and stripe["readers"] == ["sa:billing-api"]
    assert stripe["last_reader"] == "sa:billing-api" and stripe["last_read"]
    assert exact["paths"]["external/aws/billing/stripe-eu"]["reads"] == 0  # prefix neighbour and 'list' not counted
    assert exact["total_reads"] == 2 and exact["readers"] == ["sa:billing-api"] and exact["queries"] == 1
    assert exact["exclude_identities"] == ["user:dev@scaivault.local"]

    prefix = ok(run(AUDIT, {"path_prefix": "external/aws/", "since": "1h", "exclude_identities": []}))
    assert prefix["paths"]["external/aws/billing/stripe"]["readers"] == ["sa:billing-api", "user:dev@scaivault.local"]
    assert prefix["paths"]["external/aws/orders/db"]["reads"] == 1 and prefix["total_reads"] == 4
    assert prefix["rows_scanned"] >= 4

    paged = ok(run(AUDIT, {"path_prefix": "external/aws/", "since": "1h", "page_size": 1, "exclude_identities": []}))
    assert paged["total_reads"] == 4

    # actions: the batch metadata call is audited as 'list'; counting it too finds the stripe-eu neighbour's row.
    listed = ok(run(AUDIT, {"path": "external/aws/billing/stripe-eu", "since": "1h", "actions": ["read", "list"],
                            "exclude_identities": []}))
    assert listed["total_reads"] == list_rows and listed["readers"] == ["user:dev@scaivault.local"][:list_rows]
    only_list = ok(run(AUDIT, {"path_prefix": "external/aws/", "since": "1h", "actions": ["list"],
                               "exclude_identities": []}))
    assert only_list["total_reads"] == list_rows

    future = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    later = ok(run(AUDIT, {"path": "external/aws/billing/stripe", "since": future, "until": "2099-01-01T00:00:00Z"}))
    assert later["total_reads"] == 0
    assert "audit-v4lue" not in json.dumps([exact, prefix])

    bad = run(AUDIT, {"path_prefix": "x/", "since": "a fortnight"})
    assert bad.failed and "since: 'a fortnight' is neither a duration" in bad.result["msg"]


# -- asm_cleanup ----------------------------------------------------------------------------------
VALUES = {
    "prod/clean/app": '{"user": "app", "password": "clean-v4lue-0001"}',
    "prod/clean/text": "plain-text-v4lue-0002",
    "prod/rotated/db": '{"password": "rotated-v4lue-0003"}',
    "prod/synced/db": '{"password": "synced-v4lue-0004"}',
    "prod/read/app": '{"password": "read-v4lue-0005"}',
    "prod/missing/app": '{"password": "missing-v4lue-0006"}',
    "prod/different/app": '{"password": "different-v4lue-0007", "user": "u"}',
}
BINARY = b"\x00\xffbinary-v4lue-0008"


def target(name):
    return "environments/production/" + name[len("prod/"):]


@pytest.fixture
def estate(clean_servers, scaivault_http, asm_client_factory):
    """ASM secrets in us-east-1 and their ScaiVault targets, one per guard (plus clean ones)."""
    asm = asm_client_factory(REGION)
    for name, value in VALUES.items():
        asm.create_secret(Name=name, SecretString=value)
    asm.create_secret(Name="prod/clean/bin", SecretBinary=BINARY)
    enable_rotation(clean_servers.asm_url, REGION, "prod/rotated/db", 30)
    for name, value in VALUES.items():
        if name == "prod/missing/app":
            continue
        try:
            data = json.loads(value)
            secret_type = "json"
        except ValueError:
            data, secret_type = {"value": value}, "kv"
        if name == "prod/different/app":
            data = dict(data, password="changed-v4lue-0009")
        put_secret(scaivault_http, target(name), data, secret_type=secret_type)
    put_secret(scaivault_http, target("prod/clean/bin"), {"value_base64": base64.b64encode(BINARY).decode()})
    # A consumer still reading the old ASM secret through a proxy backend (external/aws/read/app): the audit guard
    # refuses. A consumer that moved to the canonical path does not hold the deletion back (runbook step 8); the
    # migration's own reads are excluded.
    proxy = scaivault_http.post("/v1/federation/backends", json={
        "name": "aws-us-east-1-proxy", "type": "aws-secrets-manager", "config": {"region": REGION},
        "path_mapping": {"external/aws/read/**": "prod/read/**"}, "mode": "proxy"})
    assert proxy.status_code in CREATED, proxy.text
    read_as(scaivault_http, mint_token(scaivault_http, "sa:legacy-app", ["secrets:read"]), "external/aws/read/app")
    read_as(scaivault_http, mint_token(scaivault_http, "sa:moved-app", ["secrets:read"]), target("prod/clean/text"))
    scaivault_http.get("/v1/secrets/" + target("prod/clean/app"))
    # Option B: a sync backend that maps only prod/synced/**.
    backend = scaivault_http.post("/v1/federation/backends", json={
        "name": "aws-us-east-1-sync", "type": "aws-secrets-manager", "config": {"region": REGION},
        "path_mapping": {"external/aws/synced/**": "prod/synced/**"}, "mode": "sync", "sync_interval": "15m"})
    assert backend.status_code in CREATED, backend.text
    return asm


def described(asm, name):
    try:
        return asm.describe_secret(SecretId=name)
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ResourceNotFoundException":
            return None
        raise


def by_name(result):
    return {entry["name"]: entry for entry in result["secrets"]}


CLEAN = ["prod/clean/app", "prod/clean/bin", "prod/clean/text"]
REFUSED = {"prod/rotated/db": ["rotation"], "prod/synced/db": ["sync"], "prod/read/app": ["audit"],
           "prod/missing/app": ["target"], "prod/different/app": ["target"]}


def test_cleanup_guards_refuse_per_secret_and_the_rest_is_scheduled(run, estate):
    args = {"region": REGION, "prefixes": ["prod/"], "mapping": MAPPING, "recovery_window_days": 7,
            "quiet_window": "14d", "fail_on_refusal": False}

    def nothing_deleted():
        for name in list(VALUES) + ["prod/clean/bin"]:
            assert "DeletedDate" not in described(estate, name), name

    def clean_scheduled():
        now = datetime.datetime.now(datetime.timezone.utc)
        for name in CLEAN:
            deleted = described(estate, name)["DeletedDate"]
            assert datetime.timedelta(days=6, hours=23) < deleted - now <= datetime.timedelta(days=7), name
        for name in REFUSED:
            assert "DeletedDate" not in described(estate, name), name

    first, last = four_steps(run, CLEANUP, args, check_state=nothing_deleted, apply_state=clean_scheduled)
    entries = by_name(first)
    for name in CLEAN:
        assert entries[name]["status"] == "scheduled" and entries[name]["changed"] is True
        assert entries[name]["deletion_date"] and entries[name]["target_path"] == target(name)
    for name, guards in REFUSED.items():
        assert entries[name]["status"] == "refused" and entries[name]["guards"] == guards, entries[name]
        assert entries[name]["reasons"]
    reasons = dict((name, " ".join(entries[name]["reasons"])) for name in REFUSED)
    assert "ASM rotation is still enabled" in reasons["prod/rotated/db"]
    assert "aws-us-east-1-sync (external/aws/synced/db)" in reasons["prod/synced/db"]
    assert "external/aws/read/app: 1 read(s) by sa:legacy-app (1)" in reasons["prod/read/app"]
    assert "environments/production/missing/app does not exist" in reasons["prod/missing/app"]
    assert "values differ for keys: password" in reasons["prod/different/app"]
    assert sorted(first["refused_secrets"]) == sorted(REFUSED) and first["failed_secrets"] == []
    assert first["summary"] == {"total": 8, "scheduled": 3, "refused": 5}
    assert first["excluded_identities"] == ["user:dev@scaivault.local"]
    assert first["diff"]["before"]["prod/clean/app"] == {"state": "present", "deletion_date": None}
    assert first["diff"]["after"]["prod/clean/app"]["state"] == "scheduled"
    assert sorted(first["diff"]["after"]) == CLEAN
    assert by_name(last)["prod/clean/app"]["status"] == "already_scheduled"
    assert last["summary"] == {"total": 8, "already_scheduled": 3, "refused": 5}
    leaks = [value for value in VALUES.values() if len(value) >= 8] + ["changed-v4lue-0009", BINARY.decode("latin-1")]
    assert_no_leak([v for v in leaks if v.isprintable()], texts={"first": json.dumps(first), "last": json.dumps(last)})

    # The sync guard yields to allow_sync_backend; the audit guard to an excluded identity.
    allowed = ok(run(CLEANUP, dict(args, names=["prod/synced/db", "prod/read/app"], prefixes=None,
                                   allow_sync_backend=True, exclude_identities=["sa:legacy-app"]),
                     check=True), changed=True)
    assert [entry["status"] for entry in allowed["secrets"]] == ["scheduled", "scheduled"]


def test_cleanup_fails_on_refusal_by_default_but_processes_the_others(module, estate):
    run = module(CLEANUP, {"region": REGION, "names": ["prod/clean/app", "prod/rotated/db"], "mapping": MAPPING})
    assert run.failed and run.changed
    assert "1 refused (set fail_on_refusal=false to only report refusals) of 2 secret(s)" in run.result["msg"]
    assert "prod/rotated/db refused: ASM rotation is still enabled" in run.result["msg"]
    assert "DeletedDate" in described(estate, "prod/clean/app")
    assert "DeletedDate" not in described(estate, "prod/rotated/db")
    assert "rotated-v4lue" not in run.output


def test_cleanup_restore_force_delete_and_bad_options(run, estate):
    names = {"region": REGION, "names": ["prod/clean/app", "prod/clean/text"], "mapping": MAPPING}
    ok(run(CLEANUP, dict(names, recovery_window_days=30)), changed=True)
    assert all("DeletedDate" in described(estate, name) for name in names["names"])

    def still_scheduled():
        assert all("DeletedDate" in described(estate, name) for name in names["names"])

    def restored():
        for name in names["names"]:
            assert "DeletedDate" not in described(estate, name)
            assert estate.get_secret_value(SecretId=name)["SecretString"] == VALUES[name]

    restore = dict(names, state="restored")
    first, last = four_steps(run, CLEANUP, restore, check_state=still_scheduled, apply_state=restored)
    assert [entry["status"] for entry in first["secrets"]] == ["restored", "restored"]
    assert first["diff"]["before"]["prod/clean/app"]["state"] == "scheduled"
    assert first["diff"]["after"]["prod/clean/app"] == {"state": "present", "deletion_date": None}
    assert [entry["status"] for entry in last["secrets"]] == ["not_scheduled", "not_scheduled"]

    force = {"region": REGION, "names": ["prod/clean/text"], "mapping": MAPPING, "force_delete_without_recovery": True}

    def kept():
        assert described(estate, "prod/clean/text") is not None

    def gone():
        assert described(estate, "prod/clean/text") is None

    first, last = four_steps(run, CLEANUP, force, check_state=kept, apply_state=gone)
    assert first["secrets"][0]["status"] == "deleted" and first["diff"]["after"]["prod/clean/text"]["state"] == "absent"
    assert last["secrets"][0]["status"] == "absent"
    # A secret deleted without recovery cannot be restored: refused, reported.
    missing = run(CLEANUP, {"region": REGION, "names": ["prod/clean/text"], "state": "restored"})
    assert missing.failed and "does not exist in ASM" in missing.result["msg"]
    reported = ok(run(CLEANUP, {"region": REGION, "names": ["prod/clean/text"], "state": "restored",
                                "fail_on_refusal": False}), changed=False)
    assert reported["refused_secrets"] == ["prod/clean/text"]

    for bad, message in (({"recovery_window_days": 3}, "recovery_window_days must be between 7 and 30 (got 3)"),
                         ({"quiet_window": "two weeks"}, "quiet_window: 'two weeks' is neither"),
                         ({"paths": {"prod/clean/app": "Bad/Path"}}, "paths: the target of prod/clean/app")):
        answer = run(CLEANUP, dict(names, **bad))
        assert answer.failed and message in answer.result["msg"], answer.result["msg"]


def test_cleanup_explicit_paths_and_rotated_targets(run, estate, scaivault_http):
    arn = estate.describe_secret(SecretId="prod/different/app")["ARN"]
    version_id = estate.get_secret_value(SecretId="prod/different/app")["VersionId"]
    args = {"region": REGION, "names": ["prod/different/app"], "paths": {"prod/different/app": "rotated/in/scaivault"},
            "fail_on_refusal": False}
    put_secret(scaivault_http, "rotated/in/scaivault", {"password": "rotated-by-scaivault-0010", "user": "u"},
               metadata={"source": {"system": "aws-secrets-manager", "region": REGION, "arn": arn, "name": "prod/different/app",
                                    "version_id": version_id, "format": "json"}})
    refused = ok(run(CLEANUP, args, check=True))
    assert refused["secrets"][0]["guards"] == ["target"] and refused["secrets"][0]["target_path"] == "rotated/in/scaivault"
    accepted = ok(run(CLEANUP, dict(args, allow_rotated_target=True), check=True), changed=True)
    assert accepted["secrets"][0]["status"] == "scheduled"
    skipped = ok(run(CLEANUP, {"region": REGION, "names": ["prod/missing/app"], "require_target": False}, check=True),
                 changed=True)
    assert skipped["secrets"][0]["status"] == "scheduled"


def test_no_value_or_signing_secret_at_vvvv(playbook, estate, receiver):
    """A playbook at -vvvv (module args, results, diffs) shows no secret value and no signing secret."""
    tasks = [
        {"name": "webhook", "scailabs.scaivault.scaivault_webhook": {
            "name": "leak-check", "webhook_url": receiver.url, "events": ["rotation.due"], "secret": HOOK_SECRET}},
        {"name": "cleanup plan", "check_mode": True, "scailabs.scaivault.asm_cleanup": {
            "region": REGION, "prefixes": ["prod/"], "mapping": MAPPING, "fail_on_refusal": False}},
        {"name": "cleanup", "scailabs.scaivault.asm_cleanup": {
            "region": REGION, "names": ["prod/clean/app", "prod/different/app"], "mapping": MAPPING,
            "fail_on_refusal": False}},
    ]
    result = playbook([{"hosts": "localhost", "gather_facts": False, "tasks": tasks}], diff=True, verbosity=4)
    result.assert_ok()
    assert result.task("cleanup")["changed"] is True
    values = list(VALUES.values()) + ["changed-v4lue-0009", HOOK_SECRET]
    assert_no_leak(values, texts={"output": result.output})


def test_cleanup_stops_before_deleting_when_a_guard_cannot_run(run, estate, scaivault_http):
    token = mint_token(scaivault_http, "sa:no-audit", ["secrets:read", "federation:read"])
    # prod/read/app is served at a federated path, whose reads the audit guard must query.
    answer = run(CLEANUP, {"region": REGION, "names": ["prod/clean/app", "prod/read/app"], "mapping": MAPPING,
                           "token": token})
    assert answer.failed and not answer.changed
    assert "asm_cleanup guards (nothing was deleted)" in answer.result["msg"] and "audit:read" in answer.result["msg"]
    assert "DeletedDate" not in described(estate, "prod/clean/app")


def test_cleanup_refuses_a_primary_that_still_replicates(module, estate, scaivault_http):
    """ASM refuses DeleteSecret on a primary with replicas: the guard says so instead of an ASM error."""
    estate.create_secret(Name="prod/replicated/app", SecretString='{"password": "replicated-v4lue-0010"}',
                         AddReplicaRegions=[{"Region": "eu-west-1"}])
    put_secret(scaivault_http, target("prod/replicated/app"), {"password": "replicated-v4lue-0010"}, secret_type="json")
    run = module(CLEANUP, {"region": REGION, "names": ["prod/replicated/app"], "mapping": MAPPING,
                           "fail_on_refusal": False})
    entry = by_name(run.result)["prod/replicated/app"]
    assert not run.failed and entry["status"] == "refused" and entry["guards"] == ["replica"], entry
    assert "still replicates to eu-west-1" in " ".join(entry["reasons"])
    assert "DeletedDate" not in described(estate, "prod/replicated/app")


def test_cleanup_filters_narrow_the_prefix_selection(run, estate):
    """filters (shared selection group) are ANDed into cleanup's prefix listings; names alone refuse them."""
    estate.tag_resource(SecretId="prod/clean/app", Tags=[{"Key": "team", "Value": "payments"}])
    args = {"region": REGION, "prefixes": ["prod/"], "mapping": MAPPING, "recovery_window_days": 7,
            "filters": [{"key": "tag-value", "values": ["payments"]}], "fail_on_refusal": False}
    planned = ok(run(CLEANUP, args, check=True), changed=True)
    assert [entry["name"] for entry in planned["secrets"]] == ["prod/clean/app"]
    assert all("DeletedDate" not in described(estate, name) for name in CLEAN)

    done = ok(run(CLEANUP, args), changed=True)
    assert by_name(done)["prod/clean/app"]["status"] == "scheduled"
    assert "DeletedDate" in described(estate, "prod/clean/app")
    assert all("DeletedDate" not in described(estate, name) for name in ("prod/clean/text", "prod/clean/bin"))

    names_only = run(CLEANUP, dict(args, prefixes=None, names=["prod/clean/text"]))
    assert names_only.failed and "prefixes" in names_only.result["msg"], names_only.result
    assert "DeletedDate" not in described(estate, "prod/clean/text")


def test_cleanup_keeps_its_evidence_before_deleting(run, estate, dev_server, scaivault_http):
    """The reads relied on (per secret, federated path, identity) and an audit export, kept before any deletion."""
    evidence_file = dev_server.state_dir / "evidence" / "cleanup-us-east-1.json"
    args = {"region": REGION, "names": ["prod/read/app", "prod/clean/app"], "mapping": MAPPING,
            "exclude_identities": ["sa:legacy-app"],
            "evidence": {"file": str(evidence_file), "export": {"bucket": "evidence", "prefix": "asm/us-east-1"}}}
    planned = ok(run(CLEANUP, args, check=True), changed=True)
    assert planned["evidence"] == {} and not evidence_file.exists()
    assert "DeletedDate" not in described(estate, "prod/read/app")

    # The export cannot be written: nothing is deleted.
    refused = run(CLEANUP, dict(args, evidence={"file": str(evidence_file), "export": {"bucket": "bad/bucket"}}))
    assert refused.failed and "asm_cleanup evidence (nothing was deleted)" in refused.result["msg"]
    assert "DeletedDate" not in described(estate, "prod/read/app") and not evidence_file.exists()

    done = ok(run(CLEANUP, args), changed=True)
    assert [entry["status"] for entry in done["secrets"]] == ["scheduled", "scheduled"]
    saved = json.loads(evidence_file.read_text())
    assert oct(evidence_file.stat().st_mode & 0o777) == "0o600"
    read_app = saved["secrets"]["prod/read/app"]
    assert read_app["federated_paths"]["external/aws/read/app"]["excluded_reads"] == 1
    assert saved["secrets"]["prod/clean/app"]["federated_paths"] == {}
    assert saved["excluded_identities"] == ["user:dev@scaivault.local", "sa:legacy-app"]
    [manifest] = saved["export"]["files"]
    exported = dev_server.data_dir / "audit-exports" / "evidence" / manifest["key"]
    rows = [json.loads(line) for line in exported.read_text().splitlines()]
    assert [(row["identity_id"], row["secret_path"]) for row in rows] == [("sa:legacy-app", "external/aws/read/app")]
    assert done["evidence"]["export"]["row_count"] == 1 and done["evidence"]["file"]["written"] is True

    again = ok(run(CLEANUP, args), changed=False)
    assert again["evidence"] == {}  # nothing to delete: no new evidence, no export
    leaks = [value for value in VALUES.values() if len(value) >= 8]
    assert_no_leak([v for v in leaks if v.isprintable()], texts={"done": json.dumps(done)}, files=[evidence_file, exported])


@pytest.mark.parametrize("method, audit_gets", [("logs", 2), ("summary", 3), ("auto", 1)])
def test_cleanup_audit_methods_agree_and_cost(run, estate, scaivault_http, method, audit_gets):
    """Three federated paths in two folders: paging costs a page per folder, summaries a request per path, auto one
    page under their common folder (they are quiet)."""
    backend = scaivault_http.post("/v1/federation/backends", json={
        "name": "aws-us-east-1-proxy-clean", "type": "aws-secrets-manager", "config": {"region": REGION},
        "path_mapping": {"external/aws/clean/**": "prod/clean/**"}, "mode": "proxy"})
    assert backend.status_code in CREATED, backend.text
    args = {"region": REGION, "names": ["prod/read/app", "prod/clean/app", "prod/clean/text"], "mapping": MAPPING,
            "audit_method": method, "fail_on_refusal": False}
    probe = scaivault_http.get("/v1/audit/secrets/external/aws/clean/app")
    if method == "summary" and probe.status_code == 404 and probe.json()["error"]["code"] == "not_found":
        # The alt contract's item 31: no per-secret summary route. summary fails naming the assumption (auto and
        # logs page the rows instead, below), and nothing is deleted.
        refused = run(CLEANUP, args, check=True)
        assert refused.failed and "which the collection assumed (docs/scaivault-contract.md, item 31)" in \
            refused.result["msg"], refused.result
        return
    result = ok(run(CLEANUP, args, check=True))
    assert [entry["guards"] for entry in result["secrets"]] == [[], [], ["audit"]]
    assert result["api_calls"]["scaivault"]["GET audit"] == audit_gets
