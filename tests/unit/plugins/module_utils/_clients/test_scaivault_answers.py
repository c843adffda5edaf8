# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""How the ScaiVault client reads the answers whose shape is [assumed] (list envelopes and cursors, batch answers,
federation status, a refused page size) and what it keeps of an error (request id, scope, fields), edge by edge. The
dev server answers our reading only, so the other shapes are scripted."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import httpx
import pytest

from ansible_collections.scailabs.scaivault.plugins.module_utils._clients import scaivault as sv

from .test_scaivault import Script, error_body, make_client


@pytest.mark.parametrize("body, expected", [
    (None, ([], "empty")),
    ([{"path": "a"}], ([{"path": "a"}], "list")),
    ({"data": None, "secrets": [1]}, ([1], "secrets")),
    ({"backends": None}, ([], "backends")),
    ({"items": "x"}, (None, None)),
    ({"results": [1]}, (None, None)),
    ({"total": 0}, ([], "none")),
    ("text", (None, None)),
])
def test_list_pages(body, expected):
    assert sv.list_page(body) == expected
    assert sv.list_items(body) == (expected[0] or [])


@pytest.mark.parametrize("body, expected", [
    ({"cursor": "", "next_cursor": "n1"}, ("n1", "next_cursor")),
    ({"next": "c2"}, ("c2", "next")),
    ({"next": "/v1/secrets?limit=5&cursor=c3"}, ("c3", "next")),
    ({"next": "https://vault.example/v1/secrets?cursor=c4&cursor=c5"}, ("c5", "next")),
    ({"next": "http://vault.example/v1/secrets?cursor=c6"}, ("c6", "next")),
    ({"next": "HTTPS://vault.example/page"}, ("HTTPS://vault.example/page", "next")),
    ({"next": "https://vault.example/page"}, ("https://vault.example/page", "next")),
    ({"next": "page?x=1"}, ("page?x=1", "next")),
    ({"next": "page?cursor=c7"}, ("c7", "next")),
    ({"cursor": "a?cursor=b"}, ("a?cursor=b", "cursor")),
    ({"cursor": 5}, (None, None)),
    ([], (None, None)),
])
def test_next_cursors(body, expected):
    assert sv.next_cursor(body) == expected


@pytest.mark.parametrize("body, expected", [
    (None, {}),
    ([], None),
    ({"secrets": {"a": {"path": "a"}}}, {"a": {"path": "a"}}),
    ({"secrets": [{"path": "a", "v": 1}]}, {"a": {"path": "a", "v": 1}}),
    ({"secrets": [{"path": "a"}, {"name": "b"}]}, None),
    ({"secrets": [{"path": "a"}, "b"]}, None),
    ({"errors": {"a": {}}}, {}),
    ({}, {}),
    ({"results": {}}, None),
    ({"secrets": "a", "errors": {}}, None),
])
def test_batch_answers(body, expected):
    assert sv.batch_secrets(body) == expected


@pytest.mark.parametrize("body, expected", [
    ({"status": " Degraded ", "connection": {"status": "TIMEOUT", "latency_ms": 5}, "errors": ["boom", {"code": "c"}]},
     {"status": "degraded", "connection": {"status": "timeout", "latency_ms": 5},
      "errors": [{"source": None, "code": None, "message": "boom"}, {"code": "c"}]}),
    ({"status": "HEALTHY", "connection": "up"}, {"status": "healthy", "connection": "up", "errors": []}),
    ({"status": "ERROR", "connection": {"latency_ms": 1}, "errors": "text"},
     {"status": "error", "connection": {"latency_ms": 1}, "errors": "text"}),
    ({"status": None}, None),
    ([], None),
])
def test_federation_status_objects(body, expected):
    assert sv.normalized_status(body) == expected


def test_a_federation_status_reports_the_value_as_the_tenant_sent_it():
    client = make_client(Script((200, {"status": "Healthy"})))
    assert client.backend_status("fed_1") == {"status": "healthy", "errors": []}
    assert client.capabilities()["seen"] == {"federation_status_value": "Healthy"}


@pytest.mark.parametrize("api_path, key", [("/secrets/a/b", "secrets"), ("federation/backends", "federation"),
                                           ("/", "root"), ("", "root"), ("/audit/logs/", "audit")])
def test_endpoint_keys(api_path, key):
    assert sv._endpoint_key(api_path) == key  # pylint: disable=protected-access


