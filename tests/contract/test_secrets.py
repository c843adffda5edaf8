# -*- coding: utf-8 -*-
# Copyright: ScaiLabs
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Contract section 2: single-secret read, write, versions, validation and deletion."""

import datetime

import pytest

SECRET_FIELDS = {"path", "secret_type", "version", "metadata", "created_at", "updated_at", "expires_at",
                 "last_accessed_at", "rotation_policy_id"}


def put(api, path, data, **body):
    return api.put("/v1/secrets/" + path, json=dict(body, data=data))


def test_first_write_is_201_then_200_with_new_versions(api):
    first = put(api, "svc/db", {"password": "one"}, secret_type="json")
    assert first.status_code == 201
    assert SECRET_FIELDS <= set(first.json()) and "data" not in first.json()
    assert first.json()["version"] == 1 and first.json()["secret_type"] == "json"
    second = put(api, "svc/db", {"password": "two"})
    assert second.status_code == 200 and second.json()["version"] == 2
    assert second.json()["secret_type"] == "json", "an omitted secret_type keeps the stored one"
    assert second.json()["created_at"] == first.json()["created_at"]
    current = api.get("/v1/secrets/svc/db").json()
    assert current["version"] == 2 and current["data"] == {"password": "two"}
    old = api.get("/v1/secrets/svc/db", params={"version": 1}).json()
    assert old["version"] == 1 and old["data"] == {"password": "one"}


def test_missing_secret_and_version(api, expect_error):
    expect_error(api.get("/v1/secrets/svc/none"), 404, "secret_not_found")
    put(api, "svc/one", {"a": 1})
    error = expect_error(api.get("/v1/secrets/svc/one", params={"version": 7}), 404, "version_not_found")
    assert error["details"]["version"] == 7
    expect_error(api.get("/v1/secrets/svc/one", params={"version": "x"}), 400, "invalid_request")


def test_default_secret_type_and_unknown_type(api, expect_error):
    assert put(api, "svc/kv", {"a": "b"}).json()["secret_type"] == "kv"
    for secret_type in ("certificate", "ssh_key", "api_key", "json", "kv"):
        assert put(api, "svc/kv", {"a": "b"}, secret_type=secret_type).json()["secret_type"] == secret_type
    error = expect_error(put(api, "svc/kv", {"a": "b"}, secret_type="password"), 400, "invalid_secret_type")
    assert "password" in error["message"]
    assert api.get("/v1/secrets/svc/kv").json()["version"] == 6, "a rejected write creates no version"


@pytest.mark.parametrize("data", ["a string", ["a", "list"], None, 42])
def test_data_must_be_an_object(api, expect_error, data):
    """https://www.scailabs.ai/en/docs/scaivault/reference/error-codes: validation_error is 422 with details.fields."""
    error = expect_error(put(api, "svc/shape", data), 422, "validation_error")
    assert error["details"]["fields"] == ["data"]


def test_every_validation_error_is_422(api, expect_error):
    """https://www.scailabs.ai/en/docs/scaivault/reference/error-codes: 422 validation_error, wherever it is raised."""
    put(api, "svc/v", {"a": 1})
    expect_error(put(api, "svc/v", {"a": 2}, options={"max_versions": True}), 422, "validation_error")
    expect_error(api.post("/v1/secrets/batch", json={"paths": "svc/v"}), 422, "validation_error")
    expect_error(api.post("/v1/rotation/policies", json={"name": "x"}), 422, "validation_error")
    assert api.get("/v1/secrets/svc/v").json()["version"] == 1, "a refused write creates no version"


def test_metadata_given_replaces_and_omitted_keeps(api, expect_error):
    metadata = {"description": "Stripe", "tags": ["billing", "env=prod"], "owner": "team:billing", "source": {"system": "asm"}}
    put(api, "svc/meta", {"k": 1}, metadata=metadata)
    put(api, "svc/meta", {"k": 2})
    assert api.get("/v1/secrets/svc/meta").json()["metadata"] == metadata
    put(api, "svc/meta", {"k": 3}, metadata={"tags": ["only"]})
    assert api.get("/v1/secrets/svc/meta").json()["metadata"] == {"tags": ["only"]}
    expect_error(put(api, "svc/meta", {"k": 4}, metadata={"tags": [{"key": "env", "value": "prod"}]}), 422, "validation_error")
    expect_error(put(api, "svc/meta", {"k": 4}, metadata="text"), 422, "validation_error")


