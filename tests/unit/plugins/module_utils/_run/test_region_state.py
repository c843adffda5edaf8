# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The region's state record against the dev server in process: reached only at the recorded fixed point."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

import pytest

from unit.fakes import FakeAsm, asm_entry  # pylint: disable=import-error

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.errors import ScaiVaultUnknownOutcome
from ansible_collections.scailabs.scaivault.plugins.module_utils._plan.region_state import record_document
from ansible_collections.scailabs.scaivault.plugins.module_utils._run import region_state

RECORD = "infra/scaivault-runbook/east"
LOCK = "scaivault-runbook-lock"


def spec(**overrides):
    base = {"region": "us-east-1", "record_path": RECORD, "lock_name": LOCK, "inputs": {"scaivault_region": "us-east-1"},
            "namespaces": [{"name": "apps", "prefixes": ["prod/apps/"],
                            "mapping": [{"match": "prod/apps/**", "path": "east/apps/**"}]}],
            "asm_prefixes": ["prod/"], "backend": "aws-us-east-1",
            "credentials": {"path": "infra/aws/reader", "data": {"access_key_id": "AKIAREADER0000000001"}},
            "rotation_policies": [], "webhooks": []}
    base.update(overrides)
    return base


@pytest.fixture
def estate(inprocess_vault):
    asm = FakeAsm(entries=[asm_entry("prod/apps/a"), asm_entry("prod/apps/b")])
    inprocess_vault.put("east/apps/a", {"k": "1"}, metadata={"source": {"name": "prod/apps/a"}})
    inprocess_vault.put("east/apps/b", {"k": "2"})
    inprocess_vault.put("infra/aws/reader", {"access_key_id": "AKIAREADER0000000001"}, secret_type="json")
    return asm, inprocess_vault, inprocess_vault.client(retries=0)


def record_now(asm, client, the_spec=None):
    the_spec = the_spec or spec()
    document = record_document(region_state.read_current(asm, client, the_spec), {"migrate": {"counts": {"total": 2}}},
                               "2026-12-01T00:00:00Z", job="test")
    return region_state.write_record(client, the_spec["record_path"], document)


def test_without_a_record_the_first_read_decides_and_nothing_else_is_read(estate):
    asm, vault, client = estate
    before = len(vault.sent)
    reached, reasons, record = region_state.compare(asm, client, spec())
    assert (reached, record) == (False, None)
    assert reasons and "no state record yet" in reasons[0]
    assert asm.calls == {}
    assert [(r.method, r.url.path) for r in vault.sent[before:]] == [("GET", "/v1/secrets/" + RECORD)]


def test_reached_after_recording_and_read_only(estate):
    asm, vault, client = estate
    changed, previous = record_now(asm, client)
    assert changed and previous is None
    stored = vault.get(RECORD)
    assert stored["data"]["summary"] == {"migrate": {"counts": {"total": 2}}} and stored["data"]["job"] == "test"
    # Digests only: no value of any secret is in the record.
    assert "AKIAREADER0000000001" not in str(stored) and "'k'" not in str(stored["data"])
    sent_before = len(vault.sent)
    vault.get("east/apps/a")  # a consumer's read moves last_accessed_at only
    reached, reasons, record = region_state.compare(asm, client, spec())
    assert (reached, reasons) == (True, [])
    assert record["summary"] == {"migrate": {"counts": {"total": 2}}}
    assert all(r.method == "GET" for r in vault.sent[sent_before:])


def test_recording_an_equal_state_again_writes_nothing(estate):
    asm, vault, client = estate
    record_now(asm, client)
    puts = vault.requests("PUT", RECORD)
    changed, previous = record_now(asm, client)
    assert not changed and previous is not None and vault.requests("PUT", RECORD) == puts


def test_check_mode_plans_the_record_and_writes_nothing(estate):
    asm, vault, client = estate
    document = record_document(region_state.read_current(asm, client, spec()), {}, "t")
    assert region_state.write_record(client, RECORD, document, check_mode=True) == (True, None)
    assert vault.get(RECORD) is None


