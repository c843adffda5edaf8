# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The file walk of the reference scan, its skips and its Markdown, on a tree in tmp_path; the cutover evidence from
the dev server in process (unit.fakes.InProcessVault): audit rows of real reads by other identities."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import socket

import pytest

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.errors import ScaiVaultError
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.options import REFERENCE_DEFAULT_EXCLUDE
from ansible_collections.scailabs.scaivault.plugins.module_utils._plan.references import Catalog, catalog_entry
from ansible_collections.scailabs.scaivault.plugins.module_utils._run import references as run

from unit.fakes import FakeAsm, InProcessVault

NAME = "prod/billing/stripe"
CATALOG = Catalog([catalog_entry(NAME, region="us-east-1", path="environments/production/billing/stripe",
                                 value_format="text")])


def write(root, relative, data):
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data)
    return path


def test_walk_skips_binary_large_symlinked_and_excluded_files(tmp_path):
    root = tmp_path / "tree"
    write(root, "a/app.py", "NAME = '%s'\n" % NAME)
    write(root, "a/logo.png", b"\x89PNG\0\0" + NAME.encode())
    write(root, "big.log", ("x" * 99 + "\n") * 30 + NAME + "\n")
    write(root, "node_modules/lib/index.js", NAME)
    write(root, "latin1.cfg", b"caf\xe9 = " + NAME.encode() + b"\n")
    write(root, "empty.txt", "")
    os.symlink(str(root / "a" / "app.py"), str(root / "link.py"))
    os.symlink(str(root / "a"), str(root / "linkdir"))
    scan = run.scan_trees(CATALOG, [str(root)], exclude=list(REFERENCE_DEFAULT_EXCLUDE), max_size=1000)
    assert [(hit["relative"], hit["line"]) for hit in scan["hits"]] == [("a/app.py", 1), ("latin1.cfg", 1)]
    skipped = dict((os.path.basename(item["file"]), item["reason"]) for item in scan["skipped"])
    assert skipped == {"logo.png": "binary", "big.log": "too_large", "link.py": "symlink", "linkdir": "symlink"}
    assert scan["files_scanned"] == 3 and scan["files_with_references"] == 2 and scan["excluded"] == 1
    assert scan["hits"][0]["file"] == os.path.join(str(root), "a/app.py")
    larger = run.scan_trees(CATALOG, [str(root)], exclude=list(REFERENCE_DEFAULT_EXCLUDE), max_size=10000)
    assert ("big.log", 31) in [(hit["relative"], hit["line"]) for hit in larger["hits"]]


def test_overlapping_roots_scan_a_file_once_and_patch_paths_are_relative_to_their_parent(tmp_path):
    write(tmp_path / "repo", "deploy/site.yml",
          "x: \"{{ lookup('amazon.aws.aws_secret', '%s') }}\"\n" % NAME)
    roots = [str(tmp_path / "repo"), str(tmp_path / "repo" / "deploy")]
    scan = run.scan_trees(CATALOG, roots, patch=True)
    assert len(scan["hits"]) == 1 and scan["hits"][0]["patch"] == "suggested"
    assert scan["patch_base"] == str(tmp_path / "repo")
    assert [path for path, _diff in scan["diffs"]] == ["deploy/site.yml"]
    assert "field='value'" in scan["diffs"][0][1]


def test_non_utf8_files_are_scanned_but_never_patched(tmp_path):
    write(tmp_path, "site.yml", b"# caf\xe9\nx: \"{{ lookup('amazon.aws.aws_secret', '" + NAME.encode() + b"') }}\"\n")
    scan = run.scan_trees(CATALOG, [str(tmp_path)], patch=True)
    assert scan["hits"][0]["patch"] == "manual" and "not UTF-8" in scan["hits"][0]["patch_note"]
    assert scan["diffs"] == []


def test_skip_paths_and_missing_roots(tmp_path):
    report = write(tmp_path, "reports/consumers.json", NAME)
    assert run.scan_trees(CATALOG, [str(tmp_path)], skip_paths=[str(report)])["hits"] == []
    with pytest.raises(run.ReferenceScanError, match="is not a directory"):
        run.scan_trees(CATALOG, [str(tmp_path / "nope")])


