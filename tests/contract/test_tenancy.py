# -*- coding: utf-8 -*-
# Copyright: ScaiLabs
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Contract section 0: tenancy by X-Tenant-ID or /v1/t/{tenant}/ prefix; data is tenant-scoped."""


def test_matching_tenant_header_and_prefix(api):
    assert api.put("/v1/t/tnt_dev/secrets/tn/one", json={"data": {"via": "prefix"}}).status_code == 201
    assert api.get("/v1/secrets/tn/one").json()["data"] == {"via": "prefix"}
    assert api.get("/v1/secrets/tn/one", headers={"X-Tenant-ID": "tnt_dev"}).status_code == 200
    assert api.get("/v1/t/tnt_dev/auth/whoami").json()["tenant_id"] == "tnt_dev"


def test_foreign_tenant_is_access_denied(api, expect_error):
    error = expect_error(api.get("/v1/secrets/tn/one", headers={"X-Tenant-ID": "tnt_other"}), 403, "access_denied")
    assert "tnt_dev" in error["message"] and "tnt_other" in error["message"]
    expect_error(api.put("/v1/t/tnt_other/secrets/tn/one", json={"data": {}}), 403, "access_denied")
    expect_error(api.get("/v1/t/tnt_other/audit/logs"), 403, "access_denied")


def test_data_is_tenant_scoped(api, client_as):
    other = client_as("other_tenant")
    api.put("/v1/secrets/shared/name", json={"data": {"tenant": "dev"}})
    assert other.get("/v1/secrets/shared/name").status_code == 404
    assert other.put("/v1/secrets/shared/name", json={"data": {"tenant": "other"}}).status_code == 201
    assert api.get("/v1/secrets/shared/name").json()["data"] == {"tenant": "dev"}
    assert other.get("/v1/t/tnt_other/secrets/shared/name").json()["data"] == {"tenant": "other"}
    assert [item["path"] for item in other.get("/v1/secrets").json()["secrets"]] == ["shared/name"]
    other.delete("/v1/secrets/shared/name")
    assert api.get("/v1/secrets/shared/name").status_code == 200
