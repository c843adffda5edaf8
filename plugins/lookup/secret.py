# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: secret
short_description: Read secret values from ScaiVault
version_added: 0.1.0
description:
  - Returns the data (a dictionary) of each ScaiVault secret named in the terms, or one field of it with O(field).
  - This is the ScaiVault counterpart of reading C(prod/billing/stripe) with C(get_secret_value) from AWS
    Secrets Manager; after a migration consumers read C(environments/production/billing/stripe) here.
  - All terms of one call share one connection. Without O(version), two or more terms are read with the
    batch endpoint (up to 100 paths per request); a path named twice is read once.
  - Nothing this plugin prints, at any verbosity, contains a value. Values do end up in the task that uses
    them, so mark such tasks C(no_log=true).
options:
  _terms:
    description:
      - Paths of the secrets, for example V(environments/production/billing/stripe). Each is checked against
        the path rules (lowercase C(a-z 0-9 - _ /), at most 10 segments) before any request is sent.
    required: true
    type: list
    elements: str
  field:
    description:
      - Return only this key of each secret's data instead of the whole dictionary.
      - A secret without this key is an error that lists the keys it has (key names only).
    type: str
  version:
    description:
      - Read this version (an integer, 1 for the first write) instead of the current one.
      - Each term is then read on its own (the batch endpoint reads one version for all paths).
      - A version that does not exist counts as missing, see O(on_missing) - never written, pruned by C(max_versions), or aged
        out after a rotation (ScaiVault keeps the previous version readable only for the rotation policy's
        C(grace_period)). Read what you need of an old version before the grace period ends.
    type: int
  on_missing:
    description:
      - What to do when a secret (or the requested version) does not exist.
      - V(error) fails the task; V(warn) shows a warning and leaves the term out of the result;
        V(skip) leaves it out silently.
    type: str
    choices: [error, warn, skip]
    default: error
  on_denied:
    description:
      - What to do when the token may not read a secret (C(403), for example a token without C(secrets:read)).
      - V(error) fails the task; V(warn) shows a warning and leaves the term out of the result;
        V(skip) leaves it out silently.
      - Authentication failures (C(401), a wrong or expired token) always fail.
    type: str
    choices: [error, warn, skip]
    default: error
  asm_fallback:
    description:
      - The AWS Secrets Manager secret (name, or full or partial ARN) to read instead when the ScaiVault path is
        missing, denied (C(401), C(403)) or unreachable (connection failures, C(5xx) after the retries). This is the
        "production with fallback" stage of repointing consumers; M(scailabs.scaivault.asm_reference_scan) writes
        lookups with it.
      - A string for a single path; for several terms a list (one entry per term, in order, null for none) or a
        dictionary (ScaiVault path -> ASM secret).
      - 'The values are read with one C(BatchGetSecretValue) per region and 20 secrets (C(AWSCURRENT); one
        C(GetSecretValue) per secret where the batch call is denied) and encoded exactly as
        M(scailabs.scaivault.asm_migrate) encodes it (a JSON object as is, other text as C({"value": ...}), binary as
        C({"value_base64": ...})), so O(field) and the templates work the same with either source.'
      - Each path served from ASM warns once (path, ASM secret and the ScaiVault error; never a value). A path that
        ScaiVault has is never read from ASM.
      - AWS connection settings come from the options below (O(region) defaults to the region of an ARN) and boto3's
        own chain (E(AWS_PROFILE), E(AWS_REGION), ...). Needs C(boto3) on the controller and
        C(secretsmanager:BatchGetSecretValue) with C(secretsmanager:GetSecretValue).
      - Cannot be combined with O(version) (ASM versions are not ScaiVault versions).
    type: raw
  asm_fallback_enabled:
    description:
      - The central switch of every O(asm_fallback). V(false) (E(SCAIVAULT_ASM_FALLBACK=off)) turns all fallbacks
        off without editing a template (the "remove fallback" stage). A missing path is then handled by O(on_missing)
        (an error by default) and a denied one by O(on_denied).
    type: bool
    default: true
    env:
      - name: SCAIVAULT_ASM_FALLBACK
    ini:
      - section: scaivault
        key: asm_fallback_enabled
    vars:
      - name: ansible_scaivault_asm_fallback_enabled
extends_documentation_fragment:
  - scailabs.scaivault.scaivault.plugins
  - scailabs.scaivault.aws.plugins
