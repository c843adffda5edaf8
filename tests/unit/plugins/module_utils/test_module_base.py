# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""run_module: the one way a module ends, including on a bug while a value is in memory."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.errors import PlanError, ScaiVaultError
from ansible_collections.scailabs.scaivault.plugins.module_utils._module_base import run_module, with_rules

VALUE = "in-memory-s3cret-value-0001"


def finish(run, capsys, args=None, **module_options):
    with patch_module_args(dict({"url": "https://vault.example", "token": "skt_x"}, **(args or {}))):
        with pytest.raises(SystemExit) as code:
            run_module(run, {"name": {"type": "str"}, "config": {"type": "dict"}}, **module_options)
    return code.value.code, json.loads(capsys.readouterr().out)


def test_a_bug_is_reported_by_type_and_place_never_by_its_text(capsys):
    def run(module):
        return {"n": int(VALUE)}  # ValueError: invalid literal for int() with base 10: 'in-memory-s3cret...'

    code, result = finish(run, capsys)
    assert code == 1 and result["failed"]
    assert "unexpected ValueError in test_module_base.py line" in result["msg"] and "(run)" in result["msg"]
    assert VALUE not in json.dumps(result)


def test_collection_errors_become_their_description_and_results_exit_normally(capsys):
    def refuse(module):
        raise PlanError("name %s: give a name" % module.params["name"])

    code, result = finish(refuse, capsys, {"name": "x"})
    assert code == 1 and result["msg"] == "name x: give a name"
    code, result = finish(lambda module: {"changed": False, "seen": module.params["name"]}, capsys, {"name": "y"})
    assert code == 0 and result["seen"] == "y"


def test_option_views_mask_an_option_in_the_invocation_echo(capsys):
    def fail_with_config(module):
        module.fail("refused")

    code, result = finish(fail_with_config, capsys, {"config": {"region": "r", "secret": VALUE}},
                          option_views={"config": lambda config: dict((key, "masked") for key in config)})
    assert code == 1 and result["invocation"]["module_args"]["config"] == {"region": "masked", "secret": "masked"}
    assert VALUE not in json.dumps(result)


# -- the second masking layer: Ansible's own no_log masking, kept for long values only -------------------
def test_a_no_log_value_that_reaches_a_result_by_mistake_is_masked(capsys):
    """Results never carry values; if one ever does (a bug), Ansible's masking of no_log values still hides it."""
    with patch_module_args({"url": "https://vault.example", "token": "skt_x", "value": VALUE}):
        with pytest.raises(SystemExit):
            run_module(lambda module: {"changed": False, "oops": "the value is %s" % VALUE, "nested": [VALUE]},
                       {"value": {"type": "str", "no_log": True}})
    out = capsys.readouterr().out
    assert VALUE not in out
    result = json.loads(out)
    assert result["oops"] == "the value is ********"
    assert result["nested"] == ["VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"]  # a whole value: Ansible's own wording


def test_mask_values_adds_long_values_and_leaves_short_ones_alone(capsys):
    """mask_values(): values of 4 characters or more are masked wherever they appear; shorter ones (a
    version number, "1") are not, so they cannot turn every digit of a timestamp into the mask."""
    later = "read-later-s3cret-0002"

    def run(module):
        module.mask_values([later, "abc", "7"])
        return {"changed": False, "text": "a %s b" % later, "short": "abc", "version": 7, "stamp": "2026-07-07"}

    code, result = finish(run, capsys)
    assert code == 0
    assert result["text"] == "a ******** b"
    assert (result["short"], result["version"], result["stamp"]) == ("abc", 7, "2026-07-07")


