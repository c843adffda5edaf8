# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Named ScaiVault resources (webhooks, rotation policies): find, create once, delete if present."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.errors import (
    ScaiVaultError, ScaiVaultUnknownOutcome)
from ansible_collections.scailabs.scaivault.plugins.module_utils._run import resources


def requests_to(vault, method, path):
    return [request for request in vault.sent if (request.method, request.url.path) == (method, path)]


def add_webhook(vault, name):
    answer = vault.http.post("/v1/webhooks", json={"name": name, "url": "https://127.0.0.1:9/hook",
                                                   "secret": "whsec-unit-0123456789abcdef", "events": ["secret.updated"]})
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_item_path_quotes_the_id():
    assert resources.item_path("/webhooks", "a/b c", "test") == "/webhooks/a%2Fb%20c/test"


def test_find_named_asks_for_pages_of_page_size_and_finds_by_name(inprocess_vault):
    client = inprocess_vault.client()
    wanted = add_webhook(inprocess_vault, "b")
    add_webhook(inprocess_vault, "a")
    assert resources.find_named(client, resources.WEBHOOKS, "b", "webhook")["id"] == wanted["id"]
    assert resources.find_named(client, resources.WEBHOOKS, "zz", "webhook") is None
    listed = requests_to(inprocess_vault, "GET", "/v1/webhooks")
    assert [dict(request.url.params) for request in listed] == [{"limit": str(resources.PAGE_SIZE)}] * 2


def test_find_named_refuses_two_items_of_one_name(inprocess_vault):
    """The docs do not say names are unique: a ScaiVault that holds two of a name is refused, not guessed at."""
    add_webhook(inprocess_vault, "a")
    with inprocess_vault.app.db.transaction() as conn:  # out of band: the dev server itself refuses a second "a"
        conn.execute("INSERT INTO webhooks SELECT tenant_id, 'wh_second_a', name, url, secret, events, filters, enabled,"
                     " created_at, updated_at FROM webhooks WHERE name = 'a'")
    with pytest.raises(ScaiVaultError) as raised:
        resources.find_named(inprocess_vault.client(), resources.WEBHOOKS, "a", "webhook")
    assert raised.value.code == "ambiguous_name"
    assert "2 webhooks are named 'a'" in str(raised.value) and "wh_second_a" in str(raised.value)


def test_delete_if_present_ignores_404_only(inprocess_vault):
    client = inprocess_vault.client(retries=0)
    resources.delete_if_present(client, resources.item_path(resources.WEBHOOKS, "wh_never_there"))
    hook = add_webhook(inprocess_vault, "a")
    inprocess_vault.faults([{"kind": "status", "status": 500, "method": "DELETE", "count": 1}])
    with pytest.raises(ScaiVaultError) as raised:
        resources.delete_if_present(client, resources.item_path(resources.WEBHOOKS, hook["id"]))
    assert raised.value.status == 500
    assert inprocess_vault.http.get("/v1/webhooks/%s" % hook["id"]).status_code == 200


# -- what is resent and what is not ----------------------------------------------------------------------------------
def test_a_create_is_never_resent_after_an_unknown_outcome_and_found_by_name(inprocess_vault):
    client = inprocess_vault.client(retries=3)
    inprocess_vault.faults([{"kind": "drop_after", "method": "POST", "path_regex": "^/v1/rotation/policies$", "count": 1}])
    created = resources.create_named(client, "/rotation/policies", {"name": "w", "interval": "90d"},
                                     "rotation policy")
    assert created["name"] == "w" and len(requests_to(inprocess_vault, "POST", "/v1/rotation/policies")) == 1
    assert [item["id"] for item in inprocess_vault.http.get("/v1/rotation/policies").json()["data"]] == [created["id"]]
    inprocess_vault.faults([{"kind": "drop_before", "method": "POST", "path_regex": "^/v1/rotation/policies$", "count": 1}])
    with pytest.raises(ScaiVaultUnknownOutcome):
        resources.create_named(client, "/rotation/policies", {"name": "v", "interval": "90d"}, "rotation policy")
    assert len(requests_to(inprocess_vault, "POST", "/v1/rotation/policies")) == 2


def test_a_delete_is_resent_after_a_5xx_and_its_errors_name_the_secret(inprocess_vault):
    client = inprocess_vault.client(retries=3)
    created = resources.create_named(client, "/rotation/policies", {"name": "w", "interval": "90d"},
                                     "rotation policy")
    path = resources.item_path("/rotation/policies", created["id"])
    inprocess_vault.faults([{"kind": "status", "status": 503, "method": "DELETE", "count": 1}])
    resources.delete_if_present(client, path)
    assert len(requests_to(inprocess_vault, "DELETE", "/v1" + path)) == 2
    assert inprocess_vault.http.get("/v1" + path).status_code == 404
    inprocess_vault.faults([{"kind": "status", "status": 403, "code": "access_denied", "method": "DELETE"}])
    with pytest.raises(ScaiVaultError) as info:
        resources.delete_if_present(client, path, secret_path="apps/prod/db")
    assert (info.value.status, info.value.path) == (403, "apps/prod/db")