notes:
  - Connection settings come, from highest to lowest precedence, from keyword arguments of the lookup call,
    Ansible variables (C(ansible_scaivault_url), C(ansible_scaivault_token), ...), environment variables
    (E(SCAIVAULT_URL), E(SCAIVAULT_TOKEN), ...) and the C([scaivault]) section of C(ansible.cfg).
  - C(module_defaults) does not reach lookups; use the variables above to configure both once.
  - Needs the C(secrets:read) scope. Every read is audited by ScaiVault as C(read) and updates the secret's
    C(last_accessed_at).
  - Lookups run on the controller, which needs the C(httpx) Python library.
  - With O(on_missing=warn), O(on_missing=skip) and the O(on_denied) equivalents, the result list is shorter
    than the terms; use one call per path when positions matter.
  - The AWS options (O(region), O(profile), ...) are used only by O(asm_fallback).
seealso:
  - module: scailabs.scaivault.scaivault_secret
  - module: scailabs.scaivault.scaivault_secret_info
  - module: scailabs.scaivault.asm_reference_scan
author:
  - ScaiLabs (@scailabs)
"""

EXAMPLES = r"""
- name: Read the whole secret (a dictionary)
  ansible.builtin.set_fact:
    stripe: "{{ lookup('scailabs.scaivault.secret', 'environments/production/billing/stripe') }}"
  no_log: true

- name: Read one field
  ansible.builtin.set_fact:
    stripe_secret_key: "{{ lookup('scailabs.scaivault.secret', 'environments/production/billing/stripe', field='secret_key') }}"
  no_log: true

- name: Read the previous version, for a rollback
  ansible.builtin.set_fact:
    stripe_v1: "{{ lookup('scailabs.scaivault.secret', 'environments/production/billing/stripe', version=1) }}"
  no_log: true

- name: Read several secrets with one batch request; query() always returns a list
  ansible.builtin.set_fact:
    billing_secrets: "{{ query('scailabs.scaivault.secret', 'environments/production/billing/stripe', 'environments/production/billing/db') }}"
  no_log: true

- name: Optional secret, a warning instead of a failure when it is not there
  ansible.builtin.set_fact:
    feature_flags: "{{ lookup('scailabs.scaivault.secret', 'environments/production/billing/flags', on_missing='warn', wantlist=true) }}"
  no_log: true

- name: Connection settings as variables (they also work from inventory or group_vars)
  vars:
    ansible_scaivault_url: "{{ lookup('ansible.builtin.env', 'SCAIVAULT_URL') }}"
    ansible_scaivault_token: "{{ lookup('ansible.builtin.env', 'SCAIVAULT_TOKEN') }}"
  ansible.builtin.set_fact:
    db_password: "{{ lookup('scailabs.scaivault.secret', 'environments/production/billing/db', field='password') }}"
  no_log: true

- name: Production with fallback - ScaiVault first, the old ASM secret while the path is missing, denied or unreachable
  ansible.builtin.set_fact:
    stripe_key: >-
      {{ lookup('scailabs.scaivault.secret', 'environments/production/billing/stripe', field='secret_key',
                asm_fallback='prod/billing/stripe', region='us-east-1') }}
  no_log: true

- name: Remove the fallback without editing templates (also SCAIVAULT_ASM_FALLBACK=off, or ini [scaivault] asm_fallback_enabled)
  vars:
    ansible_scaivault_asm_fallback_enabled: false
  ansible.builtin.set_fact:
    stripe_key: >-
      {{ lookup('scailabs.scaivault.secret', 'environments/production/billing/stripe', field='secret_key',
                asm_fallback='prod/billing/stripe', region='us-east-1') }}
  no_log: true
"""

RETURN = r"""
_raw:
  description:
    - One entry per term that was found, in the order of the terms.
    - The secret's data (a dictionary), or the value of O(field).
  type: list
  elements: raw
