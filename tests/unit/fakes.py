# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""In-memory stand-ins shared by several unit test files (no servers, no network).

Import as ``from unit.fakes import FakeAsm`` (tests/ is on sys.path, see tests/conftest.py).
A fake used by one test file only stays in that file.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

from dateutil.tz import tzutc

# -- ListSecrets entries ------------------------------------------------------------------------
ASM_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:%s-AbC123"
ASM_WHEN = datetime.datetime(2026, 5, 1, 12, 0, 0, tzinfo=tzutc())


def asm_entry(name, **fields):
    """A SecretListEntry as boto3 returns it (us-east-1, two versions, dates parsed); ``fields`` override."""
    result = {"ARN": ASM_ARN % name, "Name": name, "CreatedDate": ASM_WHEN, "LastChangedDate": ASM_WHEN,
              "SecretVersionsToStages": {"v-1": ["AWSPREVIOUS"], "v-2": ["AWSCURRENT"]}}
    result.update(fields)
    return result


# -- AsmClient ----------------------------------------------------------------------------------
class FakeAsm:
    """The part of ``_clients.asm.AsmClient`` that selection and the migration engine use.

    Either ``secrets`` ({name: [(version_id, SecretString)], oldest first; the last one is
    AWSCURRENT}, listed sorted by name with ``ARN_TEMPLATE``) or ``entries`` (SecretListEntry
    dicts, listed as given) is the estate. ListSecrets applies the 'name' filters as ASM does
    (prefix match, values ORed, filters ANDed); other filter keys are ignored.

    Tags: ``tags`` ({name: {key: value}}) of the ``secrets`` estate, or an entry's own ``Tags``; ListSecrets and
    DescribeSecret show them as ASM does (``[{Key, Value}]``, left out when a secret has none).

    Values: a ``str`` is answered as SecretString, ``bytes`` as SecretBinary.

    ``calls``: {API operation: count}, like ``AsmClient.calls``. ``listings``: the
    ``(filters, include_planned_deletion)`` of every ListSecrets, in order.
    """

    ARN_TEMPLATE = "arn:aws:secretsmanager:us-east-1:123456789012:secret:%s-AbCdEf"

    def __init__(self, secrets=None, entries=None, tags=None):
        self.secrets = {} if secrets is None else secrets
        self.entries = entries
        self.tags = {} if tags is None else tags
        self.calls = {}
        self.listings = []
        # Per-secret answers of BatchGetSecretValue a test wants instead of the value: {name: AsmError}
        # (reported in the errors, as ASM's Errors[] are) or {name: None} (left out of both lists).
        self.value_errors = {}

    def _count(self, op):
        self.calls[op] = self.calls.get(op, 0) + 1

    @staticmethod
    def _name_of(secret_id):
        return secret_id.split(":secret:")[1][:-7]  # drop "-" and AWS's 6-character suffix

    def _listed(self):
        if self.entries is not None:
            return self.entries
        listed = []
        for name, versions in sorted(self.secrets.items()):
            item = {"Name": name, "ARN": self.ARN_TEMPLATE % name, "SecretVersionsToStages": {versions[-1][0]: ["AWSCURRENT"]}}
            if self.tags.get(name):
                item["Tags"] = [{"Key": key, "Value": value} for key, value in sorted(self.tags[name].items())]
            listed.append(item)
        return listed

    def list_secrets(self, filters=None, include_planned_deletion=False):
        self._count("ListSecrets")
        self.listings.append((filters, include_planned_deletion))
        prefixes = [f["Values"] for f in filters or [] if f["Key"] == "name"]
        for item in self._listed():
            if all(any(item["Name"].startswith(p) for p in values) for values in prefixes):
                yield item

    def describe(self, secret_id):
        """DescribeSecret of a name or ARN: its listed fields (Tags included), the stages as VersionIdsToStages."""
        from ansible_collections.scailabs.scaivault.plugins.module_utils._common.errors import AsmError  # pylint: disable=import-outside-toplevel

        self._count("DescribeSecret")
        name = self._name_of(secret_id) if ":secret:" in secret_id else secret_id
        for item in self._listed():
            if item["Name"] == name:
                described = dict(item)
                described["VersionIdsToStages"] = described.pop("SecretVersionsToStages")
                return described
        raise AsmError("ResourceNotFoundException on DescribeSecret for %s: Secrets Manager can't find the specified "
                       "secret." % name, code="ResourceNotFoundException", operation="DescribeSecret", secret_id=name)

    def batch_get_values(self, ids):
        self._count("BatchGetSecretValue")
        values = {}
        errors = {}
        for arn in ids:
            name = self._name_of(arn)
            if name in self.value_errors:
                if self.value_errors[name] is not None:
                    errors[arn] = self.value_errors[name]
                continue
            version_id, value = self.secrets[name][-1]
            values[arn] = dict({"ARN": arn, "Name": name, "VersionId": version_id}, **self.value_field(value))
        return values, errors

    def get_value(self, secret_id, version_id=None, version_stage=None):
        self._count("GetSecretValue")
        return dict({"VersionId": version_id}, **self.value_field(dict(self.secrets[self._name_of(secret_id)])[version_id]))

    @staticmethod
    def value_field(value):
        """A str value is a SecretString, bytes a SecretBinary (as boto3 returns them)."""
        return {"SecretBinary": value} if isinstance(value, bytes) else {"SecretString": value}

    def list_version_ids(self, secret_id, include_deprecated=False, name=None):
        self._count("ListSecretVersionIds")
        assert include_deprecated, "versions: all must see versions without a staging label too"
        versions = self.secrets[self._name_of(secret_id)]
        return [{"VersionId": vid, "VersionStages": ["AWSCURRENT"] if index == len(versions) - 1 else []}
                for index, (vid, _s) in enumerate(versions)]


