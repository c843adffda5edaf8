# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The pure reference matcher: whole names, ARNs, kinds by context, globs, patches, cutover status."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import subprocess
import textwrap

import pytest
import yaml

from ansible_collections.scailabs.scaivault.plugins.module_utils._plan import references as refs

ACCOUNT = "123456789012"
ARN = "arn:aws:secretsmanager:us-east-1:%s:secret:" % ACCOUNT
STRIPE, OLD, DB = "prod/billing/stripe", "prod/billing/stripe-old", "prod/billing/db"


def catalog(with_arns=True, formats=None):
    formats = formats or {}
    entries = []
    for name, suffix in ((STRIPE, "AbCdEf"), (OLD, "Zz9Zz9"), (DB, "Qq1Qq1")):
        entries.append(refs.catalog_entry(name, ARN + name + "-" + suffix if with_arns else None,
                                          "us-east-1" if not with_arns else None, path="environments/production/" +
                                          name.split("/", 1)[1], value_format=formats.get(name)))
    return refs.Catalog(entries)


def hits_of(text, kind_of_file="text", cat=None):
    return [(h["line"], h["asm_name"], h["kind"], h["form"]) for h in refs.scan_text(text, cat or catalog(), kind_of_file)]


# -- whole names and ARNs --------------------------------------------------------------------------------
def test_a_name_never_matches_inside_a_longer_name():
    text = "a prod/billing/stripe-old b prod/billing/stripe-older c xprod/billing/stripe prod/billing/stripe2\n"
    assert hits_of(text) == [(1, OLD, "plain", "name")]


@pytest.mark.parametrize("text", [
    "prod/billing/stripe", "'prod/billing/stripe'", '"prod/billing/stripe",', "KEY=prod/billing/stripe",
    "--secret-id=prod/billing/stripe", "see prod/billing/stripe.", "key: prod/billing/stripe # x",
    "[prod/billing/stripe]", "secret=prod/billing/stripe&x=1"])
def test_name_delimiters(text):
    assert [hit[1] for hit in hits_of(text)] == [STRIPE]


@pytest.mark.parametrize("text", [
    "prod/billing/stripe.json", "/prod/billing/stripe", "external/aws/billing/stripe", "prod/billing/stripe_x",
    "prod/billing/Stripe", "prod/billing/strip", "prod/billing/", "stripe"])
def test_no_false_hit(text):
    assert hits_of(text) == []


def test_arn_full_partial_and_wrong_suffix_region_or_account():
    text = "\n".join([ARN + STRIPE + "-AbCdEf",                                        # full, the listed suffix
                      ARN + STRIPE,                                                  # partial
                      ARN + STRIPE + "-ZZZZZZ",                                      # another suffix: not this secret
                      "arn:aws:secretsmanager:eu-west-1:%s:secret:%s" % (ACCOUNT, STRIPE),   # other region
                      "arn:aws:secretsmanager:us-east-1:999999999999:secret:" + STRIPE,      # other account
                      ARN + OLD + "-Zz9Zz9.",                                        # full, end of a sentence
                      ARN + OLD])
    assert hits_of(text) == [(1, STRIPE, "plain", "arn_full"), (2, STRIPE, "plain", "arn_partial"),
                             (6, OLD, "plain", "arn_full"), (7, OLD, "plain", "arn_partial")]


def test_arn_suffix_is_inferred_when_no_arn_is_listed():
    cat = catalog(with_arns=False)
    text = ARN + STRIPE + "-AbCdEf\n" + ARN + OLD + "\n"
    assert hits_of(text, cat=cat) == [(1, STRIPE, "plain", "arn_full"), (2, OLD, "plain", "arn_partial")]


def test_a_plain_name_is_attributed_to_every_region_that_has_it():
    cat = refs.Catalog([refs.catalog_entry(STRIPE, region="us-east-1", path="a/b"),
                        refs.catalog_entry(STRIPE, region="eu-west-1", path="c/d")])
    found = refs.scan_text("x prod/billing/stripe\n", cat)
    assert sorted(hit["region"] for hit in found) == ["eu-west-1", "us-east-1"]
    arn = refs.scan_text("arn:aws:secretsmanager:eu-west-1:1:secret:prod/billing/stripe", cat)
    assert [hit["region"] for hit in arn] == ["eu-west-1"]


def test_positions_and_no_line_text_in_hits():
    found = refs.scan_text("first\n  second prod/billing/db here\n", catalog(), "text")
    assert (found[0]["line"], found[0]["column"]) == (2, 10)
    assert "here" not in repr(found) and "second" not in repr(found)


# -- kinds ---------------------------------------------------------------------------------------------------
def test_ansible_lookups_and_tasks():
    text = textwrap.dedent("""\
        - name: Use prod/billing/db
          ansible.builtin.set_fact:
            a: "{{ lookup('amazon.aws.aws_secret', 'prod/billing/stripe', region='us-east-1') }}"
            b: "{{ query('amazon.aws.secretsmanager_secret', 'prod/billing/stripe-old') }}"
            c: "{{ lookup('ansible.builtin.env', 'prod/billing/db') }}"
        - name: Manage
          community.aws.secretsmanager_secret:
            name: prod/billing/stripe
            state: present
        """)
    assert hits_of(text, "yaml") == [(1, DB, "plain", "name"), (3, STRIPE, "ansible_lookup", "name"),
                                     (4, OLD, "ansible_lookup", "name"), (5, DB, "plain", "name"),
                                     (8, STRIPE, "ansible_task", "name")]


