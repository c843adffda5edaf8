# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The pure planning of asm_migrate: skips, targets, decisions, version order, batches (selection: test_selection.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

import pytest

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.encoding import encode_asm_value
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.errors import PlanError
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.mapping import compile_rules
from ansible_collections.scailabs.scaivault.plugins.module_utils._plan.migration import (
    ROTATION_WARNING, MigrationSettings, MigrationTask, SourceSecret, batch_slice, decide_from_target, ordered_versions,
    plan_tasks, plan_write, summarize, versions_to_write, wanted_metadata)
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.provenance import source_metadata

REGION = "us-east-1"
RULES = compile_rules([{"match": "prod/**", "path": "environments/production/**"}])
ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:%s-AbCdEf"


def settings(**overrides):
    options = dict(region=REGION, rules=RULES)
    options.update(overrides)
    return MigrationSettings(**options)


def entry(name, version="v1", **extra):
    base = {"Name": name, "ARN": ARN % name, "SecretVersionsToStages": {version: ["AWSCURRENT"]} if version else {}}
    base.update(extra)
    return base


def source(name, version="v1", **extra):
    return SourceSecret.from_entry(entry(name, version, **extra), REGION)


# -- tasks: skips, targets, collisions --------------------------------------------------------------
def test_every_skip_and_error_reason_is_reported():
    sources = [
        source("prod/ok"),
        source("prod/replica", PrimaryRegion="eu-west-1"),
        source("prod/primary", PrimaryRegion=REGION),
        source("prod/deleted", DeletedDate=datetime.datetime(2030, 1, 1)),
        source("prod/empty", version=None),
        source("dev/unmapped"),
        source("prod/Upper"),
        source("prod/cache.main"),
        source("prod/cache-main"),
    ]
    tasks = dict((task.name, task) for task in plan_tasks(sources, settings(), missing=[("gone", "not_found", "x")]))
    outcome = dict((name, (task.action, task.reason_code)) for name, task in tasks.items())
    assert outcome == {
        "prod/ok": (None, None), "prod/primary": (None, None),
        "prod/replica": ("skip", "replica"), "prod/deleted": ("skip", "planned_deletion"),
        "prod/empty": ("skip", "no_value"), "dev/unmapped": ("skip", "unmapped"),
        "prod/Upper": ("error", "invalid_path"), "prod/cache.main": ("error", "invalid_path"),
        "prod/cache-main": (None, None), "gone": ("error", "not_found"),
    }
    assert tasks["prod/replica"].path == "environments/production/replica"  # shown, never written
    assert "eu-west-1" in tasks["prod/replica"].reason


def test_collisions_are_errors_for_both_and_skipped_secrets_do_not_collide():
    sources = [source("prod/cache.main"), source("prod/cache-main"),
               source("prod/Old", DeletedDate=datetime.datetime(2030, 1, 1)), source("prod/old")]
    tasks = dict((task.name, task) for task in plan_tasks(sources, settings(naming_policy="normalize")))
    assert tasks["prod/cache.main"].reason_code == "collision"
    assert tasks["prod/cache-main"].reason_code == "collision"
    assert "prod/cache.main" in tasks["prod/cache-main"].reason
    assert tasks["prod/old"].action is None
    assert tasks["prod/Old"].reason_code == "planned_deletion"


def test_include_options_let_replicas_and_deleted_secrets_through():
    sources = [source("prod/replica", PrimaryRegion="eu-west-1"), source("prod/deleted", DeletedDate="2030-01-01")]
    tasks = plan_tasks(sources, settings(include_replicas=True, include_planned_deletion=True))
    assert [task.action for task in tasks] == [None, None]


def test_rotation_is_migrated_but_flagged():
    task = plan_tasks([source("prod/rotated", RotationEnabled=True, RotationLambdaARN="arn:lambda")], settings())[0]
    assert task.action is None
    result = task.result()
    assert result["rotation_enabled"] is True and "disable rotation" in result["rotation_warning"]
    assert result["rotation_lambda_arn"] == "arn:lambda"


@pytest.mark.parametrize("total, batch, expected", [
    (10, None, (0, 10)),
    (10, {"index": 1, "count": 3}, (0, 3)),
    (10, {"index": 2, "count": 3}, (3, 6)),
    (10, {"index": 3, "count": 3}, (6, 10)),
    (2, {"index": 3, "count": 3}, (1, 2)),
    (10, {"offset": 4, "limit": 3}, (4, 7)),
    (10, {"offset": 8}, (8, 10)),
    (10, {"offset": 20, "limit": 5}, (10, 10)),
])
def test_batches_cover_the_selection_exactly_once(total, batch, expected):
    assert batch_slice(total, batch) == expected