@pytest.mark.parametrize("change, reason", [
    (lambda asm, vault: vault.put("east/apps/b", {"k": "other"}), "ScaiVault secrets under the namespaces' targets"),
    (lambda asm, vault: vault.put("east/apps/new", {"k": "3"}), "(2 then, 3 now)"),
    (lambda asm, vault: asm.entries.append(asm_entry("prod/apps/c")), "the ASM secrets of the region changed (2 then"),
    (lambda asm, vault: asm.entries[0].update(LastChangedDate=datetime.datetime(2026, 12, 2)), "the ASM secrets"),
    (lambda asm, vault: vault.put("infra/aws/reader", {"access_key_id": "AKIAOTHER00000000002"}, secret_type="json"),
     "reader credentials changed: infra/aws/reader"),
])
def test_any_change_of_what_the_phases_read_means_not_reached(estate, change, reason):
    asm, vault, client = estate
    record_now(asm, client)
    change(asm, vault)
    reached, reasons, _record = region_state.compare(asm, client, spec())
    assert not reached
    assert len(reasons) == 1 and reason in reasons[0], reasons


def test_a_changed_input_or_other_credentials_mean_not_reached(estate):
    asm, _vault, client = estate
    record_now(asm, client)
    reached, reasons, _record = region_state.compare(asm, client, spec(inputs={"scaivault_region": "us-east-1",
                                                                               "migrate_workers": 4}))
    assert not reached and reasons == ["the run's input (host variables, collection version) changed"]
    other = spec(credentials={"path": "infra/aws/reader", "data": {"access_key_id": "AKIANEW0000000000003"}})
    reached, reasons, _record = region_state.compare(asm, client, other)
    assert not reached and reasons == ["the federation reader credentials changed: infra/aws/reader"]


def test_asm_read_timestamps_do_not_count(estate):
    asm, _vault, client = estate
    record_now(asm, client)
    asm.entries[0]["LastAccessedDate"] = datetime.datetime(2026, 12, 2)
    assert region_state.compare(asm, client, spec())[0] is True


def test_the_record_itself_and_the_lock_are_left_out_of_the_listings(estate):
    asm, vault, client = estate
    wide = spec(namespaces=[{"name": "all", "prefixes": ["prod/"], "mapping": [{"match": "prod/**", "path": "**"}]}])
    record_now(asm, client, wide)
    # Released with recovery (pending deletion): listed by ASM, free, never part of the state.
    asm.entries.append(asm_entry(LOCK, DeletedDate=datetime.datetime(2026, 12, 1)))
    assert region_state.compare(asm, client, wide)[:2] == (True, [])
    assert vault.get(RECORD) is not None


def test_a_held_lock_means_another_run_is_changing_the_region(estate):
    asm, _vault, client = estate
    record_now(asm, client)
    assert region_state.compare(asm, client, spec())[0] is True and asm.calls["DescribeSecret"] == 1, "no lock: free"
    asm.entries.append(asm_entry(LOCK, Tags=[{"Key": "scaivault:lock:holder", "Value": "awx@node-2:0badc0de"}]))
    reached, reasons, _record = region_state.compare(asm, client, spec())
    assert not reached and reasons == ["another run holds the run lock of this region (awx@node-2:0badc0de)"]


def test_a_lock_without_a_holder_tag_is_held_and_named(estate):
    asm, _vault, client = estate
    record_now(asm, client)
    asm.entries.append(asm_entry(LOCK))
    reached, reasons, _record = region_state.compare(asm, client, spec())
    assert not reached and reasons == ["another run holds the run lock of this region (%s)" % LOCK]


def test_backends_policies_and_webhooks_by_name(estate):
    asm, vault, client = estate
    policies = spec(rotation_policies=["asm-db"], webhooks=["rotate-db"])
    record_now(asm, client, policies)
    assert region_state.compare(asm, client, policies)[0] is True
    answer = vault.http.post("/v1/webhooks", json={"name": "rotate-db", "url": "https://hooks.example/rotate",
                                                   "events": ["secret.rotated"],
                                                   "secret": "whsec-unit-0123456789abcdef0123456789"})
    assert answer.status_code in (200, 201), answer.text
    reached, reasons, _record = region_state.compare(asm, client, policies)
    assert not reached and reasons == ["the option A webhooks changed: rotate-db"]