def test_markdown_and_summary_name_files_lines_and_statuses(tmp_path):
    write(tmp_path, "app.py", "x = '%s'\n" % NAME)
    scan = run.scan_trees(CATALOG, [str(tmp_path)])
    secrets = [{"name": NAME, "region": "us-east-1", "scaivault_path": "environments/production/billing/stripe",
                "references": 1, "cutover": {"status": "not_started", "reasons": ["1 reference(s) left"]}}]
    summary = run.summarize(secrets, scan)
    assert (summary["references"], summary["referenced_secrets"], summary["by_kind"]) == (1, 1, {"plain": 1})
    summary["cutover"] = {"not_started": 1, "in_transition": 0, "moved": 0}
    text = run.references_markdown({"region": "us-east-1", "summary": summary, "secrets": secrets,
                                    "references": scan["hits"], "skipped_files": []})
    assert "| %s | us-east-1 | environments/production/billing/stripe | 1 | not started | 1 reference(s) left |" % NAME in text
    assert "| %s:1 | plain (python) | name | %s |" % (os.path.join(str(tmp_path), "app.py"), NAME) in text


@pytest.fixture
def audited(tmp_path):
    """The dev server in process with ASM on moto: prod/c is readable through a proxy backend at external/aws/c."""
    vault = InProcessVault(tmp_path / "vault", moto_asm=True)
    vault.asm_client().create_secret(Name="prod/c", SecretString="c-value")
    backend = {"name": "aws-us-east-1", "type": "aws-secrets-manager", "config": {"region": "us-east-1"},
               "path_mapping": {"external/aws/**": "prod/**"}, "mode": "proxy"}
    vault.add_backend(backend)
    yield vault
    vault.close()


def test_evidence_counts_other_identities_and_the_asm_date_inside_the_window(audited):  # pylint: disable=redefined-outer-name
    """Real reads by three identities, audited by the dev server; the caller (the migration) is left out."""
    import datetime  # pylint: disable=import-outside-toplevel

    utc = datetime.timezone.utc
    for path in ("environments/a", "environments/b"):
        audited.put(path, {"k": "v"})
    migrator = audited.client_as("sa:migrator", scopes=("secrets:read", "audit:read", "federation:read"), retries=0)
    assert audited.client_as("sa:app").get_secret("environments/a")["data"] == {"k": "v"}
    assert migrator.get_secret("environments/b")["data"] == {"k": "v"}  # the migration's own read
    assert audited.client_as("sa:legacy").get_secret("external/aws/c")["data"] == {"value": "c-value"}  # proxied live
    now = datetime.datetime.now(utc)
    start = now - datetime.timedelta(hours=1)
    secrets = [{"name": name, "region": "us-east-1", "scaivault_path": "environments/" + name.split("/", 1)[1],
                "references": refs}
               for name, refs in (("prod/a", 0), ("prod/b", 2), ("prod/c", 0), ("prod/d", 0))]
    start_day = datetime.datetime(start.year, start.month, start.day, tzinfo=utc)
    listing = {"prod/a": {"LastAccessedDate": start_day - datetime.timedelta(days=9)},
               "prod/d": {"LastAccessedDate": start_day}}
    mark = len(audited.sent)
    found, meta = run.gather_evidence(migrator, secrets, listing, start, None, region="us-east-1")
    assert meta == {"identity": "sa:migrator", "excluded_identities": ["sa:migrator"], "audit_queries": 2}
    queries = sorted(request.url.params["path_prefix"] for request in audited.sent[mark:]
                     if request.url.path == "/v1/audit/logs")
    assert queries == ["environments/", "external/aws/"]
    counts = run.cutover(secrets, found, scanned=True)
    status = dict((secret["name"], secret["cutover"]["status"]) for secret in secrets)
    assert status == {"prod/a": "moved", "prod/b": "not_started", "prod/c": "not_started", "prod/d": "not_started"}
    assert counts == {"not_started": 3, "in_transition": 0, "moved": 1}
    a, c, d = secrets[0]["cutover"], secrets[2]["cutover"], secrets[3]["cutover"]
    assert a["new_path_readers"] == ["sa:app"] and a["asm_accessed_in_window"] is False
    assert c["federated"] == [{"path": "external/aws/c", "backend": "aws-us-east-1", "mode": "proxy", "reads": 1,
                               "readers": ["sa:legacy"]}]
    assert d["asm_last_accessed"] == start_day.strftime("%Y-%m-%dT00:00:00Z") and d["asm_accessed_in_window"] is True
    assert secrets[1]["cutover"]["new_path_reads"] == 0  # the migration's own read does not count