def test_python_calls_cli_and_plain_constants():
    text = textwrap.dedent("""\
        import boto3
        NAME = "prod/billing/db"
        sm = boto3.client("secretsmanager")
        sm.get_secret_value(SecretId="prod/billing/stripe")
        sm.batch_get_secret_value(
            SecretIdList=["prod/billing/stripe-old",
                          "%s"])
        """ % (ARN + DB))
    assert hits_of(text, "python") == [(2, DB, "plain", "name"), (4, STRIPE, "boto3_get_secret_value", "name"),
                                       (6, OLD, "boto3_batch_get_secret_value", "name"),
                                       (7, DB, "boto3_batch_get_secret_value", "arn_partial")]
    shell = textwrap.dedent("""\
        aws secretsmanager get-secret-value \\
            --secret-id "prod/billing/stripe" --query SecretString
        aws secretsmanager batch-get-secret-value --secret-id-list prod/billing/db prod/billing/stripe-old --x
        echo prod/billing/stripe
        """)
    found = refs.scan_text(shell, catalog(), "shell")
    assert [(h["line"], h["asm_name"], h["kind"]) for h in found] == [
        (2, STRIPE, "aws_cli"), (3, DB, "aws_cli"), (3, OLD, "aws_cli"), (4, STRIPE, "plain")]
    assert found[0]["details"] == {"option": "--secret-id", "command": "get-secret-value"}


def test_terraform_blocks():
    text = textwrap.dedent("""\
        data "aws_secretsmanager_secret" "s" {
          name = "prod/billing/stripe"
        }
        data "aws_secretsmanager_secret_version" "v" {
          secret_id = "%s"
        }
        resource "aws_secretsmanager_secret" "r" {
          name = "prod/billing/stripe-old"
          tags = { a = "}" }
        }
        locals { x = "prod/billing/db" }
        """ % (ARN + DB + "-Qq1Qq1"))
    assert hits_of(text, "terraform") == [(2, STRIPE, "terraform_data_source", "name"),
                                          (5, DB, "terraform_data_source", "arn_full"),
                                          (8, OLD, "terraform_resource", "name"), (11, DB, "plain", "name")]


def test_external_secrets_only_in_external_secret_documents():
    text = textwrap.dedent("""\
        ---
        kind: SecretStore
        spec:
          remoteRef:
            key: prod/billing/db
        ---
        kind: ExternalSecret
        spec:
          secretStoreRef:
            name: aws-store
          data:
            - secretKey: s
              remoteRef:
                key: prod/billing/stripe
          dataFrom:
            - extract:
                key: prod/billing/stripe-old
        """)
    found = refs.scan_text(text, catalog(), "yaml")
    assert [(h["line"], h["asm_name"], h["kind"]) for h in found] == [
        (5, DB, "plain"), (14, STRIPE, "external_secret"), (17, OLD, "external_secret")]
    assert found[1]["details"] == {"field": "remoteRef.key", "secret_store": "aws-store"}


def test_file_types():
    assert [refs.file_type(name) for name in (
        "a/site.yml", "x.yaml.j2", "c.json", "d.py", "main.tf", "x.tfvars", "a.ini", "b.toml", ".env", ".env.prod",
        "prod.env", "run.sh", "Dockerfile", "Makefile", "t.j2", "README.md")] == [
        "yaml", "yaml", "json", "python", "terraform", "terraform", "ini", "ini", "env", "env", "env", "shell",
        "shell", "shell", "template", "text"]


# -- globs and sizes ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("pattern, path, expected", [
    ("*.yml", "a/b/site.yml", True), ("*.yml", "site.yaml", False), ("deploy/*.yml", "deploy/a.yml", True),
    ("deploy/*.yml", "x/deploy/a.yml", False), ("deploy/*.yml", "deploy/x/a.yml", False),
    ("docs/**/*.md", "docs/a/b/c.md", True), ("docs/**/*.md", "docs/c.md", True), ("node_modules", "a/node_modules/x.js", True),
    ("file?.txt", "file1.txt", True), ("file?.txt", "file/.txt", False), ("[ab].py", "b.py", True), ("[!ab].py", "b.py", False),
    ("**/vendor", "x/y/vendor/z.go", True),
    # classes: two in one segment, a ']' first in the class, negation with '!' or '^', an unclosed '[' as itself
    ("x[ab]y[cd].txt", "xbyc.txt", True), ("x[ab]y[cd].txt", "xbyb.txt", False), ("[]a]x", "]x", True),
    ("[]a]x", "ax", True), ("[]a]x", "bx", False), ("[^ab]c", "cc", True), ("[^ab]c", "ac", False),
    ("[!ab]c", "^c", True), ("[a", "[a", True), ("[a", "a", False)])
def test_globs(pattern, path, expected):
    assert refs.Globs(include=[pattern]).included(path, "/r/" + path) is expected


def test_absolute_excludes_and_bad_globs():
    globs = refs.Globs(exclude=["/srv/reports"])
    assert globs.excluded("x.json", "/srv/reports/x.json") and not globs.excluded("x.json", "/srv/reportsx/x.json")
    with pytest.raises(refs.ScanOptionError, match="whole segment"):
        refs.Globs(include=["a**/b"])
    with pytest.raises(refs.ScanOptionError, match="non-empty"):
        refs.Globs(exclude=[""])