@pytest.mark.parametrize("error, expected", [
    ({"code": "access_denied", "message": "no"}, (403, "access_denied", "no")),
    ({"code": "invalid_path"}, (400, "invalid_path", "refused by the batch endpoint")),
    ({"code": "backend_unavailable", "message": ""}, (502, "backend_unavailable", "refused by the batch endpoint")),
    ({"code": "secret_not_found", "message": "gone"}, (None, "secret_not_found", "gone")),
])
def test_a_per_path_batch_error_as_an_error(error, expected):
    exc = sv.batch_path_error("a/b", error)
    assert (exc.status, exc.code, exc.message, exc.path) == expected + ("a/b",)


def test_discoveries_are_shared_per_url_and_tenant():
    def settings(url, tenant_id=None):
        return sv.ConnectionSettings.resolve({"url": url, "token": "t", "tenant_id": tenant_id}, environ={})

    one = sv.discoveries_for(settings("https://v.example/"))
    assert sv.discoveries_for(settings("https://v.example")) is one
    assert sv.discoveries_for(settings("https://v.example", "")) is one
    assert sv.discoveries_for(settings("https://w.example")) is not one
    tenant = sv.discoveries_for(settings("https://v.example", "tnt_a"))
    assert tenant is not one and sv.discoveries_for(settings("https://v.example/", "tnt_a")) is tenant
    assert sv.discoveries_for(settings("https://v.example", "tnt_b")) is not tenant