# -- the migrated selection: ASM listing + mapping rules, or ScaiVault's recorded provenance --------------------------
def arn(name):
    return FakeAsm.ARN_TEMPLATE % name


def secret(name, path, status="ok", reason=None, value_format=None, region="us-east-1"):
    return {"name": name, "arn": arn(name), "region": region, "scaivault_path": path, "format": value_format,
            "target_status": status, "target_reason": reason}


ESTATE = FakeAsm(dict((name, [("v1", "x")]) for name in ("prod/api", "prod/db", "stage/db", "other/x")))


def test_catalog_from_asm_maps_every_listed_name_explicit_paths_first():
    asm = FakeAsm(ESTATE.secrets)
    secrets, listing, not_found = run.catalog_from_asm(
        asm, "us-east-1", names=["prod/api", "gone/x"], prefixes=["stage/"],
        rules=[{"match": "prod/*", "path": "apps/prod/*"}, {"match": "stage/*", "path": "apps/stage/*"}],
        paths={"stage/db": "legacy/stage-db"})
    assert secrets == [secret("prod/api", "apps/prod/api"), secret("stage/db", "legacy/stage-db")]
    assert sorted(listing) == ["prod/api", "stage/db"] and not_found == ["gone/x"]


def test_catalog_from_asm_plans_each_name_with_the_first_namespace_that_selects_it():
    namespaces = [{"names": ["prod/db"], "rules": [{"match": "prod/*", "path": "first/*"}]},
                  {"prefixes": ["prod/", "other/"], "rules": [{"match": "prod/*", "path": "second/*"}],
                   "naming_policy": "strict"}]
    secrets, _listing, not_found = run.catalog_from_asm(FakeAsm(ESTATE.secrets), "us-east-1", namespaces=namespaces)
    assert not_found == []
    by_name = dict((item["name"], item) for item in secrets)
    assert sorted(by_name) == ["other/x", "prod/api", "prod/db"]
    assert (by_name["prod/db"]["scaivault_path"], by_name["prod/api"]["scaivault_path"]) == ("first/db", "second/api")
    assert (by_name["other/x"]["scaivault_path"], by_name["other/x"]["target_status"]) == (None, "unmapped")
    assert by_name["other/x"]["target_reason"]


def test_a_listed_name_no_namespace_selects_is_unmapped_and_says_so():
    asm = FakeAsm(ESTATE.secrets)
    namespaces = [{"names": ["prod/db"], "rules": [{"match": "prod/*", "path": "p/*"}]}]
    secrets, _listing, _missing = run.catalog_from_asm(asm, "us-east-1", prefixes=["prod/"], namespaces=namespaces)
    assert secrets == [secret("prod/db", "p/db")]  # the namespaces' names and prefixes are the selection
    asm = FakeAsm(ESTATE.secrets)
    secrets, _listing, _missing = run.catalog_from_asm(
        asm, "us-east-1", namespaces=[{"names": ["prod/db"], "rules": []},
                                      {"names": ["prod/api"], "prefixes": ["x/"], "rules": [{"match": "*", "path": "*"}]}])
    assert [item["name"] for item in secrets] == ["prod/api", "prod/db"]
    assert secrets[1]["target_status"] == "unmapped" and secrets[1]["scaivault_path"] is None
    assert asm.listings == [([{"Key": "name", "Values": ["prod/db", "prod/api", "x/"]}], False)]


@pytest.mark.parametrize("group, name, selected", [
    ({}, "any/thing", True), ({"names": ["a/b"]}, "a/b", True), ({"names": ["a/b"]}, "a/bc", False),
    ({"prefixes": ["a/"]}, "a/bc", True), ({"prefixes": ["a/"], "names": ["x"]}, "b/a", False),
    ({"names": [], "prefixes": None}, "b/a", True),
])
def test_which_names_a_namespace_selects(group, name, selected):
    assert run._selects(group, name) is selected  # pylint: disable=protected-access