@pytest.mark.parametrize("value, size", [("2M", 2 * 1024 ** 2), ("512k", 512 * 1024), ("1.5MiB", int(1.5 * 1024 ** 2)),
                                         ("1000", 1000), (42, 42), ("1g", 1024 ** 3)])
def test_sizes(value, size):
    assert refs.parse_size(value) == size


@pytest.mark.parametrize("value", ["", "2X", "-1", "0"])
def test_bad_sizes(value):
    with pytest.raises(refs.ScanOptionError, match="max_file_size"):
        refs.parse_size(value)


# -- the suggested patch ---------------------------------------------------------------------------------------
PLAY = textwrap.dedent("""\
    - name: Billing
      hosts: localhost
      tasks:
        - name: Read
          ansible.builtin.set_fact:
            a: "{{ lookup('amazon.aws.aws_secret', 'prod/billing/stripe', region='us-east-1') | from_json }}"
            b: "{{ lookup('amazon.aws.secretsmanager_secret', 'prod/billing/stripe-old', on_missing='warn') }}"
            c: "{{ lookup('amazon.aws.aws_secret', 'prod/billing/stripe.api_key', nested=true) }}"
            d: "{{ lookup('amazon.aws.aws_secret', 'prod/billing/db', version_stage='AWSPREVIOUS') }}"
            e: "{{ lookup('amazon.aws.aws_secret', secret_var) }} prod/billing/db"
        - name: Write
          community.aws.secretsmanager_secret:
            name: prod/billing/stripe-old
            state: present
            description: Old Stripe key
            secret: "{{ new_value }}"
            region: us-east-1
            overwrite: false
        - name: Tagged
          amazon.aws.secretsmanager_secret:
            name: prod/billing/db
            json_secret: "{{ db }}"
            tags:
              team: billing
    """)
FORMATS = {STRIPE: "json", OLD: "text", DB: "json"}


def patched(text=PLAY, fallback=True):
    cat = catalog(formats=FORMATS)
    found = refs.scan_text(text, cat, "yaml")
    new_text, outcome = refs.suggest_patch(text, found, cat, "yaml", fallback)
    return found, new_text, outcome


def test_patch_moves_lookups_and_tasks_and_leaves_the_rest_with_reasons():
    found, new_text, outcome = patched()
    lines = new_text.splitlines()
    assert lines[5] == ("        a: \"{{ (lookup('scailabs.scaivault.secret', 'environments/production/billing/stripe', "
                        "asm_fallback='prod/billing/stripe', region='us-east-1') | to_json) | from_json }}\"")
    assert lines[6] == ("        b: \"{{ lookup('scailabs.scaivault.secret', 'environments/production/billing/stripe-old', "
                        "field='value', on_missing='warn', asm_fallback='prod/billing/stripe-old') }}\"")
    assert lines[7] == ("        c: \"{{ lookup('scailabs.scaivault.secret', 'environments/production/billing/stripe', "
                        "field='api_key', asm_fallback='prod/billing/stripe') }}\"")
    assert "version_stage='AWSPREVIOUS'" in lines[8] and "secret_var" in lines[9]
    task = yaml.safe_load(new_text)[0]["tasks"][1]
    assert task == {"name": "Write", "scailabs.scaivault.scaivault_secret": {
        "path": "environments/production/billing/stripe-old", "state": "present",
        "metadata": {"description": "Old Stripe key"}, "data": {"value": "{{ new_value }}"}, "overwrite": "never"}}
    assert "amazon.aws.secretsmanager_secret:" in new_text  # the tagged task is left alone
    notes = dict((hit["line"], outcome[hit["offset"]]) for hit in found if hit["offset"] in outcome)
    assert notes[9][0] == "manual" and "version_stage" in notes[9][1]
    assert notes[21][0] == "manual" and "tags" in notes[21][1]
    assert notes[6] == notes[13] == ("suggested", None)


def test_patch_without_fallback_and_unknown_or_binary_formats():
    _found, new_text, _outcome = patched(fallback=False)
    assert "asm_fallback" not in new_text and "region=" not in new_text.splitlines()[5]
    cat = catalog(formats={STRIPE: "binary"})
    text = "x: \"{{ lookup('amazon.aws.aws_secret', 'prod/billing/stripe') }} {{ lookup('aws_secret', 'prod/billing/db') }}\"\n"
    found = refs.scan_text(text, cat, "yaml")
    new_text, outcome = refs.suggest_patch(text, found, cat, "yaml")
    assert new_text is None
    reasons = sorted(note for _status, note in outcome.values())
    assert "binary secret" in reasons[0] and "format is unknown" in reasons[1]


def test_unified_diff_applies_with_git(tmp_path):
    _found, new_text, _outcome = patched()
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "site.yml").write_text(PLAY)
    diff = refs.unified_diff("deploy/site.yml", PLAY, new_text)
    assert diff.startswith("diff --git a/deploy/site.yml b/deploy/site.yml\n--- a/deploy/site.yml\n+++ b/deploy/site.yml\n")
    (tmp_path / "p.patch").write_text(diff)
    subprocess.run(["git", "apply", "--check", str(tmp_path / "p.patch")], cwd=str(tmp_path), check=True)
    subprocess.run(["git", "apply", str(tmp_path / "p.patch")], cwd=str(tmp_path), check=True)
    assert (tmp_path / "deploy" / "site.yml").read_text() == new_text


