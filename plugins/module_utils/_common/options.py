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
    option("tenant_id", ["Tenant to act in, sent as C(X-Tenant-ID) on every request. Only for a partner-admin token, "
                         "and only for a tenant of its own partner. Leave it unset with any other token, which always "
                         "acts in its own tenant (ScaiVault refuses the header from it with 403 C(tenant_access_denied), "
                         "even naming its own tenant; another partner's tenant is 403 C(access_denied)).",
                         "An unknown tenant fails with 404 C(tenant_not_found)."],
           env=("SCAIVAULT_TENANT_ID",), plugin_description="Tenant to act in (C(X-Tenant-ID)).", type="str"),
    option("validate_certs", ["Verify the server's TLS certificate. Turn off only for throwaway test servers."],
           env=("SCAIVAULT_VALIDATE_CERTS",), plugin_description="Verify the server's TLS certificate.",
           type="bool", default=True),
    option("ca_path", ["CA bundle (PEM) used to verify the server's certificate."], env=("SCAIVAULT_CA_PATH",),
           type="path"),
    option("allow_insecure_http", ["Accept an C(http://) O(url) or O(token_url) on a host that is not loopback "
                                   "(C(127.0.0.0/8), C(::1), C(localhost)). Over plain HTTP the bearer token, the "
                                   "client secret and every secret value cross the network in clear, so this is "
                                   "refused unless set; when set, each run warns."],
           env=("SCAIVAULT_ALLOW_INSECURE_HTTP",),
           plugin_description="Accept plain C(http://) for a non-loopback O(url) or O(token_url) (warned).",
           type="bool", default=False),
    option("timeout", ["Seconds to wait for each HTTP request."], env=("SCAIVAULT_TIMEOUT",),
           type="float", default=30.0),
    option("retries", ["Retries of a request answered C(429) (after C(Retry-After)), C(503), or failing to "
                       "connect; reads are also retried on C(500), C(502), C(504) and dropped connections, with "
                       "jittered exponential backoff. A C(500 internal_error) is retried once at most, as ScaiVault's "
                       "docs say.",
                       "A write whose outcome is unknown is never re-sent blindly; the module re-reads and "
                       "compares instead."],
           env=("SCAIVAULT_RETRIES",),
           plugin_description="Retries on C(429), C(503) and connection failures (reads also on C(500), C(502), "
                              "C(504)).",
           type="int", default=5),
)

