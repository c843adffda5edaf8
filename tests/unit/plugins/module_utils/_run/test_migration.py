# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The migration engine: unknown outcomes, isolation, aborts, per-path errors, federation as the source.

ScaiVault is the dev server's own App in process (``inprocess_vault``, tests/unit/fakes.py) reached by the
real client; its faults (docs/development.md) play lost answers and refusals. ASM is ``FakeAsm``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.encoding import encode_asm_value
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.mapping import compile_rules
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.provenance import source_metadata
from ansible_collections.scailabs.scaivault.plugins.module_utils._run.migration import (
    FederationValues, Migration, MigrationAborted, federation_rules)
from ansible_collections.scailabs.scaivault.plugins.module_utils._plan.migration import MigrationSettings

from unit.fakes import FakeAsm, asm_entry

REGION = "us-east-1"
FEDERATED = {"external/aws/**": "prod/**"}  # a federation backend's path_mapping: ScaiVault glob -> ASM name


def migration(asm, client, check_mode=False, values=None, **options):
    settings = dict(region=REGION, rules=compile_rules([{"match": "prod/**", "path": "env/prod/**"}]), workers=4)
    settings.update(options)
    return Migration(asm, client, MigrationSettings(**settings), check_mode=check_mode, values=values)


def secrets(count):
    return dict(("prod/s%03d" % index, [("v%d" % index, "value %d" % index)]) for index in range(count))


def by_name(outcome):
    return dict((task.name, task) for task in outcome.tasks)


def puts(vault, path=None):
    """PUTs of secrets that reached the server (of one path, or all)."""
    if path is not None:
        return vault.requests("PUT", path)
    return vault.counters()["by_route"].get("PUT /v1/secrets/{path}", 0)


def fault_on(path, **fault):
    return dict(fault, method="PUT", path_regex="^/v1/secrets/%s$" % path)


def test_first_run_then_rerun_reads_nothing(inprocess_vault):
    asm, client = FakeAsm(secrets(45)), inprocess_vault.client()
    outcome = migration(asm, client).run(prefixes=["prod/"])
    assert outcome.summary()["create"] == 45 and puts(inprocess_vault) == 45
    assert asm.calls == {"ListSecrets": 1, "BatchGetSecretValue": 3}
    assert inprocess_vault.get("env/prod/s007")["data"] == {"value": "value 7"}
    assert inprocess_vault.get("env/prod/s007")["metadata"]["source"]["version_id"] == "v7"
    asm.calls.clear()
    inprocess_vault.app.counters.reset()
    outcome = migration(asm, inprocess_vault.client()).run(prefixes=["prod/"])
    assert outcome.summary()["unchanged"] == 45 and not outcome.changed
    assert asm.calls == {"ListSecrets": 1} and puts(inprocess_vault) == 0


def test_unknown_outcome_that_was_applied_is_not_sent_again(inprocess_vault):
    inprocess_vault.faults([fault_on("env/prod/s001", kind="drop_after", count=1)])
    outcome = migration(FakeAsm(secrets(3)), inprocess_vault.client()).run(prefixes=["prod/"])
    assert puts(inprocess_vault, "env/prod/s001") == 1
    assert inprocess_vault.stored("env/prod/s001")["versions"] == [1]
    task = by_name(outcome)["prod/s001"]
    assert task.action == "create" and task.to_version == 1
    assert task.notes == ["the PUT of ASM version v1 got no answer; a re-read showed it was applied"]


def test_unknown_outcome_that_was_not_applied_is_sent_once_more(inprocess_vault):
    inprocess_vault.faults([fault_on("env/prod/s002", kind="drop_before", count=1)])
    outcome = migration(FakeAsm(secrets(3)), inprocess_vault.client()).run(prefixes=["prod/"])
    assert puts(inprocess_vault, "env/prod/s002") == 2
    assert inprocess_vault.stored("env/prod/s002")["versions"] == [1]
    task = by_name(outcome)["prod/s002"]
    assert (task.action, task.to_version) == ("create", 1)
    assert task.notes == ["the PUT of ASM version v2 got no answer and was not applied; sent once more"]