def test_unified_diff_of_a_file_without_final_newline(tmp_path):
    old = "a: \"{{ lookup('amazon.aws.aws_secret', 'prod/billing/stripe-old') }}\""
    cat = catalog(formats=FORMATS)
    new, _outcome = refs.suggest_patch(old, refs.scan_text(old, cat, "yaml"), cat, "yaml")
    diff = refs.unified_diff("x.yml", old, new)
    assert "\\ No newline at end of file" in diff
    (tmp_path / "x.yml").write_text(old)
    (tmp_path / "p.patch").write_text(diff)
    subprocess.run(["git", "apply", str(tmp_path / "p.patch")], cwd=str(tmp_path), check=True)
    assert (tmp_path / "x.yml").read_text() == new
    assert refs.unified_diff("x.yml", old, old) == ""


# -- cutover ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("evidence, status", [
    (dict(references=2), "not_started"),
    (dict(references=0, federated_reads=3), "not_started"),
    (dict(asm_accessed_in_window=True, asm_last_accessed="2026-01-02T00:00:00Z"), "not_started"),
    (dict(references=1, new_path_reads=4), "in_transition"),
    (dict(asm_accessed_in_window=True, new_path_reads=1), "in_transition"),
    (dict(new_path_reads=9), "moved"),
    (dict(), "moved"),
    (dict(references=5, scanned=False), "moved"),
])
def test_cutover_status(evidence, status):
    verdict = refs.cutover_status(**evidence)
    assert verdict["status"] == status and verdict["reasons"]


def test_cutover_reasons_say_why():
    verdict = refs.cutover_status(references=2, new_path_reads=3, federated_reads=1, asm_accessed_in_window=True,
                                  asm_last_accessed="2026-01-02T00:00:00Z")
    assert verdict["reasons"] == ["2 reference(s) left in the scanned trees",
                                  "1 read(s) of the federated path by other identities",
                                  "ASM reports a read on 2026-01-02T00:00:00Z, inside the window",
                                  "3 read(s) of the new path by other identities"]
    assert "no tree was scanned" in " ".join(refs.cutover_status(scanned=False)["reasons"])


def test_where_referenced_lists_the_first_hits():
    hits = [{"file": "f%d.yml" % index, "line": index, "kind": "plain"} for index in range(7)]
    assert refs.where_referenced(hits, limit=2) == "f0.yml:0 (plain), f1.yml:1 (plain) and 5 more"


# -- task edits, word for word -----------------------------------------------------------------------------------
def task_patch(body, module="community.aws.secretsmanager_secret", eol="\n"):
    """The patch of a play with one task of ``module`` whose argument lines are ``body`` (already indented)."""
    text = "- hosts: localhost\n  tasks:\n    - name: Write\n      %s:\n%s" % (module, body)
    text = text.replace("\n", eol)
    cat = catalog(formats=FORMATS)
    found = refs.scan_text(text, cat, "yaml")
    new_text, outcome = refs.suggest_patch(text, found, cat, "yaml")
    return new_text, sorted(outcome.values(), key=repr)


HEAD = "- hosts: localhost\n  tasks:\n    - name: Write\n      scailabs.scaivault.scaivault_secret:\n"


def test_task_edit_json_secret_nested_block_gets_secret_type_and_keeps_the_lines_after():
    new_text, outcome = task_patch("        name: prod/billing/db\n        json_secret:\n          user: app\n"
                                   "          # a comment inside the block\n\n          port: 5432\n"
                                   "        overwrite: yes\n    - name: Next\n      ansible.builtin.debug:\n")
    assert new_text == HEAD + ("        path: environments/production/billing/db\n        data:\n          user: app\n"
                               "          # a comment inside the block\n\n          port: 5432\n"
                               "        secret_type: json\n    - name: Next\n      ansible.builtin.debug:\n")
    assert outcome == [("suggested", None)]


def test_task_edit_keeps_crlf_line_ends_and_the_indent_step_of_the_file():
    new_text, _outcome = task_patch("          name: prod/billing/stripe-old\n          secret: \"{{ v }}\"\n"
                                    "          description: Old key\n          overwrite: off\n", eol="\r\n")
    assert new_text == (HEAD.replace("\n", "\r\n") + "          path: environments/production/billing/stripe-old\r\n"
                        "          data:\r\n              value: \"{{ v }}\"\r\n"
                        "          metadata:\r\n              description: Old key\r\n"
                        "          overwrite: never\r\n")


def test_task_edit_drops_connection_keys_and_quoted_string_type_and_trailing_blank_lines():
    new_text, _outcome = task_patch("        name: prod/billing/stripe-old\n        secret_type: 'string'\n"
                                    "        secret: plain\n        region: us-east-1\n        profile: prod\n\n\n")
    assert new_text == HEAD + ("        path: environments/production/billing/stripe-old\n        data:\n"
                               "          value: plain\n\n\n")


