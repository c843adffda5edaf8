# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.errors import PlanError
from ansible_collections.scailabs.scaivault.plugins.module_utils._plan.federation import (
    CREDENTIALS_PATTERN_HINT, MASK, backend_diff, backend_view, build_desired, compare, creation_body,
    credential_values, effective_transform, masked_config, projected, proxy_settled, status_errors, sync_completed,
    without_unreported_transform)
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.tags import TAG_STYLES

MAPPING = {"external/aws/**": "prod/**"}
CURRENT = {
    "id": "fed_1", "name": "aws-us-east-1", "type": "aws-secrets-manager",
    "config": {"region": "us-east-1", "credentials_path": "infra/aws/sm-reader"},
    "path_mapping": {"external/aws/**": "prod/**"}, "mode": "sync", "sync_interval": "15m",
    "transform": {"tags": "key=value"}, "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
}


def desired(**kwargs):
    return build_desired("aws-us-east-1", **kwargs)


# -- build_desired -------------------------------------------------------------------------
def test_unset_options_are_absent():
    assert desired() == {}
    assert desired(mode="proxy") == {"mode": "proxy"}


def test_sync_interval_is_normalised():
    assert desired(sync_interval="900s")["sync_interval"] == "15m"
    assert desired(sync_interval="1h30m")["sync_interval"] == "90m"


@pytest.mark.parametrize("kwargs, fragment", [
    ({"backend_type": "consul"}, "type 'consul'"),
    ({"mode": "live"}, "mode 'live'"),
    ({"sync_interval": "15 minutes"}, "sync_interval"),
    ({"path_mapping": {}}, "non-empty dict"),
    ({"path_mapping": {"external/**x": "prod/**"}}, "path_mapping"),
    ({"path_mapping": {"external/aws/**": "prod/*"}}, "same wildcards"),
    ({"transform": {"tags": "upper"}}, "transform.tags"),
    ({"transform": {"names": "lower"}}, "unknown transform"),
    ({"config": {"region": ""}}, "config.region"),
    ({"config": {"region": "us-east-1", "credentials_path": "/infra/aws"}}, "credentials_path"),
    ({"config": "us-east-1"}, "config must be a dict"),
])
def test_invalid_options_name_backend_and_problem(kwargs, fragment):
    with pytest.raises(PlanError) as err:
        desired(**kwargs)
    assert "aws-us-east-1" in str(err.value)
    assert fragment in str(err.value)


def test_inline_aws_keys_are_refused_with_the_storage_pattern():
    with pytest.raises(PlanError) as err:
        desired(config={"region": "us-east-1", "access_key_id": "AKIAEXAMPLE", "secret_access_key": "s3cr3t-value"})
    text = str(err.value)
    assert "access_key_id" in text and "scaivault_secret" in text and "credentials_path" in text
    assert "s3cr3t-value" not in text and "AKIAEXAMPLE" not in text


def test_config_none_values_are_dropped():
    assert desired(config={"region": "us-east-1", "credentials_path": None})["config"] == {"region": "us-east-1"}


# -- creation ------------------------------------------------------------------------------
def test_creation_body_defaults_type_and_keeps_transform_unset():
    body = creation_body("b", desired(config={"region": "us-east-1"}, path_mapping=MAPPING, mode="proxy"))
    assert body == {"name": "b", "type": "aws-secrets-manager", "config": {"region": "us-east-1"},
                    "path_mapping": MAPPING, "mode": "proxy"}


def test_creation_needs_mapping_mode_config():
    with pytest.raises(PlanError) as err:
        creation_body("b", desired(mode="sync"))
    assert "config, path_mapping" in str(err.value) and "does not exist yet" in str(err.value)


def test_creation_sync_needs_interval():
    with pytest.raises(PlanError) as err:
        creation_body("b", desired(config={"region": "us-east-1"}, path_mapping=MAPPING, mode="sync"))
    assert "sync_interval is required" in str(err.value)