def test_a_version_conflict_with_no_other_writer_is_re_read_and_sent_once_more(inprocess_vault):
    """409 version_conflict (core-concepts/errors: fetch the current state, then retry): the re-read shows the
    target still as planned, so the write is sent once more - and only once."""
    inprocess_vault.faults([fault_on("env/prod/s001", kind="status", status=409, code="version_conflict", count=1)])
    outcome = migration(FakeAsm(secrets(2)), inprocess_vault.client()).run(prefixes=["prod/"])
    task = by_name(outcome)["prod/s001"]
    assert (task.action, task.to_version) == ("create", 1)
    assert task.notes == ["the PUT of ASM version v1 was refused with version_conflict and was not applied; sent once more"]
    assert puts(inprocess_vault, "env/prod/s001") == 2 and inprocess_vault.stored("env/prod/s001")["versions"] == [1]


def test_a_json_value_is_written_as_a_json_secret_with_the_versions_to_keep(inprocess_vault):
    asm = FakeAsm({"prod/a": [("a1", '{"user": "app", "port": 5432}')], "prod/b": [("b1", "plain")]})
    outcome = migration(asm, inprocess_vault.client(), max_versions=5).run(prefixes=["prod/"])
    assert outcome.summary()["create"] == 2
    stored = dict((name, inprocess_vault.get("env/" + name)) for name in ("prod/a", "prod/b"))
    assert (stored["prod/a"]["secret_type"], stored["prod/a"]["data"]) == ("json", {"user": "app", "port": 5432})
    assert (stored["prod/b"]["secret_type"], stored["prod/b"]["data"]) == ("kv", {"value": "plain"})
    assert inprocess_vault.stored("env/prod/a")["options"]["max_versions"] == 5


def test_a_lost_metadata_only_write_that_was_not_applied_is_sent_once_more(inprocess_vault):
    """The target already holds this value and ASM version (only the owner changes): after a lost answer, the
    unchanged version number - not the matching value - says the write did not happen."""
    asm = FakeAsm(secrets(1))
    migration(asm, inprocess_vault.client()).run(prefixes=["prod/"])
    inprocess_vault.faults([fault_on("env/prod/s000", kind="drop_before", count=1)])
    task = by_name(migration(asm, inprocess_vault.client(), owner="team:new").run(prefixes=["prod/"]))["prod/s000"]
    assert (task.action, task.from_version, task.to_version) == ("update", 1, 2)
    assert puts(inprocess_vault, "env/prod/s000") == 3  # the create, the lost write, the one re-sent
    stored = inprocess_vault.get("env/prod/s000")
    assert (stored["version"], stored["metadata"]["owner"], stored["data"]) == (2, "team:new", {"value": "value 0"})


def test_unknown_twice_and_not_applied_fails_only_that_secret(inprocess_vault):
    inprocess_vault.faults([fault_on("env/prod/s000", kind="drop_before", count=2)])
    outcome = migration(FakeAsm(secrets(3)), inprocess_vault.client()).run(prefixes=["prod/"])
    tasks = by_name(outcome)
    assert (tasks["prod/s000"].action, tasks["prod/s000"].reason_code) == ("error", "unknown_outcome")
    assert puts(inprocess_vault, "env/prod/s000") == 2 and inprocess_vault.stored("env/prod/s000") is None
    assert tasks["prod/s001"].action == tasks["prod/s002"].action == "create"


def test_a_failed_write_does_not_stop_the_others(inprocess_vault):
    inprocess_vault.faults([fault_on("env/prod/s010", kind="status", status=413, code="secret_too_large")])
    outcome = migration(FakeAsm(secrets(30)), inprocess_vault.client()).run(prefixes=["prod/"])
    summary = outcome.summary()
    assert summary["create"] == 29 and summary["error"] == 1
    assert by_name(outcome)["prod/s010"].reason_code == "secret_too_large"


def test_a_bad_token_aborts_the_whole_run(inprocess_vault):
    with pytest.raises(MigrationAborted) as aborted:
        migration(FakeAsm(secrets(3)), inprocess_vault.client(token="skt_not_a_token")).run(prefixes=["prod/"])
    assert aborted.value.cause.status == 401 and aborted.value.action == "reading target metadata"
    assert str(aborted.value) == str(aborted.value.cause) != ""
    assert puts(inprocess_vault) == 0


def test_check_mode_plans_everything_and_writes_nothing(inprocess_vault):
    asm = FakeAsm(secrets(5))
    migration(asm, inprocess_vault.client()).run(prefixes=["prod/"])
    asm.secrets["prod/s001"] = [("v1", "value 1"), ("v1b", "changed")]
    asm.secrets["prod/new"] = [("n1", "new")]
    inprocess_vault.app.counters.reset()
    outcome = migration(asm, inprocess_vault.client(), check_mode=True).run(prefixes=["prod/"])
    tasks = by_name(outcome)
    assert puts(inprocess_vault) == 0
    assert (tasks["prod/new"].action, tasks["prod/new"].to_version) == ("create", 1)
    assert (tasks["prod/s001"].action, tasks["prod/s001"].from_version, tasks["prod/s001"].to_version) == ("update", 1, 2)
    assert tasks["prod/s001"].changes == ["source"]
    assert outcome.summary()["unchanged"] == 4


