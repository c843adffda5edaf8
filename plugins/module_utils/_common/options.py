# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The option groups shared by several modules and plugins, defined once.

FOR INTERNAL COLLECTION USE ONLY: no API promise, may change in any release.

Each group is a tuple of Option records. Everything else is derived from them:
  argument_spec(*groups)     AnsibleModule specs (the module base); environment variables become
                             env fallbacks, bound last so an explicit option always wins
  environment_variables()    {option: (VAR, ...)} for the ScaiVault client's own resolution
  defaults()                 {option: default}
  module_docs()/plugin_docs() the doc fragments' option dicts (plugins/doc_fragments/*.py),
                             so documentation, specs and fallbacks cannot drift apart

Only plain data here (no yaml, no ansible imports): modules ship this file to where they run.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from collections import namedtuple

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.paths import NAMING_POLICIES, naming_policy_help


class Option(namedtuple("Option", ["name", "spec", "description", "env", "plugin_description", "suboptions"])):
    """One option: its AnsibleModule spec, its documentation and the environment variables it reads.

    ``spec`` holds the argument-spec keys (type, elements, default, choices, aliases, no_log).
    ``env`` is read when the option is unset; modules name it in prose, plugins declare env/ini/vars.
    ``plugin_description`` is the shorter text of the plugin flavour (None = the module text).
    ``suboptions`` is a tuple of Options for a list of dicts.
    """

    __slots__ = ()


def option(name, description, env=(), plugin_description=None, suboptions=None, **spec):
    if isinstance(description, str):
        description = [description]
    return Option(name, spec, tuple(description), tuple(env), plugin_description, suboptions)


# -- ScaiVault connection (every scaivault_* module, asm_migrate, asm_cleanup, the lookup) -----------------
SCAIVAULT_CONNECTION = (
    option("url", ["Base URL of the ScaiVault service, for example C(https://scaivault.scailabs.ai)."],
           env=("SCAIVAULT_URL",), plugin_description="Base URL of the ScaiVault service.",
           type="str", aliases=["scaivault_url"]),
    option("token", ["A ScaiVault bearer token (a personal C(skt_...) token or a service token).",
                     "Ignored when O(client_id) and O(client_secret) are set."],
           env=("SCAIVAULT_TOKEN",),
           plugin_description="A ScaiVault bearer token. Ignored when O(client_id) and O(client_secret) are set.",
           type="str", no_log=True, aliases=["scaivault_token"]),
    option("client_id", ["Service-account client id, exchanged with O(client_secret) for short-lived tokens at "
                         "O(token_url) (OAuth2 client credentials). Tokens are renewed before they expire, so long "
                         "scheduled jobs keep working."],
           env=("SCAIVAULT_CLIENT_ID",),
           plugin_description="Service-account client id for client-credentials tokens (renewed before expiry).",
           type="str"),
    option("client_secret", ["Service-account client secret."], env=("SCAIVAULT_CLIENT_SECRET",),
           type="str", no_log=True),
    option("token_url", ["The ScaiKey token endpoint for O(client_id)/O(client_secret).",
                         "When neither the option nor the environment sets it, "
                         "C(https://scaikey.scailabs.ai/oauth/token) is used."],
           env=("SCAIVAULT_TOKEN_URL",),
           plugin_description="The ScaiKey token endpoint; default C(https://scaikey.scailabs.ai/oauth/token).",
           type="str", no_log=False),
    option("scopes", ["Scopes requested for client-credentials tokens. Default is whatever the service account "
                      "is granted."],
           plugin_description="Scopes requested for client-credentials tokens.",
           type="list", elements="str"),
    option("tenant_id", ["Tenant to act in (sent as C(X-Tenant-ID)); needs partner-admin rights for a tenant "
                         "other than the token's."],
           env=("SCAIVAULT_TENANT_ID",), plugin_description="Tenant to act in (C(X-Tenant-ID)).", type="str"),
    option("validate_certs", ["Verify the server's TLS certificate. Turn off only for throwaway test servers."],
           env=("SCAIVAULT_VALIDATE_CERTS",), plugin_description="Verify the server's TLS certificate.",
           type="bool", default=True),
    option("ca_path", ["CA bundle (PEM) used to verify the server's certificate."], env=("SCAIVAULT_CA_PATH",),
           type="path"),
    option("timeout", ["Seconds to wait for each HTTP request."], env=("SCAIVAULT_TIMEOUT",),
           type="float", default=30.0),
    option("retries", ["Retries of a request answered C(429) (after C(Retry-After)), C(503), or failing to "
                       "connect; reads are also retried on C(500), C(502), C(504) and dropped connections, with "
                       "jittered exponential backoff.",
                       "A write whose outcome is unknown is never re-sent blindly; the module re-reads and "
                       "compares instead."],
           env=("SCAIVAULT_RETRIES",),
           plugin_description="Retries on C(429), C(503) and connection failures (reads also on C(500), C(502), "
                              "C(504)).",
           type="int", default=5),
)

