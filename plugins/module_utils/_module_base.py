# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The module wrapper every module of the collection is built on.

FOR INTERNAL COLLECTION USE ONLY: no API promise, may change in any release.

A module declares only its own options; the wrapper merges the shared connection options
(ScaiVault and/or ASM), checks libraries, builds one client per run, and turns the
shared layer's exceptions into fail_json messages that name the secret and the fix.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import traceback

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.errors import CollectionError
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.options import (
    AWS_CONNECTION, AWS_CONNECTION_RULES, SCAIVAULT_CONNECTION, argument_spec, option_names)


# The two clients are imported when a module uses them, not here: importing boto3 or httpx (and the client module
# around it) is about a third of the CPU of a module process, and most tasks of an unchanged run use one service.
# A region's re-run starts a dozen module processes, so this is seconds per region at fleet scale (make bench-fleet).
def _asm_client():
    from ansible_collections.scailabs.scaivault.plugins.module_utils._clients import asm
    return asm


def _scaivault_client():
    from ansible_collections.scailabs.scaivault.plugins.module_utils._clients import scaivault
    return scaivault


def shared_options(*groups):
    """The argument spec of option groups from _common/options.py, with their environment fallbacks."""
    return argument_spec(*groups, env_fallback=env_fallback)


# AnsibleModule masks every no_log value wherever it appears in a result, substrings included:
# data such as {"replicas": 1} would turn version 1 and every "1" inside timestamps into the
# mask. Results here never carry values (modules build them from public views only), so values
# this short are dropped from that list, and the one place that does echo parameters, the
# invocation, masks every no_log option as a whole instead.
MIN_MASKED_LENGTH = 4
MASK = "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"

SCAIVAULT_OPTION_NAMES = option_names(SCAIVAULT_CONNECTION)
AWS_OPTION_NAMES = option_names(AWS_CONNECTION)


def with_rules(kwargs, rules):
    """AnsibleModule keyword arguments plus an option group's rules (mutually_exclusive, required_by, ...)."""
    merged = dict(kwargs)
    for key, value in rules.items():
        if isinstance(value, dict):
            merged[key] = dict(value, **(kwargs.get(key) or {}))
        else:
            merged[key] = list(kwargs.get(key) or []) + list(value)
    return merged