def test_creation_asm_needs_region():
    with pytest.raises(PlanError) as err:
        creation_body("b", desired(config={"credentials_path": "infra/aws/r"}, path_mapping=MAPPING, mode="proxy"))
    assert "config.region is required" in str(err.value)


def test_creation_other_type_needs_no_region():
    body = creation_body("v", desired(backend_type="hashicorp-vault", config={"endpoint": "https://vault"},
                                      path_mapping={"external/hashicorp/**": "secret/data/**"}, mode="proxy"))
    assert body["type"] == "hashicorp-vault"


# -- compare -------------------------------------------------------------------------------
def test_identical_backend_has_no_changes():
    want = desired(backend_type="aws-secrets-manager", config=dict(CURRENT["config"]), path_mapping=dict(MAPPING),
                   mode="sync", sync_interval="900s", transform={"tags": "key=value"})
    assert compare("aws-us-east-1", CURRENT, want) == ({}, [])


def test_unset_fields_are_left_alone():
    assert compare("aws-us-east-1", CURRENT, desired(mode="sync")) == ({}, [])


def test_proxy_to_sync_is_one_partial_patch():
    current = dict(CURRENT, mode="proxy", sync_interval=None)
    changes, changed = compare("aws-us-east-1", current, desired(mode="sync", sync_interval="15m"))
    assert changes == {"mode": "sync", "sync_interval": "15m"}
    assert changed == ["mode", "sync_interval"]


def test_switch_to_sync_without_interval_fails():
    current = dict(CURRENT, mode="proxy")
    del current["sync_interval"]
    with pytest.raises(PlanError) as err:
        compare("aws-us-east-1", current, desired(mode="sync"))
    assert "sync_interval is required" in str(err.value)


def test_config_change_names_keys_and_sends_whole_config():
    changes, changed = compare("aws-us-east-1", CURRENT, desired(config={"region": "us-east-1"}))
    assert changes == {"config": {"region": "us-east-1"}}
    assert changed == ["config.credentials_path"]
    moved = desired(config={"region": "eu-west-1", "credentials_path": "infra/aws/sm-reader"})
    changes, changed = compare("aws-us-east-1", CURRENT, moved)
    assert changed == ["config.region"]


def test_mapping_key_order_does_not_count():
    current = dict(CURRENT, path_mapping={"a/**": "x/**", "b/**": "y/**"})
    assert compare("n", current, desired(path_mapping={"b/**": "y/**", "a/**": "x/**"})) == ({}, [])
    changes, changed = compare("n", current, desired(path_mapping={"a/**": "x/**"}))
    assert changed == ["path_mapping"] and changes == {"path_mapping": {"a/**": "x/**"}}


def test_interval_compared_by_length_and_tolerates_seconds():
    assert compare("n", dict(CURRENT, sync_interval=900), desired(sync_interval="15m")) == ({}, [])
    assert compare("n", dict(CURRENT, sync_interval="garbage"), desired(sync_interval="15m"))[1] == ["sync_interval"]
    assert compare("n", CURRENT, desired(sync_interval="1h"))[0] == {"sync_interval": "1h"}


def test_transform_default_equals_absent():
    current = dict(CURRENT)
    del current["transform"]
    assert compare("n", current, desired(transform={"tags": "key=value"})) == ({}, [])
    changes, changed = compare("n", current, desired(transform={"tags": "drop"}))
    assert changes == {"transform": {"tags": "drop"}} and changed == ["transform.tags"]


def test_type_change_is_refused_with_fix():
    with pytest.raises(PlanError) as err:
        compare("aws-us-east-1", CURRENT, desired(backend_type="hashicorp-vault"))
    assert "state=absent" in str(err.value) and "aws-us-east-1" in str(err.value)


def test_effective_transform():
    assert effective_transform(None) == {"tags": "key=value"}
    assert effective_transform({"tags": "key"}) == {"tags": "key"}