# -- AWS Secrets Manager connection (every asm_* module, scaivault_federation_verify) ------------------------
# Credentials and endpoints have no env fallback on purpose: boto3's own chain reads AWS_ACCESS_KEY_ID,
# AWS_PROFILE, AWS_ENDPOINT_URL_SECRETS_MANAGER, ... with its own precedence, so an explicit option always
# wins and the environment behaves exactly as it does for the AWS CLI.
AWS_DEFAULT_MAX_ATTEMPTS = 10
AWS_CONNECTION = (
    option("region", ["The AWS region of the secrets. One region per task; run several regions as several "
                      "inventory hosts."],
           env=("AWS_REGION", "AWS_DEFAULT_REGION"), type="str", aliases=["aws_region"]),
    option("profile", ["A named profile from the AWS config files. If not set, boto3's own chain applies "
                       "(E(AWS_PROFILE), ...)."], type="str", aliases=["aws_profile"]),
    option("access_key", ["AWS access key id. If not set, boto3's credential chain applies "
                          "(E(AWS_ACCESS_KEY_ID), profiles, instance roles, ...)."],
           type="str", aliases=["aws_access_key_id"], no_log=False),
    option("secret_key", ["AWS secret access key. If not set, boto3's credential chain applies "
                          "(E(AWS_SECRET_ACCESS_KEY), ...)."],
           type="str", aliases=["aws_secret_access_key"], no_log=True),
    option("session_token", ["AWS session token for temporary credentials. If not set, E(AWS_SESSION_TOKEN) "
                             "applies through boto3."],
           type="str", aliases=["aws_session_token"], no_log=True),
    option("endpoint_url", ["Use this Secrets Manager endpoint instead of AWS's (a VPC endpoint, or a local "
                            "stand-in for tests).",
                            "If not set, boto3 honours E(AWS_ENDPOINT_URL_SECRETS_MANAGER) and E(AWS_ENDPOINT_URL)."],
           type="str", aliases=["aws_endpoint_url"]),
    option("aws_ca_bundle", ["CA bundle used to verify the AWS endpoint's certificate."], type="path"),
    option("aws_validate_certs", ["Verify the AWS endpoint's TLS certificate."], type="bool", default=True),
    option("aws_max_attempts", ["Total attempts per AWS API call; throttling (C(ThrottlingException)) and "
                                "transient errors are retried with jittered exponential backoff by botocore."],
           type="int", default=AWS_DEFAULT_MAX_ATTEMPTS),
    option("aws_retry_mode", ["botocore retry mode. C(adaptive) also rate-limits the client itself after "
                              "throttling."],
           type="str", default="standard", choices=["standard", "adaptive"]),
)