def migrated(vault, path, name, region="us-east-1", value_format="json", system="aws-secrets-manager"):
    source = {"system": system, "region": region, "arn": arn(name), "name": name, "version_id": "v1",
              "format": value_format}
    vault.put(path, {"k": "v"}, metadata={"source": source})


def test_catalog_from_scaivault_reads_the_recorded_source(inprocess_vault):
    migrated(inprocess_vault, "apps/prod/db", "prod/db")
    migrated(inprocess_vault, "apps/prod/api", "prod/api", value_format="plain")
    migrated(inprocess_vault, "apps/prod/eu", "prod/eu", region="eu-west-1")
    migrated(inprocess_vault, "apps/prod/other", "prod/other", system="vault")
    inprocess_vault.put("apps/prod/hand", {"k": "v"})
    client = inprocess_vault.client(retries=0)
    secrets, foreign = run.catalog_from_scaivault(client, ["apps/prod/", "apps/"], region="us-east-1")
    assert secrets == [secret("prod/api", "apps/prod/api", value_format="plain"),
                       secret("prod/db", "apps/prod/db", value_format="json")]
    assert foreign == ["apps/prod/hand", "apps/prod/other"]
    secrets, _foreign = run.catalog_from_scaivault(client, ["apps/"])
    assert [(item["name"], item["region"]) for item in secrets] == [
        ("prod/api", "us-east-1"), ("prod/db", "us-east-1"), ("prod/eu", "eu-west-1")]


def test_add_formats_marks_what_was_migrated_and_its_recorded_format(inprocess_vault):
    migrated(inprocess_vault, "apps/prod/db", "prod/db", value_format="binary")
    migrated(inprocess_vault, "apps/prod/api", "someone/else", value_format="plain")
    secrets = [secret("prod/db", "apps/prod/db"), secret("prod/api", "apps/prod/api"), secret("prod/new", "apps/prod/new"),
               secret("prod/unmapped", None, status="unmapped")]
    run.add_formats(inprocess_vault.client(retries=0), secrets)
    assert [(item["name"], item.get("migrated"), item["format"]) for item in secrets] == [
        ("prod/db", True, "binary"), ("prod/api", True, None), ("prod/new", False, None), ("prod/unmapped", None, None)]
    del inprocess_vault.sent[:]
    run.add_formats(inprocess_vault.client(retries=0), [secret("prod/unmapped", None, status="unmapped")])
    assert inprocess_vault.sent == []


def test_add_formats_raises_a_target_error_that_is_not_not_found(inprocess_vault):
    migrated(inprocess_vault, "apps/prod/db", "prod/db")
    inprocess_vault.faults([{"kind": "path_error", "batch_path_regex": "^apps/prod/db$", "code": "access_denied"}])
    with pytest.raises(ScaiVaultError) as info:
        run.add_formats(inprocess_vault.client(retries=0), [secret("prod/db", "apps/prod/db")])
    assert info.value.path == "apps/prod/db" and info.value.code == "access_denied"


def test_the_catalog_finds_each_secret_by_name_and_arn():
    catalog = run.build_catalog([secret("prod/db", "apps/prod/db", value_format="json"), secret("prod/x", None)])
    assert [tuple(entry) for entry in catalog.entries] == [
        ("prod/db", arn("prod/db"), "us-east-1", "123456789012", "apps/prod/db", "json"),
        ("prod/x", arn("prod/x"), "us-east-1", "123456789012", None, None)]


def test_the_asm_listing_of_names_in_a_region():
    asm = FakeAsm(ESTATE.secrets)
    assert run.asm_listing(asm, "us-east-1", []) == {} and asm.calls == {}
    listing = run.asm_listing(asm, "us-east-1", ["prod/db", "prod/db", "stage/db", "gone"])
    assert sorted(listing) == ["prod/db", "stage/db"] and listing["prod/db"]["ARN"] == arn("prod/db")
    assert asm.listings == [([{"Key": "name", "Values": ["gone", "prod/db", "stage/db"]}], False)]