def test_versions_all_writes_oldest_first_and_resumes_after_an_interruption(inprocess_vault):
    asm = FakeAsm({"prod/a": [("a1", "one"), ("a2", "two"), ("a3", "three")]})
    # The second PUT of the path is refused: the first version is in, the run reports the error.
    inprocess_vault.faults([fault_on("env/prod/a", kind="status", status=400, code="bad_request", after=1, count=1)])
    outcome = migration(asm, inprocess_vault.client(), versions="all").run(prefixes=["prod/"])
    assert by_name(outcome)["prod/a"].action == "error"
    assert inprocess_vault.stored("env/prod/a")["versions"] == [1]
    assert inprocess_vault.get("env/prod/a", 1)["data"] == {"value": "one"}
    outcome = migration(asm, inprocess_vault.client(), versions="all").run(prefixes=["prod/"])
    task = by_name(outcome)["prod/a"]
    assert (task.action, task.versions_written, task.to_version) == ("update", 2, 3)
    assert [inprocess_vault.get("env/prod/a", version)["data"]["value"] for version in (1, 2, 3)] == ["one", "two", "three"]
    assert inprocess_vault.get("env/prod/a")["metadata"]["source"]["version_id"] == "a3"
    outcome = migration(asm, inprocess_vault.client(), versions="all").run(prefixes=["prod/"])
    assert by_name(outcome)["prod/a"].action == "unchanged"


# -- per-path errors when reading the targets ------------------------------------------------------------
@pytest.mark.parametrize("code", ["access_denied", "internal_error", "path_locked"])
def test_a_target_the_batch_read_refuses_is_an_error_of_that_secret_only(inprocess_vault, code):
    """Batch metadata answers one path with an error other than "not found": that secret fails with the
    code, nothing is written to it (it is not taken for a new secret), the others are migrated."""
    inprocess_vault.faults([{"kind": "path_error", "path_regex": "^/v1/secrets/batch/metadata$",
                             "batch_path_regex": "^env/prod/s001$", "code": code}])
    outcome = migration(FakeAsm(secrets(3)), inprocess_vault.client()).run(prefixes=["prod/"])
    task = by_name(outcome)["prod/s001"]
    assert (task.action, task.reason_code) == ("error", code)
    assert "cannot read the target env/prod/s001" in task.reason
    assert puts(inprocess_vault, "env/prod/s001") == 0 and inprocess_vault.stored("env/prod/s001") is None
    assert [by_name(outcome)[name].action for name in ("prod/s000", "prod/s002")] == ["create", "create"]


def test_a_missing_target_is_created(inprocess_vault):
    """The other side of the branch above: secret_not_found per path means "create"."""
    outcome = migration(FakeAsm(secrets(1)), inprocess_vault.client()).run(prefixes=["prod/"])
    assert by_name(outcome)["prod/s000"].action == "create" and puts(inprocess_vault, "env/prod/s000") == 1


# -- source=federation -----------------------------------------------------------------------------
def federate(vault, name, version_id, value):
    """A federated copy at external/aws/<rest of name> as a sync backend writes it (value + provenance)."""
    encoded = encode_asm_value(secret_string=value)
    metadata = {"source": source_metadata(REGION, FakeAsm.ARN_TEMPLATE % name, name, version_id, encoded.format)}
    vault.put("external/aws/" + name[len("prod/"):], encoded.data, secret_type=encoded.secret_type, metadata=metadata)


def federation_migration(asm, client, mapping=None):
    values = FederationValues(client, federation_rules(mapping or FEDERATED))
    return migration(asm, client, values=values)


def test_federation_source_writes_the_federated_copy_of_awscurrent(inprocess_vault):
    asm = FakeAsm({"prod/a": [("a1", "old"), ("a2", "current")]})
    federate(inprocess_vault, "prod/a", "a2", "current")
    outcome = federation_migration(asm, inprocess_vault.client()).run(prefixes=["prod/"])
    task = by_name(outcome)["prod/a"]
    assert task.action == "create" and task.federated_path == "external/aws/a"
    written = inprocess_vault.get("env/prod/a")
    assert written["data"] == {"value": "current"} and written["metadata"]["source"]["version_id"] == "a2"
    assert "BatchGetSecretValue" not in asm.calls