def test_an_unknown_outcome_of_the_record_write_is_read_back(estate):
    asm, vault, client = estate
    vault.faults([{"kind": "drop_after", "method": "PUT", "path_regex": "^/v1/secrets/" + RECORD + "$", "count": 1}])
    changed, _previous = record_now(asm, client)
    assert changed and vault.requests("PUT", RECORD) == 1 and vault.get(RECORD) is not None
    vault.faults([{"kind": "drop_before", "method": "PUT", "path_regex": "^/v1/secrets/" + RECORD + "$", "count": 1}])
    kept = vault.get(RECORD)["data"]
    with pytest.raises(ScaiVaultUnknownOutcome):
        record_now(asm, client, spec(inputs={"other": True}))
    # Read back, not there: an error, never a second PUT; the stored record is the first one.
    assert vault.requests("PUT", RECORD) == 2 and vault.get(RECORD)["data"] == kept


# -- what each part reads, exactly --------------------------------------------------------------------------------
def test_the_asm_listing_asks_for_every_selected_prefix_ten_at_a_time_pending_deletions_included(estate):
    asm, _vault, client = estate
    prefixes = ["prod/ns%02d/" % index for index in range(12)]
    namespaces = [{"name": "ns", "prefixes": prefixes[:11], "mapping": [{"match": "prod/**", "path": "east/**"}]}]
    region_state.read_current(asm, client, spec(namespaces=namespaces, asm_prefixes=prefixes[11:]))
    assert asm.listings == [([{"Key": "name", "Values": prefixes[:10]}], True),
                            ([{"Key": "name", "Values": prefixes[10:]}], True)]


def test_namespaces_without_prefixes_list_the_whole_region_but_never_the_lock(estate):
    asm, _vault, client = estate
    everything = spec(namespaces=[{"name": "all", "mapping": [{"match": "**", "path": "east/**"}]}], asm_prefixes=[])
    record_now(asm, client, everything)
    assert asm.listings[-1] == (None, True)
    # The lock, released with recovery (pending deletion), is listed by ASM but is not part of the state.
    asm.entries.append(asm_entry(LOCK, DeletedDate=datetime.datetime(2026, 12, 1)))
    assert region_state.compare(asm, client, everything)[:2] == (True, [])
    # A secret outside every namespace prefix counts here: the namespaces select the whole region.
    asm.entries.append(asm_entry("legacy/x"))
    assert region_state.compare(asm, client, everything)[0] is False


def test_a_secret_outside_the_selected_prefixes_does_not_count(estate):
    asm, _vault, client = estate
    record_now(asm, client, spec(asm_prefixes=[]))
    asm.entries.append(asm_entry("stage/apps/z"))
    assert region_state.compare(asm, client, spec(asm_prefixes=[]))[:2] == (True, [])
    asm.entries.append(asm_entry("prod/apps/z"))
    reached, reasons, _record = region_state.compare(asm, client, spec(asm_prefixes=[]))
    assert not reached and reasons == ["the ASM secrets of the region changed (2 then, 3 now)"]


def test_a_secret_pending_deletion_under_the_prefixes_counts(estate):
    asm, _vault, client = estate
    record_now(asm, client)
    asm.entries[1]["DeletedDate"] = datetime.datetime(2026, 12, 2)
    reached, reasons, _record = region_state.compare(asm, client, spec())
    assert not reached and reasons == ["the ASM secrets of the region changed (same count, other content)"]


def add_backend(vault, name, region):
    backend = {"name": name, "type": "aws-secrets-manager", "config": {"region": region},
               "path_mapping": {"external/%s/**" % name: "prod/**"}, "mode": "proxy"}
    return vault.add_backend(backend)["id"]


