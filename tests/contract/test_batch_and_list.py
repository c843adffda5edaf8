# -*- coding: utf-8 -*-
# Copyright: ScaiLabs
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Contract section 2: batch reads, batch metadata and the paged secret listing."""

import pytest


@pytest.fixture(name="seeded")
def fixture_seeded(api):
    """Three secrets under batch/ (two versions of batch/a)."""
    for path, data in (("batch/a", {"v": 1}), ("batch/a", {"v": 2}), ("batch/b", {"v": "b"}), ("batch/c", {"v": "c"})):
        assert api.put("/v1/secrets/" + path, json={"data": data, "metadata": {"tags": ["t"]}}).status_code in (200, 201)
    return api


def batch(client, paths, suffix="", **options):
    return client.post("/v1/secrets/batch" + suffix, json={"paths": paths, "options": options})


def test_batch_read_is_partial_success(seeded):
    body = batch(seeded, ["batch/a", "batch/b", "batch/missing", "Bad/Path", "batch/c"]).json()
    assert sorted(body["secrets"]) == ["batch/a", "batch/b", "batch/c"]
    assert body["secrets"]["batch/a"]["data"] == {"v": 2} and body["secrets"]["batch/a"]["version"] == 2
    assert "metadata" not in body["secrets"]["batch/b"]
    assert body["errors"]["batch/missing"]["code"] == "secret_not_found"
    assert body["errors"]["Bad/Path"]["code"] == "invalid_path"


def test_batch_read_options(seeded):
    with_metadata = batch(seeded, ["batch/b"], include_metadata=True).json()
    assert with_metadata["secrets"]["batch/b"]["metadata"] == {"tags": ["t"]}
    versioned = batch(seeded, ["batch/a", "batch/b"], version=1).json()
    assert versioned["secrets"]["batch/a"]["data"] == {"v": 1} and versioned["secrets"]["batch/b"]["data"] == {"v": "b"}
    versioned = batch(seeded, ["batch/a", "batch/b"], version=2).json()
    assert versioned["secrets"]["batch/a"]["data"] == {"v": 2}
    assert versioned["errors"]["batch/b"]["code"] == "version_not_found"
    # https://www.scailabs.ai/en/docs/scaivault/api-guides/batch-operations: fail_fast aborts the whole batch.
    stopped = batch(seeded, ["batch/a", "batch/missing", "batch/c"], fail_fast=True)
    assert stopped.status_code == 404 and "secrets" not in stopped.json()
    assert stopped.json()["error"]["code"] == "secret_not_found" and stopped.json()["error"]["details"]["path"] == "batch/missing"
    assert batch(seeded, ["batch/a", "batch/c"], fail_fast=True).status_code == 200


def test_batch_limits_and_scopes(seeded, client_as, expect_error):
    paths = ["batch/p%03d" % index for index in range(101)]
    error = expect_error(batch(seeded, paths), 422, "validation_error")
    assert "100" in error["message"]
    expect_error(batch(seeded, paths, "/metadata"), 422, "validation_error")
    assert len(batch(seeded, paths[:100]).json()["errors"]) == 100
    expect_error(batch(seeded, []), 422, "validation_error")
    expect_error(batch(client_as("lister"), ["batch/a"]), 403, "insufficient_scope")
    error = expect_error(batch(client_as("reader"), ["batch/a"], "/metadata"), 403, "insufficient_scope")
    assert error["details"]["required_scope"] == "secrets:list"


def test_batch_metadata_has_no_data(seeded, client_as):
    body = batch(client_as("lister"), ["batch/a", "batch/gone"], "/metadata").json()
    assert body["secrets"]["batch/a"]["version"] == 2
    assert body["secrets"]["batch/a"]["metadata"] == {"tags": ["t"]}
    assert "data" not in body["secrets"]["batch/a"]
    assert body["errors"]["batch/gone"]["code"] == "secret_not_found"
    expanded = batch(seeded, ["batch/*"], "/metadata", expand_wildcards=True).json()
    assert sorted(expanded["secrets"]) == ["batch/a", "batch/b", "batch/c"]


def test_list_pages_with_cursor(api):
    expected = ["app/s%02d" % index for index in range(25)]
    for path in expected + ["other/x", "apples/y"]:
        api.put("/v1/secrets/" + path, json={"data": {"k": path}})
    seen, cursor, pages = [], None, 0
    while True:
        params = {"prefix": "app/", "limit": 10}
        if cursor:
            params["cursor"] = cursor
        body = api.get("/v1/secrets", params=params).json()
        pages += 1
        assert all("data" not in item for item in body["secrets"])
        seen += [item["path"] for item in body["secrets"]]
        assert (body["cursor"] is not None) == body["has_more"]
        cursor = body["cursor"]
        if not body["has_more"]:
            break
    assert pages == 3 and seen == expected


def test_list_defaults_prefix_semantics_and_bad_cursor(api, expect_error):
    for path in ("a_b/one", "axb/two", "a_b/three"):
        api.put("/v1/secrets/" + path, json={"data": {"k": 1}})
    body = api.get("/v1/secrets").json()
    assert [item["path"] for item in body["secrets"]] == ["a_b/one", "a_b/three", "axb/two"]
    assert body["cursor"] is None and body["has_more"] is False
    assert [item["path"] for item in api.get("/v1/secrets", params={"prefix": "a_"}).json()["secrets"]] == ["a_b/one", "a_b/three"]
    api.delete("/v1/secrets/a_b/one")
    assert [item["path"] for item in api.get("/v1/secrets", params={"prefix": "a_b/"}).json()["secrets"]] == ["a_b/three"]
    assert api.get("/v1/secrets", params={"limit": 5000}).status_code == 200
    expect_error(api.get("/v1/secrets", params={"cursor": "not-a-cursor"}), 400, "invalid_cursor")
    expect_error(api.get("/v1/secrets", params={"limit": 0}), 400, "invalid_request")