@pytest.mark.parametrize("body, reason", [
    ("        name: prod/billing/stripe-old\n        secret_type: binary\n        secret_binary: x\n",
     "secret_type binary: a binary secret is written as data.value_base64 by hand"),
    ("        name: prod/billing/stripe-old\n        secret: |\n          two\n          lines\n",
     "the secret: value spans several lines; move it under data.value by hand"),
    ("        name: prod/billing/stripe-old\n        secret:\n",
     "the secret: value spans several lines; move it under data.value by hand"),
    ("        name: prod/billing/stripe-old\n        secret: first\n          second\n",
     "the secret: value spans several lines; move it under data.value by hand"),
    ("        name: prod/billing/stripe-old\n        secret: >-\n        overwrite: no\n",
     "the secret: value spans several lines; move it under data.value by hand"),
    ("        name: prod/billing/stripe-old\n        secret: |\n        overwrite: no\n",
     "the secret: value spans several lines; move it under data.value by hand"),
    ("        name: prod/billing/stripe-old\n        secret: >\n        overwrite: no\n",
     "the secret: value spans several lines; move it under data.value by hand"),
    ("        name: prod/billing/stripe-old\n        description: >\n          folded\n",
     "the description spans several lines"),
    ("        name: prod/billing/stripe-old\n        overwrite: maybe\n        kms_key_id: k\n",
     "option(s) kms_key_id, overwrite have no scaivault_secret counterpart"),
    ("        name: prod/billing/stripe-old\n        tags: {a: b}\n        tags: {c: d}\n",
     "option(s) tags have no scaivault_secret counterpart"),
])
def test_task_edit_refusals_name_the_reason(body, reason):
    new_text, outcome = task_patch(body)
    assert new_text is None and outcome == [("manual", reason)]


def test_task_edit_refuses_a_module_line_that_carries_a_value():
    new_text, outcome = task_patch("        name: prod/billing/db\n        state: absent\n",
                                   module="community.aws.secretsmanager_secret: &defaults")
    assert new_text is None
    assert outcome == [("manual", "the task's arguments are written inline (key=value); move it by hand")]


def test_crlf_files_are_read_like_lf_files():
    external = ("apiVersion: external-secrets.io/v1beta1\nkind: ExternalSecret\nspec:\n  data:\n    - remoteRef:\n"
                "        key: prod/billing/db\n")
    for text in (external, "- name: W\n  community.aws.secretsmanager_secret:\n    name: prod/billing/db\n"):
        assert hits_of(text.replace("\n", "\r\n"), "yaml") == hits_of(text, "yaml")
        assert hits_of(text, "yaml")[0][2] in ("external_secret", "ansible_task")


def lookup_patch(expression, cat=None):
    text = "x: \"{{ %s }}\"\n" % expression
    cat = cat or catalog(formats=FORMATS)
    found = refs.scan_text(text, cat, "yaml")
    new_text, outcome = refs.suggest_patch(text, found, cat, "yaml")
    return (new_text.split('"')[1] if new_text else None), sorted(set(outcome.values()))


def test_lookup_edit_keeps_nested_brackets_in_one_argument():
    new_text, _outcome = lookup_patch("lookup('amazon.aws.aws_secret', 'prod/billing/db', "
                                      "region=pick(['us-east-1', 'eu-west-1'], {'a': (1, 2)}), on_missing='warn')")
    assert new_text == ("{{ (lookup('scailabs.scaivault.secret', 'environments/production/billing/db', on_missing='warn', "
                        "asm_fallback='prod/billing/db', region=pick(['us-east-1', 'eu-west-1'], {'a': (1, 2)})) "
                        "| to_json) }}")


@pytest.mark.parametrize("expression, reason", [
    ("lookup('amazon.aws.aws_secret', 'prod/billing/db', 'prod/billing/stripe')",
     "the lookup names 2 terms; one ScaiVault lookup per secret is suggested by hand"),
    ("lookup('amazon.aws.aws_secret', 'prod/billing/stripe.api_key', 'prod/billing/db.password', nested=true)",
     "the lookup names 2 terms; one ScaiVault lookup per secret is suggested by hand"),
    ("lookup('amazon.aws.aws_secret', 'prod/billing/stripe.keys.live', nested=true)",
     "the nested key path keys.live goes below the top level of the secret; the ScaiVault lookup's field= takes one "
     "top-level key, so index the result by hand"),
])
def test_lookup_edit_refusals_word_for_word(expression, reason):
    assert lookup_patch(expression) == (None, [("manual", reason)])


def test_a_nested_term_names_the_secret_before_its_first_dot_as_amazon_aws_reads_it():
    # amazon.aws: SecretId = term.split(".")[0]; a consumer of a key two levels down still reads the ASM secret.
    assert hits_of("x: \"{{ lookup('amazon.aws.aws_secret', 'prod/billing/stripe.keys.live', nested=true) }}\"\n",
                   "yaml") == [(1, STRIPE, "ansible_lookup", "name")]


@pytest.mark.parametrize("nested", ["true", "'yes'", '"True"', "1", "on", " 'y' "])
def test_nested_on_as_ansible_reads_a_boolean_finds_and_patches_the_key(nested):
    new_text, outcome = lookup_patch("lookup('amazon.aws.aws_secret', 'prod/billing/stripe.api_key', nested=%s)" % nested)
    assert new_text == ("{{ lookup('scailabs.scaivault.secret', 'environments/production/billing/stripe', "
                        "field='api_key', asm_fallback='prod/billing/stripe') }}") and outcome == [("suggested", None)]


@pytest.mark.parametrize("expression", [
    "lookup('amazon.aws.aws_secret', 'prod/billing/stripe.api_key', nested=false)",
    "lookup('amazon.aws.aws_secret', 'prod/billing/stripe.api_key', on_deleted='yes')",
])
def test_a_dotted_term_without_nested_names_no_migrated_secret(expression):
    assert hits_of("x: \"{{ %s }}\"\n" % expression, "yaml") == []


def test_lookup_edit_of_an_unmapped_secret():
    unmapped = refs.Catalog([refs.catalog_entry(DB, region="us-east-1", value_format="json")])
    assert lookup_patch("lookup('amazon.aws.aws_secret', 'prod/billing/db')", unmapped) == (
        None, [("manual", "prod/billing/db has no ScaiVault path (not mapped)")])