SCAN = {"hits": [
    {"file": "roles/app/tasks/main.yml", "line": 12, "kind": "ansible_lookup", "file_type": "yaml", "form": "name",
     "asm_name": "prod/db", "region": "us-east-1", "scaivault_path": "apps/prod/db", "patch": "suggested", "patch_note": None},
    {"file": "app.py", "line": 3, "kind": "plain", "file_type": "python", "form": "arn", "asm_name": "prod/db",
     "region": "us-east-1", "scaivault_path": "apps/prod/db", "patch": "manual", "patch_note": "edit by hand | twice"},
    {"file": "deploy.sh", "line": 7, "kind": "plain", "file_type": "shell", "form": "name", "asm_name": "prod/api",
     "region": "us-east-1", "scaivault_path": None}],
    "files_scanned": 9, "bytes_scanned": 4096, "files_with_references": 3, "excluded": 4, "seconds": 0.25,
    "skipped": [{"file": "big.bin", "reason": "binary", "size": 10}, {"file": "huge.log", "reason": "too_large"}]}
SECRETS = [
    {"name": "prod/api", "region": "us-east-1", "scaivault_path": "apps/prod/api", "references": 1,
     "cutover": {"status": "in_transition", "reasons": ["1 reference(s) left", "reads of the new path"]}},
    {"name": "prod/db", "region": "us-east-1", "scaivault_path": "apps/prod/db", "references": 2,
     "cutover": {"status": "moved", "reasons": []}},
    {"name": "prod/x", "region": None, "scaivault_path": None}]
REPORT_MARKDOWN = """# References to migrated ASM secrets: us-east-1

|  | count |
|---|---|
| secrets looked for | 3 |
| secrets referenced | 2 |
| references | 3 |
| files scanned | 9 |
| files with references | 3 |
| files skipped | 2 |
| patch: suggested / by hand | 1 / 1 |
| cutover in transition | 1 |
| cutover moved | 1 |
| cutover not started | 0 |
| cutover unknown | 2 |

## Kinds

| kind | references |
|---|---|
| ansible_lookup | 1 |
| plain | 2 |

## Secrets

| ASM name | region | ScaiVault path | references | cutover | evidence |
|---|---|---|---|---|---|
| prod/api | us-east-1 | apps/prod/api | 1 | in transition | 1 reference(s) left; reads of the new path |
| prod/db | us-east-1 | apps/prod/db | 2 | moved |  |
| prod/x |  |  | 0 |  |  |

## References

| file:line | kind | form | ASM name | ScaiVault path | patch | note |
|---|---|---|---|---|---|---|
| roles/app/tasks/main.yml:12 | ansible_lookup | name | prod/db | apps/prod/db | suggested |  |
| app.py:3 | plain (python) | arn | prod/db | apps/prod/db | manual | edit by hand \\| twice |
| deploy.sh:7 | plain (shell) | name | prod/api |  |  |  |

## Skipped files

| file | reason | bytes |
|---|---|---|
| big.bin | binary | 10 |
| huge.log | too_large |  |
"""


def test_the_summary_counts_every_part_of_a_scan():
    assert run.summarize(SECRETS, SCAN, diffs_written=1) == {
        "secrets": 3, "referenced_secrets": 2, "references": 3, "by_kind": {"ansible_lookup": 1, "plain": 2},
        "files_scanned": 9, "bytes_scanned": 4096, "files_with_references": 3, "files_skipped": 2, "files_excluded": 4,
        "patch_suggested": 1, "patch_manual": 1, "patched_files": 1, "scan_seconds": 0.25}
    assert run.summarize([], None) == {
        "secrets": 0, "referenced_secrets": 0, "references": 0, "by_kind": {}, "files_scanned": 0, "bytes_scanned": 0,
        "files_with_references": 0, "files_skipped": 0, "files_excluded": 0, "patch_suggested": 0, "patch_manual": 0,
        "patched_files": 0, "scan_seconds": 0.0}


def test_the_markdown_report_word_for_word():
    summary = dict(run.summarize(SECRETS, SCAN, diffs_written=1),
                   cutover={"not_started": 0, "in_transition": 1, "moved": 1, "unknown": 2})
    report = {"region": "us-east-1", "summary": summary, "secrets": SECRETS, "references": SCAN["hits"],
              "skipped_files": SCAN["skipped"]}
    assert run.references_markdown(report) == REPORT_MARKDOWN
    empty = run.references_markdown({})
    assert empty.startswith("# References to migrated ASM secrets\n\n|  | count |\n|---|---|\n| secrets looked for | 0 |")
    assert "## Kinds" not in empty and "## Skipped files" not in empty and "| patch: suggested / by hand | 0 / 0 |" in empty


