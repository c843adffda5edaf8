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
      - A version that does not exist (never written, or pruned by C(max_versions)) counts as missing, see O(on_missing).
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
extends_documentation_fragment:
  - scailabs.scaivault.scaivault.plugins
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
seealso:
  - module: scailabs.scaivault.scaivault_secret
  - module: scailabs.scaivault.scaivault_secret_info
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
"""

RETURN = r"""
_raw:
  description:
    - One entry per term that was found, in the order of the terms.
    - The secret's data (a dictionary), or the value of O(field).
  type: list
  elements: raw
"""

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase
from ansible.utils.display import Display

from ansible_collections.scailabs.scaivault.plugins.module_utils._clients.scaivault import (
    HAS_HTTPX, ConnectionSettings, ScaiVaultClient)
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.errors import (
    PlanError, ScaiVaultError, is_denied_code, is_missing_code)
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.options import SCAIVAULT_CONNECTION, option_names
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.paths import check_paths

display = Display()

CONNECTION_OPTIONS = option_names(SCAIVAULT_CONNECTION)
PLUGIN = "scailabs.scaivault.secret"
VAR_PREFIX = "ansible_scaivault_"


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=self._connection_vars(variables), direct=kwargs)
        paths = self._checked_paths(terms)
        field = self.get_option("field")
        version = self.get_option("version")
        if version is not None and version < 1:
            raise AnsibleLookupError("%s: version must be 1 or more, got %d" % (PLUGIN, version))
        if not HAS_HTTPX:
            raise AnsibleLookupError("%s needs the httpx Python library on the controller (pip install httpx)" % PLUGIN)

        settings = ConnectionSettings.resolve(dict((name, self.get_option(name)) for name in CONNECTION_OPTIONS))
        problems = settings.problems()
        if problems:
            raise AnsibleLookupError("%s: ScaiVault connection settings: %s" % (PLUGIN, "; ".join(problems)))

        unique = list(dict.fromkeys(paths))
        client = ScaiVaultClient(settings, warn=display.warning)
        try:
            found = self._read(client, unique, version)
        finally:
            client.close()
        display.vvv("%s: %d path(s) read with %d request(s)" % (PLUGIN, len(unique), client.counter.snapshot()["total"]))

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
        for option in CONNECTION_OPTIONS:
            name = VAR_PREFIX + option
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

    def _read(self, client, paths, version):
        """{path: data} of the secrets that could be read; the others went through on_missing/on_denied."""
        found = {}
        if version is None and len(paths) > 1:
            try:
                objects, errors = client.batch_read(paths, include_metadata=False)
            except ScaiVaultError as exc:
                if not is_denied_code(exc.code):
                    raise self._error(exc, "reading %d secrets" % len(paths))
                for path in paths:
                    self._handle("on_denied", path, exc.code, exc.describe())
                return found
            for path in paths:
                if path in objects and isinstance(objects[path].get("data"), dict):
                    found[path] = objects[path]["data"]
                    continue
                error = errors.get(path) or {"code": "secret_not_found", "message": "not in the batch answer"}
                self._per_path_error(path, error.get("code"), error.get("message") or "")
            return found
        for path in paths:
            try:
                obj = client.get_secret(path, version=version)
            except ScaiVaultError as exc:
                if is_denied_code(exc.code):
                    self._handle("on_denied", path, exc.code, exc.describe())
                    continue
                raise self._error(exc, "reading %s" % path)
            if obj is None:
                if version is None:
                    self._handle("on_missing", path, "secret_not_found", "no such secret")
                else:
                    self._handle("on_missing", path, "version_not_found",
                                 "no version %d (never written, pruned by max_versions, or no such secret)" % version)
                continue
            found[path] = obj.get("data") or {}
        return found

    def _per_path_error(self, path, code, message):
        if is_missing_code(code):
            self._handle("on_missing", path, code, message)
        elif is_denied_code(code):
            self._handle("on_denied", path, code, message)
        else:
            raise AnsibleLookupError("%s: reading %s failed: %s %s" % (PLUGIN, path, code, message))

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