def test_each_yaml_document_is_judged_by_its_own_kind():
    external = ("kind: ExternalSecret\nspec:\n  secretStoreRef:\n    name: store-%d\n  data:\n    - remoteRef:\n"
                "        key: %s\n")
    other = "kind: ConfigMap\nspec:\n  remoteRef:\n    key: %s\n"
    # The ExternalSecret first, then a look-alike; and the other way round, three documents deep.
    text = external % (1, STRIPE) + "---\n" + other % DB
    assert hits_of(text, "yaml") == [(7, STRIPE, "external_secret", "name"), (12, DB, "plain", "name")]
    text = other % DB + "---\n" + other % OLD + "--- # the last one\n" + external % (3, STRIPE)
    found = refs.scan_text(text, catalog(), "yaml")
    assert [(h["line"], h["kind"]) for h in found] == [(4, "plain"), (9, "plain"), (17, "external_secret")]
    assert found[2]["details"] == {"field": "remoteRef.key", "secret_store": "store-3"}


def test_task_arguments_are_found_through_blocks_and_never_through_siblings():
    text = textwrap.dedent("""\
        - hosts: localhost
          tasks:
            - block:
                - name: Write
                  # a comment between the module and its arguments

                  community.aws.secretsmanager_secret:
                    name: prod/billing/db
                    state: present
            - name: prod/billing/stripe
              community.aws.secretsmanager_secret:
                state: absent
            - name: Vars beside the module
              community.aws.secretsmanager_secret:
                state: present
              vars:
                name: prod/billing/stripe-old
        """)
    found = refs.scan_text(text, catalog(), "yaml")
    assert [(h["line"], h["asm_name"], h["kind"]) for h in found] == [
        (8, DB, "ansible_task"), (10, STRIPE, "plain"), (17, OLD, "plain")]
    assert found[0]["details"] == {"module": "community.aws.secretsmanager_secret", "module_line": 7}


# -- edges found by mutation testing -----------------------------------------------------------------------------
def test_a_catalog_entry_reads_the_region_from_the_arn_when_only_the_account_is_given():
    entry = refs.catalog_entry(STRIPE, ARN + STRIPE + "-AbCdEf", account=ACCOUNT)
    assert entry.region == "us-east-1" and entry.account == ACCOUNT


def test_a_catalog_keeps_each_secret_once_and_drops_nameless_entries():
    stripe, db = refs.catalog_entry(STRIPE, region="us-east-1"), refs.catalog_entry(DB, region="us-east-1")
    cat = refs.Catalog([stripe, stripe, refs.catalog_entry("", region="us-east-1"), db])
    assert len(cat) == 2 and cat.entries == [stripe, db]


def test_a_dockerfile_variant_is_a_shell_file():
    assert refs.file_type("build/Dockerfile.prod") == "shell"


@pytest.mark.parametrize("pattern, path, expected", [
    ("vendor/", "a/vendor/x.go", True), ("docs/**/x.md", "docs/ax.md", False), ("docs/**/x.md", "docs/a/x.md", True),
    ("*.yml", "odd\ndir/site.yml", True),
])
def test_globs_with_a_trailing_slash_a_middle_double_star_or_a_newline(pattern, path, expected):
    assert refs.Globs(include=[pattern]).included(path, "/r/" + path) is expected


def test_absolute_globs_with_a_trailing_slash_or_several_spellings():
    assert refs.Globs(exclude=["/srv/reports/"]).excluded("x.json", "/srv/reports/x.json")
    assert refs.Globs(exclude=["/srv/real"]).excluded("x.json", ("/link/x.json", "/srv/real/x.json"))
    included = refs.Globs(include=["/srv/app"])
    assert included.included("a.yml", "/srv/app/a.yml") and not included.included("a.yml", "/srv/other/a.yml")


@pytest.mark.parametrize("option", ["include", "exclude"])
def test_an_invalid_glob_names_its_option(option):
    with pytest.raises(refs.ScanOptionError) as err:
        refs.Globs(**{option: ["[z-a].yml"]})
    assert str(err.value).startswith("%s: glob '[z-a].yml' is not valid (" % option)


def test_one_byte_is_the_smallest_size_and_a_boolean_is_no_size():
    assert refs.parse_size("1") == 1 and refs.parse_size(1) == 1
    with pytest.raises(refs.ScanOptionError) as err:
        refs.parse_size(True)
    assert str(err.value) == "max_file_size: True is not a size (for example 2M, 512k or 1048576)"
    with pytest.raises(refs.ScanOptionError) as err:
        refs.parse_size("0")
    assert str(err.value) == "max_file_size must be at least 1 byte, got '0'"


def test_where_referenced_shows_five_hits_and_counts_the_rest():
    hits = [{"file": "f%d.yml" % index, "line": index, "kind": "plain"} for index in range(6)]
    shown = "f0.yml:0 (plain), f1.yml:1 (plain), f2.yml:2 (plain), f3.yml:3 (plain), f4.yml:4 (plain)"
    assert refs.where_referenced(hits) == shown + " and 1 more"
    assert refs.where_referenced(hits[:5]) == shown


