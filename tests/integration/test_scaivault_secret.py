# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""scaivault_secret against the live dev server; every outcome is read back out of band.

Most tests run the module directly (run_module, ~0.3 s); the playbook test checks the same
behaviour through ansible-playbook (check mode, diff, changed reporting, a secret value with
Jinja in it) in one run, and the leak test covers -vvvv, ANSIBLE_LOG_PATH and --diff.
"""

from __future__ import annotations

import json
import threading

import pytest

from integration.leakscan import assert_no_leak
from integration.secret_helpers import (
    BATCH_META_ROUTE, BATCH_READ_ROUTE, DELETE_ROUTE, GET_ROUTE, PUT_ROUTE, Vault, contract_on, fast_module_runner,
    metadata_calls, route_count)

MODULE = "scaivault_secret"
PATH = "environments/production/billing/stripe"
TEST_POLICY = "rot_test_policy"  # a policy name; the test creates it and uses its id
SECRET = "sk_live_51HxQzLeakCanary7781"
SECRET_2 = "sk_live_51HxQzRotatedCanary9902"
BASE_DATA = {"secret_key": SECRET, "publishable_key": "pk_live_public", "nested": {"a": 1, "b": [1, 2]}}
BASE_META = {"description": "Stripe keys", "owner": "team:billing", "tags": ["billing", "pci"], "source": {"name": "prod/x"}}


@pytest.fixture
def vault(dev_server, scaivault_http):
    return Vault(scaivault_http, dev_server)


@pytest.fixture
def module(dev_server):
    """The module run in-process; test_playbook_* run it for real through ansible-playbook."""
    return fast_module_runner(dev_server.env)


def seed(vault, path=PATH, data=None, **body):
    body.setdefault("secret_type", "json")
    body.setdefault("metadata", BASE_META)
    return vault.put(path, dict(data or BASE_DATA), **body)


def four_steps(module, vault, args, fields, path=PATH, absent=False):
    """check (changed) -> apply (changed) -> check (not changed) -> apply (not changed).

    After each step the version on the server is read out of band: it moves only on step 2.
    Returns the results of the four steps.
    """
    before = vault.version(path)
    step1 = module(MODULE, args, check=True, diff=True)
    assert not step1.failed, step1.result.get("msg")
    assert step1.changed and step1.result["changed_fields"] == fields
    assert vault.version(path) == before, "check mode wrote"

    step2 = module(MODULE, args, diff=True)
    assert not step2.failed, step2.result.get("msg")
    assert step2.changed and step2.result["changed_fields"] == fields
    after = vault.version(path)
    metadata_only = before is not None and all(field.startswith("metadata.") for field in fields)
    if absent:
        assert after is None
    elif metadata_only and contract_on("metadata_patch"):
        # The tenant updates metadata in place: no version (check mode cannot know that before a real write).
        assert after == before, "a metadata-only change wrote a version although the tenant has a metadata update"
        assert step2.result["version"] == after and step2.result["version_written_for_metadata"] is False
        assert step1.result["version"] == before + 1 and step2.result["previous_version"] == before
    else:
        assert after == (before or 0) + 1, "exactly one new version"
        assert step1.result["version"] == step2.result["version"] == after, "check mode predicted another version"
        assert step2.result["previous_version"] == before
        if metadata_only:
            assert step2.result["version_written_for_metadata"] is True

    for check in (True, False):
        step = module(MODULE, args, check=check)
        assert not step.failed, step.result.get("msg")
        assert not step.changed and step.result["changed_fields"] == [], (check, step.result["changed_fields"])
        assert vault.version(path) == after, "version moved on an idempotent run (check=%s)" % check
    for step in (step1, step2):
        assert SECRET not in step.output and SECRET_2 not in step.output
        assert "data" not in {k: v for k, v in step.result.items() if k != "diff"}
    return step1, step2


def test_create_four_steps(module, vault):
    args = dict(path=PATH, data=BASE_DATA, secret_type="json", metadata=BASE_META,
                options=dict(max_versions=5, expires_in="90d"))
    step1, step2 = four_steps(module, vault, args, [
        "data", "metadata.description", "metadata.owner", "metadata.source", "metadata.tags",
        "options.expires_in", "options.max_versions", "secret_type"])
    stored = vault.get(PATH)
    assert stored["data"] == BASE_DATA and stored["secret_type"] == "json" and stored["metadata"] == BASE_META
    assert vault.meta(PATH)["options"]["max_versions"] == 5 and stored["expires_at"]
    assert step2.result["options"]["expires_in"] == "90d" and step1.result["options"]["max_versions"] == 5
    assert step1.result["diff"]["before"] == {} and set(step1.result["diff"]["after"]["data"]) == set(BASE_DATA)


CHANGES = [
    ("data_value", dict(data=dict(BASE_DATA, secret_key=SECRET_2)), ["data"],
     lambda s: s["data"]["secret_key"] == SECRET_2),
    ("data_new_key", dict(data=dict(BASE_DATA, webhook_secret="whsec_0123456789")), ["data"],
     lambda s: s["data"]["webhook_secret"] == "whsec_0123456789"),
    ("data_number_type", dict(data=dict(BASE_DATA, nested={"a": 1.0, "b": [1, 2]})), ["data"],
     lambda s: isinstance(s["data"]["nested"]["a"], float)),
    ("secret_type", dict(secret_type="api_key"), ["secret_type"],
     lambda s: s["secret_type"] == "api_key" and s["data"] == BASE_DATA),
    ("description", dict(metadata={"description": "Stripe live keys"}), ["metadata.description"],
     lambda s: s["metadata"]["description"] == "Stripe live keys" and s["data"] == BASE_DATA),
    ("owner", dict(metadata={"owner": "team:payments"}), ["metadata.owner"],
     lambda s: s["metadata"]["owner"] == "team:payments" and s["metadata"]["tags"] == ["billing", "pci"]),
    ("tags_purge", dict(metadata={"tags": ["pci", "migrated-from-asm"]}), ["metadata.tags"],
     lambda s: s["metadata"]["tags"] == ["pci", "migrated-from-asm"]),
    ("tags_no_purge", dict(metadata={"tags": ["migrated-from-asm"]}, purge_tags=False), ["metadata.tags"],
     lambda s: s["metadata"]["tags"] == ["billing", "pci", "migrated-from-asm"]),
    ("custom_metadata", dict(metadata={"source": {"name": "prod/billing/stripe", "region": "eu-west-1"}}),
     ["metadata.source"], lambda s: s["metadata"]["source"]["region"] == "eu-west-1" and s["metadata"]["owner"]),
    ("expires_in", dict(options={"expires_in": "30d"}), ["options.expires_in"], lambda s: s["expires_at"]),
    ("rotation_policy_id", dict(options={"rotation_policy_id": TEST_POLICY}), ["options.rotation_policy_id"], None),
    ("overwrite_never_metadata", dict(data={"secret_key": "ignored_by_overwrite_never"}, overwrite="never",
                                      metadata={"owner": "team:x"}), ["metadata.owner"],
     lambda s: s["data"] == BASE_DATA and s["metadata"]["owner"] == "team:x"),
]


@pytest.mark.parametrize("args, fields, stored_ok", [c[1:] for c in CHANGES], ids=[c[0] for c in CHANGES])
def test_each_option_four_steps(module, vault, args, fields, stored_ok):
    seed(vault)
    if (args.get("options") or {}).get("rotation_policy_id") == TEST_POLICY:
        # A real policy (reference/rotation: an unknown one is 404 rotation_policy_not_found), named like the case.
        policy_id = vault.rotation_policy(TEST_POLICY)
        args = dict(args, options={"rotation_policy_id": policy_id})

        def stored_ok(stored):
            return stored["rotation_policy_id"] == policy_id
    four_steps(module, vault, dict(args, path=PATH), fields)
    stored = vault.get(PATH)
    assert stored_ok(stored), stored["metadata"]


NO_CHANGES = [
    ("key_order_and_whitespace", dict(
        data='{ "nested" : { "b" : [1,  2], "a": 1 },\n "publishable_key":"pk_live_public", "secret_key" : "%s" }' % SECRET)),
    ("same_tags_other_order_and_repeats", dict(metadata={"tags": ["pci", "billing", "pci"]})),
    ("tags_subset_without_purge", dict(metadata={"tags": ["pci"]}, purge_tags=False)),
    ("omitted_everything", dict()),
    ("empty_metadata_and_options", dict(metadata={}, options={})),
    ("overwrite_never_other_value", dict(data={"secret_key": "would_replace_it"}, overwrite="never")),
    ("same_type", dict(secret_type="json")),
    # The documented secret object has no options field: max_versions cannot be compared, so it never
    # causes a write on its own (https://www.scailabs.ai/en/docs/scaivault/core-concepts/secrets).
    ("max_versions_alone", dict(options={"max_versions": 3})),
]


@pytest.mark.parametrize("args", [c[1] for c in NO_CHANGES], ids=[c[0] for c in NO_CHANGES])
def test_no_real_difference_is_no_change(module, vault, args):
    seed(vault)
    for check in (True, False):
        res = module(MODULE, dict(args, path=PATH), check=check, diff=True)
        assert not res.failed and not res.changed, res.result
        assert res.result["version"] == 1 and vault.version(PATH) == 1
        assert res.result["diff"]["before"] == res.result["diff"]["after"]


def test_check_mode_create_then_options_stay_idempotent(module, vault):
    """expires_in is compared as expires_at - updated_at: a re-run does not move the expiry."""
    args = dict(path=PATH, data=BASE_DATA, options=dict(expires_in="1h30m"))
    assert module(MODULE, args).changed
    expires = vault.meta(PATH)["expires_at"]
    assert not module(MODULE, args).changed
    assert not module(MODULE, dict(args, options=dict(expires_in="90m"))).changed
    assert vault.meta(PATH)["expires_at"] == expires and vault.version(PATH) == 1


def test_unset_options_leave_stored_values_alone(module, vault):
    keep = vault.rotation_policy("keep")
    seed(vault, options={"max_versions": 4, "expires_in": "7d", "rotation_policy_id": keep})
    before = vault.meta(PATH)
    res = module(MODULE, dict(path=PATH, data=dict(BASE_DATA, secret_key=SECRET_2)))
    assert res.changed and res.result["changed_fields"] == ["data"]
    after = vault.meta(PATH)
    assert after["metadata"] == BASE_META and after["secret_type"] == "json"
    assert after["options"]["max_versions"] == 4 and after["rotation_policy_id"] == keep
    assert after["expires_at"] == before["expires_at"]


def test_diff_shows_fingerprints_not_values(module, vault):
    seed(vault)
    res = module(MODULE, dict(path=PATH, data=dict(BASE_DATA, secret_key=SECRET_2), metadata={"owner": "team:new"}),
                 diff=True)
    diff = res.result["diff"]
    before, after = diff["before"]["data"], diff["after"]["data"]
    assert set(before) == set(after) == set(BASE_DATA)
    assert before["secret_key"] != after["secret_key"] and before["nested"] == after["nested"]
    assert all(value.startswith("sha256:") and len(value) == 23 for value in list(before.values()) + list(after.values()))
    assert diff["before"]["metadata"]["owner"] == "team:billing" and diff["after"]["metadata"]["owner"] == "team:new"
    assert diff["before"]["version"] == 1 and diff["after"]["version"] == 2
    assert_no_leak([SECRET, SECRET_2, "pk_live_public"], texts={"result": json.dumps(res.result), "output": res.output})


def test_overwrite_never_creates_once(module, vault):
    args = dict(path="environments/production/billing/db", data={"password": "Generated-Password-0001"}, overwrite="never")
    assert module(MODULE, args).changed
    again = module(MODULE, dict(args, data={"password": "Generated-Password-0002"}))
    assert not again.changed and again.result["changed_fields"] == []
    assert vault.get(args["path"])["data"] == {"password": "Generated-Password-0001"}


def test_data_omitted_on_create_fails_before_writing(module, vault):
    vault.reset_counters()
    res = module(MODULE, dict(path=PATH, metadata={"owner": "team:x"}))
    assert res.failed and "does not exist: data is required to create it" in res.result["msg"]
    assert vault.counters()["by_route"] == {GET_ROUTE: 1}


# -- absent -----------------------------------------------------------------------------------------
def test_absent_soft_four_steps_and_permanent(module, vault):
    seed(vault)
    step1, step2 = four_steps(module, vault, dict(path=PATH, state="absent"), ["deleted"], absent=True)
    assert step1.result["previous_version"] == 1 and step1.result["diff"]["before"]["version"] == 1
    assert vault.get(PATH) is None
    # soft-deleted: the path is blocked; permanent purges it (a change), then it is really gone
    purge = module(MODULE, dict(path=PATH, state="absent", permanent=True))
    assert purge.changed and purge.result["permanent"]
    assert not module(MODULE, dict(path=PATH, state="absent", permanent=True)).changed
    recreate = module(MODULE, dict(path=PATH, data={"k": "value-after-purge"}))
    assert recreate.changed and vault.version(PATH) == 1


def test_absent_permanent_on_live_secret(module, vault):
    seed(vault)
    res = module(MODULE, dict(path=PATH, state="absent", permanent=True))
    assert res.changed
    assert module(MODULE, dict(path=PATH, data={"k": "new-secret-value"})).changed  # no 409: hard-deleted


def test_absent_on_missing_is_not_a_change(module, vault):
    vault.reset_counters()
    for check in (False, True):
        res = module(MODULE, dict(path=PATH, state="absent"), check=check)
        assert not res.failed and not res.changed and res.result["changed_fields"] == []
    counters = vault.counters()
    assert counters["by_route"] == dict(metadata_calls(1), **{DELETE_ROUTE: 1}) and counters["by_status"].get("404") == 1


def test_write_on_soft_deleted_path_explains_recovery_window(module, vault):
    seed(vault)
    vault.delete(PATH)
    res = module(MODULE, dict(path=PATH, data={"secret_key": SECRET}))
    assert res.failed
    msg = res.result["msg"]
    assert "409 secret_exists" in msg and PATH in msg
    assert "30-day recovery window" in msg and "permanent=true" in msg and "state=absent" in msg
    assert SECRET not in res.output


# -- errors before and from the server ---------------------------------------------------------------
@pytest.mark.parametrize("path, rule", [
    ("environments/Production/billing", "upper case"),
    ("environments//billing", "empty segment"),
    ("/".join(["s"] * 11), "11 segments (at most 10 allowed)"),
    ("environments/billing/", "ends with '/'"),
])
def test_invalid_path_refused_before_any_request(module, vault, path, rule):
    vault.reset_counters()
    for state in ("present", "absent"):
        res = module(MODULE, dict(path=path, state=state, data={"k": "v"}))
        assert res.failed and rule in res.result["msg"] and repr(path) in res.result["msg"]
    assert vault.counters()["total"] == 0


def test_401_bad_token(module, vault):
    res = module(MODULE, dict(path=PATH, data={"k": "v"}, token="skt_not_a_real_token"))
    assert res.failed and "401" in res.result["msg"] and "token" in res.result["msg"].lower()
    assert res.result["error"]["status"] == 401


def test_403_names_the_missing_scope(module, vault):
    seed(vault)
    read_only = vault.token(["secrets:read"])
    res = module(MODULE, dict(path=PATH, data={"secret_key": SECRET_2}, token=read_only))
    msg = res.result["msg"]
    assert res.failed and "403 insufficient_scope" in msg and "secrets:write" in msg and PATH in msg
    assert "Grant secrets:write" in msg
    assert vault.version(PATH) == 1


def test_403_on_read_suggests_metadata_only(module, vault):
    seed(vault)
    write_only = vault.token(["secrets:write"])
    res = module(MODULE, dict(path=PATH, data={"secret_key": SECRET_2}, token=write_only))
    msg = res.result["msg"]
    assert res.failed and "secrets:read" in msg and "compare=metadata_only" in msg
    res = module(MODULE, dict(path=PATH, data={"secret_key": SECRET_2}, token=write_only, compare="metadata_only"))
    # Metadata is read with batch metadata (secrets:list), or on a tenant without it with the batch read.
    assert res.failed and ("secrets:read" if contract_on("no_batch_metadata") else "secrets:list") in res.result["msg"]


def test_403_on_delete(module, vault):
    seed(vault)
    res = module(MODULE, dict(path=PATH, state="absent", token=vault.token(["secrets:read", "secrets:list"])))
    assert res.failed and "secrets:delete" in res.result["msg"] and vault.version(PATH) == 1


# -- compare=metadata_only -------------------------------------------------------------------------
def test_metadata_only_with_a_token_that_cannot_read_values(module, vault):
    token = vault.token(["secrets:write", "secrets:list"])
    args = dict(path=PATH, token=token, compare="metadata_only", data=BASE_DATA, metadata={"owner": "team:billing"})
    vault.reset_counters()
    if contract_on("no_batch_metadata"):
        # Without the batch-metadata route metadata is read with the batch read: this token cannot (the error says so).
        res = module(MODULE, args)
        assert res.failed and "secrets:read" in res.result["msg"] and "batch-metadata" in res.result["msg"]
        assert vault.version(PATH) is None
        return
    step1, step2 = four_steps(module, vault, args, ["data", "metadata.owner", "secret_type"])
    assert step2.result["data_compared"] is False
    # a changed value alone is not detected (documented trade-off) ...
    res = module(MODULE, dict(args, data=dict(BASE_DATA, secret_key=SECRET_2)))
    assert not res.changed and vault.get(PATH)["data"] == BASE_DATA
    # ... but written together with a metadata change
    res = module(MODULE, dict(args, data=dict(BASE_DATA, secret_key=SECRET_2), metadata={"owner": "team:payments"}))
    assert res.changed and res.result["changed_fields"] == ["data", "metadata.owner"]
    assert vault.get(PATH)["data"]["secret_key"] == SECRET_2
    # Without data a metadata change needs the tenant's metadata-only update; without one the message says why.
    res = module(MODULE, dict(path=PATH, token=token, compare="metadata_only", metadata={"owner": "team:x"}))
    if contract_on("metadata_patch"):
        assert res.changed and res.result["version_written_for_metadata"] is False and vault.version(PATH) == 2
        assert vault.meta(PATH)["metadata"]["owner"] == "team:x"
    else:
        assert res.failed and "compare=metadata_only" in res.result["msg"] and "secrets:read" in res.result["msg"]
        assert "no metadata-only update" in res.result["msg"] and vault.version(PATH) == 2
    by_route = vault.counters()["by_route"]
    by_route.pop(GET_ROUTE, None)  # vault.get() above is ours, with the admin token
    # The value was never read by the module: no GET, no batch read (the metadata-route probes are refused writes).
    assert BATCH_META_ROUTE in by_route and PUT_ROUTE in by_route and BATCH_READ_ROUTE not in by_route


# -- lost answers -------------------------------------------------------------------------------------
@pytest.mark.parametrize("fault, puts", [
    ({"kind": "drop_after"}, 1),       # applied, answer lost: re-read says applied, nothing re-sent
    ({"kind": "drop_before"}, 2),      # never processed: re-read says not applied, one more PUT
    ({"kind": "status", "status": 502}, 2),  # gateway error after sending: not applied here, one more PUT
])
@pytest.mark.parametrize("existing", [True, False], ids=["update", "create"])
def test_unknown_outcome_never_duplicates_a_version(module, vault, fault, puts, existing):
    if existing:
        seed(vault)
    before = vault.version(PATH) or 0
    vault.reset_counters()
    vault.faults([dict(fault, method="PUT", path_regex="^/v1/secrets/", count=1)])
    try:
        res = module(MODULE, dict(path=PATH, data=dict(BASE_DATA, secret_key=SECRET_2), secret_type="json"),
                     isolated=True)
    finally:
        vault.clear_faults()
    assert not res.failed, res.result.get("msg")
    assert res.changed and res.result["version"] == before + 1
    assert vault.version(PATH) == before + 1, "a duplicate version was written"
    assert route_count(vault.counters(), PUT_ROUTE) == puts
    assert "answer to the write was lost" in json.dumps(res.result.get("warnings", []))
    assert vault.get(PATH)["data"]["secret_key"] == SECRET_2


def test_unknown_outcome_with_a_concurrent_writer_fails_without_resending(module, vault):
    """The module's PUT is applied but its answer lost (drop_after); another writer lands before the module's
    re-read: the module must fail (conflict), never re-send over the other writer's newer version.

    Deterministic: the re-read (the module's second GET) is held by the dev server until the other writer's
    version is stored, then released.
    """
    seed(vault)
    before = vault.version(PATH)
    vault.faults([{"kind": "drop_after", "method": "PUT", "path_regex": "^/v1/secrets/", "count": 1},
                  {"kind": "hold", "method": "GET", "path_regex": "^/v1/secrets/", "after": 1, "count": 1}])
    vault.reset_counters()
    outcome = {}
    thread = threading.Thread(target=lambda: outcome.update(res=module(MODULE, dict(path=PATH, data=dict(
        BASE_DATA, secret_key=SECRET_2)))))
    thread.start()
    try:
        vault.wait_held()  # the module's PUT was applied (answer dropped) and its re-read now waits
        assert vault.version(PATH) == before + 1
        vault.put(PATH, {"other": "writer-value-123"}, metadata={"owner": "someone-else"})
    finally:
        vault.release_held()
        thread.join(120)
        vault.clear_faults()
    res = outcome["res"]
    assert res.failed, "the module did not notice the other writer: %s" % res.result
    assert "outcome of the write is unknown" in res.result["msg"] and "another writer" in res.result["msg"]
    assert route_count(vault.counters(), PUT_ROUTE) == 2  # the module's one PUT plus the other writer's
    assert vault.version(PATH) == before + 2
    assert vault.get(PATH)["data"] == {"other": "writer-value-123"}, "the module wrote over the other writer"


def _update_during(module, vault, other_writer):
    """Run a scaivault_secret update whose PUT the dev server holds inside the write (after it read the head);
    ``other_writer()`` runs meanwhile. Returns the module's result."""
    outcome = {}
    thread = threading.Thread(target=lambda: outcome.update(res=module(MODULE, dict(path=PATH, data=dict(
        BASE_DATA, secret_key=SECRET_2)))))
    thread.start()
    try:
        vault.wait_held()
        other_writer()
    finally:
        vault.release_held()
        thread.join(120)
        vault.clear_faults()
    return outcome["res"]


def test_a_concurrent_writer_is_version_conflict_and_never_overwritten(module, vault):
    """https://www.scailabs.ai/en/docs/scaivault/core-concepts/errors: concurrent writes yield 409 version_conflict;
    fetch the current state and retry. Another writer's version lands while the module's PUT is inside the write:
    the server refuses the module's PUT, the module re-reads, sees the other writer's newer value and fails without
    writing over it."""
    seed(vault)
    vault.faults([{"kind": "hold", "stage": "commit", "method": "PUT", "path_regex": "^/v1/secrets/", "count": 1}])
    vault.reset_counters()
    res = _update_during(module, vault, lambda: vault.put(PATH, {"other": "writer-value-123"}))
    assert res.failed, "the module did not notice the other writer: %s" % res.result
    assert "version_conflict" in res.result["msg"] and "(now version 2); that version was kept, not overwritten" in res.result["msg"]
    assert route_count(vault.counters(), PUT_ROUTE) == 2  # the module's refused PUT and the other writer's
    assert vault.stored(PATH)["versions"] == [1, 2]
    assert vault.get(PATH)["data"] == {"other": "writer-value-123"}, "the module wrote over the other writer"
    assert SECRET_2 not in json.dumps(res.result)


def test_a_version_conflict_that_left_the_secret_alone_is_retried_once(module, vault):
    """version_conflict, and the re-read shows the version the plan was made from: the PUT is sent once more."""
    seed(vault)
    vault.faults([{"kind": "status", "status": 409, "code": "version_conflict", "method": "PUT", "count": 1}])
    vault.reset_counters()
    res = module(MODULE, dict(path=PATH, data=dict(BASE_DATA, secret_key=SECRET_2)))
    assert not res.failed and res.changed and res.result["version"] == 2, res.result.get("msg")
    assert "version_conflict" in json.dumps(res.result.get("warnings", []))
    assert route_count(vault.counters(), PUT_ROUTE) == 2 and vault.stored(PATH)["versions"] == [1, 2]
    assert vault.get(PATH)["data"]["secret_key"] == SECRET_2
    # Twice in a row: retried once only, then it fails naming the conflict; nothing written.
    vault.faults([{"kind": "status", "status": 409, "code": "version_conflict", "method": "PUT", "count": 2}])
    res = module(MODULE, dict(path=PATH, data=BASE_DATA))
    assert res.failed and "still not applied after one more attempt" in res.result["msg"]
    assert vault.stored(PATH)["versions"] == [1, 2]
    vault.clear_faults()


# -- through ansible-playbook: four steps, a lost answer, errors, and no value anywhere at -vvvv ----------
LEAK_PLAY = """
- hosts: localhost
  gather_facts: false
  vars:
    path: environments/production/billing/stripe
    sv_url: "{{ lookup('ansible.builtin.env', 'SCAIVAULT_URL') }}"
    sv_token: "{{ lookup('ansible.builtin.env', 'SCAIVAULT_TOKEN') }}"
  tasks:
    - name: check-mode create
      scailabs.scaivault.scaivault_secret: &create
        path: "{{ path }}"
        data: {secret_key: "{{ v1 }}", nested: {password: "{{ v2 }}", port: 5432}, template_like: "{{ jinja_value }}"}
        metadata: {owner: "team:billing", tags: [billing]}
        options: {max_versions: 5, expires_in: 90d}
      check_mode: true
      register: c1
    - name: create
      scailabs.scaivault.scaivault_secret: *create
      register: c2
    - name: check-mode create again
      scailabs.scaivault.scaivault_secret: *create
      check_mode: true
      register: c3
    - name: create again
      scailabs.scaivault.scaivault_secret: *create
      register: c4
    - name: check-mode update with diff
      scailabs.scaivault.scaivault_secret:
        path: "{{ path }}"
        data: {secret_key: "{{ v3 }}", nested: {port: 5432, password: "{{ v2 }}"}, template_like: "{{ jinja_value }}"}
      check_mode: true
      register: u1
    - name: lose the answer to the next write
      ansible.builtin.uri:
        url: "{{ sv_url }}/_dev/faults"
        method: POST
        headers: {Authorization: "Bearer {{ sv_token }}"}
        body_format: json
        body: {faults: [{kind: drop_after, method: PUT, path_regex: "^/v1/secrets/", count: 1}]}
    - name: update (answer lost, re-read, warning)
      scailabs.scaivault.scaivault_secret:
        path: "{{ path }}"
        data: {secret_key: "{{ v3 }}", nested: {password: "{{ v2 }}", port: 5432}, template_like: "{{ jinja_value }}"}
        metadata: {owner: "team:payments"}
      register: u2
    - name: info
      scailabs.scaivault.scaivault_secret_info:
        prefix: environments/production/
    - name: lookup into a no_log fact
      ansible.builtin.set_fact:
        got: "{{ lookup('scailabs.scaivault.secret', path) }}"
      no_log: true
    - name: results, and a lookup compared in an assert
      ansible.builtin.assert:
        that:
          - c1 is changed and c1.version == 1 and c2 is changed and c2.version == 1
          - c3 is not changed and c4 is not changed and c4.version == 1
          - u1 is changed and u1.version == 2 and u1.changed_fields == ['data']
          - u2 is changed and u2.version == 2 and u2.changed_fields == ['data', 'metadata.owner']
          - lookup('scailabs.scaivault.secret', path, field='secret_key') == v3
          - lookup('scailabs.scaivault.secret', path, field='template_like') == '{{ "{{" }} 6 * 7 }}'
        quiet: true
    - name: a failing lookup (missing field) names keys only
      ansible.builtin.set_fact:
        nope: "{{ lookup('scailabs.scaivault.secret', path, field='missing') }}"
      ignore_errors: true
    - name: soft delete
      scailabs.scaivault.scaivault_secret:
        path: "{{ path }}"
        state: absent
    - name: write on the soft-deleted path fails with the recovery message
      scailabs.scaivault.scaivault_secret:
        path: "{{ path }}"
        data: {secret_key: "{{ v1 }}"}
      ignore_errors: true
    - name: write with a read-only token fails naming the scope
      scailabs.scaivault.scaivault_secret:
        path: environments/production/other
        data: {secret_key: "{{ v1 }}"}
        token: "{{ read_only_token }}"
      ignore_errors: true
"""


def test_no_value_leaks_at_vvvv_in_log_and_diff(playbook, vault, tmp_path):
    values = {"v1": "leak-canary-one-Zq81x", "v2": "leak canary two \u00e9\"quoted\"", "v3": "leak-canary-three-Pp03"}
    log = tmp_path / "ansible.log"
    res = playbook(LEAK_PLAY, verbosity=4, diff=True, log_path=log, extra_vars=dict(
        values, read_only_token=vault.token(["secrets:read"]), jinja_value="{{ '{{' }} 6 * 7 }}"))
    assert res.rc == 0, res.stdout[-3000:]
    tasks = {t["task"]: t for t in res.tasks}
    assert not tasks["results, and a lookup compared in an assert"]["failed"]
    assert "answer to the write was lost" in res.output and "30-day recovery window" in res.output
    assert tasks["write with a read-only token fails naming the scope"]["failed"]
    assert "secrets:write" in tasks["write with a read-only token fails naming the scope"]["result"]["msg"]
    assert "sha256:" in res.stdout  # the diff was shown, with fingerprints
    assert vault.get(PATH) is None and vault.version(PATH) is None  # soft-deleted after 2 versions
    assert_no_leak(list(values.values()), texts={"stdout": res.stdout, "stderr": res.stderr}, files=[log])


def test_an_unknown_rotation_policy_fails_naming_it(module, vault):
    """https://www.scailabs.ai/en/docs/scaivault/reference/rotation: 404 rotation_policy_not_found; nothing written."""
    seed(vault)
    res = module(MODULE, dict(path=PATH, data=BASE_DATA, options={"rotation_policy_id": "rot_nowhere"}))
    assert res.failed and "rotation_policy_not_found" in res.result["msg"]
    assert "scaivault_rotation_policy" in res.result["msg"] and vault.stored(PATH)["versions"] == [1]
