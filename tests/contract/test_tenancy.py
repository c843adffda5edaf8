# -*- coding: utf-8 -*-
# Copyright: ScaiLabs
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Contract section 0: tenancy by X-Tenant-ID or /v1/t/{tenant}/ prefix; data is tenant-scoped.

https://www.scailabs.ai/en/docs/scaivault/core-concepts/multi-tenancy: the prefix and the header need a partner-admin
token and a tenant inside the caller's partner; another partner's tenant is 403 access_denied, an unknown tenant
404 tenant_not_found. https://www.scailabs.ai/en/docs/scaivault/reference/error-codes: 403 tenant_access_denied is
"cross-tenant without partner admin".
"""


def test_a_partner_admin_names_tenants_of_its_partner(client_as):
    admin = client_as("partner_admin")
    assert admin.put("/v1/t/tnt_dev/secrets/tn/one", json={"data": {"via": "prefix"}}).status_code == 201
    assert admin.get("/v1/secrets/tn/one").json()["data"] == {"via": "prefix"}
    assert admin.get("/v1/secrets/tn/one", headers={"X-Tenant-ID": "tnt_dev"}).status_code == 200
    assert admin.get("/v1/t/tnt_dev/auth/whoami").json()["tenant_id"] == "tnt_dev"
    # Another tenant of the same partner: the request acts there.
    assert admin.put("/v1/secrets/tn/one", json={"data": {"via": "header"}}, headers={"X-Tenant-ID": "tnt_other"}).status_code == 201
    assert client_as("other_tenant").get("/v1/secrets/tn/one").json()["data"] == {"via": "header"}
    assert admin.get("/v1/t/tnt_other/auth/whoami").json()["tenant_id"] == "tnt_other"
    assert admin.get("/v1/secrets/tn/one").json()["data"] == {"via": "prefix"}


def test_only_a_partner_admin_may_name_a_tenant(api, expect_error):
    """Even its own tenant: an ordinary token always acts in its token's tenant."""
    for call in (lambda: api.get("/v1/secrets/tn/one", headers={"X-Tenant-ID": "tnt_dev"}),
                 lambda: api.get("/v1/t/tnt_dev/auth/whoami"),
                 lambda: api.get("/v1/secrets/tn/one", headers={"X-Tenant-ID": "tnt_other"}),
                 lambda: api.put("/v1/t/tnt_nowhere/secrets/tn/one", json={"data": {}})):
        error = expect_error(call(), 403, "tenant_access_denied")  # reference/error-codes
        assert "partner-admin" in error["message"]
    assert api.get("/v1/auth/whoami").json()["roles"] == []


def test_unknown_tenant_is_404_and_foreign_partner_403(client_as, expect_error):
    admin = client_as("partner_admin")
    error = expect_error(admin.get("/v1/secrets/tn/one", headers={"X-Tenant-ID": "tnt_nowhere"}), 404, "tenant_not_found")
    assert "tnt_nowhere" in error["message"]
    expect_error(admin.put("/v1/t/tnt_nowhere/secrets/tn/one", json={"data": {}}), 404, "tenant_not_found")
    error = expect_error(admin.get("/v1/t/tnt_foreign/audit/logs"), 403, "access_denied")
    assert "ptn_dev" in error["message"]
    me = admin.get("/v1/auth/whoami").json()
    assert me["partner_id"] == "ptn_dev" and me["roles"] == ["partner_admin"]


def test_data_is_tenant_scoped(api, client_as):
    other = client_as("other_tenant")
    api.put("/v1/secrets/shared/name", json={"data": {"tenant": "dev"}})
    assert other.get("/v1/secrets/shared/name").status_code == 404
    assert other.put("/v1/secrets/shared/name", json={"data": {"tenant": "other"}}).status_code == 201
    assert api.get("/v1/secrets/shared/name").json()["data"] == {"tenant": "dev"}
    assert other.get("/v1/secrets/shared/name").json()["data"] == {"tenant": "other"}
    assert [item["path"] for item in other.get("/v1/secrets").json()["secrets"]] == ["shared/name"]
    other.delete("/v1/secrets/shared/name")
    assert api.get("/v1/secrets/shared/name").status_code == 200