def test_unified_diff_keeps_three_lines_of_context():
    old = "".join("line %d\n" % index for index in range(1, 11))
    new = old.replace("line 5\n", "line five\n")
    assert refs.unified_diff("x.txt", old, new) == (
        "diff --git a/x.txt b/x.txt\n--- a/x.txt\n+++ b/x.txt\n@@ -2,7 +2,7 @@\n line 2\n line 3\n line 4\n"
        "-line 5\n+line five\n line 6\n line 7\n line 8\n")


@pytest.mark.parametrize("evidence, reasons", [
    (dict(), ["nothing reads the old place (nor, in the window, the new path)"]),
    (dict(references=5, scanned=False),
     ["nothing reads the old place (nor, in the window, the new path)", "no tree was scanned for references"]),
    (dict(asm_accessed_in_window=True),
     ["ASM reports a read on a recent day, inside the window", "no read of the new path by other identities yet"]),
])
def test_cutover_reasons_word_for_word(evidence, reasons):
    assert refs.cutover_status(**evidence)["reasons"] == reasons


def test_each_external_secret_names_its_own_store_wherever_the_store_stands():
    text = textwrap.dedent("""\
        kind: ExternalSecret
        spec:
          secretStoreRef:
            name: store-1
          data:
            - remoteRef:
                key: prod/billing/db
        ---
        kind: ExternalSecret
        spec:
          data:
            - remoteRef:
                property: password
                version: AWSCURRENT
                # the key of the secret
                key: prod/billing/stripe
          target:
            name: k8s-secret
          secretStoreRef:
            name: store-2
        """).rstrip("\n")  # the store's name on the last line of the file
    found = refs.scan_text(text, catalog(), "yaml")
    assert [(h["line"], h["kind"], h["details"]) for h in found] == [
        (7, "external_secret", {"field": "remoteRef.key", "secret_store": "store-1"}),
        (16, "external_secret", {"field": "remoteRef.key", "secret_store": "store-2"})]
    assert found[1] == {"line": 16, "column": 14, "offset": text.index(STRIPE), "length": len(STRIPE),
                        "kind": "external_secret", "form": "name", "match": STRIPE, "asm_name": STRIPE,
                        "region": "us-east-1", "scaivault_path": "environments/production/billing/stripe",
                        "file_type": "yaml", "details": {"field": "remoteRef.key", "secret_store": "store-2"}}


def test_an_external_secret_whose_kind_comes_last_and_a_key_outside_remote_ref():
    text = textwrap.dedent("""\
        spec:
          key: prod/billing/db
          data:
            - remoteRef:
                key: prod/billing/stripe-old
        kind: ExternalSecret""")
    found = refs.scan_text(text, catalog(), "yaml")
    assert [(h["line"], h["kind"], h["details"]) for h in found] == [
        (2, "plain", {}), (5, "external_secret", {"field": "remoteRef.key", "secret_store": None})]


def test_a_nested_term_is_found_after_a_variable_without_spaces_and_not_at_an_earlier_mention():
    call = "lookup('amazon.aws.aws_secret',some_var,'prod/billing/stripe.api_key',nested=true)"
    text = "# 'prod/billing/stripe.api_key'\nx: \"{{ %s }}\"\n# 'prod/billing/stripe.api_key'\n" % call
    found = refs.scan_text(text, catalog(), "yaml")
    offset = text.index("prod/billing/stripe.api_key'" + ",nested")
    assert [(h["line"], h["column"], h["offset"], h["length"], h["match"], h["kind"]) for h in found] == [
        (2, offset - text.index("\n"), offset, len(STRIPE), STRIPE, "ansible_lookup")]


@pytest.mark.parametrize("value_format, reason", [
    ("binary", "binary secret: ScaiVault holds it base64-encoded (field value_base64); decode it where it is used"),
    (None, "the value format is unknown (the ScaiVault target records none in metadata.source): migrate the secret "
           "first, or read the target's metadata"),
])
def test_a_lookup_of_a_binary_or_unknown_format_is_left_to_a_person(value_format, reason):
    cat = refs.Catalog([refs.catalog_entry(DB, region="us-east-1", path="environments/production/billing/db",
                                           value_format=value_format)])
    assert lookup_patch("lookup('amazon.aws.aws_secret', 'prod/billing/db')", cat) == (None, [("manual", reason)])


def test_a_lookup_or_task_left_to_a_person_does_not_stop_the_next_one():
    cat = refs.Catalog([refs.catalog_entry(DB, region="us-east-1", value_format="json"),
                        refs.catalog_entry(OLD, region="us-east-1", path="environments/production/billing/stripe-old",
                                           value_format="text")])
    text = ("w: \"{{ lookup('amazon.aws.aws_secret', 'prod/unknown') }}\"\n"
            "x: \"{{ lookup('amazon.aws.aws_secret', 'prod/billing/db') }}\"\n"
            "y: \"{{ lookup('amazon.aws.aws_secret', 'prod/billing/stripe-old') }}\"\n"
            "- name: One\n  community.aws.secretsmanager_secret:\n    name: prod/billing/db\n    secret: x\n"
            "- name: Two\n  community.aws.secretsmanager_secret:\n    name: prod/billing/stripe-old\n    secret: y\n")
    found = refs.scan_text(text, cat, "yaml")
    new_text, outcome = refs.suggest_patch(text, found, cat, "yaml")
    assert sorted(outcome.values(), key=repr) == [
        ("manual", "prod/billing/db has no ScaiVault path (not mapped)"),
        ("manual", "prod/billing/db has no single ScaiVault path"), ("suggested", None), ("suggested", None)]
    assert "y: \"{{ lookup('scailabs.scaivault.secret', 'environments/production/billing/stripe-old', field='value'" \
        in new_text
    assert "  scailabs.scaivault.scaivault_secret:\n    path: environments/production/billing/stripe-old\n" in new_text