def test_short_no_log_values_do_not_mask_numbers(capsys):
    """A no_log value shorter than 4 characters is dropped from Ansible's list (the invocation masks it whole)."""
    with patch_module_args({"url": "https://vault.example", "token": "skt_x", "value": "1"}):
        with pytest.raises(SystemExit):
            run_module(lambda module: {"changed": False, "version": 1, "stamp": "2026-01-01T01:01:01Z"},
                       {"value": {"type": "str", "no_log": True}})
    result = json.loads(capsys.readouterr().out)
    assert result["version"] == 1 and result["stamp"] == "2026-01-01T01:01:01Z"
    assert result["invocation"]["module_args"]["value"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"


# -- what the base gives every module: option groups, clients, failures -----------------------------------
def run_with(capsys, args, run, spec=None, **module_options):
    with patch_module_args(args):
        with pytest.raises(SystemExit) as code:
            run_module(run, spec or {}, **module_options)
    return code.value.code, json.loads(capsys.readouterr().out)


def test_with_rules_appends_lists_and_lets_the_module_win_in_dicts():
    kwargs = {"mutually_exclusive": [("a", "b")], "required_by": {"x": ["y"], "z": ["mine"]}, "supports_check_mode": False}
    rules = {"mutually_exclusive": [("c", "d")], "required_by": {"z": ["theirs"], "w": ["v"]}, "required_together": [("p", "q")]}
    assert with_rules(kwargs, rules) == {
        "mutually_exclusive": [("a", "b"), ("c", "d")], "required_by": {"z": ["mine"], "w": ["v"], "x": ["y"]},
        "required_together": [("p", "q")], "supports_check_mode": False}
    assert kwargs["mutually_exclusive"] == [("a", "b")]  # the caller's lists are not changed


def test_api_calls_name_each_client_built_and_nothing_else(capsys):
    def run(module):
        before = module.api_calls()
        module.scaivault  # pylint: disable=pointless-statement
        module.asm  # pylint: disable=pointless-statement
        return {"changed": False, "before": before, "after": module.api_calls(), "region": module.params["region"],
                "check": module.check_mode, "diff": module.diff_mode}

    code, result = run_with(capsys, {"url": "https://vault.example", "token": "skt_x"}, run, asm=True)
    assert code == 0 and result["before"] == {}
    assert result["after"] == {"scaivault": {"total": 0, "retries": 0, "rate_limited": 0},
                               "asm": {"total": 0, "retries": 0}}
    assert result["region"] == "us-east-1"  # filled from boto3's chain (AWS_DEFAULT_REGION of the test env)
    assert (result["check"], result["diff"]) == (False, False)


@pytest.mark.parametrize("args, message", [
    ({"token": "skt_x"}, "ScaiVault connection settings: no ScaiVault URL: set the url option or SCAIVAULT_URL"),
    ({"url": "https://vault.example"}, "ScaiVault connection settings: no credentials: set token (or SCAIVAULT_TOKEN), "
                                       "or client_id and client_secret (or SCAIVAULT_CLIENT_ID / SCAIVAULT_CLIENT_SECRET)"),
])
def test_connection_problems_fail_before_any_request(capsys, args, message):
    def run(module):
        module.scaivault  # pylint: disable=pointless-statement
        return {"changed": False}

    code, result = run_with(capsys, args, run)
    assert code == 1 and result["msg"] == message and "invocation" in result


def test_plain_http_off_loopback_warns_when_allowed(capsys):
    def run(module):
        module.scaivault  # pylint: disable=pointless-statement
        return {"changed": False}

    code, result = run_with(capsys, {"url": "http://vault.internal.example", "token": "skt_x",
                                     "allow_insecure_http": True}, run)
    assert code == 0
    warnings = [item["event"]["msg"] if isinstance(item, dict) else item for item in result["warnings"]]
    assert warnings == ["url http://vault.internal.example is plain http:// off loopback "
                        "(allow_insecure_http=true): credentials and values cross the network in clear"]


def test_fail_from_prefixes_the_action_and_returns_the_error_fields(capsys):
    def run(module):
        module.fail_from(ScaiVaultError("boom", status=409, code="version_conflict", path="a/b"), "writing a/b",
                         path="a/b")

    code, result = run_with(capsys, {"url": "https://vault.example", "token": "skt_x"}, run)
    assert code == 1 and result["msg"].startswith("writing a/b: ") and result["path"] == "a/b"
    assert result["error"]["code"] == "version_conflict" and result["error"]["status"] == 409

    def plain(module):
        module.fail_from(ValueError("not ours"))

    code, result = run_with(capsys, {"url": "https://vault.example", "token": "skt_x"}, plain)
    assert code == 1 and result["msg"] == "not ours" and "error" not in result


def test_a_module_without_scaivault_takes_no_connection_options(capsys):
    code, result = run_with(capsys, {"name": "x"}, lambda module: {"changed": False, "params": sorted(module.params)},
                            {"name": {"type": "str"}}, scaivault=False)
    assert code == 0 and result["params"] == ["name"]


def test_check_mode_is_supported_and_asm_modules_get_the_aws_options(capsys):
    def run(module):
        return {"changed": False, "check": module.check_mode, "aws": "aws_max_attempts" in module.params,
                "scaivault": "url" in module.params}

    code, result = run_with(capsys, {"url": "https://vault.example", "token": "skt_x", "_ansible_check_mode": True},
                            run, asm=True)
    assert code == 0 and (result["check"], result["aws"], result["scaivault"]) == (True, True, True)
    code, result = run_with(capsys, {"url": "https://vault.example", "token": "skt_x"}, run)
    assert code == 0 and (result["aws"], result["scaivault"]) == (False, True)


def test_a_no_log_value_of_exactly_four_characters_is_still_masked(capsys):
    with patch_module_args({"url": "https://vault.example", "token": "skt_x", "value": "pw42"}):
        with pytest.raises(SystemExit):
            run_module(lambda module: {"changed": False, "said": "pw42!"}, {"value": {"type": "str", "no_log": True}})
    assert json.loads(capsys.readouterr().out)["said"] == "********!"


# -- survivors of the whole mutation run (tests/MUTATION.md) -----------------------------------------------
@pytest.fixture
def tracebacks_on(monkeypatch):
    """What -vvv does: the controller asks the module for tracebacks of errors."""
    from ansible.module_utils._internal import _traceback

    monkeypatch.setattr(_traceback, "_is_traceback_enabled", lambda event: event is _traceback.TracebackEvent.ERROR)


def test_a_bug_is_placed_at_the_innermost_frame_and_its_traceback_is_returned(capsys, tracebacks_on):
    def parse(text):
        return int(text)

    def run(module):
        return {"n": parse(VALUE)}

    code, result = finish(run, capsys)
    assert code == 1 and "line" in result["msg"] and result["msg"].split("line", 1)[1].split(")")[0].endswith("(parse")
    assert result["exception"].endswith("ValueError") and "in parse" in result["exception"]
    assert VALUE not in json.dumps(result)


def test_mask_values_masks_a_value_of_exactly_the_minimum_length(capsys):
    def run(module):
        module.mask_values(["pw42", "abc"])
        return {"changed": False, "said": "pw42!", "short": "abc"}

    code, result = finish(run, capsys)
    assert code == 0 and (result["said"], result["short"]) == ("********!", "abc")


def test_a_no_log_dict_option_is_echoed_with_its_keys_and_masked_values(capsys):
    with patch_module_args({"url": "https://vault.example", "token": "skt_x", "auth": {"user": "u1", "key": VALUE}}):
        with pytest.raises(SystemExit):
            run_module(lambda module: module.fail("refused"), {"auth": {"type": "dict", "no_log": True}})
    result = json.loads(capsys.readouterr().out)
    assert result["invocation"]["module_args"]["auth"] == {"user": "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER",
                                                           "key": "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"}


@pytest.mark.parametrize("library, flag, error", [("httpx", "HAS_HTTPX", "HTTPX_IMPORT_ERROR"),
                                                  ("boto3", "HAS_BOTO3", "BOTO3_IMPORT_ERROR")])
def test_a_missing_library_fails_naming_it_and_the_import_error(capsys, monkeypatch, tracebacks_on, library, flag,
                                                                error):
    from ansible.module_utils.basic import missing_required_lib
    from ansible_collections.scailabs.scaivault.plugins.module_utils._clients import asm, scaivault

    owner = scaivault if library == "httpx" else asm
    monkeypatch.setattr(owner, flag, False)
    monkeypatch.setattr(owner, error, ImportError("No module named %s (test)" % library))
    code, result = run_with(capsys, {"url": "https://vault.example", "token": "skt_x", "region": "eu-west-1"},
                            lambda module: {"changed": False}, asm=True)
    assert code == 1 and result["msg"] == missing_required_lib(library)
    assert result["exception"] == "No module named %s (test)" % library


def test_an_unset_region_is_the_one_of_the_named_profile(capsys, monkeypatch, tmp_path):
    config = tmp_path / "config"
    config.write_text("[profile migrator]\nregion = eu-north-1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    code, result = run_with(capsys, {"url": "https://vault.example", "token": "skt_x", "profile": "migrator"},
                            lambda module: {"changed": False, "region": module.params["region"]}, asm=True)
    assert code == 0 and result["region"] == "eu-north-1"