"""

from collections import namedtuple

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase
from ansible.utils.display import Display

from ansible_collections.scailabs.scaivault.plugins.module_utils._clients.asm import HAS_BOTO3, connect as asm_connect
from ansible_collections.scailabs.scaivault.plugins.module_utils._clients.scaivault import (
    HAS_HTTPX, ConnectionSettings, ScaiVaultClient, insecure_http_warnings)
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.arns import parse_arn
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.encoding import EncodingError, encode_asm_value
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.errors import (
    AsmError, PlanError, ScaiVaultConnectionError, ScaiVaultError, is_denied_code, is_missing_code)
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.options import (
    AWS_CONNECTION, SCAIVAULT_CONNECTION, option_names)
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.paths import check_paths

display = Display()

CONNECTION_OPTIONS = option_names(SCAIVAULT_CONNECTION)
AWS_OPTIONS = option_names(AWS_CONNECTION)
PLUGIN = "scailabs.scaivault.secret"
VAR_PREFIX = "ansible_scaivault_"
SWITCH_VARIABLE = "ansible_scaivault_asm_fallback_enabled"

# Why a path was not read from ScaiVault: missing, denied (403), auth (401), unreachable (connection, 5xx),
# failed (anything else). ``error`` is what the lookup raises when no fallback takes the path.
Problem = namedtuple("Problem", ["reason", "code", "message", "error"])
# Paths whose fallback read has warned in this process (a path warns once, whatever the number of reads).
_WARNED = set()
# [doc] core-concepts/rotation: after a rotation the previous version stays readable only for the grace_period.
VERSION_GONE = ("version %d is not readable: never written, pruned by max_versions, or aged out - after a rotation "
                "ScaiVault keeps the previous version only for the rotation policy's grace_period (or no such secret)")


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=self._connection_vars(variables), direct=kwargs)
        paths = self._checked_paths(terms)
        field = self.get_option("field")
        version = self.get_option("version")
        if version is not None and version < 1:
            raise AnsibleLookupError("%s: version must be 1 or more, got %d" % (PLUGIN, version))
        fallbacks = self._fallbacks(paths)
        if fallbacks and version is not None:
            raise AnsibleLookupError("%s: asm_fallback reads ASM's current value, so it cannot be combined with "
                                     "version=%d; drop one of them" % (PLUGIN, version))
        if not HAS_HTTPX:
            raise AnsibleLookupError("%s needs the httpx Python library on the controller (pip install httpx)" % PLUGIN)

        settings = ConnectionSettings.resolve(dict((name, self.get_option(name)) for name in CONNECTION_OPTIONS))
        problems = settings.problems()
        if problems:
            raise AnsibleLookupError("%s: ScaiVault connection settings: %s" % (PLUGIN, "; ".join(problems)))
        for warning in insecure_http_warnings(settings):
            display.warning("%s: %s" % (PLUGIN, warning))

        unique = list(dict.fromkeys(paths))
        client = ScaiVaultClient(settings, warn=display.warning)
        try:
            found, unread = self._read(client, unique, version)
        finally:
            client.close()
        asm_calls = self._fall_back(found, unread, fallbacks) if unread else 0
        for path in unique:
            if path in unread and path not in found:
                self._settle(path, unread[path])
        display.vvv("%s: %d path(s) read with %d request(s)%s" % (
            PLUGIN, len(unique), client.counter.snapshot()["total"],
            ", %d ASM call(s) for fallbacks" % asm_calls if asm_calls else ""))

        results = []
        for path in paths:
            if path not in found:
                continue
            data = found[path]
            if field is None:
                results.append(data)
            elif field in data:
                results.append(data[field])
            else:
                raise AnsibleLookupError("%s: secret %s has no field %r; its fields are: %s" % (
                    PLUGIN, path, field, ", ".join(sorted(data)) or "(none)"))
        return results

    def _connection_vars(self, variables):
        """The ansible_scaivault_* variables, templated.

        The config manager takes variable values as they are, so a play that sets
        ansible_scaivault_url: "{{ lookup('env', 'SCAIVAULT_URL') }}" would hand over the template.
        """
        if not variables:
            return variables
        picked = {}
        for name in [VAR_PREFIX + option for option in CONNECTION_OPTIONS] + [SWITCH_VARIABLE]:
            if name in variables:
                value = variables[name]
                if self._templar is not None and isinstance(value, str):
                    value = self._templar.template(value)
                picked[name] = value
        return picked

    @staticmethod
    def _checked_paths(terms):
        for term in terms:
            if not isinstance(term, str):
                raise AnsibleLookupError("%s: each term is a secret path (a string), got a %s" % (PLUGIN, type(term).__name__))
        try:
            paths = check_paths(list(terms))
        except PlanError as exc:
            raise AnsibleLookupError("%s: %s" % (PLUGIN, exc))
        if not paths:
            raise AnsibleLookupError("%s: give at least one secret path" % PLUGIN)
        return paths

    def _fallbacks(self, paths):
        """{path: ASM secret id} from asm_fallback (a string, a list by position, or a dict by path)."""
        given = self.get_option("asm_fallback")
        if given is None or given == "" or given == [] or given == {}:
            return {}
        if isinstance(given, str):
            if len(set(paths)) != 1:
                raise AnsibleLookupError("%s: asm_fallback is one ASM secret, but %d paths are read: give a list (one "
                                         "entry per term) or a dictionary (path: ASM secret)" % (PLUGIN, len(set(paths))))
            mapping = {paths[0]: given}
        elif isinstance(given, (list, tuple)):
            if len(given) != len(paths):
                raise AnsibleLookupError("%s: asm_fallback has %d entries for %d terms: give one per term (null for "
                                         "none), or a dictionary (path: ASM secret)" % (PLUGIN, len(given), len(paths)))
            mapping = {}
            for path, name in zip(paths, given):
                if name:
                    mapping[path] = name
        elif isinstance(given, dict):
            unknown = sorted(set(given) - set(paths))
            if unknown:
                raise AnsibleLookupError("%s: asm_fallback names paths that are not read here: %s"
                                         % (PLUGIN, ", ".join(unknown)))
            mapping = dict((path, name) for path, name in given.items() if name)
        else:
            raise AnsibleLookupError("%s: asm_fallback must be an ASM secret name or ARN, a list or a dictionary, got "
                                     "a %s" % (PLUGIN, type(given).__name__))
        for path, name in mapping.items():
            if not isinstance(name, str):
                raise AnsibleLookupError("%s: the asm_fallback of %s must be an ASM secret name or ARN (a string)"
                                         % (PLUGIN, path))
        return mapping

    def _read(self, client, paths, version):
        """({path: data} read from ScaiVault, {path: Problem} of the others)."""
        found, unread = {}, {}
        if version is None and len(paths) > 1:
            try:
                objects, errors = client.batch_read(paths, include_metadata=False)
            except ScaiVaultError as exc:
                problem = self._problem(exc, "reading %d secrets" % len(paths))
                return found, dict((path, problem) for path in paths)
            for path in paths:
                if path in objects and isinstance(objects[path].get("data"), dict):
                    found[path] = objects[path]["data"]
                    continue
                error = errors.get(path) or {"code": "secret_not_found", "message": "not in the batch answer"}
                unread[path] = self._batch_problem(path, error.get("code"), error.get("message") or "")
            return found, unread
        down = None
        for path in paths:
            if down is not None:
                unread[path] = down  # ScaiVault is unreachable: do not wait for it once per path
                continue
            try:
                obj = client.get_secret(path, version=version)
            except ScaiVaultError as exc:
                unread[path] = self._problem(exc, "reading %s" % path)
                if unread[path].reason == "unreachable" and isinstance(exc, ScaiVaultConnectionError):
                    down = unread[path]
                continue
            if obj is None:
                if version is None:
                    unread[path] = Problem("missing", "secret_not_found", "no such secret", None)
                else:
                    unread[path] = Problem("missing", "version_not_found", VERSION_GONE % version, None)
                continue
            found[path] = obj.get("data") or {}
        return found, unread

    def _problem(self, exc, action):
        """The Problem of a ScaiVault error for a read."""
        if is_denied_code(exc.code) or exc.status == 403:
            return Problem("denied", exc.code, exc.describe(), None)
        if exc.not_found:
            return Problem("missing", exc.code, exc.describe(), None)
        if exc.status == 401:
            reason = "auth"
        elif isinstance(exc, ScaiVaultConnectionError) or exc.status is None or exc.status >= 500:
            reason = "unreachable"
        else:
            reason = "failed"
        return Problem(reason, exc.code, exc.describe(), self._error(exc, action))

    @staticmethod
    def _batch_problem(path, code, message):
        if is_missing_code(code):
            return Problem("missing", code, message, None)
        if is_denied_code(code):
            return Problem("denied", code, message, None)
        error = AnsibleLookupError("%s: reading %s failed: %s %s" % (PLUGIN, path, code, message))
        return Problem("unreachable" if code == "backend_unavailable" else "failed", code, message, error)

    def _settle(self, path, problem):
        """A path neither ScaiVault nor a fallback gave: on_missing, on_denied, or the error."""
        if problem.reason == "missing":
            self._handle("on_missing", path, problem.code, problem.message)
        elif problem.reason == "denied":
            self._handle("on_denied", path, problem.code, problem.message)
        else:
            raise problem.error

    # -- the ASM fallback ---------------------------------------------------------------------------
    def _fall_back(self, found, unread, fallbacks):
        """Read the unread paths that have an asm_fallback from ASM, unless the switch is off; ASM calls made."""
        wanted = [(path, fallbacks[path]) for path in unread if path in fallbacks]
        if not wanted or not self.get_option("asm_fallback_enabled"):
            return 0
        if not HAS_BOTO3:
            raise AnsibleLookupError("%s: asm_fallback needs the boto3 Python library on the controller "
                                     "(pip install boto3)" % PLUGIN)
        clients, by_region, groups = {}, {}, {}
        for path, asm_id in wanted:
            # A name (boto3's region) and an ARN of the same region share one client, so one batch.
            client = self._asm_client(clients, asm_id)
            asm = by_region.setdefault(client.region, client)
            groups.setdefault(asm, []).append((path, asm_id))
        for asm, group in groups.items():
            # One BatchGetSecretValue per 20 ids and region (GetSecretValue per id where it is denied).
            try:
                values, errors = asm.batch_get_values(list(dict.fromkeys(asm_id for _path, asm_id in group)))
            except AsmError as exc:
                raise AnsibleLookupError("%s: %s: the ASM fallback read failed: %s" % (
                    PLUGIN, ", ".join(path for path, _asm_id in group), exc.describe()))
            for path, asm_id in group:
                self._take_fallback(found, unread, path, asm_id, values.get(asm_id), errors.get(asm_id), asm.region)
        return sum(client.calls_snapshot()["total"] for client in clients.values())

    def _take_fallback(self, found, unread, path, asm_id, value, error, region):
        """Settle one path from its ASM fallback's answer: found, or a problem naming both places."""
        problem = unread[path]
        if error is not None:
            if error.not_found or error.access_denied:
                # Neither place has it for us: on_missing / on_denied decide, naming both.
                reason = "missing" if error.not_found else "denied"
                unread[path] = Problem(reason, problem.code, "%s; its ASM fallback %s: %s" % (
                    problem.message, asm_id, error.describe()), problem.error)
                return
            raise AnsibleLookupError("%s: %s: ScaiVault answered %s, and the ASM fallback %s failed: %s"
                                     % (PLUGIN, path, problem.code, asm_id, error.describe()))
        try:
            found[path] = encode_asm_value(value.get("SecretString"), value.get("SecretBinary")).data
        except EncodingError as exc:
            raise AnsibleLookupError("%s: %s: the value of the ASM fallback %s cannot be encoded: %s"
                                     % (PLUGIN, path, asm_id, exc))
        self._warn_fallback(path, asm_id, region, problem)

    def _asm_client(self, clients, asm_id):
        """One ASM client per region: the region option, else the ARN's region, else boto3's chain."""
        options = dict((name, self.get_option(name)) for name in AWS_OPTIONS)
        arn = parse_arn(asm_id)
        if not options.get("region") and arn and arn["region"]:
            options["region"] = arn["region"]
        key = options.get("region") or ""
        if key not in clients:
            try:
                clients[key] = asm_connect(options)
            except (AsmError, PlanError) as exc:
                raise AnsibleLookupError("%s: asm_fallback %s: %s" % (PLUGIN, asm_id, exc.describe()))
        return clients[key]

    @staticmethod
    def _warn_fallback(path, asm_id, region, problem):
        if path in _WARNED:
            return
        _WARNED.add(path)
        display.warning("%s: %s was read from the ASM fallback %s (%s) because ScaiVault answered %s (%s). This consumer "
                        "still depends on ASM; SCAIVAULT_ASM_FALLBACK=off (or %s=false) turns fallbacks off"
                        % (PLUGIN, path, asm_id, region, problem.reason, problem.code, SWITCH_VARIABLE))

    def _handle(self, option, path, code, message):
        choice = self.get_option(option)
        text = "%s: %s: %s: %s" % (PLUGIN, path, code, message)
        if choice == "error":
            raise AnsibleLookupError(text + " (set %s=warn or %s=skip to leave it out instead)" % (option, option))
        if choice == "warn":
            display.warning(text + "; left out of the result (%s=warn)" % option)

    @staticmethod
    def _error(exc, action):
        return AnsibleLookupError("%s: %s: %s" % (PLUGIN, action, exc.describe()))