OLD_PATH = "        path: environments/production/billing/stripe-old\n"


@pytest.mark.parametrize("body, after", [
    # one argument, then the next task
    ("        name: prod/billing/stripe-old\n    - name: Next\n", OLD_PATH + "    - name: Next\n"),
    # a comment at the first column between two arguments
    ("        name: prod/billing/stripe-old\n# note\n        secret: v\n",
     OLD_PATH + "        data:\n          value: v\n"),
    # a key of the task itself (register) after the module's arguments is left alone
    ("        name: prod/billing/stripe-old\n        secret: v\n      register: out\n",
     OLD_PATH + "        data:\n          value: v\n      register: out\n"),
    ("        name: prod/billing/stripe-old\n        json_secret: \"{{ payload }}\"\n",
     OLD_PATH + "        data: \"{{ payload }}\"\n        secret_type: json\n"),
    ("        name: prod/billing/stripe-old\n        secret: v\n        overwrite: no\n",
     OLD_PATH + "        data:\n          value: v\n        overwrite: never\n"),
    ("        name: prod/billing/stripe-old\n        secret: v\n        overwrite: true\n",
     OLD_PATH + "        data:\n          value: v\n"),
    ("        name: prod/billing/stripe-old\n        secret: v\n        overwrite: on\n",
     OLD_PATH + "        data:\n          value: v\n"),
])
def test_task_edit_word_for_word_around_the_arguments(body, after):
    new_text, outcome = task_patch(body)
    assert new_text == HEAD + after and outcome == [("suggested", None)]


@pytest.mark.parametrize("text, kind_of_file", [
    ("x: \"{{ lookup('amazon.aws.aws_secret', 'prod/unknown')prod/billing/db }}\"\n", "yaml"),
    ("v = sm.get_secret_value(SecretId=name)prod/billing/db\n", "python"),
    ("data \"aws_secretsmanager_secret_version\" \"v\" {\n  secret_id = var.x\n}prod/billing/db\n", "terraform"),
])
def test_a_name_right_after_a_closing_bracket_is_outside_the_construct(text, kind_of_file):
    assert hits_of(text, kind_of_file) == [(text[:text.index(DB)].count("\n") + 1, DB, "plain", "name")]


@pytest.mark.parametrize("text", [
    "v = sm.get_secret_value(SecretId='prod/billing/db')\n",
    "data \"aws_secretsmanager_secret_version\" \"v\" {\n  secret_id = \"prod/billing/db\"\n}\n",
])
def test_code_constructs_count_only_in_their_own_kind_of_file(text):
    assert [hit[2] for hit in hits_of(text, "yaml")] == ["plain"]


def test_quotes_escapes_and_brackets_inside_lookup_strings_do_not_end_the_call():
    text = "x: \"{{ lookup('amazon.aws.aws_secret', 'a\\' (b', 'x\\'', \"c (\", 'prod/billing/db') }}\"\n"
    assert hits_of(text, "yaml") == [(1, DB, "ansible_lookup", "name")]


def test_a_terraform_block_longer_than_a_lookup_is_still_one_block():
    padding = "  # %s\n" % ("x" * 70)
    text = "data \"aws_secretsmanager_secret_version\" \"v\" {\n%s  secret_id = \"prod/billing/db\"\n}\n" % (padding * 400)
    assert [hit[2] for hit in hits_of(text, "terraform")] == ["terraform_data_source"]


def test_a_lookup_term_names_one_entry_by_its_hits_region_even_when_the_name_is_in_two_regions():
    """_single_entry (the entry a patched lookup points at): the hits decide between regions; a bare name that two
    regions hold and no hit resolves is nobody's; an ARN resolves through the hit that matched it."""
    catalog = refs.Catalog([refs.catalog_entry("prod/x", region="us-east-1", path="east/x", value_format="text"),
                            refs.catalog_entry("prod/x", region="eu-west-1", path="west/x", value_format="text"),
                            refs.catalog_entry("prod/y", region="eu-west-1", path="west/y", value_format="text")])
    arn = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/x-AbCdEf"
    by_name = [{"match": "prod/x", "form": refs.FORM_NAME, "asm_name": "prod/x", "region": "eu-west-1"}]
    by_arn = [{"match": arn, "form": refs.FORM_ARN_FULL, "asm_name": "prod/x", "region": "eu-west-1"}]
    other = [{"match": "prod/x-legacy", "form": refs.FORM_NAME, "asm_name": "prod/x", "region": "us-east-1"}]
    assert refs._single_entry("prod/x", by_name, catalog).path == "west/x"  # pylint: disable=protected-access
    assert refs._single_entry(arn, by_arn, catalog).path == "west/x"  # pylint: disable=protected-access
    assert refs._single_entry("prod/x", other, catalog).path == "east/x"  # pylint: disable=protected-access
    assert refs._single_entry("prod/x", [], catalog) is None  # pylint: disable=protected-access
    assert refs._single_entry("prod/x", by_name + other, catalog) is None  # pylint: disable=protected-access
    assert refs._single_entry("prod/y", [], catalog).path == "west/y"  # pylint: disable=protected-access
    assert refs._single_entry("prod/y", other, catalog).path == "west/y"  # pylint: disable=protected-access