def test_batches_of_every_count_partition_the_selection():
    for total in (0, 1, 7, 100):
        for count in (1, 2, 3, 7):
            covered = []
            for index in range(1, count + 1):
                start, stop = batch_slice(total, {"index": index, "count": count})
                covered.extend(range(start, stop))
            assert covered == list(range(total))


@pytest.mark.parametrize("batch, message", [
    ({"index": 0, "count": 3}, "between 1"),
    ({"index": 4, "count": 3}, "between 1"),
    ({"index": 1}, "go together"),
    ({"index": 1, "count": 2, "offset": 0}, "not both"),
    ({"offset": -1}, "negative"),
])
def test_bad_batches_are_refused(batch, message):
    with pytest.raises(PlanError, match=message):
        batch_slice(10, batch)


@pytest.mark.parametrize("options, message", [
    ({"metadata": {"source": 1}}, "reserved"),
    ({"metadata": {"tags": []}}, "tags option"),
    ({"versions": "some"}, "versions"),
    ({"max_versions": 0}, "max_versions"),
])
def test_bad_settings_are_refused(options, message):
    with pytest.raises(PlanError, match=message):
        settings(**options)


# -- metadata and decisions -----------------------------------------------------------------------
def target_for(src, version_id="v1", value_format="json", echoed_options=None, **metadata):
    """The documented secret object (no options field); ``echoed_options`` plays a server that adds one."""
    meta = {"tags": ["migrated-from-asm"], "source": source_metadata(REGION, src.arn, src.name, version_id, value_format)}
    meta.update(metadata)
    target = {"path": "environments/production/x", "version": 3, "secret_type": "json" if value_format == "json" else "kv",
              "metadata": meta}
    if echoed_options is not None:
        target["options"] = echoed_options
    return target


def task_for(src):
    return MigrationTask(src, path="environments/production/x")


def test_wanted_metadata_adds_tags_keeps_foreign_keys_and_records_provenance():
    src = source("prod/a", Description="Stripe key", Tags=[{"Key": "team", "Value": "billing"}])
    merged, changed = wanted_metadata({"tags": ["hand-made"], "ticket": "OPS-1"}, src,
                                      settings(owner="team:billing", metadata={"wave": "1"}), "v1", "text")
    assert merged["tags"] == ["hand-made", "migrated-from-asm", "team=billing"]
    assert merged["ticket"] == "OPS-1" and merged["wave"] == "1" and merged["owner"] == "team:billing"
    assert merged["description"] == "Stripe key"
    assert merged["source"] == {"system": "aws-secrets-manager", "region": REGION, "arn": src.arn, "name": "prod/a",
                                "version_id": "v1", "format": "text"}
    assert changed == ["description", "owner", "source", "tags", "wave"]


@pytest.mark.parametrize("style, tags", [
    ("key=value", ["migrated-from-asm", "env=prod", "team="]),
    ("key", ["migrated-from-asm", "env", "team"]),
    ("drop", ["migrated-from-asm"]),
])
def test_tag_styles(style, tags):
    src = source("prod/a", Tags=[{"Key": "team", "Value": ""}, {"Key": "env", "Value": "prod"}])
    merged, _changed = wanted_metadata({}, src, settings(tag_style=style), "v1", "json")
    assert merged["tags"] == tags


def test_description_is_left_alone_when_asm_has_none_or_copy_is_off():
    src = source("prod/a", Description="from asm")
    assert "description" not in wanted_metadata({}, source("prod/a"), settings(), "v1", "json")[0]
    merged, ignored = wanted_metadata({"description": "mine"}, src, settings(copy_description=False), "v1", "json")
    assert merged["description"] == "mine"


def test_absent_target_is_a_create():
    task = decide_from_target(task_for(source("prod/a")), None, settings())
    assert (task.action, task.changes, task.from_version) == ("create", ["created"], None)


def test_target_recording_the_current_version_is_unchanged_without_reading_the_value():
    src = source("prod/a")
    task = decide_from_target(task_for(src), target_for(src), settings())
    assert task.action == "unchanged" and task.from_version == task.to_version == 3


@pytest.mark.parametrize("change", ["version", "tags", "owner", "type", "max_versions", "format"])
def test_any_difference_makes_it_an_update(change):
    src = source("prod/a")
    target = target_for(src)
    options = {}
    if change == "version":
        target = target_for(src, version_id="v0")
    elif change == "tags":
        target["metadata"]["tags"] = []
    elif change == "owner":
        options["owner"] = "team:x"
    elif change == "type":
        target["secret_type"] = "kv"
    elif change == "max_versions":
        target = target_for(src, echoed_options={"max_versions": None})
        options["max_versions"] = 5
    elif change == "format":
        target["metadata"]["source"]["format"] = None
    task = decide_from_target(task_for(src), target, settings(**options))
    assert task.action == "update"


