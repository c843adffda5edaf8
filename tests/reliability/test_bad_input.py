# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Bad input (reliability suite): one row per case, each must give a clear message naming what is wrong
and how to fix it, before or without partial writes.

A row: (id, setup, module, args, expect, writes)
* setup(ctx) prepares the servers and returns extra module args (or None);
* expect: "fail" (the task fails) with every substring of ``words`` in its message (case-insensitive),
  or "entry:<name>" (the task fails or not, but that secret's entry is an error whose reason carries
  ``words``), or "ok:<name>" (must succeed for that secret: treated as data, not a crash);
* writes: "none" = /_dev/counters shows no PUT at all (the promise: nothing written before the
  error); "path:<p>" = no successful write on that path (its version is unchanged); "any" = no promise.

Modules run in-process (run_module mode="inprocess") for speed; the module process is this one,
so a crash (traceback) would surface as an exception here rather than as a message.
"""

from __future__ import annotations

import json
import secrets as _random

import httpx
import pytest

from integration.playbook_runner import run_module
from reliability import figures

from ansible.module_utils.common import warnings as _warnings

REGION = "us-east-1"
MAPPING = [{"match": "prod/**", "path": "environments/production/**"}]
PUT_ROUTE = "PUT /v1/secrets/{path}"


class Ctx:
    def __init__(self, servers, sm, http):
        self.servers = servers
        self.sm = sm
        self.http = http

    def secret(self, name, string=None, binary=None):
        kwargs = {"SecretString": string} if binary is None else {"SecretBinary": binary}
        return self.sm.create_secret(Name=name, **kwargs)

    def token(self, scopes, **extra):
        token = "skt_rel_" + _random.token_hex(8)
        self.servers.dev_add_token(token, "sa:reliability", list(scopes), **extra)
        return token

    def put(self, path, data):
        answer = self.http.put("/v1/secrets/" + path, json={"data": data})
        answer.raise_for_status()

    def version(self, path):
        answer = self.http.post("/v1/secrets/batch/metadata", json={"paths": [path]})
        answer.raise_for_status()
        found = answer.json()["secrets"].get(path)
        return found["version"] if found else None


def _one(ctx):
    ctx.secret("prod/app/one", "value-of-one-1234")
    return None


def _asm_args(**extra):
    args = {"region": REGION, "mapping": MAPPING, "prefixes": ["prod/"]}
    args.update(extra)
    return args


# -- setups ----------------------------------------------------------------------------------------------
def s_invalid_name(ctx):
    ctx.secret("prod/Billing/Stripe", "value-upper-case-1")


def s_collision(ctx):
    ctx.secret("prod/cache.main", "value-cache-dot-1")
    ctx.secret("prod/cache-main", "value-cache-dash-1")


def s_expired(ctx):
    _one(ctx)
    return {"token": ctx.token(["secrets:read", "secrets:write", "secrets:list"], expires_in_seconds=-60)}


def s_invalid_token(ctx):
    _one(ctx)
    return {"token": "skt_not_a_real_token_0000"}


def s_no_write_scope(ctx):
    _one(ctx)
    return {"token": ctx.token(["secrets:read", "secrets:list"])}


def s_no_list_scope(ctx):
    _one(ctx)
    return {"token": ctx.token(["secrets:read", "secrets:write"])}


def s_tenant_mismatch(ctx):
    _one(ctx)
    return {"token": ctx.token(["secrets:read", "secrets:write", "secrets:list"], tenant_id="tnt_alpha"),
            "tenant_id": "tnt_beta"}


def s_unreachable(ctx):
    _one(ctx)
    return {"url": "http://127.0.0.1:9", "retries": 1, "timeout": 2}


def s_too_large(ctx):
    ctx.secret("prod/app/huge", "x" * (64 * 1024 - 4))
    ctx.secret("prod/app/small", "value-small-secret-1")


def s_binary(ctx):
    ctx.secret("prod/app/binary", binary=b"\xff\xfe\x00\x80not-utf8\xc3\x28")


def s_malformed_json(ctx):
    ctx.secret("prod/app/malformed", '{"user": "svc", "password": ')


def s_soft_deleted(ctx):
    ctx.secret("prod/app/gone", "value-soft-deleted-1")
    ctx.put("environments/production/app/gone", {"value": "old"})
    ctx.http.delete("/v1/secrets/environments/production/app/gone").raise_for_status()


def s_federated(ctx):
    ctx.secret("prod/app/fed", "value-federated-1")
    answer = ctx.http.post("/v1/federation/backends", json={
        "name": "aws-rel", "type": "aws-secrets-manager", "config": {"region": REGION},
        "path_mapping": {"external/aws/**": "prod/**"}, "mode": "proxy"})
    assert answer.status_code in (200, 201), answer.text


def s_batch_denied(ctx):
    _one(ctx)
    ctx.servers.asm_fault(target="secretsmanager.BatchGetSecretValue", code="AccessDeniedException", status=400,
                          message="User is not authorized to perform: secretsmanager:BatchGetSecretValue")


def s_get_denied(ctx):
    _one(ctx)
    ctx.secret("prod/app/two", "value-of-two-1234")
    ctx.servers.asm_fault(target="secretsmanager.BatchGetSecretValue", code="AccessDeniedException", status=400,
                          message="User is not authorized to perform: secretsmanager:BatchGetSecretValue")
    ctx.servers.asm_fault(target="secretsmanager.GetSecretValue", code="AccessDeniedException", status=400,
                          message="User is not authorized to perform: secretsmanager:GetSecretValue", append=True)


def s_list_denied(ctx):
    _one(ctx)
    ctx.servers.asm_fault(target="secretsmanager.ListSecrets", code="AccessDeniedException", status=400,
                          message="User is not authorized to perform: secretsmanager:ListSecrets")


def s_foreign_target(ctx):
    _one(ctx)
    ctx.put("environments/production/app/one", {"value": "written by hand"})


def s_fed_backend_missing(ctx):
    _one(ctx)


def s_secret_exists(ctx):
    ctx.put("apps/soft", {"value": "old"})
    ctx.http.delete("/v1/secrets/apps/soft").raise_for_status()


def s_fed_secret(ctx):
    s_federated(ctx)


# (id, setup, module, args, expect, words, writes)
CASES = [
    # target paths
    ("invalid target path (strict)", s_invalid_name, "asm_migrate", _asm_args(),
     "entry:prod/Billing/Stripe", ["invalid_path", "allowed: a-z 0-9", "naming_policy"], "none"),
    ("colliding target paths (normalize)", s_collision, "asm_migrate", _asm_args(naming_policy="normalize"),
     "entry:prod/cache.main", ["collision", "prod/cache-main"], "none"),
    ("scaivault_secret invalid path", None, "scaivault_secret",
     {"path": "Apps/Bad Path", "data": {"k": "value-1234567"}}, "fail", ["path", "lowercase"], "none"),
    ("scaivault_secret path with empty segment", None, "scaivault_secret",
     {"path": "apps//x", "data": {"k": "value-1234567"}}, "fail", ["path", "segment"], "none"),
    ("scaivault_secret path with 11 segments", None, "scaivault_secret",
     {"path": "/".join("s%d" % i for i in range(11)), "data": {"k": "value-1234567"}}, "fail",
     ["10 segments"], "none"),
    # mapping rules
    ("mapping: template wildcard mismatch", _one, "asm_migrate", _asm_args(mapping=[{"match": "prod/**", "path": "x/*"}]),
     "fail", ["mapping", "wildcard"], "none"),
    ("mapping: rule is a bare string", _one, "asm_migrate", _asm_args(mapping=["prod/**"]),
     "fail", ["mapping", "match"], "none"),
    ("mapping: rule without path", _one, "asm_migrate", _asm_args(mapping=[{"match": "prod/**"}]),
     "fail", ["mapping", "path"], "none"),
    ("mapping: empty list", _one, "asm_migrate", _asm_args(mapping=[]),
     "fail", ["mapping", "at least one rule"], "none"),
    ("mapping: *** in glob", _one, "asm_migrate", _asm_args(mapping=[{"match": "prod/***", "path": "x/**"}]),
     "fail", ["mapping"], "none"),
    # region
    ("unknown region", _one, "asm_migrate", _asm_args(region="us-nowhere-1"), "fail", ["us-nowhere-1", "region"], "none"),
    # tokens, scopes, tenant, reachability
    ("expired token", s_expired, "asm_migrate", _asm_args(), "fail", ["expired", "new one"], "none"),
    ("invalid token", s_invalid_token, "asm_migrate", _asm_args(), "fail", ["token", "check the token"], "none"),
    ("missing scope secrets:write", s_no_write_scope, "asm_migrate", _asm_args(), "fail",
     ["secrets:write", "grant"], "path:environments/production/app/one"),
    ("missing scope secrets:list", s_no_list_scope, "asm_migrate", _asm_args(), "fail", ["secrets:list"], "none"),
    ("tenant mismatch", s_tenant_mismatch, "asm_migrate", _asm_args(), "fail", ["tenant"], "none"),
    ("unreachable ScaiVault", s_unreachable, "asm_migrate", _asm_args(), "fail", ["127.0.0.1:9"], "none"),
    ("scaivault_secret unreachable", None, "scaivault_secret",
     {"path": "apps/x", "data": {"k": "value-1234567"}, "url": "http://127.0.0.1:9", "retries": 0, "timeout": 2},
     "fail", ["127.0.0.1:9"], "none"),
    # values
    ("secret above the size ScaiVault accepts", s_too_large, "asm_migrate", _asm_args(),
     "entry:prod/app/huge", ["secret_too_large", "split"], "path:environments/production/app/huge"),
    ("scaivault_secret value too large", None, "scaivault_secret",
     {"path": "apps/huge", "data": {"k": "y" * (65 * 1024)}}, "fail", ["secret_too_large", "split"], "path:apps/huge"),
    ("non-UTF-8 binary (migrated as value_base64)", s_binary, "asm_migrate", _asm_args(), "ok:prod/app/binary",
     [], "any"),
    ("malformed JSON SecretString (text, no crash)", s_malformed_json, "asm_migrate", _asm_args(),
     "ok:prod/app/malformed", [], "any"),
    # targets that cannot take a write
    ("soft-deleted target path", s_soft_deleted, "asm_migrate", _asm_args(take_over=True), "entry:prod/app/gone",
     ["soft-deleted", "permanent=true"], "path:environments/production/app/gone"),
    ("scaivault_secret soft-deleted path", s_secret_exists, "scaivault_secret",
     {"path": "apps/soft", "data": {"k": "value-1234567"}}, "fail", ["soft-deleted", "permanent=true"], "path:apps/soft"),
    ("write to a federated path", s_federated, "asm_migrate",
     _asm_args(mapping=[{"match": "prod/**", "path": "external/aws/**"}]), "entry:prod/app/fed",
     ["federat", "canonical"], "path:external/aws/app/fed"),
    ("scaivault_secret write to a federated path", s_fed_secret, "scaivault_secret",
     {"path": "external/aws/app/fed", "data": {"k": "value-1234567"}}, "fail", ["federat", "canonical"],
     "path:external/aws/app/fed"),
    ("target owned by another source", s_foreign_target, "asm_migrate", _asm_args(), "entry:prod/app/one",
     ["foreign_target", "take_over"], "none"),
    # ASM permissions
    ("ASM denies BatchGetSecretValue (falls back)", s_batch_denied, "asm_migrate", _asm_args(), "ok:prod/app/one",
     [], "any"),
    ("ASM denies GetSecretValue (per-secret error)", s_get_denied, "asm_migrate", _asm_args(), "entry:prod/app/one",
     ["AccessDenied", "GetSecretValue"], "none"),
    ("ASM denies ListSecrets", s_list_denied, "asm_migrate", _asm_args(), "fail", ["ListSecrets"], "none"),
    # option combinations that contradict each other
    ("versions=all with source=federation", _one, "asm_migrate",
     _asm_args(versions="all", source="federation", federation_path_mapping={"external/aws/**": "prod/**"}),
     "fail", ["versions=all", "source=asm"], "none"),
    ("source=federation without a backend", _one, "asm_migrate", _asm_args(source="federation"),
     "fail", ["federation_backend", "federation_path_mapping"], "none"),
    ("federation_backend with federation_path_mapping", _one, "asm_migrate",
     _asm_args(source="federation", federation_backend="b", federation_path_mapping={"external/aws/**": "prod/**"}),
     "fail", ["mutually exclusive", "federation_backend"], "none"),
    ("unknown federation backend", s_fed_backend_missing, "asm_migrate",
     _asm_args(source="federation", federation_backend="no-such-backend"), "fail", ["no-such-backend"], "none"),
    ("workers=0", _one, "asm_migrate", _asm_args(workers=0), "fail", ["workers", "between 1 and 32"], "none"),
    ("workers=64", _one, "asm_migrate", _asm_args(workers=64), "fail", ["workers", "between 1 and 32"], "none"),
    ("metadata.source is reserved", _one, "asm_migrate", _asm_args(metadata={"source": "x"}), "fail",
     ["source", "reserved"], "none"),
    ("batch.index above batch.count", _one, "asm_migrate", _asm_args(batch={"index": 5, "count": 2}), "fail",
     ["batch.index"], "none"),
    ("batch index/count with offset", _one, "asm_migrate", _asm_args(batch={"index": 1, "count": 2, "offset": 3}),
     "fail", ["batch"], "none"),
    ("name filter with prefixes", _one, "asm_migrate",
     _asm_args(filters=[{"key": "name", "values": ["prod/"]}]), "fail", ["name", "prefixes"], "none"),
    ("ARN of another region", _one, "asm_migrate",
     {"region": REGION, "mapping": MAPPING, "names": ["arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/x-AbCdEf"]},
     "fail", ["eu-west-1"], "none"),
    ("no selection at all", _one, "asm_migrate", {"region": REGION, "mapping": MAPPING}, "fail",
     ["one of the following is required", "names"], "none"),
    ("scaivault_secret state=present without data", None, "scaivault_secret", {"path": "apps/x"}, "fail",
     ["data"], "none"),
    ("scaivault_secret unknown secret_type", None, "scaivault_secret",
     {"path": "apps/x", "data": {"k": "value-1234567"}, "secret_type": "password"}, "fail", ["secret_type"], "none"),
    ("negative retries", _one, "asm_migrate", _asm_args(retries=-1), "fail", ["retries"], "none"),
    ("url that is not http(s)", _one, "asm_migrate", _asm_args(url="ftp://127.0.0.1:21"), "fail", ["url"], "none"),
]


@pytest.fixture
def ctx(dev_server, asm_client_factory):
    with httpx.Client(base_url=dev_server.scaivault_url, timeout=15.0, trust_env=False,
                      headers={"Authorization": "Bearer %s" % dev_server.token}) as http:
        yield Ctx(dev_server, asm_client_factory(REGION, retries=1), http)
    dev_server.clear_asm_faults()


def _message(result):
    return str(result.get("msg") or "")


def _entry(result, name):
    for entry in result.get("secrets") or []:
        if entry["name"] == name:
            return entry
    return None


@pytest.mark.parametrize("case", CASES, ids=[case[0] for case in CASES])
def test_bad_input(ctx, case):
    case_id, setup, module_name, args, expect, words, writes = case
    args = json.loads(json.dumps(args))
    extra = setup(ctx) if setup else None
    args.update(extra or {})
    watched = writes[5:] if writes.startswith("path:") else None
    before = ctx.version(watched) if watched else None
    ctx.servers.reset_dev_counters()
    _warnings._global_warnings.clear()  # pylint: disable=protected-access
    _warnings._global_deprecations.clear()  # pylint: disable=protected-access
    run = run_module(module_name, args, env=ctx.servers.env, mode="inprocess")
    result = run.result
    counters = ctx.servers.dev_counters()
    puts = (counters.get("by_route") or {}).get(PUT_ROUTE, 0)
    where, text = "task", _message(result)
    problems = []
    if expect == "fail":
        if not result.get("failed"):
            problems.append("the task did not fail")
    elif expect.startswith("entry:"):
        entry = _entry(result, expect[6:])
        where = "secrets[%s]" % expect[6:]
        if entry is None:
            problems.append("no entry for %s; msg=%s" % (expect[6:], text[:300]))
            text = ""
        else:
            text = "%s %s" % (entry.get("reason_code"), entry.get("reason"))
            if entry["action"] != "error":
                problems.append("entry action is %s, not error" % entry["action"])
        if not result.get("failed"):
            problems.append("the task did not fail")
    elif expect.startswith("ok:"):
        entry = _entry(result, expect[3:])
        where = "secrets[%s]" % expect[3:]
        if result.get("failed") or entry is None or entry["action"] not in ("create", "update", "unchanged"):
            problems.append("expected success, got %s / %s" % (entry and entry.get("action"), text[:300]))
    if "Traceback" in (run.stderr or "") or "Traceback" in text:
        problems.append("a traceback instead of a message")
    missing = [word for word in words if word.lower() not in text.lower()]
    if missing:
        problems.append("message lacks %s: %r" % (missing, text[:500]))
    if writes == "none" and puts:
        problems.append("%d PUTs before/despite the error" % puts)
    if watched:
        after = ctx.version(watched)
        if after != before:
            problems.append("%s was written (version %s -> %s)" % (watched, before, after))
    figures.record("bad_input", case_id, where=where, message_ok=not missing, puts=puts,
                   message=(text if expect.startswith(("fail", "entry:")) else "(succeeds)")[:220],
                   result="ok" if not problems else "FAIL: " + "; ".join(problems)[:200])
    assert not problems, "%s: %s" % (case_id, "; ".join(problems))


def test_missing_write_scope_stops_at_the_first_refused_put(ctx):
    """A token without secrets:write must not make the run read every value and send N refused PUTs."""
    from integration.asm_seed import seed_bulk  # pylint: disable=import-outside-toplevel

    count, workers = 200, 4
    seed_bulk(ctx.servers.asm_url, count, REGION, "prod/bulk/")
    token = ctx.token(["secrets:read", "secrets:list"])
    ctx.servers.reset_dev_counters()
    ctx.servers.reset_asm_calls()
    run = run_module("asm_migrate", _asm_args(token=token, workers=workers), env=ctx.servers.env, mode="inprocess")
    assert run.result.get("failed")
    assert "secrets:write" in run.result["msg"]
    puts = (ctx.servers.dev_counters().get("by_route") or {}).get(PUT_ROUTE, 0)
    value_reads = (ctx.servers.asm_calls().get("by_operation") or {}).get("BatchGetSecretValue", 0)
    figures.record("bad_input", "missing secrets:write on 200 secrets (fail fast)", where="task",
                   message_ok=True, puts=puts,
                   result="stopped after %d refused PUTs, %d value batches read" % (puts, value_reads))
    assert puts <= 2 * workers, "%d refused PUTs: the run did not stop at the first insufficient_scope" % puts
    assert value_reads < count // 20


@pytest.mark.parametrize("module_name", ["asm_migrate", "scaivault_secret"])
def test_unreachable_scaivault_message_says_how_to_fix(ctx, module_name):
    _one(ctx)
    if module_name == "asm_migrate":
        args = _asm_args(url="http://127.0.0.1:9", retries=0, timeout=2)
    else:
        args = {"path": "apps/x", "data": {"k": "value-1234567"}, "url": "http://127.0.0.1:9", "retries": 0,
                "timeout": 2}
    run = run_module(module_name, args, env=ctx.servers.env, mode="inprocess")
    assert run.result.get("failed")
    assert "SCAIVAULT_URL" in run.result["msg"], run.result["msg"]