class CollectionModule:
    """AnsibleModule plus lazily built ScaiVault and ASM clients."""

    def __init__(self, argument_spec, scaivault=True, asm=False, option_views=None, **kwargs):
        """``option_views`` maps an option to the function that shows it in the invocation echo
        (e.g. a config whose unknown keys are masked at any depth); no_log options are masked whole.
        """
        self._option_views = option_views or {}
        spec = shared_options(*((SCAIVAULT_CONNECTION,) if scaivault else ()) + ((AWS_CONNECTION,) if asm else ()))
        spec.update(argument_spec)
        kwargs.setdefault("supports_check_mode", True)
        if asm:
            kwargs = with_rules(kwargs, AWS_CONNECTION_RULES)
        self.module = AnsibleModule(argument_spec=spec, **kwargs)
        self.params = self.module.params
        no_log_values = self.module.no_log_values
        no_log_values.difference_update(set(value for value in no_log_values if len(value) < MIN_MASKED_LENGTH))
        self._uses_scaivault = scaivault
        self._uses_asm = asm
        self._scaivault = None
        self._asm = None
        if scaivault and not _scaivault_client().HAS_HTTPX:
            self.module.fail_json(msg=missing_required_lib("httpx"), exception=str(_scaivault_client().HTTPX_IMPORT_ERROR))
        if asm and not _asm_client().HAS_BOTO3:
            self.module.fail_json(msg=missing_required_lib("boto3"), exception=str(_asm_client().BOTO3_IMPORT_ERROR))
        if asm and not self.params.get("region"):
            # Modules plan and report with params["region"]: the region boto3's chain picks (AWS_REGION,
            # AWS_DEFAULT_REGION, the profile's), as an env fallback would have set it.
            self.params["region"] = _asm_client().chain_region(
                dict((name, self.params.get(name)) for name in AWS_OPTION_NAMES))

    @property
    def check_mode(self):
        return self.module.check_mode

    @property
    def diff_mode(self):
        return self.module._diff

    def warn(self, message):
        self.module.warn(message)

    def mask_values(self, values):
        """Add values to Ansible's own output masking (a second layer; results never hold them)."""
        self.module.no_log_values.update(value for value in values if len(value) >= MIN_MASKED_LENGTH)

    # -- clients ----------------------------------------------------------------------
    def connection_settings(self):
        options = dict((name, self.params.get(name)) for name in SCAIVAULT_OPTION_NAMES)
        client = _scaivault_client()
        settings = client.ConnectionSettings.resolve(options)
        problems = settings.problems()
        if problems:
            self.fail("ScaiVault connection settings: " + "; ".join(problems))
        for warning in client.insecure_http_warnings(settings):
            self.warn(warning)
        return settings

    @property
    def scaivault(self):
        if self._scaivault is None:
            self._scaivault = _scaivault_client().ScaiVaultClient(self.connection_settings(), warn=self.warn)
        return self._scaivault

    @property
    def asm(self):
        if self._asm is None:
            try:
                self._asm = _asm_client().connect(dict((name, self.params.get(name)) for name in AWS_OPTION_NAMES))
            except CollectionError as exc:
                self.fail_from(exc)
            except Exception as exc:  # pylint: disable=broad-except
                # boto3 raises several unrelated types for bad profiles/config; none carries values.
                self.fail("cannot create the AWS Secrets Manager client: %s" % exc)
        return self._asm

    def api_calls(self):
        """What the run spent, per service and operation (for `api_calls` results)."""
        calls = {}
        if self._scaivault is not None:
            calls["scaivault"] = self._scaivault.counter.snapshot()
        if self._asm is not None:
            calls["asm"] = self._asm.calls_snapshot()
        return calls

    # -- results ----------------------------------------------------------------------
    def close(self):
        if self._scaivault is not None:
            self._scaivault.close()

    def invocation(self):
        """The echoed module arguments, with every no_log option masked whole (see MIN_MASKED_LENGTH)."""
        args = {}
        for name, value in self.params.items():
            spec = self.module.argument_spec.get(name, {})
            if spec.get("no_log") and value is not None:
                value = dict((key, MASK) for key in value) if isinstance(value, dict) else MASK
            elif name in self._option_views and value is not None:
                value = self._option_views[name](value)
            args[name] = value
        return {"module_args": args}

    def exit(self, **result):
        self.close()
        result.setdefault("invocation", self.invocation())
        self.module.exit_json(**result)

    def fail(self, msg, **result):
        self.close()
        result.setdefault("invocation", self.invocation())
        self.module.fail_json(msg=msg, **result)

    def fail_from(self, exc, action=None, **result):
        """fail_json from a shared-layer exception: what was being done, what failed, the fix."""
        prefix = (action + ": ") if action else ""
        if isinstance(exc, CollectionError):
            error = exc.to_result()
            if error:
                result.setdefault("error", error)
            self.fail(prefix + exc.describe(), **result)
        self.fail(prefix + str(exc), **result)


def run_module(run, argument_spec, scaivault=True, asm=False, **module_options):
    """The one shape of every module: ``main()`` calls this with the module's ``run(module)``.

    ``run`` returns the result dict (exit_json) or calls ``module.fail`` itself when it must
    return partial results with the failure. A collection error it lets through becomes
    fail_json with the error's own description and fix; the clients are closed either way.
    """
    module = CollectionModule(argument_spec, scaivault=scaivault, asm=asm, **module_options)
    try:
        result = run(module)
    except CollectionError as exc:
        module.fail_from(exc)
    except Exception as exc:  # pylint: disable=broad-except
        # A bug. Its text could quote data held in memory (int('s3cret') says 's3cret'), so say
        # what and where, never the text; the traceback has code locations only.
        module.fail("unexpected %s in %s: this is a bug in the collection; the traceback (-vvv) shows where, "
                    "never values" % (type(exc).__name__, _innermost_location(exc)),
                    exception="".join(traceback.format_tb(exc.__traceback__)) + type(exc).__name__)
    module.exit(**result)


def _innermost_location(exc):
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return "the module"
    frame = frames[-1]
    return "%s line %d (%s)" % (frame.filename.rsplit("/", 1)[-1], frame.lineno, frame.name)