def test_max_versions_prunes_and_is_remembered(api, expect_error, server):
    """https://www.scailabs.ai/en/docs/scaivault/core-concepts/secrets: the secret object has no options field."""
    for value in range(1, 5):
        put(api, "svc/pruned", {"v": value}, options={"max_versions": 2})
    for gone in (1, 2):
        expect_error(api.get("/v1/secrets/svc/pruned", params={"version": gone}), 404, "version_not_found")
    assert api.get("/v1/secrets/svc/pruned", params={"version": 3}).json()["data"] == {"v": 3}
    response = put(api, "svc/pruned", {"v": 5})
    assert "options" not in response.json() and "options" not in api.get("/v1/secrets/svc/pruned").json()
    assert server.dev("GET", "/_dev/secrets/svc/pruned")["options"]["max_versions"] == 2
    expect_error(api.get("/v1/secrets/svc/pruned", params={"version": 3}), 404, "version_not_found")
    assert api.get("/v1/secrets/svc/pruned", params={"version": 4}).json()["data"] == {"v": 4}
    expect_error(put(api, "svc/pruned", {"v": 6}, options={"max_versions": 0}), 422, "validation_error")


def test_expires_in_and_rotation_policy_id(api, expect_error):
    """https://www.scailabs.ai/en/docs/scaivault/reference/rotation: an unknown policy is 404 rotation_policy_not_found."""
    error = expect_error(put(api, "svc/expiring", {"k": 0}, options={"rotation_policy_id": "rot_nowhere"}), 404,
                         "rotation_policy_not_found")
    assert error["details"]["rotation_policy_id"] == "rot_nowhere"
    assert api.get("/v1/secrets/svc/expiring").status_code == 404, "the refused write wrote nothing"
    policy_id = api.post("/v1/rotation/policies", json={"name": "weekly", "interval": "7d"}).json()["id"]
    before = datetime.datetime.now(datetime.timezone.utc)
    body = put(api, "svc/expiring", {"k": 1}, options={"expires_in": "7d", "rotation_policy_id": policy_id}).json()
    expires = datetime.datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00"))
    assert datetime.timedelta(days=7) <= expires - before < datetime.timedelta(days=7, minutes=1)
    assert body["rotation_policy_id"] == policy_id
    kept = put(api, "svc/expiring", {"k": 2}).json()
    assert kept["expires_at"] == body["expires_at"] and kept["rotation_policy_id"] == policy_id
    expect_error(put(api, "svc/expiring", {"k": 3}, options={"expires_in": "soon"}), 400, "invalid_duration")


def test_last_accessed_at_moves_on_reads_only(api):
    assert put(api, "svc/touched", {"k": 1}).json()["last_accessed_at"] is None
    first = api.get("/v1/secrets/svc/touched").json()["last_accessed_at"]
    second = api.get("/v1/secrets/svc/touched").json()["last_accessed_at"]
    assert first and second > first
    assert put(api, "svc/touched", {"k": 2}).json()["last_accessed_at"] == second


@pytest.mark.parametrize("path, rule", [
    ("Environments/prod/db", "upper case"),
    ("environments//db", "empty segments"),
    ("/".join("s%d" % index for index in range(11)), "at most 10 segments"),
    ("/leading", "must not start with '/'"),
    ("trailing/", "must not end with '/'"),
    ("a/" + "x" * 511, "at most 512 characters"),
    ("prod/db.password", "'.'"),
    ("prod/user@host", "'@'"),
    ("prod/a+b=c", "'+'"),
])
def test_invalid_paths_name_the_broken_rule(api, expect_error, path, rule):
    error = expect_error(put(api, path, {"k": 1}), 400, "invalid_path")
    assert rule in error["message"], error["message"]
    expect_error(api.get("/v1/secrets/" + path), 400, "invalid_path")