# -- Which ASM secrets a task acts on (asm_inventory, asm_migrate, asm_rotation, asm_cleanup) --------------
ASM_FILTER_KEYS = ("name", "tag-key", "tag-value", "description", "primary-region", "owning-service", "all")
FILTER_SUBOPTIONS = (
    option("key", ["What the filter matches."], type="str", required=True, choices=list(ASM_FILTER_KEYS), no_log=False),
    option("values", ["Up to 10 values; one of them must match."], type="list", elements="str", required=True),
)
SELECTION = (
    option("names", ["These secrets, by name or ARN (full or partial; an ARN must be in O(region)).",
                     "Unioned with O(prefixes) and narrowed by O(filters). A name that matches no secret is "
                     "reported, never silently dropped (the module's return values say where)."],
           type="list", elements="str"),
    option("prefixes", ["Every secret whose name starts with one of these prefixes (case-sensitive), for example "
                        "C(prod/).",
                        "Shorthand for a C(name) filter."],
           type="list", elements="str"),
    option("filters", ["ASM C(ListSecrets) filters with the API's semantics - the values of one filter are ORed, "
                       "filters are ANDed, a value starting with C(!) negates it, and C(name), C(tag-key) and "
                       "C(tag-value) are case-sensitive B(prefix) matches (C(prod/) matches C(prod/billing/stripe)).",
                       "They narrow O(names) and O(prefixes); with neither, every secret they match is selected.",
                       "A C(name) filter cannot be combined with O(names) or O(prefixes)."],
           type="list", elements="dict",
           suboptions=FILTER_SUBOPTIONS),
)

# -- How mapped ASM names become ScaiVault paths (asm_inventory, asm_migrate, asm_cleanup) ------------------
NAMING = (
    option("naming_policy", [naming_policy_help()], type="str", default="strict", choices=list(NAMING_POLICIES)),
)

GROUPS = {"scaivault": SCAIVAULT_CONNECTION, "aws": AWS_CONNECTION, "selection": SELECTION, "naming": NAMING}


def _spec(opt):
    spec = dict(opt.spec)
    if opt.suboptions:
        spec["options"] = dict((sub.name, _spec(sub)) for sub in opt.suboptions)
    return spec


def argument_spec(*groups, **env_fallback):
    """{name: spec} of the groups, for AnsibleModule; ``env_fallback=`` is ansible's env_fallback.

    The fallback function is passed in so this file imports nothing from ansible (plugins on the
    controller read the same data through the config manager instead).
    """
    fallback = env_fallback.get("env_fallback")
    result = {}
    for group in groups:
        for opt in group:
            spec = _spec(opt)
            if opt.env and fallback is not None:
                spec["fallback"] = (fallback, list(opt.env))
            result[opt.name] = spec
    return result


def option_names(group):
    return tuple(opt.name for opt in group)


def environment_variables(group):
    """{option: (VAR, ...)} of the options that read the environment when unset."""
    return dict((opt.name, opt.env) for opt in group if opt.env)


def defaults(group):
    return dict((opt.name, opt.spec.get("default")) for opt in group)


def _doc(opt, plugin, ini_section=None, var_prefix=None):
    doc = {}
    if plugin and opt.plugin_description:
        doc["description"] = [opt.plugin_description]
    else:
        doc["description"] = list(opt.description)
        if opt.env and not plugin:
            doc["description"].append("If not set, %s is used." % " or ".join("E(%s)" % var for var in opt.env))
    for key in ("type", "elements", "required", "default", "choices", "aliases"):
        if key in opt.spec and not (plugin and key == "aliases"):  # the lookup has no option aliases
            doc[key] = opt.spec[key]
    if opt.suboptions:
        doc["suboptions"] = dict((sub.name, _doc(sub, plugin)) for sub in opt.suboptions)
    if plugin and opt.env:
        doc["env"] = [{"name": var} for var in opt.env]
        if ini_section:
            doc["ini"] = [{"section": ini_section, "key": opt.name}]
        if var_prefix:
            doc["vars"] = [{"name": var_prefix + opt.name}]
    return doc


def module_docs(group):
    """The ``options`` of a modules' doc fragment: environment variables named in prose."""
    return dict((opt.name, _doc(opt, plugin=False)) for opt in group)


def plugin_docs(group, ini_section, var_prefix):
    """The ``options`` of a plugins' doc fragment: env/ini/vars entries for the config manager."""
    return dict((opt.name, _doc(opt, plugin=True, ini_section=ini_section, var_prefix=var_prefix)) for opt in group)
