"""Access policies, bindings, the test endpoint and enforcement on secret reads, driven with plain httpx.

Docs: https://www.scailabs.ai/en/docs/scaivault/reference/policies,
https://www.scailabs.ai/en/docs/scaivault/api-guides/policies,
https://www.scailabs.ai/en/docs/scaivault/core-concepts/policies-and-permissions
"""

import pytest

CONSUMER = "skt_contract_consumer_billing"
CONSUMER_ID = "sa:billing-app"
RULES = [{"path_pattern": "environments/production/billing/**", "permissions": ["read"]}]


@pytest.fixture(name="consumer")
def fixture_consumer(server):
    """A consumer identity with its own token (read scope only, no admin): policy-checked."""
    server.dev("POST", "/_dev/tokens", json={"token": CONSUMER, "identity_id": CONSUMER_ID, "scopes": ["secrets:read"]})
    return server.client(CONSUMER)


def policy_test(api, identity_id, path, permission="read"):
    response = api.post("/v1/policies/test", json={"identity_id": identity_id, "path": path, "permission": permission})
    assert response.status_code == 200, response.text
    return response.json()


def test_crud_and_documented_shapes(api, expect_error):
    created = api.post("/v1/policies", json={"name": "billing-read", "description": "d", "rules": RULES})
    assert created.status_code == 201
    policy = created.json()
    assert policy["id"].startswith("pol_") and policy["is_active"] is True and policy["rules"] == RULES
    listed = api.get("/v1/policies").json()
    assert listed["has_more"] is False and listed["cursor"] is None
    assert [(item["name"], item["rule_count"], item["binding_count"]) for item in listed["policies"]] == [("billing-read", 1, 0)]
    expect_error(api.post("/v1/policies", json={"name": "billing-read", "rules": RULES}), 409, "policy_exists")
    expect_error(api.post("/v1/policies", json={"name": "x", "rules": [{"path_pattern": "/a", "permissions": ["read"]}]}),
                 400, "invalid_glob")
    binding = api.post("/v1/policies/%s/bindings" % policy["id"], json={"identity_type": "service_account",
                                                                        "identity_id": CONSUMER_ID})
    assert binding.status_code == 201 and binding.json()["identity_id"] == CONSUMER_ID
    fetched = api.get("/v1/policies/%s" % policy["id"]).json()
    assert [item["identity_id"] for item in fetched["bindings"]] == [CONSUMER_ID]
    # PUT replaces rules and metadata, bindings are kept.
    replaced = api.put("/v1/policies/%s" % policy["id"], json={"name": "billing-read", "rules": RULES + [
        {"path_pattern": "shared/billing/*", "permissions": ["read", "list"]}]}).json()
    assert len(replaced["rules"]) == 2 and replaced["description"] is None and len(replaced["bindings"]) == 1
    expect_error(api.delete("/v1/policies/%s" % policy["id"]), 409, "policy_in_use")
    assert api.delete("/v1/policies/%s?force=true" % policy["id"]).status_code == 204
    expect_error(api.get("/v1/policies/%s" % policy["id"]), 404, "policy_not_found")


def test_consumer_denied_before_grant_and_allowed_after(api, consumer, expect_error):
    path = "environments/production/billing/stripe"
    assert api.put("/v1/secrets/" + path, json={"data": {"k": "v"}}).status_code == 201
    # Another team's policy exists: the tenant is policy-checked from now on.
    assert api.post("/v1/policies", json={"name": "other", "rules": [{"path_pattern": "other/**", "permissions": ["read"]}]}
                    ).status_code == 201
    assert policy_test(api, CONSUMER_ID, path)["allowed"] is False
    error = expect_error(consumer.get("/v1/secrets/" + path), 403, "access_denied")
    assert error["details"]["path"] == path
    policy = api.post("/v1/policies", json={"name": "billing-read", "rules": RULES}).json()
    api.post("/v1/policies/%s/bindings" % policy["id"], json={"identity_type": "service_account", "identity_id": CONSUMER_ID})
    answer = policy_test(api, CONSUMER_ID, path)
    assert answer["allowed"] is True and answer["matched_policy"]["id"] == policy["id"]
    assert consumer.get("/v1/secrets/" + path).json()["data"] == {"k": "v"}
    # read is not write; a path outside the pattern stays denied; a batch read answers per path.
    assert policy_test(api, CONSUMER_ID, path, "write")["allowed"] is False
    assert api.put("/v1/secrets/environments/production/payroll/db", json={"data": {"a": "b"}}).status_code == 201
    batch = consumer.post("/v1/secrets/batch", json={"paths": [path, "environments/production/payroll/db"]}).json()
    assert list(batch["secrets"]) == [path]
    assert batch["errors"]["environments/production/payroll/db"]["code"] == "access_denied"


def test_test_endpoint_writes_no_audit_and_globs_follow_the_docs(api):
    policy = api.post("/v1/policies", json={"name": "globs", "rules": [
        {"path_pattern": "**/ssl/*", "permissions": ["read"]}, {"path_pattern": "app/db/?", "permissions": ["admin"]}]}).json()
    api.post("/v1/policies/%s/bindings" % policy["id"], json={"identity_type": "user", "identity_id": "user:ops"})
    before = len(api.get("/v1/audit/logs").json()["logs"])
    assert policy_test(api, "user:ops", "app/ssl/cert")["allowed"] is True
    assert policy_test(api, "user:ops", "ssl/cert")["allowed"] is False
    assert policy_test(api, "user:ops", "app/db/x", "delete")["allowed"] is True
    assert policy_test(api, "user:ops", "app/db/xy")["allowed"] is False
    assert len(api.get("/v1/audit/logs").json()["logs"]) == before


def test_policy_routes_need_policy_scopes(client_as, expect_error):
    expect_error(client_as("reader").get("/v1/policies"), 403, "insufficient_scope")
    expect_error(client_as("reader").post("/v1/policies/test", json={"identity_id": "a", "path": "b", "permission": "read"}),
                 403, "insufficient_scope")
