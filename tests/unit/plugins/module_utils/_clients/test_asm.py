# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Paging, batch reads with fallback, counting and error texts of the ASM client (botocore Stubber)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

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


@pytest.mark.parametrize("region,endpoint,problem", [
    ("us-east-1", None, None),
    ("eu-west-1", None, None),
    ("", None, "no AWS region"),
    ("us-east-99", None, "unknown AWS region 'us-east-99'"),
    ("mars", None, "is not an AWS region name"),
    ("us-east-99", "http://127.0.0.1:5000", None),
])
def test_region_problems(region, endpoint, problem):
    found = asm.region_problem(region, endpoint)
    if problem is None:
        assert found is None
    else:
        assert problem in found