# -- time -----------------------------------------------------------------------------------------
class FakeClock:
    """A clock callable (``time.monotonic`` stand-in) that moves only when a test sets ``now``."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


# -- ScaiVault: the dev server itself, in process ---------------------------------------------------
NO_ASM = "http://127.0.0.1:9"  # the discard port: a federation sync in a unit test fails at once, without the network


class InProcessVault:
    """The dev server's own App (tests/devserver: storage, handlers, faults, counters), without a socket.

    The one ScaiVault stand-in of tests/unit: what it answers is what the dev server answers (the
    contract tests hold the dev server to the contract), so engine tests cannot drift from it. The
    collection's real ``ScaiVaultClient`` talks to it through an ``httpx.MockTransport`` that hands each
    request to ``App.dispatch``: a ``drop_before``/``drop_after`` fault surfaces as the client would see a
    closed connection (``httpx.RemoteProtocolError``). Faults: ``vault.faults([...])`` (same specs as
    ``POST /_dev/faults``); out-of-band reads: ``vault.http`` (admin token, ``/_dev/*`` included); every request
    that reached it, in order: ``vault.sent`` (``httpx.Request``: method, url with its query, content).

        vault = InProcessVault(tmp_path)
        client = vault.client(retries=0)          # ScaiVaultClient; options as ConnectionSettings
        vault.put("a/b", {"k": "v"})              # out of band, admin token

    Federation: sync runs of the dev server's own workers read ASM at ``NO_ASM`` (they fail at once with
    status error), or with ``moto_asm=True`` from moto in this process (``moto.mock_aws``: boto3 aims at AWS's
    own endpoint and moto answers before any socket; ``vault.asm_client()`` fills it). ``vault.hold_syncs()``
    keeps due runs from starting, ``vault.wait_for_syncs()`` lets them run and returns once none is busy
    (``/_dev/federation/hold`` and ``/wait``): a test knows which run a status shows, without sleeping.
    """

    URL = "http://scaivault.unit"
    TOKEN = "skt_unit_admin"

    REGION = "us-east-1"

    def __init__(self, data_dir, contract=None, moto_asm=False):
        import argparse  # pylint: disable=import-outside-toplevel
        import os  # pylint: disable=import-outside-toplevel

        import httpx  # pylint: disable=import-outside-toplevel
        from devserver.contract import Contract  # pylint: disable=import-outside-toplevel,import-error
        from devserver.main import build_app  # pylint: disable=import-outside-toplevel,import-error
        from devserver.secrets_api import DEFAULT_MAX_SECRET_BYTES  # pylint: disable=import-outside-toplevel,import-error

        # Federation workers reach ASM at the server's endpoint: a closed loopback port here, or moto in this process
        # (AWS's endpoint, answered by mock_aws before boto3 opens a socket), never AWS itself.
        self.moto = None
        if moto_asm:
            from moto import mock_aws  # pylint: disable=import-outside-toplevel

            self.moto = mock_aws()
            self.moto.start()
        args = argparse.Namespace(tokens_file=None, data_dir=str(data_dir), dev_controls=True,
                                  asm_endpoint_url=None if moto_asm else NO_ASM,
                                  max_secret_bytes=DEFAULT_MAX_SECRET_BYTES, rate_limits=None,
                                  contract=Contract(contract or "default"))
        saved = {key: os.environ.pop(key, None) for key in ("SCAIVAULT_DEV_TOKEN", "SCAIVAULT_DEV_ROTATION_TICK")}
        os.environ["SCAIVAULT_DEV_ROTATION_TICK"] = "0"  # no background scheduler thread in unit tests
        os.environ["SCAIVAULT_DEV_TOKEN"] = self.TOKEN  # every scope, tenant tnt_dev (as the dev server's dev token)
        try:
            self.app = build_app(args)
        finally:
            for key, value in saved.items():
                os.environ.pop(key, None)
                if value is not None:
                    os.environ[key] = value
        self.sent = []
        self.transport = httpx.MockTransport(self._handle)
        self.http = httpx.Client(base_url=self.URL, transport=self.transport,
                                 headers={"Authorization": "Bearer %s" % self.TOKEN})

    def _handle(self, request):
        import secrets  # pylint: disable=import-outside-toplevel
        import urllib.parse  # pylint: disable=import-outside-toplevel

        import httpx  # pylint: disable=import-outside-toplevel
        from devserver.http_types import DROPPED, Request  # pylint: disable=import-outside-toplevel,import-error

        self.sent.append(request)
        ours = Request(method=request.method, raw_path=request.url.path,
                       query=urllib.parse.parse_qs(request.url.query.decode("ascii"), keep_blank_values=True),
                       headers=request.headers, body=request.read(), client_ip="127.0.0.1",
                       request_id="req_" + secrets.token_hex(12))
        outcome = self.app.dispatch(ours)
        if outcome is DROPPED:
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)
        body, content_type = outcome.payload()
        headers = dict(outcome.headers, **{"X-Request-ID": ours.request_id})
        if content_type:
            headers.setdefault("Content-Type", content_type)
        return httpx.Response(outcome.status, content=body, headers=headers)

    def client(self, warnings=None, sleeps=None, **options):
        """A real ScaiVaultClient on this server (no real sleeping unless ``sleeps`` is None and asked)."""
        from ansible_collections.scailabs.scaivault.plugins.module_utils._clients import scaivault as sv  # pylint: disable=import-outside-toplevel

        options.setdefault("url", self.URL)
        options.setdefault("token", self.TOKEN)
        settings = sv.ConnectionSettings.resolve(options, environ={})
        sleeps = [] if sleeps is None else sleeps
        return sv.ScaiVaultClient(settings, warn=(warnings.append if warnings is not None else None),
                                  sleep=sleeps.append, transport=self.transport, discoveries=sv.Discoveries())

    def client_as(self, identity, scopes=("secrets:read",), **options):
        """A real ScaiVaultClient whose requests the server attributes to ``identity`` (a token from /_dev/tokens)."""
        token = "skt_unit_%s" % "".join(char if char.isalnum() else "_" for char in identity)
        answer = self.http.post("/_dev/tokens", json={"token": token, "identity_id": identity, "scopes": list(scopes)})
        assert answer.status_code == 201, answer.text
        return self.client(token=token, **options)

    # -- out of band ---------------------------------------------------------------------------------
    def put(self, path, data, **body):
        answer = self.http.put("/v1/secrets/%s" % path, json=dict(body, data=data))
        assert answer.status_code in (200, 201), answer.text
        return answer.json()

    def get(self, path, version=None):
        answer = self.http.get("/v1/secrets/%s" % path, params={"version": version} if version else None)
        return answer.json() if answer.status_code == 200 else None

    def stored(self, path):
        """What is stored at a path (/_dev/secrets: head without data, retained versions), or None."""
        answer = self.http.get("/_dev/secrets/%s" % path)
        return answer.json() if answer.status_code == 200 else None

    def add_backend(self, backend):
        """A federation backend created out of band (admin token): the server's answer (its ``id`` included)."""
        answer = self.http.post("/v1/federation/backends", json=backend)
        assert answer.status_code == 201, answer.text
        return answer.json()

    def faults(self, faults):
        self.app.faults.replace(faults)

    def asm_client(self):
        """A boto3 Secrets Manager client on the in-process moto (``moto_asm=True``)."""
        import boto3  # pylint: disable=import-outside-toplevel

        assert self.moto is not None, "InProcessVault(..., moto_asm=True) has an ASM to fill"
        return boto3.client("secretsmanager", region_name=self.REGION)

    def hold_syncs(self, held=True):
        """Federation sync runs that become due wait before they start (until ``wait_for_syncs``)."""
        assert self.http.post("/_dev/federation/hold", json={"held": held}).status_code == 200

    def wait_for_syncs(self, timeout=10):
        """Release held sync runs; True once no sync worker is running or has a run due."""
        return self.http.post("/_dev/federation/wait", json={"timeout": timeout}).json()["idle"]

    def counters(self):
        return self.app.counters.snapshot()

    def requests(self, method, path):
        """How many requests reached ``METHOD /v1/...path`` (the dev server's own counters)."""
        return self.counters()["by_path"].get("%s /v1/secrets/%s" % (method, path), 0)

    @staticmethod
    def wait_for_workers(_seconds=None):
        """Let the dev server's background work finish (audit exports, federation syncs); usable as a ``sleep``."""
        import threading  # pylint: disable=import-outside-toplevel

        for thread in threading.enumerate():
            if thread.name.startswith("federation-sync-") or thread.name.endswith("(_run)"):
                thread.join(5)

    def close(self):
        for hook in self.app.reset_hooks:
            if getattr(hook, "__name__", "") == "stop_all":  # the federation workers, before their database goes
                hook()
        self.wait_for_workers()  # a worker stopped with its backend may still finish its last sync
        self.http.close()
        self.app.db.close()
        if self.moto is not None:
            self.moto.stop()