def test_a_stale_federated_copy_is_an_error_and_nothing_is_written(inprocess_vault):
    """The copy still holds ASM version a1 while AWSCURRENT is a2: writing it would store the old value
    under the current VersionId, and every later run would call it unchanged."""
    asm = FakeAsm({"prod/a": [("a1", "old"), ("a2", "current")], "prod/b": [("b1", "fresh")]})
    federate(inprocess_vault, "prod/a", "a1", "old")
    federate(inprocess_vault, "prod/b", "b1", "fresh")
    outcome = federation_migration(asm, inprocess_vault.client()).run(prefixes=["prod/"])
    task = by_name(outcome)["prod/a"]
    assert (task.action, task.reason_code) == ("error", "stale_federation")
    assert "holds ASM version a1, but AWSCURRENT is a2" in task.reason
    assert inprocess_vault.stored("env/prod/a") is None and puts(inprocess_vault, "env/prod/a") == 0
    assert by_name(outcome)["prod/b"].action == "create"
    # Once the backend has synced, the next run writes the current value.
    federate(inprocess_vault, "prod/a", "a2", "current")
    outcome = federation_migration(asm, inprocess_vault.client()).run(prefixes=["prod/"])
    assert by_name(outcome)["prod/a"].action == "create"
    assert inprocess_vault.get("env/prod/a")["data"] == {"value": "current"}


def test_a_name_the_mapping_does_not_cover_is_not_federated(inprocess_vault):
    asm = FakeAsm({"prod/a": [("a1", "x")], "prod/other/b": [("b1", "y")]})
    federate(inprocess_vault, "prod/a", "a1", "x")
    outcome = federation_migration(asm, inprocess_vault.client(), {"external/aws/a": "prod/a"}).run(prefixes=["prod/"])
    task = by_name(outcome)["prod/other/b"]
    assert (task.action, task.reason_code) == ("error", "not_federated")
    assert "has no path for prod/other/b" in task.reason and task.federated_path is None
    assert inprocess_vault.stored("env/prod/other/b") is None
    assert by_name(outcome)["prod/a"].action == "create"


def test_a_missing_federated_copy_is_a_failed_read(inprocess_vault):
    asm = FakeAsm({"prod/a": [("a1", "x")], "prod/b": [("b1", "y")]})
    federate(inprocess_vault, "prod/b", "b1", "y")
    outcome = federation_migration(asm, inprocess_vault.client()).run(prefixes=["prod/"])
    task = by_name(outcome)["prod/a"]
    assert (task.action, task.reason_code) == ("error", "federated_read_failed")
    assert "external/aws/a has no value (secret_not_found)" in task.reason
    assert inprocess_vault.stored("env/prod/a") is None
    assert by_name(outcome)["prod/b"].action == "create"


def test_a_refused_federated_read_names_the_servers_code(inprocess_vault):
    asm = FakeAsm({"prod/a": [("a1", "x")]})
    federate(inprocess_vault, "prod/a", "a1", "x")
    inprocess_vault.faults([{"kind": "path_error", "path_regex": "^/v1/secrets/batch$",
                             "batch_path_regex": "^external/", "code": "backend_unavailable"}])
    outcome = federation_migration(asm, inprocess_vault.client()).run(prefixes=["prod/"])
    task = by_name(outcome)["prod/a"]
    assert (task.action, task.reason_code) == ("error", "federated_read_failed")
    assert "(backend_unavailable)" in task.reason and inprocess_vault.stored("env/prod/a") is None


# -- diff mode and metadata-only changes ---------------------------------------------------------------
def diff_migration(asm, client, **options):
    settings = dict(region=REGION, rules=compile_rules([{"match": "prod/**", "path": "env/prod/**"}]), workers=2)
    settings.update(options)
    return Migration(asm, client, MigrationSettings(**settings), diff_mode=True)