@pytest.mark.parametrize("max_versions", [1, 5, 100])
def test_max_versions_never_causes_a_write_against_the_documented_object(max_versions):
    """No options field in the read object (ScaiVault core-concepts/secrets): max_versions is unknowable."""
    src = source("prod/a")
    task = decide_from_target(task_for(src), target_for(src), settings(max_versions=max_versions))
    assert task.action == "unchanged" and task.changes == []
    echoed = target_for(src, echoed_options={"max_versions": max_versions})
    assert decide_from_target(task_for(src), echoed, settings(max_versions=max_versions)).action == "unchanged"
    for other in ({"max_versions": max_versions + 1}, {"max_versions": None}):
        task = decide_from_target(task_for(src), target_for(src, echoed_options=other), settings(max_versions=max_versions))
        assert task.action == "update" and not task.metadata_only


def test_foreign_targets_are_refused_unless_take_over():
    src = source("prod/a")
    other = dict(target_for(source("prod/b")))
    hand_made = {"path": "x", "version": 1, "secret_type": "kv", "metadata": {"tags": []}}
    for target in (other, hand_made, dict(target_for(src), metadata=dict(target_for(src)["metadata"], source=dict(
            target_for(src)["metadata"]["source"], region="eu-west-1")))):
        task = decide_from_target(task_for(src), target, settings())
        assert (task.action, task.reason_code) == ("error", "foreign_target")
        assert decide_from_target(task_for(src), target, settings(take_over=True)).action == "update"


def test_recreated_asm_secret_with_the_same_name_is_an_update_not_foreign():
    src = source("prod/a")
    target = target_for(src)
    target["metadata"]["source"]["arn"] = ARN.replace("AbCdEf", "ZyXwVu") % "prod/a"
    task = decide_from_target(task_for(src), target, settings())
    assert task.action == "update"


def test_plan_write_sets_type_options_and_change_names():
    src = source("prod/a")
    encoded = encode_asm_value("plain text")
    for echoed, changed in ((None, []), ({"max_versions": None}, ["max_versions"])):
        task = decide_from_target(task_for(src), target_for(src, version_id="v0", echoed_options=echoed),
                                  settings(max_versions=4))
        metadata, options, changes = plan_write(task, settings(max_versions=4), "v1", encoded,
                                                task.target["metadata"], task.target)
        assert options == {"max_versions": 4}
        assert metadata["source"]["version_id"] == "v1" and metadata["source"]["format"] == "text"
        assert changes == ["source", "secret_type"] + changed


# -- versions: all ----------------------------------------------------------------------------------
def version(version_id, stages=(), created=None):
    return {"VersionId": version_id, "VersionStages": list(stages), "CreatedDate": created}


def test_versions_in_listing_order_when_dates_tie_and_current_last():
    same = datetime.datetime(2024, 1, 1)
    listed = [version("a", created=same), version("b", ["AWSPREVIOUS"], same), version("c", ["AWSCURRENT"], same),
              version("p", ["AWSPENDING"], same)]
    assert ordered_versions(listed, "c") == ["a", "b", "c"]


def test_versions_sorted_by_created_date_and_current_moved_last():
    def day(number):
        return datetime.datetime(2024, 1, number)

    listed = [version("new", created=day(5)), version("cur", ["AWSCURRENT"], day(3)), version("old", created=day(1))]
    assert ordered_versions(listed, "cur") == ["old", "new", "cur"]


def test_versions_resume_after_the_recorded_version():
    src = source("prod/a", version="c")
    task = task_for(src)
    task.target = target_for(src, version_id="b")
    assert versions_to_write(["a", "b", "c"], task, settings()) == (["c"], None)
    task.target = target_for(src, version_id="c")
    assert versions_to_write(["a", "b", "c"], task, settings()) == ([], None)
    task.target = None
    assert versions_to_write(["a", "b", "c"], task, settings()) == (["a", "b", "c"], None)
    task.target = target_for(src, version_id="gone")
    todo, note = versions_to_write(["a", "b", "c"], task, settings())
    assert todo == ["c"] and "no longer lists" in note


def test_versions_already_in_the_history_are_never_written_again():
    src = source("prod/a", version="d")
    task = task_for(src)
    task.target = target_for(src, version_id="c")
    task.target["metadata"]["source"]["versions"] = {"1": "a", "2": "s", "3": "c"}
    # 'c' was current when written; a new current 'd' moved it before the staged 's' in the order.
    assert versions_to_write(["a", "c", "s", "d"], task, settings()) == (["d"], None)


def test_history_records_every_written_version():
    src = source("prod/a")
    merged, ignored = wanted_metadata({}, src, settings(), "v1", "text", written_version=1)
    merged, ignored = wanted_metadata(merged, src, settings(), "v2", "text", written_version=2)
    assert merged["source"]["versions"] == {"1": "v1", "2": "v2"} and merged["source"]["version_id"] == "v2"
    unchanged, changed = wanted_metadata(merged, src, settings(), "v2", "text")
    assert changed == [] and unchanged == merged