# -- views and diffs -----------------------------------------------------------------------
def test_view_masks_credentials_keeps_paths_and_drops_timestamps():
    backend = dict(CURRENT, type="hashicorp-vault",
                   config={"endpoint": "https://v", "token": "hvs.secret", "auth_config_path": "infra/vault/approle",
                           "client_secret": "abc"})
    view = backend_view(backend)
    assert view["config"] == {"endpoint": "https://v", "token": MASK, "auth_config_path": "infra/vault/approle",
                              "client_secret": MASK}
    assert "created_at" not in view and "updated_at" not in view
    assert "hvs.secret" not in json.dumps(view)


def test_view_masks_every_unknown_key_at_any_depth():
    config = {"region": "us-east-1", "auth": {"secret_id": "s-1d-value", "mount": "approle", "roles": ["r1", {"x": "y"}]},
              "aws": {"region": "eu-west-1", "secret_access_key": "wJalrXUtnFEMI"}, "tls": {"passphrase": "pw-123456"},
              "odd_name_nobody_thought_of": "hunter2-value", "port": 8200, "empty": None}
    view = backend_view(dict(CURRENT, config=config))["config"]
    assert view == {"region": "us-east-1", "auth": {"secret_id": MASK, "mount": MASK, "roles": [MASK, {"x": MASK}]},
                    "aws": {"region": MASK, "secret_access_key": MASK}, "tls": {"passphrase": MASK},
                    "odd_name_nobody_thought_of": MASK, "port": MASK, "empty": None}
    for value in ("s-1d-value", "wJalrXUtnFEMI", "pw-123456", "hunter2-value", "8200"):
        assert value not in json.dumps(view)


@pytest.mark.parametrize("config, key", [
    ({"region": "us-east-1", "aws": {"secret_access_key": "wJalrXUtnFEMI"}}, "config.aws.secret_access_key"),
    ({"region": "us-east-1", "auth": {"secret_id": "s-1d"}}, "config.auth.secret_id"),
    ({"region": "us-east-1", "tls": [{"passphrase": "pw"}]}, "config.tls[0].passphrase"),
    ({"region": "us-east-1", "client_key": "-----BEGIN"}, "config.client_key"),
    ({"region": "us-east-1", "access_key_id": "AKIA0000"}, "config.access_key_id"),
])
def test_inline_credentials_are_refused_at_any_depth_naming_the_key_not_the_value(config, key):
    with pytest.raises(PlanError) as err:
        build_desired("b", "aws-secrets-manager", config, {"external/aws/**": "prod/**"})
    assert key in str(err.value) and "credentials_path" in str(err.value)
    for value in ("wJalrXUtnFEMI", "s-1d", "pw", "-----BEGIN", "AKIA0000"):
        assert "'%s'" % value not in str(err.value) and ": %s" % value not in str(err.value)


def test_diff_of_absent_and_present():
    diff = backend_diff(None, CURRENT)
    assert diff["before"] == {} and diff["after"]["mode"] == "sync"
    assert backend_diff(CURRENT, None)["after"] == {}


# -- status --------------------------------------------------------------------------------
def test_status_errors_text():
    status = {"errors": [{"source": "prod/Bad.Name", "code": "invalid_path", "message": "upper case"},
                         {"source": "connection", "code": "UnrecognizedClientException", "message": "bad token"}]}
    assert status_errors(status) == ("prod/Bad.Name: invalid_path: upper case; "
                                     "connection: UnrecognizedClientException: bad token")
    assert status_errors({}) == "" and status_errors(None) == ""


def test_sync_completed():
    assert not sync_completed({"last_sync": None}, None, True)
    assert not sync_completed({"last_sync": "t1"}, "t1", True)
    assert sync_completed({"last_sync": "t2"}, "t1", True)
    assert sync_completed({"last_sync": "t1"}, "t1", False)
    assert not sync_completed({}, None, False)
    assert sync_completed({"last_sync": "t2", "last_sync_id": "s1"}, "t1", True, "s1")
    assert not sync_completed({"last_sync": "t2", "last_sync_id": "s0"}, "t1", True, "s1")
    assert sync_completed({"last_sync": "t2"}, "t1", True, "s1")