def test_diff_mode_shows_fingerprints_of_before_and_after_never_values(inprocess_vault):
    asm = FakeAsm({"prod/a": [("a1", "old-value-1")]})
    first = by_name(diff_migration(asm, inprocess_vault.client()).run(prefixes=["prod/"]))["prod/a"]
    assert first.diff["before_header"] == "env/prod/a (absent)" and first.diff["before"] == {}
    assert first.diff["after_header"] == "env/prod/a (v1, from ASM prod/a)"
    assert set(first.diff["after"]["data"]) == {"value"} and first.diff["after"]["data"]["value"].startswith("sha256:")
    asm.secrets["prod/a"].append(("a2", "new-value-2"))
    second = by_name(diff_migration(asm, inprocess_vault.client()).run(prefixes=["prod/"]))["prod/a"]
    assert second.action == "update" and second.changes == ["source", "data"]
    assert second.diff["before_header"] == "env/prod/a (v1)" and second.diff["after_header"].startswith("env/prod/a (v2,")
    assert second.diff["before"]["data"]["value"] != second.diff["after"]["data"]["value"]
    assert second.diff["before"]["metadata"]["source"]["version_id"] == "a1"
    assert second.diff["after"]["metadata"]["source"]["version_id"] == "a2"
    assert (second.diff["before"]["path"], second.diff["before"]["version"]) == ("env/prod/a", 1)
    assert (second.diff["after"]["path"], second.diff["after"]["version"], second.diff["after"]["secret_type"]) == (
        "env/prod/a", 2, "kv")
    # Only the owner changes: the value is written again as it was, and both sides show the same fingerprint (salted
    # per run: the fingerprints of two runs never match).
    third = by_name(diff_migration(asm, inprocess_vault.client(), owner="team:new").run(prefixes=["prod/"]))["prod/a"]
    assert third.changes == ["owner"] and third.diff["before"]["data"] == third.diff["after"]["data"]
    assert third.diff["after"]["data"] != second.diff["after"]["data"]
    text = repr(first.diff) + repr(second.diff) + repr(third.diff)
    assert "old-value-1" not in text and "new-value-2" not in text


@pytest.mark.parametrize("contract, write, version", [("metadata_patch", "in_place", 1), ("default", "new_version", 2)])
def test_a_metadata_only_change_uses_the_tenants_metadata_update_when_it_has_one(tmp_path, contract, write, version):
    """Only the owner changed: with a metadata-only update (alt:metadata_patch) the value is not read again and no
    version is written; without one, the unchanged value is written as a new version (and a note says why)."""
    from unit.fakes import InProcessVault  # pylint: disable=import-outside-toplevel

    vault = InProcessVault(tmp_path / "vault", contract="alt:%s" % contract if contract != "default" else None)
    try:
        asm = FakeAsm({"prod/a": [("a1", "value")]})
        migration(asm, vault.client()).run(prefixes=["prod/"])
        asm.calls.clear()
        outcome = diff_migration(asm, vault.client(), owner="team:new").run(prefixes=["prod/"])
        task = by_name(outcome)["prod/a"]
        assert task.action == "update" and task.metadata_write == write
        assert vault.get("env/prod/a")["metadata"]["owner"] == "team:new"
        assert vault.get("env/prod/a")["version"] == version and task.to_version == version
        if write == "in_place":
            assert task.changes == ["owner"] and "BatchGetSecretValue" not in asm.calls
            assert task.diff["after_header"] == "env/prod/a (v1, metadata only)"
            assert task.diff["after"]["metadata"]["owner"] == "team:new" and "owner" not in task.diff["before"]["metadata"]
        else:
            assert asm.calls.get("BatchGetSecretValue") == 1
            assert "no metadata-only update" in " ".join(task.notes)
    finally:
        vault.close()


def test_a_refused_metadata_update_fails_that_secret_and_a_refused_token_stops_the_run(tmp_path):
    from unit.fakes import InProcessVault  # pylint: disable=import-outside-toplevel

    vault = InProcessVault(tmp_path / "vault", contract="alt:metadata_patch")
    try:
        asm = FakeAsm({"prod/a": [("a1", "value")], "prod/b": [("b1", "value")]})
        migration(asm, vault.client()).run(prefixes=["prod/"])
        vault.faults([{"kind": "status", "status": 409, "code": "version_conflict", "method": "PATCH",
                       "path_regex": "^/v1/secrets/env/prod/a/metadata$"}])
        outcome = by_name(migration(asm, vault.client(), owner="team:new").run(prefixes=["prod/"]))
        assert (outcome["prod/a"].action, outcome["prod/a"].reason_code) == ("error", "version_conflict")
        assert outcome["prod/b"].metadata_write == "in_place"
        vault.faults([{"kind": "status", "status": 403, "code": "insufficient_scope", "method": "PATCH"}])
        with pytest.raises(MigrationAborted) as aborted:
            migration(asm, vault.client(), owner="team:newer").run(prefixes=["prod/"])
        assert aborted.value.action == "updating metadata"
    finally:
        vault.close()