def test_path_limits_are_inclusive(api):
    assert put(api, "/".join("s%d" % index for index in range(10)), {"k": 1}).status_code == 201
    longest = "a/" + "x" * 510
    assert len(longest) == 512 and put(api, longest, {"k": 1}).status_code == 201
    assert put(api, "abc-123/under_score", {"k": 1}).status_code == 201


def test_secret_size_limit(api, expect_error):
    error = expect_error(put(api, "svc/huge", {"blob": "x" * (64 * 1024)}), 413, "secret_too_large")
    assert error["details"]["max_bytes"] == 64 * 1024
    assert put(api, "svc/huge", {"blob": "x" * (60 * 1024)}).status_code == 201


def test_soft_delete_blocks_rewrite_until_permanent_delete(api, expect_error):
    put(api, "svc/deleted", {"k": 1})
    put(api, "svc/deleted", {"k": 2})
    assert api.delete("/v1/secrets/svc/deleted").status_code == 204
    expect_error(api.get("/v1/secrets/svc/deleted"), 404, "secret_not_found")
    assert "svc/deleted" not in [item["path"] for item in api.get("/v1/secrets", params={"prefix": "svc/"}).json()["secrets"]]
    error = expect_error(put(api, "svc/deleted", {"k": 3}), 409, "secret_exists")
    assert "30-day" in error["message"] and "permanent=true" in error["message"]
    assert error["details"]["recoverable_until"]
    expect_error(api.delete("/v1/secrets/svc/deleted"), 404, "secret_not_found")
    assert api.delete("/v1/secrets/svc/deleted", params={"permanent": "true"}).status_code == 204
    recreated = put(api, "svc/deleted", {"k": 4})
    assert recreated.status_code == 201 and recreated.json()["version"] == 1


def test_permanent_delete_of_live_secret_and_missing_paths(api, expect_error):
    put(api, "svc/hard", {"k": 1})
    assert api.delete("/v1/secrets/svc/hard", params={"permanent": "true"}).status_code == 204
    expect_error(api.get("/v1/secrets/svc/hard"), 404, "secret_not_found")
    expect_error(api.delete("/v1/secrets/svc/hard"), 404, "secret_not_found")
    expect_error(api.delete("/v1/secrets/svc/never", params={"permanent": "true"}), 404, "secret_not_found")
    expect_error(api.delete("/v1/secrets/svc/hard", params={"permanent": "maybe"}), 400, "invalid_request")
    assert put(api, "svc/hard", {"k": 2}).json()["version"] == 1


def test_concurrent_write_is_version_conflict(server, api, expect_error):
    """https://www.scailabs.ai/en/docs/scaivault/core-concepts/errors: a concurrent write yields 409 version_conflict
    (fetch the current state and retry); the write that lost commits nothing."""
    import threading  # pylint: disable=import-outside-toplevel

    put(api, "svc/race", {"v": "base"})
    server.dev("POST", "/_dev/faults", json={"faults": [
        {"kind": "hold", "stage": "commit", "method": "PUT", "path_regex": "svc/race", "count": 1}]})
    answers = []
    slow = threading.Thread(target=lambda: answers.append(put(server.client(), "svc/race", {"v": "slow"})))
    slow.start()
    server.dev("POST", "/_dev/faults/wait-held", json={"held": 1, "timeout": 10})
    assert put(api, "svc/race", {"v": "fast"}).status_code == 200
    server.dev("POST", "/_dev/faults/release")
    slow.join(10)
    error = expect_error(answers[0], 409, "version_conflict")
    assert error["details"]["current_version"] == 2
    stored = api.get("/v1/secrets/svc/race").json()
    assert stored["version"] == 2 and stored["data"] == {"v": "fast"}
    assert server.dev("GET", "/_dev/secrets/svc/race")["versions"] == [1, 2]
    # Re-fetched and retried, it lands on top.
    assert put(api, "svc/race", {"v": "slow"}).json()["version"] == 3