def test_proxy_settled():
    assert not proxy_settled({"status": "pending"})
    assert not proxy_settled(None)
    assert proxy_settled({"status": "healthy"}) and proxy_settled({"status": "error"})


def test_credential_values_for_masking():
    config = {"region": "us-east-1", "secret_access_key": "abc123secret", "credentials_path": "infra/x", "token": "t0k",
              "port": 5, "nested": {"region": "hidden-too", "deeper": ["x1"]}}
    assert sorted(credential_values(config)) == ["abc123secret", "hidden-too", "t0k", "x1"]
    assert credential_values(None) == []


def test_a_backend_without_transform_is_not_compared_and_a_non_default_style_warns():
    current = {"name": "b", "mode": "sync"}
    desired, warning = without_unreported_transform("b", current, {"mode": "sync", "transform": {"tags": "key"}})
    assert desired == {"mode": "sync"} and "does not report transform" in warning
    desired, warning = without_unreported_transform("b", current, {"transform": {"tags": "key=value"}})
    assert desired == {} and warning is None
    kept = {"transform": {"tags": "key"}}
    assert without_unreported_transform("b", {"transform": {"tags": "drop"}}, kept) == (kept, None)


# -- exact refusals and plans (written against the mutation survivors) ---------------------
@pytest.mark.parametrize("name", ["", "   ", None])
def test_a_backend_without_a_name_is_refused(name):
    with pytest.raises(PlanError) as err:
        build_desired(name)
    assert str(err.value) == "a federation backend needs a non-empty name"


@pytest.mark.parametrize("kwargs, message", [
    ({"config": ["us-east-1"]}, "federation backend aws-us-east-1: config must be a dict, got a list"),
    ({"config": {"region": "us-east-1", "credentials_path": ""}},
     "federation backend aws-us-east-1: config.credentials_path must be a non-empty string"),
    ({"config": {"region": "us-east-1", "credentials_path": "infra/aws/"}},
     "federation backend aws-us-east-1: config.credentials_path 'infra/aws/' must be a ScaiVault path without "
     "leading or trailing '/' (for example infra/aws/sm-reader)"),
    ({"config": {"region": "us-east-1", "token": "t", "password": "p"}},
     "federation backend aws-us-east-1: config.token, config.password holds credentials; never put keys in a backend "
     "config: " + CREDENTIALS_PATTERN_HINT),
    ({"transform": {"names": "lower", "case": "x"}},
     "federation backend aws-us-east-1: unknown transform key(s) case, names (known: tags)"),
    ({"transform": {"tags": "upper"}},
     "federation backend aws-us-east-1: transform.tags 'upper' is not one of %s" % ", ".join(TAG_STYLES)),
    ({"backend_type": "consul"}, "federation backend aws-us-east-1: type 'consul' is not one of aws-secrets-manager, "
                                 "hashicorp-vault, azure-key-vault, google-secret-manager"),
    ({"mode": "live"}, "federation backend aws-us-east-1: mode 'live' is not one of proxy, sync"),
])
def test_a_refused_backend_option_is_named_with_the_fix(kwargs, message):
    with pytest.raises(PlanError) as err:
        desired(**kwargs)
    assert str(err.value) == message


def test_the_asm_config_rules_do_not_apply_to_other_backend_types():
    config = {"endpoint": "https://vault", "region": "", "credentials_path": "/abs/"}
    assert build_desired("v", "hashicorp-vault", config)["config"] == config
    current = dict(CURRENT, type="hashicorp-vault", config={"endpoint": "https://vault"})
    changes, changed = compare("v", current, build_desired("v", "hashicorp-vault", config))
    assert changes == {"config": config} and changed == ["config.credentials_path", "config.region"]


def test_compare_checks_a_desired_asm_config_naming_the_backend():
    with pytest.raises(PlanError) as err:
        compare("aws-us-east-1", CURRENT, {"config": {"region": ""}})
    assert str(err.value) == "federation backend aws-us-east-1: config.region must be a non-empty string"