def test_versions_all_in_check_mode_plans_every_version_and_writes_none(inprocess_vault):
    asm = FakeAsm({"prod/a": [("a1", "one"), ("a2", "two"), ("a3", "three")]})
    outcome = migration(asm, inprocess_vault.client(), check_mode=True, versions="all").run(prefixes=["prod/"])
    task = by_name(outcome)["prod/a"]
    assert (task.action, task.versions_planned, task.versions_written, task.to_version) == ("create", 3, 0, 3)
    assert task.changes == ["created"] and puts(inprocess_vault) == 0
    assert asm.calls["GetSecretValue"] == 3 and asm.calls["ListSecretVersionIds"] == 1


def test_versions_all_writes_each_version_oldest_first_and_a_diff_of_the_last(inprocess_vault):
    asm = FakeAsm({"prod/a": [("a1", "one"), ("a2", "two")]})
    outcome = Migration(asm, inprocess_vault.client(), MigrationSettings(
        region=REGION, rules=compile_rules([{"match": "prod/**", "path": "env/prod/**"}]), workers=2, versions="all"),
        diff_mode=True).run(prefixes=["prod/"])
    task = by_name(outcome)["prod/a"]
    assert (task.versions_written, task.to_version, task.written_version_id) == (2, 2, "a2")
    assert [inprocess_vault.get("env/prod/a", v)["data"]["value"] for v in (1, 2)] == ["one", "two"]
    assert inprocess_vault.get("env/prod/a")["metadata"]["source"]["version_id"] == "a2"
    assert task.diff["after_header"] == "env/prod/a (v2, from ASM prod/a)"
    assert task.diff["after"]["metadata"]["source"]["version_id"] == "a2"


# -- selection, batches and per-secret ASM answers ------------------------------------------------------
def test_names_that_do_not_exist_are_errors_and_the_rest_is_migrated(inprocess_vault):
    asm = FakeAsm(secrets(3))
    outcome = migration(asm, inprocess_vault.client()).run(names=["prod/s001", "prod/nope"])
    tasks = by_name(outcome)
    assert sorted(tasks) == ["prod/nope", "prod/s001"]
    assert (tasks["prod/nope"].action, tasks["prod/nope"].reason_code) == ("error", "not_found")
    assert tasks["prod/s001"].action == "create" and puts(inprocess_vault) == 1
    assert asm.listings == [([{"Key": "name", "Values": ["prod/"]}], True)]  # names are listed by their folder
    assert set(outcome.timings) == {"list_seconds", "plan_seconds", "execute_seconds"}
    assert all(value >= 0 for value in outcome.timings.values())


def test_a_batch_migrates_its_slice_only(inprocess_vault):
    asm = FakeAsm(secrets(10))
    outcome = migration(asm, inprocess_vault.client(), batch={"index": 2, "count": 3}).run(prefixes=["prod/"])
    assert outcome.batch_range == (3, 6) and outcome.summary()["selected_total"] == 10
    assert sorted(by_name(outcome)) == ["prod/s003", "prod/s004", "prod/s005"] and puts(inprocess_vault) == 3
    outcome = migration(asm, inprocess_vault.client()).run(prefixes=["prod/"], filters=[{"key": "tag-key", "values": ["x"]}])
    assert outcome.batch_range is None and outcome.summary()["create"] == 7
    assert asm.listings[-1] == ([{"Key": "tag-key", "Values": ["x"]}, {"Key": "name", "Values": ["prod/"]}], True)


def test_per_secret_asm_errors_fail_only_those_secrets(inprocess_vault):
    from ansible_collections.scailabs.scaivault.plugins.module_utils._common.errors import AsmError  # pylint: disable=import-outside-toplevel

    asm = FakeAsm(secrets(4))
    asm.value_errors = {"prod/s001": AsmError("DecryptionFailure on BatchGetSecretValue for prod/s001: KMS",
                                              code="DecryptionFailure", operation="BatchGetSecretValue",
                                              secret_id="prod/s001"),
                        "prod/s002": None}
    tasks = by_name(migration(asm, inprocess_vault.client()).run(prefixes=["prod/"]))
    assert (tasks["prod/s001"].action, tasks["prod/s001"].reason_code) == ("error", "DecryptionFailure")
    assert tasks["prod/s001"].reason == "DecryptionFailure on BatchGetSecretValue for prod/s001: KMS"
    assert (tasks["prod/s002"].action, tasks["prod/s002"].reason_code) == ("error", "NoValue")
    assert tasks["prod/s002"].reason == "no value returned for prod/s002"
    assert [tasks[name].action for name in ("prod/s000", "prod/s003")] == ["create", "create"]
    assert inprocess_vault.stored("env/prod/s001") is None and inprocess_vault.stored("env/prod/s002") is None