def test_the_walk_lists_each_skipped_file_and_counts_each_excluded_one(tmp_path, monkeypatch):
    root = tmp_path / "tree"
    write(root, "a/0-first.py", NAME)
    write(root, "a/1-binary.bin", b"\0" + NAME.encode())
    write(root, "a/2-exact.txt", "y" * (100 - len(NAME)) + NAME)  # exactly max_size: scanned
    write(root, "a/3-large.txt", "z" * 101)
    write(root, "a/4-after.py", NAME)
    for name in ("x.min.js", "y.min.js"):
        write(root, "b/" + name, NAME)
    write(root, "b/z.py", NAME)
    write(root, "node_modules/lib.js", NAME)
    write(root, "vendor/lib.py", NAME)
    os.symlink(str(root / "gone"), str(root / "a" / "5-dangling.py"))
    os.symlink(str(root / "b"), str(root / "c"))
    walk, skipped, state = run.walk_files([str(root)], run.Globs(None, ["**/*.min.js", "node_modules/**", "vendor"]), 100)
    assert [(relative, size) for _root, relative, _absolute, size in walk] == [
        ("a/0-first.py", len(NAME)), ("a/1-binary.bin", len(NAME) + 1), ("a/2-exact.txt", 100), ("a/4-after.py", len(NAME)),
        ("b/z.py", len(NAME))]  # binary files are found out when read (scan_trees)
    assert skipped == [{"file": str(root / "c"), "reason": "symlink", "size": None},
                       {"file": str(root / "a/3-large.txt"), "reason": "too_large", "size": 101},
                       {"file": str(root / "a/5-dangling.py"), "reason": "symlink", "size": None}]
    assert state == {"excluded": 4}
    monkeypatch.chdir(str(root))
    walk, skipped, _state = run.walk_files([".", "./a/../b"], run.Globs(None, None), 100)
    walked = [relative for _root, relative, _absolute, _size in walk]
    assert walked[-4:] == ["b/y.min.js", "b/z.py", "node_modules/lib.js", "vendor/lib.py"]
    assert skipped[0] == {"file": "c", "reason": "symlink", "size": None}
    with pytest.raises(run.ReferenceScanError) as info:
        list(run.walk_files([str(root / "a/0-first.py")], run.Globs(None, None), 100)[0])
    assert str(info.value) == ("roots: %s is not a directory; give the top directory of a repository or deployment "
                               "tree" % (root / "a/0-first.py"))


def test_a_scan_without_patching_reports_exactly_what_it_found(tmp_path):
    write(tmp_path, "x/a.bin", b"\0" + NAME.encode())
    lookup = "x: \"{{ lookup('amazon.aws.aws_secret', '%s') }}\"\n" % NAME
    write(tmp_path, "x/b.yml", lookup)
    write(tmp_path, "x/c.py", "A = '%s'\n" % NAME)
    write(tmp_path, "x/d.txt", NAME)
    scan = run.scan_trees(CATALOG, [str(tmp_path) + "/"], include=["**/*.yml", "**/*.py", "**/*.bin"])
    assert scan.pop("seconds") >= 0
    common = {"asm_name": NAME, "form": "name", "line": 1, "match": NAME, "region": "us-east-1", "root": str(tmp_path),
              "scaivault_path": "environments/production/billing/stripe"}
    assert scan == {
        "bytes_scanned": len(lookup) + len("A = '%s'\n" % NAME), "diffs": [], "excluded": 1, "files_scanned": 2,
        "files_with_references": 2, "patch_base": str(tmp_path), "skipped": [
            {"file": str(tmp_path / "x/a.bin"), "reason": "binary", "size": len(NAME) + 1}],
        "hits": [dict(common, column=41, details={"plugin": "amazon.aws.aws_secret"}, file=str(tmp_path / "x/b.yml"),
                      file_type="yaml", kind="ansible_lookup", relative="x/b.yml"),
                 dict(common, column=6, details={}, file=str(tmp_path / "x/c.py"), file_type="python", kind="plain",
                      relative="x/c.py")]}