def test_the_backends_of_the_region_and_the_named_one_count_others_do_not(estate):
    asm, vault, client = estate
    named = add_backend(vault, "aws-us-east-1", "us-west-2")  # the inventory's backend, whatever its region
    same_region = add_backend(vault, "other-east", "us-east-1")
    elsewhere = add_backend(vault, "far-away", "eu-west-1")
    record_now(asm, client)
    stored = vault.get(RECORD)["data"]["parts"]["backends"]
    assert sorted(stored) == ["aws-us-east-1", "other-east"]
    for backend_id, counts in ((elsewhere, False), (same_region, True), (named, True)):
        answer = vault.http.patch("/v1/federation/backends/%s" % backend_id,
                                  json={"path_mapping": {"external/%s/**" % backend_id: "x/**"}})
        assert answer.status_code == 200, answer.text
        reached, reasons, _record = region_state.compare(asm, client, spec())
        assert reached is not counts, backend_id
        if counts:
            name = "other-east" if backend_id == same_region else "aws-us-east-1"
            assert reasons == ["the federation backends of the region changed: %s" % name], reasons
            record_now(asm, client)


def test_a_named_backend_that_does_not_exist_yet_is_recorded_absent_and_its_creation_counts(estate):
    asm, vault, client = estate
    record_now(asm, client)
    assert vault.get(RECORD)["data"]["parts"]["backends"] == {"aws-us-east-1": "absent"}
    add_backend(vault, "aws-us-east-1", "us-east-1")
    reached, reasons, _record = region_state.compare(asm, client, spec())
    assert not reached and reasons == ["the federation backends of the region changed: aws-us-east-1"]


def test_named_rotation_policies_are_recorded_absent_until_created(estate):
    asm, vault, client = estate
    policies = spec(rotation_policies=["asm-db"])
    record_now(asm, client, policies)
    assert vault.get(RECORD)["data"]["parts"]["rotation_policies"] == {"asm-db": "absent"}
    answer = vault.http.post("/v1/rotation/policies", json={"name": "asm-db", "interval": "30d"})
    assert answer.status_code in (200, 201), answer.text
    reached, reasons, _record = region_state.compare(asm, client, policies)
    assert not reached and reasons == ["the option A rotation policies changed: asm-db"]


def test_reader_credentials_are_compared_by_value_and_recorded_without_it(estate):
    asm, vault, client = estate
    record_now(asm, client)
    recorded = vault.get(RECORD)["data"]["parts"]["credentials"]["infra/aws/reader"]
    assert recorded.endswith(":same") and "AKIAREADER" not in recorded
    other = spec(credentials={"path": "infra/aws/reader", "data": {"access_key_id": "AKIANEW0000000000003"}})
    assert region_state.read_current(asm, client, other)["parts"]["credentials"]["infra/aws/reader"] == \
        recorded[:-len(":same")] + ":differs"
    missing = spec(credentials={"path": "infra/aws/none", "data": {"access_key_id": "AKIANEW0000000000003"}})
    assert region_state.read_current(asm, client, missing)["parts"]["credentials"] == {"infra/aws/none": "absent"}
    for unset in (None, {"path": "infra/aws/reader"}, {"data": {"access_key_id": "AKIANEW0000000000003"}}):
        assert region_state.read_current(asm, client, spec(credentials=unset))["parts"]["credentials"] == {}


def test_the_record_is_a_json_secret_that_says_what_it_is(estate):
    asm, vault, client = estate
    record_now(asm, client)
    stored = vault.get(RECORD)
    assert stored["secret_type"] == "json"
    assert stored["metadata"]["owner"] == "scailabs.scaivault"
    assert stored["metadata"]["description"].startswith("State record of the scailabs.scaivault runbook")


@pytest.mark.parametrize("field, value", [("summary", {"migrate": {"counts": {"total": 3}}}),
                                          ("collection_version", "0.0.0-other"), ("format", 99)])
def test_a_record_that_differs_in_its_summary_version_or_format_is_written_again(estate, field, value):
    asm, vault, client = estate
    record_now(asm, client)
    document = dict(vault.get(RECORD)["data"], **{field: value})
    puts = vault.requests("PUT", RECORD)
    assert region_state.write_record(client, RECORD, document)[0] is True
    assert vault.requests("PUT", RECORD) == puts + 1 and vault.get(RECORD)["data"][field] == value
    # Only when and by which job it was written differ: the same record, nothing written.
    assert region_state.write_record(client, RECORD, dict(document, recorded_at="later", job="other"))[0] is False
    assert vault.requests("PUT", RECORD) == puts + 1