# -- source=federation: the format of a federated copy -------------------------------------------------------
def federate_as_stored(vault, name, data, secret_type, recorded_format=None):
    """A federated copy holding ``data`` as ``secret_type``; with provenance recording ``recorded_format`` (a copy a
    sync backend wrote), or none at all (None: a proxied live read carries no provenance)."""
    metadata = None
    if recorded_format is not None:
        source = source_metadata(REGION, FakeAsm.ARN_TEMPLATE % name, name, "a1", "text")
        source["format"] = recorded_format  # as stored, a format this collection does not write included
        metadata = {"source": source}
    vault.put("external/aws/" + name[len("prod/"):], data, secret_type=secret_type, metadata=metadata)


@pytest.mark.parametrize("data, secret_type, recorded_format, written_type, written_format", [
    # No provenance: the copy's type and keys say how ASM's value was encoded.
    ({"user": "app", "password": "p"}, "json", None, "json", "json"),
    ({"value": "plain text"}, "kv", None, "kv", "text"),
    ({"value_base64": "AP8="}, "kv", None, "kv", "binary"),
    ({"value": "x", "note": "y"}, "kv", None, "json", "json"),  # not one value key alone: a JSON object
    ({"value": "x"}, "json", None, "json", "json"),  # a JSON object {"value": ...} keeps its type
    # Provenance recorded by the sync: its format wins over what the keys suggest (a backend may not keep types).
    ({"value": "x"}, "kv", "json", "json", "json"),
    ({"value_base64": "AP8="}, "kv", "text", "kv", "text"),
    # A recorded format the collection does not know is not trusted: type and keys decide.
    ({"value": "x"}, "kv", "yaml", "kv", "text"),
])
def test_a_federated_copy_is_written_in_the_format_it_was_encoded_in(inprocess_vault, data, secret_type, recorded_format,
                                                                     written_type, written_format):
    asm = FakeAsm({"prod/a": [("a1", "not read: the federated copy is the source")]})
    federate_as_stored(inprocess_vault, "prod/a", data, secret_type, recorded_format)
    outcome = federation_migration(asm, inprocess_vault.client()).run(prefixes=["prod/"])
    assert by_name(outcome)["prod/a"].action == "create"
    written = inprocess_vault.get("env/prod/a")
    assert (written["data"], written["secret_type"]) == (data, written_type)
    assert written["metadata"]["source"]["format"] == written_format
    assert written["metadata"]["source"]["version_id"] == "a1"
    assert "BatchGetSecretValue" not in asm.calls


# -- versions=all: binary versions, the recorded history, a metadata change over a complete history ----------
def test_versions_all_records_the_asm_version_of_every_scaivault_version_binary_ones_included(inprocess_vault):
    asm = FakeAsm({"prod/a": [("a1", b"\x00one"), ("a2", "two"), ("a3", b"\xffthree")]})
    outcome = migration(asm, inprocess_vault.client(), versions="all").run(prefixes=["prod/"])
    task = by_name(outcome)["prod/a"]
    assert (task.action, task.versions_planned, task.versions_written, task.to_version) == ("create", 3, 3, 3)
    assert task.written_version_id == "a3" and task.changes == ["created"]
    assert [inprocess_vault.get("env/prod/a", version)["data"] for version in (1, 2, 3)] == [
        {"value_base64": "AG9uZQ=="}, {"value": "two"}, {"value_base64": "/3RocmVl"}]
    source = inprocess_vault.get("env/prod/a")["metadata"]["source"]
    assert source["versions"] == {"1": "a1", "2": "a2", "3": "a3"}
    assert (source["version_id"], source["format"]) == ("a3", "binary")


def test_versions_all_over_a_complete_history_rewrites_only_awscurrent_when_the_owner_changes(inprocess_vault):
    asm = FakeAsm({"prod/a": [("a1", "one"), ("a2", "two")]})
    migration(asm, inprocess_vault.client(), versions="all").run(prefixes=["prod/"])
    outcome = migration(asm, inprocess_vault.client(), versions="all", owner="team:payments").run(prefixes=["prod/"])
    task = by_name(outcome)["prod/a"]
    assert (task.action, task.versions_planned, task.versions_written, task.from_version, task.to_version) == (
        "update", 1, 1, 2, 3)
    assert task.changes == ["owner"] and task.written_version_id == "a2"
    written = inprocess_vault.get("env/prod/a")
    assert written["data"] == {"value": "two"} and written["metadata"]["owner"] == "team:payments"
    assert written["metadata"]["source"]["versions"] == {"1": "a1", "2": "a2", "3": "a2"}
    assert puts(inprocess_vault, "env/prod/a") == 3
    outcome = migration(asm, inprocess_vault.client(), versions="all", owner="team:payments").run(prefixes=["prod/"])
    assert by_name(outcome)["prod/a"].action == "unchanged" and puts(inprocess_vault, "env/prod/a") == 3