def test_evidence_from_the_dev_server_in_the_window_without_the_callers_and_excluded_reads(inprocess_vault):
    import datetime  # pylint: disable=import-outside-toplevel

    utc = datetime.timezone.utc
    dev = "user:dev@scaivault.local"
    for path, count in (("apps/a", 2), ("apps/b", 1)):
        inprocess_vault.put(path, {"k": "v"})
        for _read in range(count):
            inprocess_vault.http.get("/v1/secrets/" + path)
    client = inprocess_vault.client_as("sa:migrator", scopes=("audit:read", "federation:read"), retries=0)
    secrets = [{"name": "prod/a", "region": None, "scaivault_path": "apps/a"},
               {"name": "prod/b", "region": "eu-west-1", "scaivault_path": "apps/b"},
               {"name": "prod/c", "region": "us-east-1", "scaivault_path": None}]
    day = datetime.datetime(2026, 1, 10, tzinfo=utc)
    listing = {"prod/a": {"LastAccessedDate": day}, "prod/b": {"LastAccessedDate": day}, "prod/c": {}}
    now = datetime.datetime.now(utc)
    found, meta = run.gather_evidence(client, secrets, listing, now - datetime.timedelta(hours=1), None,
                                      region="us-east-1")
    assert meta == {"identity": "sa:migrator", "excluded_identities": ["sa:migrator"], "audit_queries": 1}
    last = found[("prod/a", None)].pop("new_path_last_read")
    assert last.startswith(now.strftime("%Y-%m-%d"))
    assert found == {
        ("prod/a", None): {"new_path_reads": 2, "new_path_readers": [dev], "federated": [], "federated_reads": 0,
                           "asm_last_accessed": "2026-01-10T00:00:00Z", "asm_accessed_in_window": False},
        ("prod/b", "eu-west-1"): {"new_path_reads": 1, "new_path_readers": [dev], "new_path_last_read":
                                  found[("prod/b", "eu-west-1")]["new_path_last_read"], "federated": [],
                                  "federated_reads": 0, "asm_last_accessed": None, "asm_accessed_in_window": False},
        ("prod/c", "us-east-1"): {"new_path_reads": 0, "new_path_readers": [], "new_path_last_read": None, "federated": [],
                                  "federated_reads": 0, "asm_last_accessed": None, "asm_accessed_in_window": False}}
    found, meta = run.gather_evidence(client, secrets, listing, None, None, exclude_identities=[dev], region="us-east-1")
    assert meta["excluded_identities"] == ["sa:migrator", dev]
    assert found[("prod/a", None)]["new_path_reads"] == 0 and found[("prod/a", None)]["asm_accessed_in_window"] is True
    found, _meta = run.gather_evidence(client, secrets, listing, now - datetime.timedelta(hours=3),
                                       now - datetime.timedelta(hours=2), region="us-east-1")
    assert [entry["new_path_reads"] for entry in found.values()] == [0, 0, 0]
    _found, meta = run.gather_evidence(client, secrets[2:], listing, None, None, region="us-east-1")
    assert meta["audit_queries"] == 0


def test_a_file_that_cannot_be_read_is_listed_unreadable_and_the_scan_goes_on(tmp_path, monkeypatch):
    """A socket in the tree cannot be opened (ENXIO, as root too); a file whose size cannot be read (gone between
    the listing and the stat) is skipped the same way: each named, the files after it still scanned."""
    write(tmp_path, "a/0.py", NAME)
    write(tmp_path, "a/2.py", NAME)
    write(tmp_path, "a/3-gone.py", NAME)
    write(tmp_path, "a/4.py", NAME)
    listening = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        listening.bind(str(tmp_path / "a" / "1.sock"))
        real_getsize = os.path.getsize

        def getsize(path):
            if path.endswith("3-gone.py"):
                raise FileNotFoundError(path)
            return real_getsize(path)

        monkeypatch.setattr(run.os.path, "getsize", getsize)
        scan = run.scan_trees(CATALOG, [str(tmp_path)])
    finally:
        listening.close()
    assert sorted(scan["skipped"], key=lambda item: item["file"]) == [
        {"file": str(tmp_path / "a/1.sock"), "reason": "unreadable", "size": None},
        {"file": str(tmp_path / "a/3-gone.py"), "reason": "unreadable", "size": None}]
    assert [hit["relative"] for hit in scan["hits"]] == ["a/0.py", "a/2.py", "a/4.py"]