@pytest.mark.parametrize("status, body, limit, learnt", [
    (422, error_body("validation_error", fields=["limit"]), 1000, True),
    (400, error_body("invalid_parameter"), 1000, True),
    (400, error_body("unknown_parameter"), 101, True),
    (422, error_body("validation_error", fields=["prefix"]), 1000, False),
    (422, error_body("something_else"), 1000, False),
    (422, error_body("validation_error", fields=["limit"]), 100, False),
    (403, error_body("validation_error"), 1000, False),
])
def test_a_refused_page_size(status, body, limit, learnt):
    page = (200, {"secrets": [{"path": "a"}]})
    script = Script((status, body), page) if learnt else Script((status, body))
    warnings = []
    client = make_client(script, warnings=warnings)
    if learnt:
        assert [item["path"] for item in client.list_secrets(limit=limit)] == ["a"]
        assert [r.url.params["limit"] for r in script.requests] == [str(limit), "100"]
        assert warnings[0].startswith("ScaiVault GET /v1/secrets refused limit=%d (%d %s) (list_limit secrets): pages "
                                      "of 100 items for the rest of this run; cost: %d times as many list calls. " % (
                                          limit, status, body["error"]["code"], max(1, limit // 100)))
        assert client.capabilities()["choices"] == {"list_limit secrets": 100}
    else:
        with pytest.raises(sv.ScaiVaultError) as info:
            list(client.list_secrets(limit=limit))
        assert (info.value.status, len(script.requests), warnings) == (status, 1, [])


def test_a_page_size_refused_after_the_first_page_is_an_error():
    script = Script((200, {"secrets": [{"path": "a"}], "cursor": "c"}),
                    (422, error_body("validation_error", fields=["limit"])))
    with pytest.raises(sv.ScaiVaultError) as info:
        list(make_client(script).list_secrets())
    assert (info.value.status, len(script.requests)) == (422, 2)


def test_a_learnt_page_size_caps_larger_pages_only():
    script = Script((422, error_body("validation_error", fields=["limit"])), *[(200, [])] * 4)
    client = make_client(script)
    for limit in (1000, 500, 100, 7):
        list(client.list_secrets(limit=limit))
    assert [r.url.params["limit"] for r in script.requests] == ["1000", "100", "100", "100", "7"]


@pytest.mark.parametrize("answer, expected", [
    ({"identity_id": "sa:x", "scopes": "a b"}, {"identity_id": "sa:x", "scopes": ["a", "b"]}),
    ({"scopes": ["a"]}, {"scopes": ["a"]}), (["x"], {}), (None, {}),
])
def test_whoami_reads_scopes_in_either_spelling(answer, expected):
    script = Script((200, answer))
    assert make_client(script).whoami() == expected
    assert script.methods() == [("GET", "/v1/auth/whoami")]


@pytest.mark.parametrize("answer, headers, expected", [
    (error_body("insufficient_scope", required_scope="secrets:write"), {},
     ("req_123", "secrets:write", {"required_scope": "secrets:write"})),
    ({"error": {"code": "insufficient_scope", "message": "no"}}, {"X-Request-ID": "req_h1"},
     ("req_h1", "federation:read", {"required_scope": "federation:read"})),
    ({"error": {"code": "access_denied", "message": "no", "details": {"fields": ["mode"]}}}, {},
     (None, None, {"fields": ["mode"]})),
    ({"error": {"code": "access_denied", "message": "no"}}, {"X-Request-ID": "bad id!"}, (None, None, {})),
])
def test_what_an_error_keeps(answer, headers, expected):
    script = Script((403, answer, headers))
    with pytest.raises(sv.ScaiVaultError) as info:
        make_client(script).list_backends()
    assert (info.value.request_id, info.value.required_scope, info.value.details) == expected
    assert (info.value.path, info.value.method) == ("/federation/backends", "GET")


def test_the_batch_read_fallback_refused_names_the_scope_it_needs():
    script = Script((404, error_body("not_found")), (403, error_body("access_denied", "denied")))
    with pytest.raises(sv.ScaiVaultError) as info:
        make_client(script).batch_metadata(["a"])
    # A batch read's error may echo values: its text is withheld, the explanation is the client's own.
    assert info.value.message == (sv.WITHHELD + " (this tenant has no batch-metadata route; its fallback, the batch "
                                  "read, needs secrets:read)")
    assert (info.value.status, info.value.code, info.value.required_scope) == (403, "access_denied", "secrets:read")


@pytest.mark.parametrize("status, body, message, code", [
    (403, {"error": {"code": "access_denied"}}, "Forbidden", "access_denied"),
    (403, {"error": {"code": "access_denied", "message": ""}}, "Forbidden", "access_denied"),
    (599, None, "HTTP 599", "http_599"),
    (409, "not json", "Conflict", "conflict"),
])
def test_an_error_without_a_message_is_named_by_its_status(status, body, message, code):
    with pytest.raises(sv.ScaiVaultError) as info:
        make_client(Script((status, body)), retries=0).whoami()
    assert (info.value.message, info.value.code, info.value.status) == (message, code, status)


def test_per_path_batch_errors_never_repeat_the_paths_asked_for(inprocess_vault):
    inprocess_vault.put("s/a", {"k": "v"})
    found, errors = inprocess_vault.client().batch_metadata(["s/a", "s/x"])
    assert sorted(found) == ["s/a"]
    assert errors == {"s/x": {"code": "secret_not_found", "message": sv.WITHHELD}}  # the server's text names s/x


def test_a_retry_after_a_connection_failure_says_so():
    warnings = []
    script = Script(httpx.ConnectError("refused"), (200, {"path": "a", "version": 1}))
    assert make_client(script, warnings=warnings).get_secret("a")["version"] == 1
    assert [warning.split("; retrying in ")[0] for warning in warnings] == ["ScaiVault GET a: connection_error"]


@pytest.mark.parametrize("status, body, answer, seen", [
    (201, {"path": "a", "version": 1}, {"path": "a", "version": 1}, "201 object"),
    (200, {"path": "a", "version": 2, "data": {"k": "v"}}, {"path": "a", "version": 2}, "200 object with data"),
    (200, {"data": {"k": "v"}}, {}, "200 no body with data"),
    (204, None, {}, "204 no body"),
])
def test_put_answers_are_noted_by_shape(status, body, answer, seen):
    client = make_client(Script((status, body)))
    assert client.put_secret("a", {"k": "v"}) == answer
    assert client.capabilities()["seen"] == {"put_answer": seen}


@pytest.mark.parametrize("refusal, fallback", [
    ((422, error_body("weird", fields=["permanent"])), True),
    ((400, error_body("invalid_parameter")), True),
    ((422, error_body("weird", fields=["other"])), False),
    ((403, error_body("invalid_request")), False),
])
def test_a_refused_hard_delete_flag_is_one_named_in_the_fields_or_a_parameter_refusal(refusal, fallback):
    script = Script(refusal, (204, None)) if fallback else Script(refusal)
    client = make_client(script)
    if fallback:
        assert client.delete_secret("a", permanent=True) is True
        assert client.capabilities()["choices"] == {"hard_delete": "hard"}
    else:
        with pytest.raises(sv.ScaiVaultError) as info:
            client.delete_secret("a", permanent=True)
        assert (type(info.value), info.value.status, len(script.requests)) == (sv.ScaiVaultError, refusal[0], 1)


def test_a_learnt_hard_delete_flag_refused_later_is_that_error():
    script = Script((400, error_body("invalid_request", fields=["permanent"])), (204, None),
                    (400, error_body("invalid_request", fields=["hard"])))
    client = make_client(script)
    assert client.delete_secret("a", permanent=True) is True
    with pytest.raises(sv.ScaiVaultError) as info:
        client.delete_secret("b", permanent=True)
    assert (type(info.value), info.value.code, info.value.path) == (sv.ScaiVaultError, "invalid_request", "b")
    assert [dict(r.url.params) for r in script.requests] == [{"permanent": "true"}, {"hard": "true"}, {"hard": "true"}]


@pytest.mark.parametrize("path", ["metadata", "a/b/metadata"])
def test_a_path_named_metadata_never_probes_a_route(path):
    script = Script()
    assert make_client(script).update_metadata(path, {"owner": "o"}) is None and script.requests == []


@pytest.mark.parametrize("version, seen", [(3, "PATCH /v1/secrets/{path} (writes a version)"),
                                           (4, "PATCH /v1/secrets/{path}"), (None, "PATCH /v1/secrets/{path}")])
def test_a_metadata_route_that_writes_a_version_is_noted(version, seen):
    stored = {"path": "a/b", "version": 4, "metadata": {"owner": "o"}}
    script = Script((200, None), (200, {"secrets": {"a/b": stored}, "errors": {}}))
    client = make_client(script)
    assert client.update_metadata("a/b", {"owner": "o"}, version=version) == stored  # no answer: the one read back
    assert client.capabilities()["seen"] == {"metadata_update": seen}
    assert client.capabilities()["choices"] == {"metadata_update": 0, "batch_metadata": "native"}


@pytest.mark.parametrize("listing, seen", [({"secrets": [{"secret_path": "b"}, {"secret_path": "a"}]}, "secret_path"),
                                           ({"data": [{"path": "b"}, {"path": "a"}]}, "path"),
                                           ({"data": ["b", "a"]}, "string")])
def test_rotation_assignment_shapes_are_noted(listing, seen):
    script = Script((200, listing))
    client = make_client(script)
    assert client.rotation_secret_paths("rot_1", page_size=50) == ["a", "b"]
    assert client.capabilities()["seen"]["rotation_assignments"] == seen
    assert script.requests[0].url.params["limit"] == "50"


def test_a_listing_leaves_out_soft_deleted_items_and_values_wherever_they_are():
    script = Script((200, {"secrets": [{"path": "x", "deleted_at": "2026-01-01T00:00:00Z"}, {"path": "a", "data": "v"},
                                       "odd"]}))
    client = make_client(script)
    assert list(client.list_secrets()) == [{"path": "a"}, "odd"]
    assert client.capabilities()["seen"] == {"list_envelope secrets": "secrets/-/no has_more",
                                             "list_soft_deleted": "listed (left out by the collection)"}


@pytest.mark.parametrize("status, body, seen", [(202, {"sync_id": "s1", "status": "started"}, "202"),
                                                (200, {"id": "s2", "status": "QUEUED"}, "200")])
def test_sync_answers_are_noted(status, body, seen):
    client = make_client(Script((status, body)))
    client.sync_backend("fed_1")
    assert client.capabilities()["seen"] == {"federation_sync": seen}


@pytest.mark.parametrize("errors, expected", [
    ({"a": "text"}, {"a": {"code": "batch_error", "message": ""}}),
    ({"a": {"code": "access_denied"}}, {"a": {"code": "access_denied", "message": ""}}),
    ({"a": {"code": "bad code!", "message": "no way"}}, {"a": {"code": "batch_error", "message": "no way"}}),
])
def test_per_path_batch_errors_of_any_shape(errors, expected):
    script = Script((200, {"secrets": {}, "errors": errors}))
    assert make_client(script).batch_read(["team/app-secret"]) == ({}, expected)


@pytest.mark.parametrize("metadata, stored", [({}, None), (None, {})])
def test_no_metadata_and_empty_metadata_are_the_same(metadata, stored):
    answer = {"path": "a/b", "version": 1}
    if stored is not None:
        answer["metadata"] = stored
    script = Script((200, None), (200, {"secrets": {"a/b": answer}, "errors": {}}))
    client = make_client(script)
    assert client.update_metadata("a/b", metadata) == answer
    assert client.capabilities()["choices"]["metadata_update"] == 0


def test_introspection_that_cannot_connect_is_a_connection_error():
    script = Script(httpx.ConnectError("refused"))
    with pytest.raises(sv.ScaiVaultConnectionError):
        make_client(script, retries=0).introspect()


@pytest.mark.parametrize("options, problems", [
    (dict(url="https://v.example", client_id="c"), [
        "no credentials: set token (or SCAIVAULT_TOKEN), or client_id and client_secret (or SCAIVAULT_CLIENT_ID / "
        "SCAIVAULT_CLIENT_SECRET)"]),
    (dict(url="https://v.example", token="t", retries=0), []),
])
def test_connection_problems_at_their_edges(options, problems):
    assert sv.ConnectionSettings.resolve(options, environ={}).problems() == problems


def test_a_ca_path_that_exists_is_no_problem(tmp_path):
    bundle = tmp_path / "ca.pem"
    bundle.write_text("x")
    assert sv.ConnectionSettings.resolve(dict(url="https://v.example", token="t", ca_path=str(bundle)),
                                         environ={}).problems() == []


def test_plain_http_allowed_off_loopback_is_warned_per_endpoint():
    settings = sv.ConnectionSettings.resolve(dict(url="http://v.example", client_id="c", client_secret="s",
                                                  token_url="http://key.example/token", allow_insecure_http=True),
                                             environ={})
    assert sv.insecure_http_warnings(settings) == [
        "url http://v.example is plain http:// off loopback (allow_insecure_http=true): credentials and values cross "
        "the network in clear",
        "token_url http://key.example/token is plain http:// off loopback (allow_insecure_http=true): credentials and "
        "values cross the network in clear"]


def test_backend_ids_are_one_path_segment_and_any_answer_is_read():
    script = Script((204, None), (204, None), (404, error_body("backend_not_found")))
    client = make_client(script)
    assert client.update_backend("fed/1", {"mode": "proxy"}) == {}
    assert client.delete_backend("fed/1") is True and client.delete_backend("fed/1") is False
    assert [(r.method, r.url.raw_path.decode()) for r in script.requests] == [
        ("PATCH", "/v1/federation/backends/fed%2F1"), ("DELETE", "/v1/federation/backends/fed%2F1"),
        ("DELETE", "/v1/federation/backends/fed%2F1")]


def test_a_retry_of_a_call_that_names_no_secret_names_its_endpoint():
    warnings = []
    script = Script(httpx.ConnectError("refused"), (200, {"secrets": []}))
    assert list(make_client(script, warnings=warnings).list_secrets()) == []
    assert [warning.split("; retrying in ")[0] for warning in warnings] == ["ScaiVault GET /secrets: connection_error"]


def test_a_route_that_changes_nothing_is_passed_over_for_the_next_one():
    stored = {"path": "a/b", "version": 3, "metadata": {"owner": "o"}}
    script = Script((200, None), (200, {"secrets": {"a/b": dict(stored, metadata={})}, "errors": {}}),
                    (200, dict(stored, etag="e1")), (200, {"secrets": {"a/b": stored}, "errors": {}}))
    client = make_client(script)
    assert client.update_metadata("a/b", {"owner": "o"}, version=3) == dict(stored, etag="e1")  # the route's answer
    assert script.methods() == [("PATCH", "/v1/secrets/a/b"), ("POST", "/v1/secrets/batch/metadata"),
                                ("PATCH", "/v1/secrets/a/b/metadata"), ("POST", "/v1/secrets/batch/metadata")]
    assert client.capabilities()["choices"]["metadata_update"] == 1


def test_a_metadata_route_probe_is_resent_after_a_502_and_a_refusal_names_the_secret():
    stored = {"path": "a/b", "version": 3, "metadata": {"owner": "o"}}
    script = Script((502, error_body("bad_gateway")), (200, stored), (200, {"secrets": {"a/b": stored}, "errors": {}}))
    assert make_client(script, retries=1).update_metadata("a/b", {"owner": "o"}) == stored
    sv.forget_discoveries()
    with pytest.raises(sv.ScaiVaultError) as info:
        make_client(Script((403, error_body("access_denied")))).update_metadata("a/b", {"owner": "o"})
    assert (info.value.status, info.value.path, info.value.method) == (403, "a/b", "PATCH")


@pytest.mark.parametrize("call, before", [(lambda c: c.batch_read(["team/app-secret"]), []),
                                          (lambda c: c.batch_metadata(["team/x"]), [(404, error_body("not_found"))])])
def test_a_batch_read_error_is_withheld_whatever_it_says(call, before):
    """A batch read's answer holds values: its error text cannot be proved clean (here it names only a value)."""
    script = Script(*(before + [(500, error_body("internal_error", "boom: Zq9-stored-value"))] * 4))
    with pytest.raises(sv.ScaiVaultError) as info:
        call(make_client(script, retries=0))
    assert info.value.message == sv.WITHHELD and info.value.status == 500


def test_a_sync_is_resent_after_a_502_with_its_empty_body():
    script = Script((502, error_body("bad_gateway")), (202, {"sync_id": "s1", "status": "started"}))
    assert make_client(script, retries=1).sync_backend("fed_1")["sync_id"] == "s1"
    assert [(r.method, r.url.path, r.content) for r in script.requests] == [
        ("POST", "/v1/federation/backends/fed_1/sync", b"{}")] * 2


def test_the_rate_limits_seen_per_category():
    headers = {"X-RateLimit-Limit": "10", "X-RateLimit-Remaining": "9", "X-RateLimit-Reset": "30"}
    client = make_client(Script((200, {"path": "a"}, headers), (200, {"secrets": []}, dict(headers, **{
        "X-RateLimit-Remaining": "bad"}))))
    client.get_secret("a")
    list(client.list_secrets())
    assert client.rate_limits_seen() == {"read": {"limit": 10, "remaining": 9, "reset": 30.0}}


def test_an_attachment_of_no_known_shape_is_noted_as_such():
    client = make_client(Script((200, {"data": [{"name": "a"}]})))
    with pytest.raises(sv.ScaiVaultContractError):
        client.rotation_secret_paths("rot_1")
    assert client.capabilities()["seen"]["rotation_assignments"] == "?"


def test_urls_that_differ_only_in_a_trailing_letter_are_other_tenants():
    def settings(url):
        return sv.ConnectionSettings.resolve({"url": url, "token": "t"}, environ={})

    assert sv.discoveries_for(settings("https://v.example/X")) is not sv.discoveries_for(settings("https://v.example"))


def test_each_route_passed_over_is_named_in_the_warning():
    stored = {"path": "a/b", "version": 3, "metadata": {}}
    script = Script((200, None), (200, {"secrets": {"a/b": stored}, "errors": {}}), (501, error_body("not_implemented")),
                    (405, error_body("method_not_allowed")))
    warnings = []
    assert make_client(script, warnings=warnings).update_metadata("a/b", {"owner": "o"}) is None
    assert warnings[0].startswith(
        "ScaiVault has no metadata-only update route (PATCH /v1/secrets/{path}: 200 but the metadata did not change; "
        "PATCH /v1/secrets/{path}/metadata: 501 not_implemented; PUT /v1/secrets/{path}/metadata: 405 "
        "method_not_allowed) (metadata_update): ")


def test_a_per_path_error_that_repeats_a_value_of_the_same_answer_is_withheld():
    answer = {"secrets": {"team/app-one": {"path": "team/app-one", "data": {"k": "Zq9-other-value"}}},
              "errors": {"team/app-two": {"code": "backend_unavailable", "message": "boom Zq9-other-value"},
                         "team/app-six": {"code": "access_denied", "message": "denied by policy"}}}
    found, errors = make_client(Script((200, answer))).batch_read(["team/app-one", "team/app-two", "team/app-six"])
    assert sorted(found) == ["team/app-one"]
    assert errors == {"team/app-two": {"code": "backend_unavailable", "message": sv.WITHHELD},
                      "team/app-six": {"code": "access_denied", "message": "denied by policy"}}


def test_per_path_errors_that_are_not_an_object_are_ignored():
    assert make_client(Script((200, {"secrets": {}, "errors": ["x"]}))).batch_read(["team/app-one"]) == ({}, {})