def test_versions_all_lists_each_change_once_when_several_versions_carry_it(inprocess_vault):
    """A target of another secret's history taken over: every missing version is written, the change named once."""
    asm = FakeAsm({"prod/a": [("a1", "one"), ("a2", "two"), ("a3", "three")]})
    migration(asm, inprocess_vault.client(), versions="all").run(prefixes=["prod/"])
    asm.secrets["prod/a"].append(("a4", "four"))
    outcome = migration(asm, inprocess_vault.client(), versions="all", owner="team:payments").run(prefixes=["prod/"])
    task = by_name(outcome)["prod/a"]
    assert (task.action, task.versions_written, task.from_version, task.to_version) == ("update", 1, 3, 4)
    assert task.changes.count("owner") == 1, task.changes


# -- current values: binary, unreadable ones, replicas, pacing and timings --------------------------------------
def test_a_binary_current_value_is_written_base64_and_recorded_as_binary(inprocess_vault):
    asm = FakeAsm({"prod/a": [("a1", b"\x00\xffkey")], "prod/b": [("b1", "text")]})
    outcome = migration(asm, inprocess_vault.client()).run(prefixes=["prod/"])
    assert outcome.summary()["create"] == 2 and asm.calls["BatchGetSecretValue"] == 1
    written = inprocess_vault.get("env/prod/a")
    assert (written["data"], written["secret_type"]) == ({"value_base64": "AP9rZXk="}, "kv")
    assert (written["metadata"]["source"]["format"], written["metadata"]["source"]["version_id"]) == ("binary", "a1")


def test_a_value_that_cannot_be_encoded_fails_that_secret_only(inprocess_vault):
    """An answer with neither SecretString nor SecretBinary (first in its batch): that secret fails, the rest of
    the batch is still written."""
    asm = FakeAsm({"prod/a": [("a1", None)], "prod/b": [("b1", "fine")], "prod/c": [("c1", "also fine")]})
    tasks = by_name(migration(asm, inprocess_vault.client()).run(prefixes=["prod/"]))
    assert (tasks["prod/a"].action, tasks["prod/a"].reason_code) == ("error", "encoding_error")
    assert tasks["prod/a"].reason == "an ASM secret value has exactly one of SecretString and SecretBinary; got neither"
    assert inprocess_vault.stored("env/prod/a") is None
    assert [tasks[name].action for name in ("prod/b", "prod/c")] == ["create", "create"]


def test_a_replica_of_another_region_is_left_to_its_primary(inprocess_vault):
    asm = FakeAsm({"prod/a": [("v-2", "primary here")], "prod/b": [("v-2", "replica here")]},
                  entries=[asm_entry("prod/a", PrimaryRegion=REGION), asm_entry("prod/b", PrimaryRegion="eu-west-1")])
    tasks = by_name(migration(asm, inprocess_vault.client()).run(prefixes=["prod/"]))
    assert tasks["prod/a"].action == "create" and inprocess_vault.get("env/prod/a")["data"] == {"value": "primary here"}
    assert (tasks["prod/b"].action, tasks["prod/b"].reason_code) == ("skip", "replica")
    assert inprocess_vault.stored("env/prod/b") is None


def test_writes_are_paced_by_the_tenants_write_bucket_and_the_run_reports_its_timings(inprocess_vault):
    assert inprocess_vault.http.post("/_dev/rate-limits", json={"preset": "managed"}).status_code == 200
    outcome = migration(FakeAsm(secrets(3)), inprocess_vault.client()).run(prefixes=["prod/"])
    assert outcome.summary()["create"] == 3
    assert (outcome.pacing["synced"], outcome.pacing["unlimited"], outcome.pacing["limit"]) == (True, False, 100)
    assert set(outcome.timings) == {"list_seconds", "plan_seconds", "execute_seconds"}
    # Each phase rounded to the millisecond: at most half a millisecond over the unrounded duration.
    assert all(0 <= seconds <= outcome.duration + 0.0005 for seconds in outcome.timings.values()), outcome.timings
    assert 0 < outcome.duration < 60