def test_creation_checks_the_asm_rules_of_a_config_naming_the_backend():
    with pytest.raises(PlanError) as err:
        creation_body("b", {"config": {"region": "us-east-1", "credentials_path": "/x"}, "path_mapping": MAPPING,
                            "mode": "proxy"})
    assert str(err.value).startswith("federation backend b: config.credentials_path '/x' must be")


def test_a_sync_creation_body_carries_the_interval_and_the_transform():
    want = desired(config={"region": "us-east-1"}, path_mapping=MAPPING, mode="sync", sync_interval="900s",
                   transform={"tags": "drop"})
    assert creation_body("b", want) == {"name": "b", "type": "aws-secrets-manager", "config": {"region": "us-east-1"},
                                        "path_mapping": MAPPING, "mode": "sync", "sync_interval": "15m",
                                        "transform": {"tags": "drop"}}


def test_plans_and_views_are_copies_that_leave_their_inputs_alone():
    config = {"endpoint": "https://vault", "auth": {"mount": "approle"}}
    want = build_desired("v", "hashicorp-vault", config, {"external/v/**": "secret/**"}, "proxy")
    creation_body("v", want)["config"]["auth"]["mount"] = "changed"
    current = dict(CURRENT, type="hashicorp-vault", config={"endpoint": "https://vault"})
    changes, _changed = compare("v", current, want)
    changes["config"]["auth"]["mount"] = "changed"
    assert want["config"] == {"endpoint": "https://vault", "auth": {"mount": "approle"}}
    projected(current, {"mode": "sync"})["config"]["endpoint"] = "changed"
    projected(current, want)["config"]["auth"]["mount"] = "changed"
    backend_view(current)["path_mapping"]["x/**"] = "y/**"
    assert current["config"] == {"endpoint": "https://vault"} and current["path_mapping"] == MAPPING
    assert want["config"]["auth"] == {"mount": "approle"}


def test_a_stored_non_default_transform_is_what_a_wanted_one_is_compared_with():
    current = dict(CURRENT, transform={"tags": "drop"})
    assert compare("n", current, desired(transform={"tags": "drop"})) == ({}, [])
    assert compare("n", current, desired(transform={"tags": None})) == ({}, [])
    assert compare("n", current, desired(transform={"tags": "key=value"})) == (
        {"transform": {"tags": "key=value"}}, ["transform.tags"])


def test_the_unreported_transform_warning_names_the_wanted_style():
    _desired, warning = without_unreported_transform("b", {"name": "b"}, {"transform": {"tags": "drop"}})
    assert warning == ("federation backend b: this ScaiVault does not report transform, so transform.tags=drop cannot be "
                       "checked or applied; ASM tags arrive as the tenant writes them (our reading's default: "
                       "key=value)")


def test_a_list_under_a_visible_config_key_stays_visible():
    assert masked_config({"region": ["us-east-1", "eu-west-1"], "other": ["x"]}) == {
        "region": ["us-east-1", "eu-west-1"], "other": [MASK]}
    assert credential_values({"region": ["us-east-1"], "other": ["x"]}) == ["x"]


def test_a_config_that_is_no_dict_is_masked_whole():
    assert masked_config("us-east-1") == MASK and masked_config(["a"]) == MASK
    assert masked_config(None) is None


def test_a_diff_shows_both_sides():
    assert backend_diff(CURRENT, dict(CURRENT, mode="proxy")) == {
        "before": backend_view(CURRENT), "after": backend_view(dict(CURRENT, mode="proxy"))}
    assert backend_diff(CURRENT, None)["before"]["mode"] == "sync"


def test_status_errors_that_are_plain_text_are_kept_in_order():
    status = {"errors": ["throttled", {"code": "invalid_path"}, 5]}
    assert status_errors(status) == "throttled; invalid_path; 5"


def test_a_proxy_without_a_status_word_is_still_pending():
    assert not proxy_settled({"status": None, "id": "fed_1"})