def test_summary_counts_actions_reasons_and_batches():
    tasks = plan_tasks([source("prod/a"), source("dev/b"), source("prod/C")], settings())
    created = [task for task in tasks if task.name == "prod/a"][0]
    created.action, created.versions_written = "create", 1
    summary = summarize(tasks, selected_total=9, batch_range=(3, 6))
    assert summary["create"] == 1 and summary["skip"] == 1 and summary["error"] == 1 and summary["total"] == 3
    assert summary["by_reason"] == {"unmapped": 1, "invalid_path": 1}
    assert summary["versions_written"] == 1 and summary["changed"] == 1
    assert summary["batch"] == {"start": 3, "stop": 6} and summary["selected_total"] == 9


def test_results_never_carry_values():
    src = source("prod/a")
    result = plan_tasks([src], settings())[0].result()
    assert set(result) >= {"name", "arn", "path", "action", "reason", "from_version", "to_version", "versions_written"}
    assert "data" not in result and "value" not in result


def test_result_entry_word_for_word():
    """Every field of a task's result entry, with and without the optional parts (what reports and users read)."""
    plain = MigrationTask(source("prod/a", "v9", KmsKeyId="alias/k"), path="env/prod/a", action="update")
    plain.from_version, plain.to_version, plain.versions_written, plain.changes = 2, 3, 1, ["source"]
    assert plain.result() == {
        "name": "prod/a", "arn": ARN % "prod/a", "path": "env/prod/a", "action": "update", "reason_code": None,
        "reason": None, "source_version_id": "v9", "from_version": 2, "to_version": 3, "versions_written": 1,
        "changes": ["source"], "rotation_enabled": False, "kms_key_id": "alias/k"}
    rotating = MigrationTask(source("prod/r", RotationEnabled=True, RotationLambdaARN="arn:aws:lambda:x:1:function:f"),
                             path="env/prod/r", action="create")
    rotating.versions_planned, rotating.notes = 2, ["a note"]
    rotating.federated_path, rotating.metadata_write = "external/aws/r", "in_place"
    result = rotating.result()
    assert result["rotation_enabled"] is True and result["rotation_warning"] == ROTATION_WARNING
    assert (result["rotation_lambda_arn"], result["versions_planned"], result["notes"]) == (
        "arn:aws:lambda:x:1:function:f", 2, ["a note"])
    assert (result["federated_path"], result["metadata_update"]) == ("external/aws/r", "in_place")
    orphan = MigrationTask(None, name="prod/gone", action="error", reason_code="not_found", reason="no such secret")
    assert orphan.result() == {
        "name": "prod/gone", "arn": None, "path": None, "action": "error", "reason_code": "not_found",
        "reason": "no such secret", "source_version_id": None, "from_version": None, "to_version": None,
        "versions_written": 0, "changes": [], "rotation_enabled": False, "kms_key_id": None}


@pytest.mark.parametrize("options, message", [
    ({'metadata': {'source': 1}},
     "metadata key 'source' is reserved for the provenance asm_migrate records; choose another key"),
    ({'metadata': {'tags': []}},
     "metadata key 'tags' is reserved; use the tags option instead"),
    ({'metadata': {'description': 'd'}},
     "metadata key 'description' is reserved; use the copy_description option instead"),
    ({'metadata': {'owner': 'o'}},
     "metadata key 'owner' is reserved; use the owner option instead"),
    ({'versions': 'some'},
     "versions must be 'current' or 'all', got 'some'"),
    ({'max_versions': 0},
     "max_versions must be 1 or more (or unset to keep ScaiVault's setting)"),
    ({'workers': 0},
     'workers must be 1 or more'),
    ({'workers': None},
     'workers must be 1 or more'),
    ({'colour': 'red'},
     'unknown migration setting(s): colour'),
])
def test_bad_settings_are_refused_with_these_words(options, message):
    with pytest.raises(PlanError) as refused:
        settings(**options)
    assert str(refused.value) == message


def test_settings_defaults_and_copies():
    tags, metadata = ["a"], {"team": "x"}
    made = settings(tags=tags, metadata=metadata)
    tags.append("b")
    metadata["other"] = 1
    assert made.tags == ["a"] and made.metadata == {"team": "x"}
    plain = settings(tags=None, metadata=None)
    assert (plain.tags, plain.metadata, plain.naming_policy, plain.tag_style, plain.copy_description) == (
        [], {}, "strict", "key=value", True)
    assert (plain.versions, plain.workers, plain.source, plain.take_over, plain.max_versions) == (
        "current", 8, "asm", False, None)
    assert settings().tags == ["migrated-from-asm"] and settings(max_versions=1).max_versions == 1