# -- AWS Secrets Manager connection (every asm_* module, scaivault_federation_verify) ------------------------
# amazon.aws's names and aliases; resolved by boto3's own chain (_clients/asm.py connect()): an option set here
# wins, an unset one is left to boto3 - AWS_* variables, the profile's settings in ~/.aws/config and
# ~/.aws/credentials (assume-role profiles included), container and instance roles - exactly as for the AWS CLI.
# So no env fallbacks here; connect() adds AWS_REGION before boto3's region chain, as amazon.aws does.
# validate_certs is the ScaiVault option's name (modules such as asm_migrate take both groups): the AWS one
# keeps its aws_ prefix in every module.
AWS_DEFAULT_MAX_ATTEMPTS = 10
AWS_DEFAULT_RETRY_MODE = "standard"
AWS_CONNECTION = (
    option("region", ["The AWS region of the secrets. One region per task; run several regions as several "
                      "inventory hosts.",
                      "If not set, E(AWS_REGION) is used, then boto3's chain: E(AWS_DEFAULT_REGION), then the "
                      "C(region) of the profile (O(profile), E(AWS_PROFILE) or C(default)) in the AWS config file.",
                      "Only the shape of the name is checked (C(eu-west-1), C(mx-central-1)); botocore decides the "
                      "endpoint, so a region newer than the installed botocore works with O(endpoint_url)."],
           type="str", aliases=["aws_region", "ec2_region"]),
    option("profile", ["A named profile of the AWS config files (C(~/.aws/config), C(~/.aws/credentials), or "
                       "E(AWS_CONFIG_FILE), E(AWS_SHARED_CREDENTIALS_FILE)), with everything boto3 reads there: "
                       "keys, C(region), assume-role profiles (C(role_arn) with C(source_profile) or "
                       "C(credential_source)), C(credential_process), SSO.",
                       "If not set, boto3's chain applies (E(AWS_PROFILE), then the C(default) profile).",
                       "Mutually exclusive with O(access_key), O(secret_key) and O(session_token)."],
           type="str", aliases=["aws_profile"]),
    option("access_key", ["AWS access key id; needs O(secret_key).",
                          "If not set, boto3's credential chain applies (E(AWS_ACCESS_KEY_ID), the profile, "
                          "container and instance roles, ...). Mutually exclusive with O(profile)."],
           type="str", aliases=["aws_access_key_id", "aws_access_key", "ec2_access_key"], no_log=False),
    option("secret_key", ["AWS secret access key; needs O(access_key).",
                          "If not set, boto3's credential chain applies (E(AWS_SECRET_ACCESS_KEY), ...). Mutually "
                          "exclusive with O(profile)."],
           type="str", aliases=["aws_secret_access_key", "aws_secret_key", "ec2_secret_key"], no_log=True),
    option("session_token", ["AWS session token of temporary credentials, with O(access_key) and O(secret_key).",
                             "If not set, boto3's chain applies (E(AWS_SESSION_TOKEN)). Mutually exclusive with "
                             "O(profile)."],
           type="str", aliases=["aws_session_token", "security_token", "aws_security_token"], no_log=True),
    option("endpoint_url", ["Use this Secrets Manager endpoint instead of AWS's (a VPC endpoint, or a local "
                            "stand-in for tests).",
                            "If not set, boto3's chain applies (E(AWS_ENDPOINT_URL_SECRETS_MANAGER), "
                            "E(AWS_ENDPOINT_URL), C(endpoint_url) in the profile)."],
           type="str", aliases=["aws_endpoint_url", "ec2_url"]),
    option("aws_ca_bundle", ["CA bundle (PEM) used to verify the AWS endpoint's certificate (a private CA, a "
                             "TLS-inspecting proxy, a VPC endpoint).",
                             "If not set, boto3's chain applies (E(AWS_CA_BUNDLE), C(ca_bundle) in the profile), "
                             "else botocore's bundled CAs."],
           type="path"),
    option("aws_validate_certs", ["Verify the AWS endpoint's TLS certificate. C(false) is strongly discouraged; set "
                                  "O(aws_ca_bundle) instead.",
                                  "amazon.aws calls this option C(validate_certs). In this collection "
                                  "C(validate_certs) is the ScaiVault option (several modules take both), so the "
                                  "AWS one is O(aws_validate_certs) in every module."],
           type="bool", default=True),
    option("aws_config", ["botocore client configuration, as in amazon.aws: keyword arguments of "
                          "C(botocore.config.Config), for example C(connect_timeout), C(read_timeout), C(proxies), "
                          "C(max_pool_connections) or C(retries) (C({mode: adaptive, total_max_attempts: 5})).",
                          "Merged over the collection's settings (user agent, 20 pooled connections, the retries "
                          "of O(aws_max_attempts) and O(aws_retry_mode))."],
           type="dict"),
    option("aws_max_attempts", ["Total attempts per AWS API call; throttling (C(ThrottlingException)) and "
                                "transient errors are retried with jittered exponential backoff by botocore.",
                                "A shortcut for C(retries.total_max_attempts) of O(aws_config); setting both to "
                                "different numbers is an error.",
                                "If neither is set, boto3's chain applies (E(AWS_MAX_ATTEMPTS), C(max_attempts) in "
                                "the profile), else C(%d)." % AWS_DEFAULT_MAX_ATTEMPTS],
           type="int"),
    option("aws_retry_mode", ["botocore retry mode. C(adaptive) also rate-limits the client itself after "
                              "throttling.",
                              "A shortcut for C(retries.mode) of O(aws_config); setting both differently is an "
                              "error.",
                              "If neither is set, boto3's chain applies (E(AWS_RETRY_MODE), C(retry_mode) in the "
                              "profile), else C(%s)." % AWS_DEFAULT_RETRY_MODE],
           type="str", choices=["standard", "adaptive"]),
)
AWS_CONNECTION_NOTES = [
    "Option names and aliases are those of amazon.aws (C(access_key)/C(aws_access_key_id)/C(aws_access_key), "
    "C(secret_key), C(session_token), C(profile), C(region), C(endpoint_url), C(aws_ca_bundle), C(aws_config)), so "
    "tasks and C(module_defaults) written for amazon.aws modules carry over.",
    "Unset options are left to boto3's own chain, read where the module runs (usually the controller): "
    "C(AWS_*) variables, C(~/.aws/config) and C(~/.aws/credentials) (assume-role profiles included), container and "
    "instance roles.",
    "Modules that talk to both services, such as M(scailabs.scaivault.asm_migrate) and "
    "M(scailabs.scaivault.asm_cleanup), take the ScaiVault options too. Where a name would clash, the ScaiVault "
    "option keeps it: C(validate_certs), C(ca_path), C(timeout) and C(retries) are ScaiVault's; the "
    "AWS side is C(aws_validate_certs), C(aws_ca_bundle), C(aws_config) (C(connect_timeout), C(read_timeout)) and "
    "C(aws_max_attempts) in every module.",
]
# Keys and a profile are two ways to say who you are (amazon.aws refuses both, and so does boto3's Session).
AWS_CONNECTION_RULES = dict(
    mutually_exclusive=[["profile", "access_key"], ["profile", "secret_key"], ["profile", "session_token"]],
    required_together=[["access_key", "secret_key"]],
    required_by={"session_token": ["access_key", "secret_key"]},
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

# -- Report files written by a module (asm_inventory, asm_migrate, asm_reference_scan) ----------------------
REPORT = (
    option("report_mode", ["File mode of the report files, as octal digits (C(0600), C(0640)). Reports hold names, "
                           "paths and who read them (never values) and are private to the user by default; a file "
                           "that already exists gets this mode too."],
           type="str", default="0600"),
)

# -- Which files a reference scan reads (asm_reference_scan; the references guard of asm_cleanup) ----------------
REFERENCE_DEFAULT_EXCLUDE = [".git", ".hg", ".svn", "node_modules", ".terraform", "__pycache__", ".venv", ".tox",
                             ".mypy_cache", ".pytest_cache"]
REFERENCE_SCAN = (
    option("roots", ["Directory trees to scan: repositories and deployment trees of the consumers (playbooks, roles, "
                     "application code, Terraform, Kubernetes manifests, configuration files).",
                     "Symbolic links are not followed; a file reached through two roots is scanned once."],
           type="list", elements="path"),
    option("include", ["Only files matching one of these globs, relative to their root (C(*.py), C(deploy/**/*.yml)). "
                       "C(*) and C(?) stay inside one path segment, C(**) is any number of segments, a glob without "
                       "C(/) matches a name at any depth.",
                       "If not set, every file is scanned."],
           type="list", elements="str"),
    option("exclude", ["Files and directories left out, as globs relative to their root (same rules as C(include); a "
                       "directory excludes everything below it), or absolute paths (C(/srv/app/reports)).",
                       "Setting it replaces the default list, so repeat the defaults you still want."],
           type="list", elements="str", default=list(REFERENCE_DEFAULT_EXCLUDE)),
    option("max_file_size", ["Files larger than this are skipped and listed as C(too_large), for example C(2M), "
                             "C(512k) or a number of bytes (binary multiples). Binary files (a NUL byte in the first "
                             "8 KiB) are always skipped and listed as C(binary)."],
           type="str", default="2M"),
)

GROUPS = {"scaivault": SCAIVAULT_CONNECTION, "aws": AWS_CONNECTION, "selection": SELECTION, "naming": NAMING,
          "report": REPORT, "references": REFERENCE_SCAN}


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
    if plugin:
        # Plugins get one line (their short text, or the module text joined): the config manager shows it
        # beside env/ini/vars, and the two flavours of a fragment do not repeat each other line by line.
        doc["description"] = opt.plugin_description or " ".join(opt.description)
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
