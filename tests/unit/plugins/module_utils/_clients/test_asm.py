# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Paging, batch reads with fallback, counting and error texts of the ASM client (botocore Stubber)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import boto3
import pytest
from botocore.stub import Stubber

from ansible_collections.scailabs.scaivault.plugins.module_utils._clients import asm


@pytest.fixture
def stubbed():
    raw = boto3.client("secretsmanager", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y")
    client = asm.AsmClient("us-east-1", boto_client=raw)
    with Stubber(raw) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def entry(name):
    return {"Name": name, "ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:%s-AbCdEf" % name}


def test_list_follows_next_token_100_per_page(stubbed):
    client, stubber = stubbed
    stubber.add_response("list_secrets", {"SecretList": [entry("a"), entry("b")], "NextToken": "t1"},
                         {"MaxResults": 100, "Filters": [{"Key": "name", "Values": ["prod/"]}]})
    stubber.add_response("list_secrets", {"SecretList": [entry("c")]},
                         {"MaxResults": 100, "Filters": [{"Key": "name", "Values": ["prod/"]}], "NextToken": "t1"})
    names = [e["Name"] for e in client.list_secrets(filters=[{"Key": "name", "Values": ["prod/"]}])]
    assert names == ["a", "b", "c"]
    assert client.calls_snapshot()["ListSecrets"] == 2


def value(name, text):
    return dict(entry(name), VersionId="%032d" % len(name), SecretString=text, VersionStages=["AWSCURRENT"])


def test_batch_get_chunks_of_20_and_reports_per_id_errors(stubbed):
    client, stubber = stubbed
    ids = ["s%02d" % i for i in range(25)]
    stubber.add_response("batch_get_secret_value", {"SecretValues": [value(i, "x") for i in ids[:19]],
                                                    "Errors": [{"SecretId": ids[19], "ErrorCode": "ResourceNotFoundException",
                                                                "Message": "gone"}]},
                         {"SecretIdList": ids[:20]})
    stubber.add_response("batch_get_secret_value", {"SecretValues": [value(i, "y") for i in ids[20:]]},
                         {"SecretIdList": ids[20:]})
    values, errors = client.batch_get_values(ids)
    assert len(values) == 24 and list(errors) == ["s19"]
    assert errors["s19"].not_found
    assert client.calls_snapshot()["BatchGetSecretValue"] == 2


def test_batch_get_denied_falls_back_to_get_secret_value(stubbed):
    client, stubber = stubbed
    stubber.add_client_error("batch_get_secret_value", "AccessDeniedException", "not authorized", 400,
                             expected_params={"SecretIdList": ["a", "b"]})
    stubber.add_response("get_secret_value", value("a", "1"), {"SecretId": "a"})
    stubber.add_client_error("get_secret_value", "AccessDeniedException", "User is not authorized", 400,
                             expected_params={"SecretId": "b"})
    values, errors = client.batch_get_values(["a", "b"])
    assert list(values) == ["a"]
    assert errors["b"].access_denied and "GetSecretValue for b" in errors["b"].message
    assert "Grant secretsmanager:GetSecretValue" in errors["b"].message
    assert client.batch_get_denied


def test_batch_get_other_errors_propagate(stubbed):
    client, stubber = stubbed
    stubber.add_client_error("batch_get_secret_value", "InternalServiceError", "boom", 500,
                             expected_params={"SecretIdList": ["a"]})
    with pytest.raises(asm.AsmError) as info:
        client.batch_get_values(["a"])
    assert info.value.code == "InternalServiceError"


def test_moto_xml_denial_is_readable():
    from botocore.exceptions import ClientError
    exc = ClientError({"Error": {"Code": "403", "Message": "<ErrorResponse><Error><Code>AccessDenied</Code>"
                                 "<Message>User: x is not authorized to perform: secretsmanager:GetSecretValue</Message>"
                                 "</Error></ErrorResponse>"}}, "GetSecretValue")
    error = asm.aws_error(exc, "GetSecretValue", "prod/db")
    assert error.access_denied
    assert error.message.startswith("AccessDeniedException on GetSecretValue for prod/db: User: x is not authorized")


def test_an_html_error_page_is_named_not_quoted():
    from botocore.exceptions import ClientError
    exc = ClientError({"Error": {"Code": "500", "Message": "<!doctype html> <html lang=en> <title>500 Internal Server "
                                 "Error</title> <p>proxy says no</p>"}}, "ListSecrets")
    error = asm.aws_error(exc, "ListSecrets")
    assert "HTML page" in error.message and "check region" in error.message and "proxy says" not in error.message


@pytest.mark.parametrize("region,problem", [
    ("us-east-1", None),
    ("eu-west-1", None),
    # Newer than some supported botocore releases, or not in botocore's data at all: botocore decides.
    ("mx-central-1", None),
    ("ap-southeast-7", None),
    ("us-gov-west-1", None),
    ("us-east-99", None),
    ("", "no AWS region"),
    (None, "no AWS region"),
    ("mars", "is not an AWS region name"),
    ("EU-WEST-1", "is not an AWS region name"),
    ("eu-west-1a", "is not an AWS region name"),
])
def test_region_names_are_checked_for_shape_only(region, problem):
    found = asm.region_problem(region)
    if problem is None:
        assert found is None
    else:
        assert problem in found


def test_list_secrets_uses_botocores_paginator(stubbed, monkeypatch):
    client, stubber = stubbed
    used = []
    real = client._client.get_paginator
    monkeypatch.setattr(client._client, "get_paginator", lambda name: used.append(name) or real(name))
    stubber.add_response("list_secrets", {"SecretList": [entry("a")]}, {"MaxResults": 100, "IncludePlannedDeletion": True})
    assert [e["Name"] for e in client.list_secrets(include_planned_deletion=True)] == ["a"]
    assert used == ["list_secrets"]


def test_list_secrets_error_names_the_operation(stubbed):
    client, stubber = stubbed
    stubber.add_client_error("list_secrets", "AccessDeniedException", "no", 400, expected_params={"MaxResults": 100})
    with pytest.raises(asm.AsmError) as info:
        list(client.list_secrets())
    assert info.value.access_denied and "Grant secretsmanager:ListSecrets" in info.value.message


def test_a_failing_credential_chain_is_not_blamed_on_secrets_manager():
    from botocore.exceptions import ClientError
    exc = ClientError({"Error": {"Code": "AccessDenied", "Message": "not authorized to perform sts:AssumeRole"}},
                      "AssumeRole")
    error = asm.aws_error(exc, "ListSecrets")
    assert error.operation == "AssumeRole"
    assert error.message.startswith("AccessDenied on AssumeRole (getting credentials for ListSecrets)")
    assert "secretsmanager:" not in error.message and "role_arn" in error.message


# -- connect(): boto3's chain, with the options on top ---------------------------------------------------
@pytest.fixture
def aws_home(tmp_path, monkeypatch):
    """An empty AWS environment with its own config files; returns a writer for ~/.aws/config."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    config, credentials = tmp_path / "config", tmp_path / "credentials"
    config.write_text("")
    credentials.write_text("")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")

    def write(text, credentials_text=""):
        config.write_text(text)
        credentials.write_text(credentials_text)
    return write


def verify_of(client):
    return client._client._endpoint.http_session._verify


def test_region_comes_from_the_profile_when_nothing_else_sets_it(aws_home, monkeypatch):
    aws_home("[profile eu]\nregion = eu-central-1\n[default]\nregion = mx-central-1\n",
             "[eu]\naws_access_key_id = a\naws_secret_access_key = b\n")
    assert asm.connect({"profile": "eu"}).region == "eu-central-1"
    # AWS_PROFILE instead of the option; then the default profile.
    monkeypatch.setenv("AWS_PROFILE", "eu")
    assert asm.connect({}).region == "eu-central-1"
    monkeypatch.delenv("AWS_PROFILE")
    client = asm.connect({})
    assert client.region == client._client.meta.region_name == "mx-central-1"


def test_region_precedence_option_then_aws_region_then_botos_chain(aws_home, monkeypatch):
    aws_home("[default]\nregion = eu-central-1\n")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-2")
    assert asm.connect({}).region == "eu-west-2"
    monkeypatch.setenv("AWS_REGION", "eu-west-3")
    assert asm.connect({}).region == "eu-west-3"
    assert asm.connect({"region": "ap-southeast-7"}).region == "ap-southeast-7"


def test_no_region_anywhere_names_every_place_to_set_one(aws_home):
    with pytest.raises(asm.PlanError) as info:
        asm.connect({})
    assert "AWS_REGION" in str(info.value) and "profile" in str(info.value)


def test_unknown_profile_is_an_asm_error(aws_home):
    with pytest.raises(asm.AsmError) as info:
        asm.connect({"profile": "nope", "region": "us-east-1"})
    assert info.value.code == "ProfileNotFound" and "'nope'" in info.value.message


def test_ca_bundle_is_left_to_botos_chain_unless_set(aws_home, monkeypatch, tmp_path):
    bundle = tmp_path / "ca.pem"
    bundle.write_text("")
    monkeypatch.setenv("AWS_CA_BUNDLE", str(bundle))
    assert verify_of(asm.connect({"region": "us-east-1"})) == str(bundle)
    assert verify_of(asm.connect({"region": "us-east-1", "aws_ca_bundle": "/opt/other.pem"})) == "/opt/other.pem"
    assert verify_of(asm.connect({"region": "us-east-1", "aws_validate_certs": False})) is False
    monkeypatch.delenv("AWS_CA_BUNDLE")
    aws_home("[default]\nca_bundle = %s\n" % bundle)
    assert verify_of(asm.connect({"region": "us-east-1"})) == str(bundle)


def test_retries_option_then_aws_config_then_chain_then_default(aws_home, monkeypatch):
    def retries(**options):
        return asm.connect(dict(options, region="us-east-1"))._client.meta.config.retries
    assert retries() == {"total_max_attempts": 10, "mode": "standard"}
    aws_home("[default]\nmax_attempts = 4\nretry_mode = adaptive\n")
    assert retries() == {"total_max_attempts": 4, "mode": "adaptive"}
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "6")
    assert retries() == {"total_max_attempts": 6, "mode": "adaptive"}
    assert retries(aws_config={"retries": {"max_attempts": 2, "mode": "standard"}}) == {
        "total_max_attempts": 3, "mode": "standard"}
    assert retries(aws_max_attempts=8, aws_retry_mode="standard") == {"total_max_attempts": 8, "mode": "standard"}
    assert retries(aws_max_attempts=5, aws_config={"retries": {"total_max_attempts": 5}})["total_max_attempts"] == 5
    with pytest.raises(asm.PlanError) as info:
        retries(aws_max_attempts=3, aws_config={"retries": {"total_max_attempts": 5}})
    assert "aws_max_attempts" in str(info.value)


def test_aws_config_is_merged_over_the_collections_settings(aws_home):
    aws_config = {"read_timeout": 7, "max_pool_connections": 3, "proxies": {"https": "http://127.0.0.1:9"}}
    config = asm.connect({"region": "us-east-1", "aws_config": aws_config})._client.meta.config
    assert (config.read_timeout, config.max_pool_connections) == (7, 3)
    assert config.proxies == {"https": "http://127.0.0.1:9"}
    assert config.user_agent_extra.startswith("scailabs.scaivault/")
    with pytest.raises(asm.PlanError) as info:
        asm.connect({"region": "us-east-1", "aws_config": {"bogus": 1}})
    assert "aws_config" in str(info.value)


def test_keys_given_as_options_win_over_the_environment(aws_home, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "ENVKEY")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "envsecret")
    client = asm.connect({"region": "us-east-1", "access_key": "OPTKEY", "secret_key": "optsecret"})
    assert client._client._request_signer._credentials.access_key == "OPTKEY"
    assert asm.connect({"region": "us-east-1"})._client._request_signer._credentials.access_key == "ENVKEY"


def test_endpoint_url_option_or_botos_chain(aws_home, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", "http://127.0.0.1:9")
    assert asm.connect({"region": "us-east-1"})._client.meta.endpoint_url == "http://127.0.0.1:9"
    client = asm.connect({"region": "us-east-1", "endpoint_url": "http://127.0.0.1:8"})
    assert client._client.meta.endpoint_url == "http://127.0.0.1:8"


# -- versions and the writes (exact requests, botocore Stubber) ---------------------------------------------
ARN_A = "arn:aws:secretsmanager:us-east-1:123456789012:secret:a-AbCdEf"


def test_version_ids_follow_next_token_and_ask_for_deprecated_ones(stubbed):
    client, stubber = stubbed
    stubber.add_response("list_secret_version_ids", {"Versions": [{"VersionId": "v" * 32}], "NextToken": "n1"},
                         {"SecretId": ARN_A, "MaxResults": 100, "IncludeDeprecated": True})
    stubber.add_response("list_secret_version_ids", {"Versions": [{"VersionId": "w" * 32}]},
                         {"SecretId": ARN_A, "MaxResults": 100, "IncludeDeprecated": True, "NextToken": "n1"})
    stubber.add_response("list_secret_version_ids", {}, {"SecretId": ARN_A, "MaxResults": 100})
    assert [item["VersionId"] for item in client.list_version_ids(ARN_A, include_deprecated=True, name="a")] == [
        "v" * 32, "w" * 32]
    assert client.list_version_ids(ARN_A) == []
    assert client.calls_snapshot()["ListSecretVersionIds"] == 3


def test_version_id_errors_name_the_secret(stubbed):
    client, stubber = stubbed
    stubber.add_client_error("list_secret_version_ids", "ResourceNotFoundException", "not here")
    with pytest.raises(asm.AsmError) as info:
        client.list_version_ids(ARN_A, name="prod/a")
    assert info.value.code == "ResourceNotFoundException" and info.value.secret_id == "prod/a"
    assert info.value.operation == "ListSecretVersionIds"


@pytest.mark.parametrize("call, operation, params", [
    (lambda c: c.delete(ARN_A), "delete_secret", {"SecretId": ARN_A}),
    (lambda c: c.delete(ARN_A, recovery_window_days="7"), "delete_secret", {"SecretId": ARN_A, "RecoveryWindowInDays": 7}),
    (lambda c: c.delete(ARN_A, recovery_window_days=7, force=True), "delete_secret",
     {"SecretId": ARN_A, "ForceDeleteWithoutRecovery": True}),
    (lambda c: c.restore(ARN_A), "restore_secret", {"SecretId": ARN_A}),
    (lambda c: c.cancel_rotation(ARN_A), "cancel_rotate_secret", {"SecretId": ARN_A}),
    (lambda c: c.rotate(ARN_A, RotateImmediately=False), "rotate_secret", {"SecretId": ARN_A, "RotateImmediately": False}),
    (lambda c: c.describe(ARN_A), "describe_secret", {"SecretId": ARN_A}),
    (lambda c: c.get_value(ARN_A, version_id="v" * 32, version_stage="AWSPREVIOUS"), "get_secret_value",
     {"SecretId": ARN_A, "VersionId": "v" * 32, "VersionStage": "AWSPREVIOUS"}),
])
def test_each_call_sends_exactly_these_parameters(stubbed, call, operation, params):
    client, stubber = stubbed
    stubber.add_response(operation, {"ARN": ARN_A, "Name": "a"}, params)
    assert call(client)["Name"] == "a"
    api_name = "".join(part.capitalize() for part in operation.split("_"))
    assert client.calls_snapshot() == {api_name: 1, "total": 1, "retries": 0}


@pytest.mark.parametrize("options, environ, region", [
    ({"region": "eu-west-1"}, {}, "eu-west-1"),
    ({}, {"AWS_REGION": "ap-south-2"}, "ap-south-2"),
    ({"profile": "nope"}, {}, None),
])
def test_chain_region_is_best_effort(aws_home, monkeypatch, options, environ, region):
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    for key, val in environ.items():
        monkeypatch.setenv(key, val)
    assert asm.chain_region(options) == region


@pytest.mark.parametrize("response, operation_name, secret_id, code, message", [
    ({"Error": {"Code": "ResourceNotFoundException", "Message": "Secrets Manager can't find it."}},
     "GetSecretValue", "prod/a", "ResourceNotFoundException",
     "ResourceNotFoundException on GetSecretValue for prod/a: Secrets Manager can't find it.."),
    ({"Error": {"Code": "AccessDenied", "Message": "no"}}, "ListSecrets", None, "AccessDeniedException",
     "AccessDeniedException on ListSecrets: no. Grant secretsmanager:ListSecrets to the AWS identity running this task"),
    ({"Error": {}, "ResponseMetadata": {"HTTPStatusCode": 502}}, "ListSecrets", None, "502", "502 on ListSecrets: ."),
    ({}, "ListSecrets", None, "ClientError", "ClientError on ListSecrets: ."),
    ({"Error": {"Code": "AccessDenied", "Message": "not allowed"}}, "AssumeRole", "prod/a", "AccessDenied",
     "AccessDenied on AssumeRole (getting credentials for GetSecretValue of prod/a): not allowed. Check the "
     "profile's role_arn and that its source identity may assume it"),
    ({"Error": {"Code": "ExpiredToken", "Message": "old"}}, "AssumeRole", None, "ExpiredToken",
     "ExpiredToken on AssumeRole (getting credentials for GetSecretValue): old."),
])
def test_aws_errors_in_their_words(response, operation_name, secret_id, code, message):
    from botocore.exceptions import ClientError  # pylint: disable=import-outside-toplevel

    operation = "GetSecretValue" if operation_name == "AssumeRole" else operation_name
    error = asm.aws_error(ClientError(response, operation_name), operation, secret_id)
    assert (error.code, error.message) == (code, message)
    assert error.operation == operation_name and error.secret_id == secret_id


def test_non_client_aws_errors_in_their_words():
    from botocore.exceptions import EndpointConnectionError, NoCredentialsError, NoRegionError  # pylint: disable=import-outside-toplevel

    error = asm.aws_error(NoCredentialsError(), "ListSecrets", "x")
    assert error.code == "NoCredentials" and error.message.startswith("no AWS credentials found: set access_key")
    assert asm.aws_error(NoRegionError(), "ListSecrets").message == asm.NO_REGION
    error = asm.aws_error(EndpointConnectionError(endpoint_url="https://sm.example"), "ListSecrets", "prod/a")
    assert (error.code, error.operation, error.secret_id) == ("EndpointConnectionError", "ListSecrets", "prod/a")
    assert error.message == 'EndpointConnectionError on ListSecrets for prod/a: Could not connect to the endpoint URL: "https://sm.example"'


@pytest.mark.parametrize("call, operation, params", [
    (lambda c: c.tag(ARN_A, {"b": "2", "a": "1"}), "tag_resource",
     {"SecretId": ARN_A, "Tags": [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]}),
    (lambda c: c.untag(ARN_A, {"b", "a"}), "untag_resource", {"SecretId": ARN_A, "TagKeys": ["a", "b"]}),
    (lambda c: c.create_empty("prod/a", "moved to ScaiVault", {"z": "1", "m": "2"}), "create_secret",
     {"Name": "prod/a", "Description": "moved to ScaiVault", "Tags": [{"Key": "m", "Value": "2"}, {"Key": "z", "Value": "1"}]}),
])
def test_tag_untag_and_create_send_exactly_these_parameters(stubbed, call, operation, params):
    client, stubber = stubbed
    stubber.add_response(operation, {}, params)
    call(client)
    assert client.calls_snapshot()["total"] == 1


@pytest.mark.parametrize("call, operation, api_name", [
    (lambda c: c.describe("prod/a"), "describe_secret", "DescribeSecret"),
    (lambda c: c.rotate("prod/a"), "rotate_secret", "RotateSecret"),
    (lambda c: c.cancel_rotation("prod/a"), "cancel_rotate_secret", "CancelRotateSecret"),
    (lambda c: c.delete("prod/a"), "delete_secret", "DeleteSecret"),
    (lambda c: c.restore("prod/a"), "restore_secret", "RestoreSecret"),
    (lambda c: c.tag("prod/a", {"k": "v"}), "tag_resource", "TagResource"),
    (lambda c: c.untag("prod/a", ["k"]), "untag_resource", "UntagResource"),
    (lambda c: c.create_empty("prod/a", "d", {}), "create_secret", "CreateSecret"),
    (lambda c: c.get_value("prod/a"), "get_secret_value", "GetSecretValue"),
])
def test_each_call_names_its_secret_and_operation_when_it_fails(stubbed, call, operation, api_name):
    client, stubber = stubbed
    stubber.add_client_error(operation, "ResourceNotFoundException", "Secrets Manager can't find it.")
    with pytest.raises(asm.AsmError) as info:
        call(client)
    assert (info.value.secret_id, info.value.operation, info.value.code) == ("prod/a", api_name, "ResourceNotFoundException")
    assert info.value.message == "ResourceNotFoundException on %s for prod/a: Secrets Manager can't find it.." % api_name


def test_retries_botocore_reports_add_up(stubbed):
    client, stubber = stubbed
    for retries in (2, 0, 3):
        stubber.add_response("describe_secret", {"Name": "a", "ResponseMetadata": {"RetryAttempts": retries}},
                             {"SecretId": "a"})
    for _index in range(3):
        client.describe("a")
    assert client.calls_snapshot() == {"DescribeSecret": 3, "total": 3, "retries": 5}


def test_a_list_page_without_secrets_is_an_empty_page(stubbed):
    client, stubber = stubbed
    stubber.add_response("list_secrets", {"NextToken": "t1"}, {"MaxResults": 100})
    stubber.add_response("list_secrets", {"SecretList": [entry("a")]}, {"MaxResults": 100, "NextToken": "t1"})
    assert [item["Name"] for item in client.list_secrets()] == ["a"]


def test_a_batch_of_exactly_20_is_one_call_and_values_are_found_by_arn_or_name(stubbed):
    client, stubber = stubbed
    names = ["s%02d" % i for i in range(20)]
    ids = [entry(name)["ARN"] if index % 2 else name for index, name in enumerate(names)]
    stubber.add_response("batch_get_secret_value", {"SecretValues": [value(name, name.upper()) for name in names]},
                         {"SecretIdList": ids})
    values, errors = client.batch_get_values(ids)
    assert errors == {}
    assert [(secret_id, values[secret_id]["SecretString"]) for secret_id in ids] == [
        (secret_id, name.upper()) for secret_id, name in zip(ids, names)]


def test_a_batch_error_without_a_code_and_an_id_in_neither_list(stubbed):
    client, stubber = stubbed
    stubber.add_response("batch_get_secret_value", {"Errors": [{"SecretId": "a", "Message": "  not\n  here "}]},
                         {"SecretIdList": ["a", "b"]})
    stubber.add_response("get_secret_value", value("b", "2"), {"SecretId": "b"})
    values, errors = client.batch_get_values(["a", "b"])
    assert list(values) == ["b"] and values["b"]["SecretString"] == "2"
    error = errors["a"]
    assert (error.code, error.operation, error.secret_id, error.message) == (
        "Error", "BatchGetSecretValue", "a", "Error on BatchGetSecretValue for a: not here")


def test_a_batch_error_of_an_id_in_neither_list_is_that_ids_error(stubbed):
    client, stubber = stubbed
    stubber.add_response("batch_get_secret_value", {}, {"SecretIdList": ["a"]})
    stubber.add_client_error("get_secret_value", "AccessDeniedException", "no", 400, expected_params={"SecretId": "a"})
    values, errors = client.batch_get_values(["a"])
    assert values == {} and errors["a"].access_denied and errors["a"].secret_id == "a"


@pytest.mark.parametrize("message, cleaned", [
    ("<ErrorResponse><Error><Message>line one\n  line two</Message></Error></ErrorResponse>", "line one line two"),
    ("  <!DOCTYPE HTML PUBLIC>\n<HTML><body>bad gateway</body></HTML>", "the endpoint answered with an HTML page, not an "
     "AWS error (check region, endpoint_url and any proxy in between)"),
    ("<HTML><body>bad gateway</body></HTML>", "the endpoint answered with an HTML page, not an AWS error (check region, "
     "endpoint_url and any proxy in between)"),
    ("\tno  \n such\tsecret ", "no such secret"),
    (None, ""),
])
def test_aws_messages_are_cleaned(message, cleaned):
    assert asm._clean_message(message) == cleaned  # pylint: disable=protected-access


def test_errors_without_a_secret_or_a_region_keep_their_operation():
    from botocore.exceptions import EndpointConnectionError, NoCredentialsError, NoRegionError  # pylint: disable=import-outside-toplevel

    error = asm.aws_error(NoCredentialsError(), "ListSecrets", "prod/a")
    assert (error.code, error.operation, error.secret_id) == ("NoCredentials", "ListSecrets", "prod/a")
    assert error.message.endswith("(AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, an instance role)")
    error = asm.aws_error(NoRegionError(), "ListSecrets", "prod/a")
    assert (error.code, error.operation) == ("NoRegion", "ListSecrets")
    error = asm.aws_error(EndpointConnectionError(endpoint_url="https://sm.example"), "ListSecrets")
    assert (error.operation, error.secret_id) == ("ListSecrets", None)
    assert error.message == 'EndpointConnectionError on ListSecrets: Could not connect to the endpoint URL: "https://sm.example"'


def test_a_client_error_without_an_operation_name_is_the_callers_operation():
    from botocore.exceptions import ClientError  # pylint: disable=import-outside-toplevel

    exc = ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, "GetSecretValue")
    del exc.operation_name
    error = asm.aws_error(exc, "DescribeSecret", "prod/a")
    assert error.message == "ThrottlingException on DescribeSecret for prod/a: slow down."


def test_chain_region_reads_the_profile_and_the_environ_given(aws_home):
    aws_home("[profile eu]\nregion = eu-central-1\n", "[eu]\naws_access_key_id = a\naws_secret_access_key = b\n")
    assert asm.chain_region({"profile": "eu"}) == "eu-central-1"
    assert asm.chain_region({"profile": "eu"}, environ={"AWS_REGION": "eu-west-3"}) == "eu-west-3"
    assert asm.chain_region({}, environ={"AWS_REGION": "eu-west-3"}) == "eu-west-3"
    assert asm.chain_region({}, environ={}) is None


def test_every_connection_option_reaches_the_boto3_client(aws_home, tmp_path):
    client = asm.AsmClient("eu-west-1", access_key="AK", secret_key="SK", session_token="TK",
                           endpoint_url="http://127.0.0.1:9", max_attempts=4, retry_mode="adaptive", validate_certs=False,
                           aws_config={"read_timeout": 7})
    credentials = client._client._request_signer._credentials
    meta = client._client.meta
    assert (client.region, meta.region_name, meta.endpoint_url) == ("eu-west-1", "eu-west-1", "http://127.0.0.1:9")
    assert (credentials.access_key, credentials.secret_key, credentials.token) == ("AK", "SK", "TK")
    assert meta.config.retries == {"total_max_attempts": 4, "mode": "adaptive"}
    assert (meta.config.read_timeout, meta.config.max_pool_connections) == (7, 20)
    assert verify_of(client) is False
    aws_home("[profile eu]\nregion = eu-central-1\nmax_attempts = 6\n", "[eu]\naws_access_key_id = PK\naws_secret_access_key = PS\n")
    client = asm.AsmClient("eu-central-1", profile="eu", ca_bundle="/opt/ca.pem")
    assert client._client._request_signer._credentials.access_key == "PK" and verify_of(client) == "/opt/ca.pem"
    assert client._client.meta.config.retries == {"total_max_attempts": 6, "mode": "standard"}
    assert client.calls_snapshot() == {"total": 0, "retries": 0}


def test_connect_passes_the_session_keys_and_reads_the_environ_given(aws_home):
    client = asm.connect({"access_key": "AK", "secret_key": "SK", "session_token": "TK"},
                         environ={"AWS_REGION": "eu-west-3", "AWS_MAX_ATTEMPTS": "7", "AWS_RETRY_MODE": "legacy"})
    credentials = client._client._request_signer._credentials
    assert (credentials.access_key, credentials.secret_key, credentials.token) == ("AK", "SK", "TK")
    assert client.region == "eu-west-3"
    assert client._client.meta.config.retries == {"total_max_attempts": 7, "mode": "legacy"}
    assert client._client.meta.config.max_pool_connections == 20


def test_an_aws_profile_from_the_environment_that_does_not_exist_is_named(aws_home, monkeypatch):
    monkeypatch.setenv("AWS_PROFILE", "nope")
    with pytest.raises(asm.AsmError) as info:
        asm.connect({"region": "us-east-1"})
    assert info.value.code == "ProfileNotFound"
    assert info.value.message == ("AWS profile 'nope' is not in the AWS config files (~/.aws/config, ~/.aws/credentials, "
                                  "or AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE)")


def test_a_client_botocore_cannot_build_is_an_asm_error(aws_home):
    with pytest.raises(asm.AsmError) as info:
        asm.connect({"region": "us-east-1", "endpoint_url": "not a url"})
    assert (info.value.code, info.value.message) == (
        "ValueError", "cannot create the AWS Secrets Manager client: Invalid endpoint: not a url")


@pytest.mark.parametrize("kwargs, message", [
    ({"retry_mode": "adaptive", "aws_config": {"retries": {"mode": "standard"}}},
     "aws_retry_mode and aws_config.retries disagree (adaptive, standard): set the retries in one place"),
    ({"max_attempts": 3, "aws_config": {"retries": {"max_attempts": 4}}},
     "aws_max_attempts and aws_config.retries disagree (3, 5): set the retries in one place"),
    ({"environ": {"AWS_MAX_ATTEMPTS": "many"}}, "AWS max attempts must be a number, got 'many'"),
    ({"aws_config": {"bogus": 1}}, "aws_config: Got unexpected keyword argument 'bogus' (keys are the arguments of "
                                   "botocore.config.Config)"),
])
def test_retry_and_config_problems_in_their_words(kwargs, message):
    kwargs.setdefault("environ", {})
    with pytest.raises(asm.PlanError) as info:
        asm.client_config(**kwargs)
    assert str(info.value) == message


@pytest.mark.parametrize("kwargs, retries", [
    ({"retry_mode": "adaptive", "aws_config": {"retries": {"mode": "adaptive"}}}, (10, "adaptive")),
    ({"environ": {"AWS_RETRY_MODE": "legacy"}, "profile": {"retry_mode": "adaptive", "max_attempts": "2"}}, (2, "legacy")),
    ({"profile": {"retry_mode": "adaptive"}}, (10, "adaptive")),
    ({"aws_config": {"retries": {"total_max_attempts": 0}}}, (10, "standard")),
])
def test_retry_settings_in_order_of_precedence(kwargs, retries):
    kwargs.setdefault("environ", {})
    assert asm.retry_settings(**kwargs) == retries
