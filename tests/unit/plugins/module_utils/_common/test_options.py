# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The option groups are the one source of specs, environment fallbacks, the client's defaults and the docs."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import importlib.util
import os

import pytest
import yaml

from ansible.module_utils.basic import env_fallback

from ansible_collections.scailabs.scaivault.plugins.module_utils._clients.scaivault import ConnectionSettings
from ansible_collections.scailabs.scaivault.plugins.module_utils._common import options
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.paths import NAMING_POLICIES
from ansible_collections.scailabs.scaivault.plugins.module_utils._module_base import shared_options

GROUP_FRAGMENTS = [
    (options.SCAIVAULT_CONNECTION, "scaivault", "DOCUMENTATION"),
    (options.AWS_CONNECTION, "aws", "DOCUMENTATION"),
    (options.SELECTION, "selection", "DOCUMENTATION"),
    (options.NAMING, "naming", "DOCUMENTATION"),
]


def fragment_options(name, attribute):
    module = __import__("ansible_collections.scailabs.scaivault.plugins.doc_fragments.%s" % name,
                        fromlist=["ModuleDocFragment"])
    return yaml.safe_load(getattr(module.ModuleDocFragment, attribute))["options"]


def documented_like_spec(doc, spec):
    """The checks validate-modules makes, per option and suboption."""
    for key in ("type", "elements", "default", "choices", "aliases", "required"):
        assert doc.get(key) == spec.get(key), key
    assert set(doc.get("suboptions") or {}) == set(spec.get("options") or {})
    for name, sub in (spec.get("options") or {}).items():
        documented_like_spec(doc["suboptions"][name], sub)


@pytest.mark.parametrize("group, fragment, attribute", GROUP_FRAGMENTS)
def test_module_doc_fragments_equal_the_argument_specs(group, fragment, attribute):
    docs = fragment_options(fragment, attribute)
    specs = shared_options(group)
    assert list(docs) == list(specs)
    for name, spec in specs.items():
        documented_like_spec(docs[name], spec)


def test_environment_variables_are_fallbacks_and_named_in_the_docs():
    specs = shared_options(options.SCAIVAULT_CONNECTION)
    docs = fragment_options("scaivault", "DOCUMENTATION")
    assert specs["url"]["fallback"] == (env_fallback, ["SCAIVAULT_URL"])
    assert "fallback" not in specs["scopes"]
    assert docs["url"]["description"][-1] == "If not set, E(SCAIVAULT_URL) is used."
    # boto3's own chain reads the AWS side (the region too: an env fallback here would hide the profile's
    # region); _clients/asm.py connect() resolves it, and the docs name the variables in prose.
    aws = shared_options(options.AWS_CONNECTION)
    assert all("fallback" not in spec for spec in aws.values())
    aws_docs = fragment_options("aws", "DOCUMENTATION")
    assert "E(AWS_REGION)" in " ".join(aws_docs["region"]["description"])
    assert "E(AWS_CA_BUNDLE)" in " ".join(aws_docs["aws_ca_bundle"]["description"])


def test_aws_options_carry_amazon_aws_names_and_aliases():
    aws = shared_options(options.AWS_CONNECTION)
    expected = {
        "access_key": {"aws_access_key_id", "aws_access_key", "ec2_access_key"},
        "secret_key": {"aws_secret_access_key", "aws_secret_key", "ec2_secret_key"},
        "session_token": {"aws_session_token", "security_token", "aws_security_token"},
        "profile": {"aws_profile"},
        "region": {"aws_region", "ec2_region"},
        "endpoint_url": {"aws_endpoint_url", "ec2_url"},
    }
    for name, aliases in expected.items():
        assert set(aws[name]["aliases"]) == aliases, name
    assert aws["aws_config"]["type"] == "dict" and aws["aws_ca_bundle"]["type"] == "path"
    rules = options.AWS_CONNECTION_RULES
    assert ["profile", "access_key"] in rules["mutually_exclusive"]
    assert ["profile", "session_token"] in rules["mutually_exclusive"]


def test_no_name_or_alias_is_taken_twice_when_both_connection_groups_meet():
    """asm_migrate, asm_cleanup and scaivault_federation_verify take both groups: validate_certs stays ScaiVault's."""
    names = []
    for spec_name, spec in shared_options(options.SCAIVAULT_CONNECTION, options.AWS_CONNECTION).items():
        names.append(spec_name)
        names.extend(spec.get("aliases") or [])
    assert len(names) == len(set(names))
    assert "validate_certs" in shared_options(options.SCAIVAULT_CONNECTION)
    assert "aws_validate_certs" in shared_options(options.AWS_CONNECTION)


def test_plugin_fragment_declares_env_ini_and_vars_from_the_same_group():
    docs = fragment_options("scaivault", "PLUGINS")
    assert list(docs) == list(options.option_names(options.SCAIVAULT_CONNECTION))
    assert docs["token"]["env"] == [{"name": "SCAIVAULT_TOKEN"}]
    assert docs["token"]["ini"] == [{"section": "scaivault", "key": "token"}]
    assert docs["token"]["vars"] == [{"name": "ansible_scaivault_token"}]
    assert "env" not in docs["scopes"] and "aliases" not in docs["url"]


def test_client_defaults_and_environment_come_from_the_group():
    assert ConnectionSettings.DEFAULTS["timeout"] == options.defaults(options.SCAIVAULT_CONNECTION)["timeout"]
    settings = ConnectionSettings.resolve({"url": None, "retries": None},
                                          environ={"SCAIVAULT_URL": "https://vault.example", "SCAIVAULT_RETRIES": "2"})
    assert (settings.url, settings.retries) == ("https://vault.example", 2)
    explicit = ConnectionSettings.resolve({"url": "https://explicit"}, environ={"SCAIVAULT_URL": "https://env"})
    assert explicit.url == "https://explicit"


def test_secret_bearing_options_are_no_log():
    specs = shared_options(options.SCAIVAULT_CONNECTION, options.AWS_CONNECTION)
    assert {name for name, spec in specs.items() if spec.get("no_log")} == {
        "token", "client_secret", "secret_key", "session_token"}


def test_naming_and_filter_choices_are_the_code_constants():
    assert shared_options(options.NAMING)["naming_policy"]["choices"] == list(NAMING_POLICIES)
    key = shared_options(options.SELECTION)["filters"]["options"]["key"]
    assert key["choices"] == list(options.ASM_FILTER_KEYS) and key["required"] is True


REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", ".."))


def rendered_fragments():
    """{file name: text} as scripts/render_doc_fragments.py writes them."""
    spec = importlib.util.spec_from_file_location("render_doc_fragments",
                                                  os.path.join(REPO, "scripts", "render_doc_fragments.py"))
    render = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(render)
    return render.fragments()


def test_doc_fragment_files_are_what_the_generator_writes():
    """plugins/doc_fragments/* are generated (scripts/render_doc_fragments.py); a hand edit or a stale file fails."""
    for name, text in rendered_fragments().items():
        with open(os.path.join(REPO, "plugins", "doc_fragments", name)) as handle:
            assert handle.read() == text, "%s is stale: run python scripts/render_doc_fragments.py" % name


def test_generated_doc_fragments_fit_the_sanity_line_length():
    """ansible-test's pep8 allows 160 characters; the YAML dumper does not break long words (M(...) references)."""
    for name, text in rendered_fragments().items():
        long_lines = [number for number, line in enumerate(text.splitlines(), 1) if len(line) > 160]
        assert not long_lines, "plugins/doc_fragments/%s: lines %s are longer than 160 characters" % (name, long_lines)
