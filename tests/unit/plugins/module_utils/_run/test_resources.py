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


class Answer:
    def __init__(self, body):
        self.body = body


class NamedStore:
    """A collection endpoint: POST may apply and lose its answer; DELETE may find nothing."""

    def __init__(self, items=(), lose_answer=False, apply_lost_post=True, delete_status=None):
        self.items = list(items)
        self.lose_answer = lose_answer
        self.apply_lost_post = apply_lost_post
        self.delete_status = delete_status
        self.requests = []

    def paginate(self, collection, params):
        self.requests.append(("GET", collection, params))
        return iter(list(self.items))

    def request(self, method, api_path, json_body=None, idempotent=None, secret_path=None):
        self.requests.append((method, api_path, idempotent))
        if method == "POST":
            item = dict(json_body, id="id_%d" % (len(self.items) + 1))
            if self.lose_answer:
                if self.apply_lost_post:
                    self.items.append(item)
                raise ScaiVaultUnknownOutcome("lost", code="unknown_outcome")
            self.items.append(item)
            return Answer(item)
        if method == "DELETE" and self.delete_status:
            raise ScaiVaultError("gone", status=self.delete_status, code="not_found")
        return Answer(None)


def test_item_path_quotes_the_id():
    assert resources.item_path("/webhooks", "a/b c", "test") == "/webhooks/a%2Fb%20c/test"


def test_find_named_pages_the_collection_and_refuses_two_of_a_name():
    store = NamedStore([{"id": "1", "name": "a"}, {"id": "2", "name": "b"}])
    assert resources.find_named(store, "/webhooks", "b", "webhook")["id"] == "2"
    assert resources.find_named(store, "/webhooks", "zz", "webhook") is None
    assert store.requests[0] == ("GET", "/webhooks", {"limit": resources.PAGE_SIZE})
    with pytest.raises(ScaiVaultError):
        resources.find_named(NamedStore([{"id": "1", "name": "a"}, {"id": "2", "name": "a"}]), "/webhooks", "a", "webhook")


def test_create_named_posts_once_and_finds_the_item_when_the_answer_was_lost():
    store = NamedStore(lose_answer=True)
    created = resources.create_named(store, "/rotation/policies", {"name": "p"}, "rotation policy")
    assert created["name"] == "p"
    assert [r[0] for r in store.requests] == ["POST", "GET"]  # looked up, never posted twice
    assert len(store.items) == 1


def test_create_named_keeps_the_unknown_outcome_when_the_item_is_not_there():
    store = NamedStore(lose_answer=True, apply_lost_post=False)
    with pytest.raises(ScaiVaultUnknownOutcome):
        resources.create_named(store, "/webhooks", {"name": "w"}, "webhook")
    assert [r[0] for r in store.requests] == ["POST", "GET"]


def test_delete_if_present_ignores_404_only():
    resources.delete_if_present(NamedStore(delete_status=404), "/webhooks/x")
    with pytest.raises(ScaiVaultError):
        resources.delete_if_present(NamedStore(delete_status=500), "/webhooks/x")


# -- the same against the dev server in process: what is resent and what is not ------------------------------------
def requests_to(vault, method, path):
    return [request for request in vault.sent if (request.method, request.url.path) == (method, path)]


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
