# -*- coding: utf-8 -*-
# Copyright: ScaiLabs
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The dev server's alternative answers to the contract's [assumed] shapes (tests/devserver/contract.py).

Each switch, set at runtime with POST /_dev/contract, must change exactly the shape it names; /_dev/reset goes back
to our reading. What the collection does about each one is tested in tests/integration/test_contract_fallbacks.py.
"""

import pytest

from devserver.contract import ALT, SWITCHES, parse


def play(server, spec):
    return server.dev("POST", "/_dev/contract", json={"spec": spec})


def put(api, path, **body):
    body.setdefault("data", {"k": "v"})
    return api.put("/v1/secrets/" + path, json=body)


def test_specs_parse_and_unknown_switches_are_refused(server):
    assert parse("") == parse("default") == frozenset() and parse("alt") == frozenset(ALT)
    assert "put_empty" not in ALT and parse("alt:hard_delete,list_envelope") == {"hard_delete", "list_envelope"}
    for bad in ("alt:nope", "other", "alt:"):
        with pytest.raises(ValueError):
            parse(bad)
    assert play(server, "alt:hard_delete")["switches"] == ["hard_delete"]
    server.dev("POST", "/_dev/reset")
    assert server.dev("GET", "/_dev/contract")["switches"] == []
    assert sorted(server.dev("GET", "/_dev/contract")["known"]) == sorted(SWITCHES)


def test_our_reading_by_default(server, api):
    assert put(api, "a/b").status_code == 201 and "data" not in put(api, "a/b").json()
    listing = api.get("/v1/secrets", params={"limit": 1000}).json()
    assert set(listing) == {"secrets", "cursor", "has_more"}
    assert api.post("/v1/secrets/batch/metadata", json={"paths": ["a/b"]}).status_code == 200
    assert api.patch("/v1/secrets/a/b/metadata", json={"metadata": {}}).status_code == 405
    assert api.delete("/v1/secrets/a/b", params={"permanent": "true"}).status_code == 204


def test_secret_switches(server, api):
    play(server, "alt:no_batch_metadata,list_envelope,list_limit_strict,validation_400,hard_delete,delete_200,"
                 "put_full_object,metadata_omitted_clears,secret_type_default,metadata_patch,list_includes_deleted")
    created = put(api, "a/b", metadata={"owner": "o"})
    assert created.status_code == 200 and created.json()["data"] == {"k": "v"} and created.json()["secret_type"] == "json"
    assert put(api, "a/b", secret_type="kv").json()["metadata"] == {}
    assert api.post("/v1/secrets/batch/metadata", json={"paths": ["a/b"]}).status_code in (404, 405)
    assert api.get("/v1/secrets", params={"limit": 1000}).status_code == 400  # validation_400
    listing = api.get("/v1/secrets", params={"limit": 100}).json()
    assert set(listing) == {"data", "next_cursor"}
    patched = api.patch("/v1/secrets/a/b/metadata", json={"metadata": {"owner": "p"}})
    assert patched.status_code == 200 and patched.json()["version"] == 2 and "data" not in patched.json()
    assert put(api, "a/b", data=["x"]).status_code == 400
    assert api.delete("/v1/secrets/a/b").status_code == 200
    assert [item["path"] for item in api.get("/v1/secrets").json()["data"]] == ["a/b"]  # listed while soft-deleted
    refused = api.delete("/v1/secrets/a/b", params={"permanent": "true"})
    assert refused.status_code == 400 and refused.json()["error"]["details"]["fields"] == ["permanent"]
    assert api.delete("/v1/secrets/a/b", params={"hard": "true"}).json()["permanent"] is True
    assert api.get("/v1/secrets").json()["data"] == []


def test_put_empty(server, api):
    play(server, "alt:put_empty")
    answer = put(api, "a/b")
    assert answer.status_code == 204 and not answer.content


def test_scope_details_switch(server, client_as):
    play(server, "alt:no_required_scope")
    answer = client_as("reader").get("/v1/secrets")
    assert answer.status_code == 403 and "required_scope" not in answer.json()["error"].get("details", {})
