# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Where consumers still name migrated ASM secrets (runbook step 6), as pure functions on text.

  Catalog            the migrated secrets: ASM name, ARN, region, ScaiVault path, value format
  scan_text()        every reference in one file's text: line, column, the ASM secret, the kind
  suggest_patch()    the file with its Ansible lookups and tasks moved to ScaiVault (never applied here)
  unified_diff()     that change as a unified diff (git apply / patch -p1)
  cutover_status()   not_started / in_transition / moved from the evidence of one secret
  file globs         which files of a tree are scanned

A reference is a literal name or ARN, matched whole: a name never matches inside a longer name
(prod/billing/stripe is not found in prod/billing/stripe-old), and an ARN is resolved as a whole
(full with the random suffix, or partial without). Its kind comes from the context around it:
  ansible_lookup                amazon.aws.aws_secret / amazon.aws.secretsmanager_secret lookups
  ansible_task                  community.aws / amazon.aws secretsmanager_secret tasks
  boto3_get_secret_value        get_secret_value(...) calls in Python (boto3, botocore)
  boto3_batch_get_secret_value  batch_get_secret_value(...) calls in Python
  aws_cli                       --secret-id / --secret-id-list arguments of the AWS CLI
  terraform_data_source         data "aws_secretsmanager_secret..." blocks
  terraform_resource            resource "aws_secretsmanager_secret..." blocks
  external_secret               Kubernetes ExternalSecret remoteRef.key / dataFrom extract.key
  plain                         any other literal mention (JSON, YAML, INI, env files, code, text)

Nothing here reads files or secret values: the text is given, the hits carry names, ARNs, paths
and positions only (never the text of a line, which may hold anything).

Private to this collection: no API promise.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import bisect
import difflib
import fnmatch
import posixpath
import re
from collections import namedtuple

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.errors import PlanError

# -- kinds and forms ---------------------------------------------------------------------------------
KIND_LOOKUP = "ansible_lookup"
KIND_TASK = "ansible_task"
KIND_BOTO3_GET = "boto3_get_secret_value"
KIND_BOTO3_BATCH = "boto3_batch_get_secret_value"
KIND_CLI = "aws_cli"
KIND_TF_DATA = "terraform_data_source"
KIND_TF_RESOURCE = "terraform_resource"
KIND_EXTERNAL_SECRET = "external_secret"
KIND_PLAIN = "plain"
KINDS = (KIND_LOOKUP, KIND_TASK, KIND_BOTO3_GET, KIND_BOTO3_BATCH, KIND_CLI, KIND_TF_DATA, KIND_TF_RESOURCE,
         KIND_EXTERNAL_SECRET, KIND_PLAIN)
PATCHABLE_KINDS = (KIND_LOOKUP, KIND_TASK)

FORM_NAME = "name"
FORM_ARN_FULL = "arn_full"
FORM_ARN_PARTIAL = "arn_partial"

PATCH_SUGGESTED = "suggested"
PATCH_MANUAL = "manual"

STATUS_NOT_STARTED = "not_started"
STATUS_IN_TRANSITION = "in_transition"
STATUS_MOVED = "moved"
STATUSES = (STATUS_NOT_STARTED, STATUS_IN_TRANSITION, STATUS_MOVED)

LOOKUP_PLUGIN = "scailabs.scaivault.secret"
SECRET_MODULE = "scailabs.scaivault.scaivault_secret"

# A name is matched whole: not preceded by a name character ('=' aside: KEY=prod/x, --secret-id=prod/x), not
# followed by one ('.' only at the end of a sentence). AWS names are letters, digits and /_+=.@-.
_NAME_BEFORE = r"(?<![A-Za-z0-9/_+.@-])"
_NAME_AFTER = r"(?![A-Za-z0-9/_+=@-])(?!\.[A-Za-z0-9/_+=@-])"
_ARN_RE = re.compile(r"arn:(?P<partition>aws[a-z-]*):secretsmanager:(?P<region>[a-z0-9-]*):(?P<account>[0-9]*):"
                     r"secret:(?P<resource>[A-Za-z0-9/_+=.@-]+)")
_ARN_SUFFIX_RE = re.compile(r"^(?P<name>.+)-[A-Za-z0-9]{6}$")


class ScanOptionError(PlanError):
    """Bad scan options (a glob, a size); the message names the option and the fix."""


CatalogEntry = namedtuple("CatalogEntry", ["name", "arn", "region", "account", "path", "format"])


def catalog_entry(name, arn=None, region=None, account=None, path=None, value_format=None):
    """One migrated secret; region and account are read from the ARN when not given."""
    if arn and (not region or not account):
        found = _ARN_RE.match(arn)
        if found:
            region = region or found.group("region") or None
            account = account or found.group("account") or None
    return CatalogEntry(name, arn or None, region or None, account or None, path or None, value_format or None)


class Catalog:
    """The migrated secrets a scan looks for, by name and by ARN."""

    def __init__(self, entries):
        self.entries = []
        self.by_name = {}
        self.by_arn = {}
        self._names_regex = None
        seen = set()
        for entry in entries:
            key = (entry.name, entry.region, entry.arn)
            if not entry.name or key in seen:
                continue
            seen.add(key)
            self.entries.append(entry)
            self.by_name.setdefault(entry.name, []).append(entry)
            if entry.arn:
                self.by_arn[entry.arn] = entry

    def __len__(self):
        return len(self.entries)

    @property
    def names_regex(self):
        """One regex for every name, shaped as a trie (longest name first), with the whole-name boundaries."""
        if self._names_regex is None:
            body = _trie_pattern(self.by_name) if self.by_name else "(?!)"
            self._names_regex = re.compile(_NAME_BEFORE + "(?:" + body + ")" + _NAME_AFTER)
        return self._names_regex

    def named(self, name, region=None, account=None):
        """The entries of a name, narrowed to a region/account when those are known on both sides."""
        return [entry for entry in self.by_name.get(name, [])
                if (not region or not entry.region or entry.region == region)
                and (not account or not entry.account or entry.account == account)]


def _trie_pattern(words):
    """A regex alternation of words as a trie: shared prefixes once, a longer word tried before its prefix."""
    trie = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def render(node):
        branches = [re.escape(char) + render(child) for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return "(?:" + body + ")?" if "" in node else body

    return render(trie)


# -- finding names and ARNs ---------------------------------------------------------------------------
Match = namedtuple("Match", ["start", "end", "entry", "form", "text"])


def _resolve_arn(found, catalog):
    """[(entry, form)] for one ARN match, or [].

    A full ARN is the catalog's ARN exactly. Without a listed ARN, NAME-XXXXXX is taken as NAME with
    AWS's random suffix; with one, another suffix is not this secret (an earlier secret of that
    name, or the partial ARN of another name) and is not matched.
    """
    resource = found.group("resource")
    arn = found.group(0)
    region, account = found.group("region") or None, found.group("account") or None
    entry = catalog.by_arn.get(arn)
    if entry is not None:
        return [(entry, FORM_ARN_FULL)]
    entries = catalog.named(resource, region, account)
    if entries:
        return [(item, FORM_ARN_PARTIAL) for item in entries]
    suffixed = _ARN_SUFFIX_RE.match(resource)
    if suffixed:
        return [(item, FORM_ARN_FULL) for item in catalog.named(suffixed.group("name"), region, account)
                if not item.arn]
    return []


def find_references(text, catalog):
    """Every whole name or ARN of the catalog in text: [Match], in text order."""
    matches = []
    taken = []
    for found in _ARN_RE.finditer(text):
        start = found.start()
        resolved = _resolve_arn(found, catalog)
        if not resolved:
            # Trailing dots belong to the sentence, not to the ARN.
            trimmed = found.group(0).rstrip(".")
            if trimmed != found.group(0):
                again = _ARN_RE.match(trimmed)
                if again:
                    resolved = _resolve_arn(again, catalog)
                    if resolved:
                        found = again
        end = start + len(found.group(0))
        taken.append((start, end))
        for entry, form in resolved:
            matches.append(Match(start, end, entry, form, found.group(0)))
    spans = sorted(taken)
    for found in catalog.names_regex.finditer(text):
        start = found.start()
        if spans and _inside(spans, start):
            continue  # part of an ARN, matched above
        for entry in catalog.named(found.group(0)):
            matches.append(Match(start, found.end(), entry, FORM_NAME, found.group(0)))
    matches.sort(key=lambda match: (match.start, match.entry.name, match.entry.region or ""))
    return matches


def _inside(spans, offset):
    """Whether offset falls inside one of the sorted (start, end) spans."""
    index = bisect.bisect_right(spans, (offset, float("inf"))) - 1
    return index >= 0 and spans[index][0] <= offset < spans[index][1]


# -- file types and globs ----------------------------------------------------------------------------
_TYPES = (
    ("yaml", (".yml", ".yaml", ".yml.j2", ".yaml.j2")),
    ("json", (".json", ".json.j2")),
    ("python", (".py", ".pyw")),
    ("terraform", (".tf", ".tfvars", ".hcl")),
    ("ini", (".ini", ".cfg", ".conf", ".toml", ".properties")),
    ("shell", (".sh", ".bash", ".zsh", ".ksh", ".ps1", ".mk")),
    ("template", (".j2", ".jinja", ".jinja2", ".tpl")),
)
_SHELL_NAMES = ("makefile", "dockerfile", "containerfile", "jenkinsfile", "procfile")


def file_type(relative):
    """yaml, json, python, terraform, ini, env, shell, template or text, from a file's name."""
    base = posixpath.basename(relative).lower()
    if base == ".env" or base.startswith(".env.") or base.endswith(".env"):
        return "env"
    for kind, endings in _TYPES:
        if base.endswith(endings):
            return kind
    if base in _SHELL_NAMES or base.startswith("dockerfile."):
        return "shell"
    return "text"


def _segment_regex(segment):
    """One glob segment as a regex that stays inside the segment: * ? [abc] [!abc]."""
    out = []
    index = 0
    while index < len(segment):
        char = segment[index]
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[" and segment.find("]", index + 2) != -1:
            close = segment.find("]", index + 2)
            body = segment[index + 1:close]
            if body[:1] in ("!", "^"):
                body = "^" + body[1:]
            out.append("[" + body.replace("\\", "\\\\") + "]")
            index = close
        else:
            out.append(re.escape(char))
        index += 1
    return "".join(out)


def _glob_to_regex(pattern):
    """A gitignore-like glob as a regex on '/'-separated relative paths (a directory match covers its files).

    '*' and '?' never cross '/', '**' is any number of whole segments, [abc] and [!abc] are classes.
    A pattern without '/' matches a file or directory name at any depth; with '/' it is anchored at
    the root of the tree.
    """
    anchored = "/" in pattern.strip("/")
    segments = [segment for segment in pattern.strip("/").split("/") if segment]
    if not segments:
        raise ScanOptionError("glob %r is empty" % pattern)
    parts = []
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == "**":
            parts.append(".*" if last else "(?:[^/]+/)*")
            continue
        if "**" in segment:
            raise ScanOptionError("glob %r: '**' must be a whole segment (for example 'docs/**/*.md')" % pattern)
        parts.append(_segment_regex(segment) + ("" if last else "/"))
    prefix = "" if anchored else "(?:.*/)?"
    return re.compile("^" + prefix + "".join(parts) + "(?:/.*)?$", re.DOTALL)


class Globs:
    """include/exclude globs of a scan; absolute patterns are matched against absolute paths."""

    def __init__(self, include=None, exclude=None):
        self.include = [self._compile(pattern, "include") for pattern in include or []]
        self.exclude = [self._compile(pattern, "exclude") for pattern in exclude or []]

    @staticmethod
    def _compile(pattern, option):
        if not isinstance(pattern, str) or not pattern.strip():
            raise ScanOptionError("%s: every entry must be a non-empty glob, got %r" % (option, pattern))
        if pattern.startswith("/"):
            return ("absolute", pattern.rstrip("/") or "/", None)
        try:
            return ("relative", pattern, _glob_to_regex(pattern))
        except re.error as exc:
            raise ScanOptionError("%s: glob %r is not valid (%s)" % (option, pattern, exc))

    @staticmethod
    def _matches(compiled, relative, absolute):
        kind, pattern, regex = compiled
        if kind == "absolute":
            # absolute: one path, or its spellings (the root as given and with its symbolic links resolved)
            return any(path == pattern or path.startswith(pattern + "/") or fnmatch.fnmatchcase(path, pattern)
                       for path in ((absolute,) if isinstance(absolute, str) else absolute))
        return regex.match(relative) is not None

    def excluded(self, relative, absolute):
        """A file or directory left out by an exclude glob."""
        return any(self._matches(item, relative, absolute) for item in self.exclude)

    def included(self, relative, absolute):
        """A file taken by the include globs (no include globs: every file)."""
        return not self.include or any(self._matches(item, relative, absolute) for item in self.include)


_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b?)\s*$", re.IGNORECASE)
_SIZE_UNITS = {"": 1, "k": 1024, "m": 1024 ** 2, "g": 1024 ** 3, "t": 1024 ** 4}


def parse_size(value, option="max_file_size"):
    """Bytes of '2M', '512k', '1.5MiB', '1000' or an int (binary multiples)."""
    if isinstance(value, int) and not isinstance(value, bool):
        size = value
    else:
        found = _SIZE_RE.match(str(value))
        if not found:
            raise ScanOptionError("%s: %r is not a size (for example 2M, 512k or 1048576)" % (option, value))
        size = int(float(found.group(1)) * _SIZE_UNITS[found.group(2).lower()])
    if size < 1:
        raise ScanOptionError("%s must be at least 1 byte, got %r" % (option, value))
    return size


# -- context: what kind of reference a match is ----------------------------------------------------------
_LOOKUP_RE = re.compile(r"\b(?P<call>lookup|query|q)\(\s*(?P<q>['\"])(?P<plugin>(?:amazon\.aws\.)?"
                        r"(?:aws_secret|secretsmanager_secret))(?P=q)")
_PY_CALL_RE = re.compile(r"\b(?P<method>batch_get_secret_value|get_secret_value)\s*\(")
_TF_BLOCK_RE = re.compile(r"^[ \t]*(?P<block>data|resource)[ \t]+\"(?P<type>aws_secretsmanager_[a-z_]+)\"[ \t]+"
                          r"\"[^\"\n]*\"[ \t]*\{", re.MULTILINE)
_CLI_OPTION_RE = re.compile(r"--secret-id(?P<list>-list)?\b")
# A key ends with ':' and a blank, the end of the line, or the \r of a CRLF line end.
_YAML_KEY_RE = re.compile(r"^(?P<indent>[ \t]*)(?P<dash>-[ \t]+)?(?P<key>[A-Za-z0-9_.\-/]+)[ \t]*:(?:[ \t\r]|$)")
_K8S_KIND_RE = re.compile(r"^kind:[ \t]*['\"]?(?:Cluster)?ExternalSecret['\"]?[ \t\r]*$", re.MULTILINE)
SECRETSMANAGER_TASK_MODULES = ("community.aws.secretsmanager_secret", "amazon.aws.secretsmanager_secret",
                               "secretsmanager_secret", "community.aws.aws_secret", "aws_secret")


def _unquoted(text, start=0, end=None):
    """(index, char) of every character of text[start:end] outside '...' and "..." literals."""
    end = len(text) if end is None else min(end, len(text))
    quote = None
    index = start
    while index < end:
        char = text[index]
        if quote:
            if char == "\\":
                index += 1
            elif char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        else:
            yield index, char
        index += 1


def _closing(text, start, opening="(", closing=")", limit=20000):
    """Index just past the bracket that closes text[start] (an opening one), quotes respected; None if open."""
    depth = 0
    for index, char in _unquoted(text, start, start + limit):
        if char == opening:
            depth += 1
        elif char == closing:
            depth -= 1
            if depth == 0:
                return index + 1
    return None


class TextContext:
    """One file's text with what the classifiers need: line starts and the spans of known constructs."""

    def __init__(self, text, kind_of_file):
        self.text = text
        self.file_type = kind_of_file
        self.line_starts = [0] + [match.end() for match in re.finditer(r"\n", text)]
        self._lines = None
        self.lookups = self._lookup_calls()
        self.python_calls = self._spans(_PY_CALL_RE, "method") if kind_of_file == "python" else []
        self.terraform = self._terraform_blocks() if kind_of_file == "terraform" else []

    @property
    def lines(self):
        if self._lines is None:
            self._lines = self.text.split("\n")
        return self._lines

    def position(self, offset):
        """(line number from 1, column from 1) of an offset."""
        line = bisect.bisect_right(self.line_starts, offset) - 1
        return line + 1, offset - self.line_starts[line] + 1

    def _lookup_calls(self):
        calls = []
        for found in _LOOKUP_RE.finditer(self.text):
            paren = self.text.index("(", found.start())
            end = _closing(self.text, paren)
            if end is not None:
                calls.append({"start": found.start(), "end": end, "paren": paren, "call": found.group("call"),
                              "plugin": found.group("plugin"), "quote": found.group("q")})
        return calls

    def _spans(self, regex, group):
        spans = []
        for found in regex.finditer(self.text):
            end = _closing(self.text, found.end() - 1)
            if end is not None:
                spans.append((found.start(), end, found.group(group)))
        return spans

    def _terraform_blocks(self):
        blocks = []
        for found in _TF_BLOCK_RE.finditer(self.text):
            end = _closing(self.text, found.end() - 1, "{", "}", limit=200000)
            if end is not None:
                blocks.append((found.start(), end, found.group("block"), found.group("type")))
        return blocks

    # -- classifiers ------------------------------------------------------------------------------
    def classify(self, match):
        """(kind, details) of one match."""
        for call in self.lookups:
            if call["paren"] < match.start < call["end"]:
                return KIND_LOOKUP, {"plugin": call["plugin"]}
        cli = self._cli(match)
        if cli:
            return KIND_CLI, cli
        for start, end, method in self.python_calls:
            if start < match.start < end:
                return (KIND_BOTO3_BATCH if method.startswith("batch") else KIND_BOTO3_GET), {"call": method}
        for start, end, block, tf_type in self.terraform:
            if start < match.start < end:
                return (KIND_TF_DATA if block == "data" else KIND_TF_RESOURCE), {"terraform_type": tf_type}
        if self.file_type in ("yaml", "template"):
            line_number, _column = self.position(match.start)
            external = self._external_secret(line_number - 1)
            if external is not None:
                return KIND_EXTERNAL_SECRET, external
            task = self._task(line_number - 1)
            if task is not None:
                return KIND_TASK, task
        return KIND_PLAIN, {}

    def _logical_line_before(self, offset):
        """The text of the command line up to offset, joining backslash-continued lines."""
        line_index = bisect.bisect_right(self.line_starts, offset) - 1
        start = self.line_starts[line_index]
        while line_index > 0:
            previous = self.text[self.line_starts[line_index - 1]:self.line_starts[line_index]].rstrip("\r\n")
            if not previous.endswith("\\"):
                break
            line_index -= 1
            start = self.line_starts[line_index]
        return self.text[start:offset]

    def _cli(self, match):
        before = self._logical_line_before(match.start)
        options = list(_CLI_OPTION_RE.finditer(before))
        if not options:
            return None
        last = options[-1]
        between = before[last.end():]
        if last.group("list"):
            # --secret-id-list a b c: only other ids (no further option) between the option and this one.
            if re.match(r"^(?:[\s='\",\\]+|[^\s'\",\\-][^\s'\",\\]*)*$", between) is None:
                return None
        elif re.match(r"^(?:\s+|\s*=\s*)['\"]?$", between) is None:
            return None
        command = re.search(r"\bsecretsmanager\s+([a-z-]+)", before)
        return {"option": last.group(0), "command": command.group(1) if command else None}

    def _key_of_line(self, index):
        found = _YAML_KEY_RE.match(self.lines[index])
        if not found:
            return None, None
        indent = len(found.group("indent")) + len(found.group("dash") or "")
        return found.group("key"), indent

    def _indent(self, index):
        line = self.lines[index]
        stripped = line.lstrip(" \t")
        if not stripped or stripped.startswith("#"):
            return None
        indent = len(line) - len(stripped)
        dash = re.match(r"-[ \t]+", stripped)
        return indent + (dash.end() if dash else 0)

    def ancestors(self, index, limit=200):
        """[(line index, key)] of the YAML mapping keys enclosing line index, nearest first."""
        own = self._indent(index)
        if own is None:
            return []
        found = []
        current = own
        for above in range(index - 1, max(-1, index - limit), -1):
            key, indent = self._key_of_line(above)
            if key is None or indent >= current:
                continue
            found.append((above, key))
            current = indent
            if indent == 0:
                break
        return found

    def _document(self, index):
        """(first, last) line index of the YAML document holding line index."""
        first = index
        while first > 0 and not self.lines[first - 1].startswith("---"):
            first -= 1
        last = index
        while last + 1 < len(self.lines) and not self.lines[last + 1].startswith("---"):
            last += 1
        return first, last

    def _external_secret(self, index):
        key, _indent = self._key_of_line(index)
        if key != "key":
            return None
        parents = [name for _line, name in self.ancestors(index)]
        if not parents or parents[0] not in ("remoteRef", "extract"):
            return None
        first, last = self._document(index)
        document = "\n".join(self.lines[first:last + 1])
        if not _K8S_KIND_RE.search(document):
            return None
        store = None
        for position in range(first, last + 1):
            if self._key_of_line(position)[0] == "secretStoreRef":
                for inner in range(position + 1, min(last + 1, position + 6)):
                    named = re.match(r"^[ \t]+name:[ \t]*['\"]?([^'\"#\s]+)", self.lines[inner])
                    if named:
                        store = named.group(1)
                        break
                break
        return {"field": "%s.key" % parents[0], "secret_store": store}

    def _task(self, index):
        key, _indent = self._key_of_line(index)
        if key != "name":
            return None
        parents = self.ancestors(index)
        if parents and parents[0][1] in SECRETSMANAGER_TASK_MODULES:
            return {"module": parents[0][1], "module_line": parents[0][0] + 1}
        return None


# What Ansible takes as true for a boolean option (ansible.module_utils.parsing.convert_bool), quoted or not:
# nested='yes' turns the option on as nested=true does.
_TRUE_WORDS = ("y", "yes", "on", "1", "true", "t")


def _is_true(value):
    return value.strip().strip("'\"").strip().lower() in _TRUE_WORDS


def _nested_on(args):
    """Whether a lookup's keyword arguments (strings as written) turn nested on."""
    return any(_keyword(arg)[0] == "nested" and _is_true(_keyword(arg)[1]) for arg in args)


def _nested_terms(context, catalog, matches):
    """Matches of 'NAME.KEY' terms of amazon.aws lookups with nested=true (one key of a JSON secret)."""
    taken = set(match.start for match in matches)
    found = []
    for call in context.lookups:
        args = _split_args(context.text[call["paren"] + 1:call["end"] - 1])
        if not _nested_on(args[1:]):
            continue
        for arg in args[1:]:
            literal = _STRING_LITERAL_RE.match(arg)
            if not literal or "." not in literal.group("value"):
                continue
            # amazon.aws reads the secret named before the FIRST dot; the rest is the key path (key1.key2).
            name = literal.group("value").split(".", 1)[0]
            start = context.text.find(arg, call["paren"]) + 1
            if start in taken:
                continue
            for entry in catalog.named(name):
                found.append(Match(start, start + len(name), entry, FORM_NAME, name))
    return found


def scan_text(text, catalog, kind_of_file="text"):
    """Every reference in one file's text: [hit dict], by position. Hits never carry line text."""
    matches = find_references(text, catalog)
    nested = _LOOKUP_RE.search(text) is not None and "nested" in text
    if not matches and not nested:
        return []
    context = TextContext(text, kind_of_file)
    if nested:
        matches = sorted(matches + _nested_terms(context, catalog, matches),
                         key=lambda match: (match.start, match.entry.name, match.entry.region or ""))
    hits = []
    for match in matches:
        kind, details = context.classify(match)
        line, column = context.position(match.start)
        entry = match.entry
        hit = {"line": line, "column": column, "offset": match.start, "length": match.end - match.start,
               "kind": kind, "form": match.form, "match": match.text, "asm_name": entry.name,
               "region": entry.region, "scaivault_path": entry.path, "file_type": kind_of_file,
               "details": details}
        hits.append(hit)
    return hits


# -- suggested patch ---------------------------------------------------------------------------------------
# Keyword arguments of the amazon.aws lookups: kept, renamed to the ScaiVault lookup's AWS options (they
# configure its ASM fallback), or a reason to leave the call to a person.
_LOOKUP_AWS_KWARGS = {"region": "region", "aws_region": "region", "profile": "profile", "aws_profile": "profile",
                      "access_key": "access_key", "aws_access_key": "access_key", "aws_access_key_id": "access_key",
                      "secret_key": "secret_key", "aws_secret_key": "secret_key",
                      "aws_secret_access_key": "secret_key", "session_token": "session_token",
                      "aws_session_token": "session_token", "security_token": "session_token",
                      "aws_security_token": "session_token", "endpoint_url": "endpoint_url",
                      "aws_endpoint_url": "endpoint_url", "validate_certs": "aws_validate_certs",
                      "aws_ca_bundle": "aws_ca_bundle"}
_LOOKUP_KEPT_KWARGS = ("on_missing", "on_denied", "wantlist")
_LOOKUP_DROPPED_KWARGS = ("on_deleted", "nested")

_TASK_CONNECTION_KEYS = ("region", "aws_region", "ec2_region", "profile", "aws_profile", "access_key",
                         "aws_access_key", "aws_access_key_id", "ec2_access_key", "secret_key", "aws_secret_key",
                         "aws_secret_access_key", "ec2_secret_key", "session_token", "aws_session_token",
                         "security_token", "aws_security_token", "endpoint_url", "aws_endpoint_url", "ec2_url",
                         "validate_certs", "aws_ca_bundle", "aws_config", "debug_botocore_endpoint_logs",
                         "recovery_window")
_STRING_LITERAL_RE = re.compile(r"^(?P<q>['\"])(?P<value>[^'\"\\]*)(?P=q)$")


def _split_args(text):
    """Top-level comma-separated arguments of a call (quotes and brackets respected)."""
    args, depth, start = [], 0, 0
    for index, char in _unquoted(text):
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == "," and depth == 0:
            args.append(text[start:index].strip())
            start = index + 1
    tail = text[start:].strip()
    if tail:
        args.append(tail)
    return args


def _keyword(arg):
    found = re.match(r"^([A-Za-z_][A-Za-z0-9_]*)\s*=(?!=)\s*(.*)$", arg, re.DOTALL)
    return (found.group(1), found.group(2)) if found else (None, None)


def _format_field(entry):
    """(field or None, wrap in to_json, reason when the format does not allow a drop-in)."""
    if entry.format == "text":
        return "value", False, None
    if entry.format == "json":
        return None, True, None
    if entry.format == "binary":
        return None, False, ("binary secret: ScaiVault holds it base64-encoded (field value_base64); "
                             "decode it where it is used")
    return None, False, ("the value format is unknown (the ScaiVault target records none in metadata.source): "
                         "migrate the secret first, or read the target's metadata")


def lookup_edit(text, call, hits, catalog, fallback=True):
    """(replacement text, None) for one amazon.aws lookup call, or (None, reason) for a person to do."""
    inner = text[call["paren"] + 1:call["end"] - 1]
    args = _split_args(inner)
    quote = call["quote"]
    terms, kwargs = [], []
    for arg in args[1:]:
        name, value = _keyword(arg)
        if name is None:
            terms.append(arg)
        else:
            kwargs.append((name, value))
    if len(terms) != 1:
        return None, "the lookup names %d terms; one ScaiVault lookup per secret is suggested by hand" % len(terms)
    literal = _STRING_LITERAL_RE.match(terms[0])
    if not literal:
        return None, "the term is not a plain string literal (a variable or an expression)"
    term = literal.group("value")
    key = None
    if _nested_on(args[1:]) and "." in term:
        # As amazon.aws reads it: the secret before the first dot, the key path after it.
        term, key = term.split(".", 1)
        if "." in key:
            return None, ("the nested key path %s goes below the top level of the secret; the ScaiVault lookup's "
                          "field= takes one top-level key, so index the result by hand" % key)
    entry = _single_entry(term, hits, catalog)
    if entry is None:
        return None, "the term %r does not resolve to exactly one migrated secret" % term
    if not entry.path:
        return None, "%s has no ScaiVault path (not mapped)" % entry.name
    if key is None:
        field, to_json, problem = _format_field(entry)
        if problem:
            return None, problem
    else:
        field, to_json = key, False
    parts = ["%s%s%s" % (quote, LOOKUP_PLUGIN, quote), "%s%s%s" % (quote, entry.path, quote)]
    if field:
        parts.append("field=%s%s%s" % (quote, field, quote))
    aws = []
    for name, value in kwargs:
        if name in _LOOKUP_KEPT_KWARGS:
            parts.append("%s=%s" % (name, value))
        elif name in _LOOKUP_AWS_KWARGS:
            aws.append("%s=%s" % (_LOOKUP_AWS_KWARGS[name], value))
        elif name not in _LOOKUP_DROPPED_KWARGS:
            return None, "option %s= of %s has no ScaiVault counterpart" % (name, call["plugin"])
    if fallback:
        parts.append("asm_fallback=%s%s%s" % (quote, term, quote))
        parts.extend(aws)
    replacement = "%s(%s)" % (call["call"], ", ".join(parts))
    if to_json:
        replacement = "(%s | to_json)" % replacement
    return replacement, None


def _single_entry(term, hits, catalog):
    """The one catalog entry a lookup term names (a name, or an ARN the hits resolved), or None."""
    candidates = set()
    for hit in hits:
        if hit["match"] == term or (hit["form"] == FORM_NAME and hit["asm_name"] == term):
            candidates.add((hit["asm_name"], hit["region"]))
    entries = [entry for entry in catalog.entries if (entry.name, entry.region) in candidates]
    if len(entries) == 1:
        return entries[0]
    if not entries and term in catalog.by_name and len(catalog.by_name[term]) == 1:
        return catalog.by_name[term][0]
    return None


def _arg_blocks(lines, first, last):
    """[(key, first line, last line, inline value)] of the arguments of a task (lines first..last)."""
    blocks = []
    indent = None
    for index in range(first, last + 1):
        line = lines[index]
        stripped = line.lstrip(" \t")
        if not stripped or stripped.startswith("#"):
            continue
        own = len(line) - len(stripped)
        if indent is None:
            indent = own
        if own == indent:
            found = re.match(r"^([A-Za-z0-9_]+)[ \t]*:(?:[ \t]+(.*))?$", stripped.rstrip("\r"))
            if not found:
                return None, indent
            blocks.append([found.group(1), index, index, (found.group(2) or "").strip()])
        elif own > indent and blocks:
            blocks[-1][2] = index
        else:
            return None, indent
    return blocks, indent


def task_edit(context, task_line, entry):
    """(first line, last line, new lines) for one secretsmanager_secret task, or (None, None, reason)."""
    lines = context.lines
    module_index = task_line - 1
    key, module_indent = context._key_of_line(module_index)  # pylint: disable=protected-access
    head = re.match(r"^(.*?)([A-Za-z0-9_.]+)[ \t]*:[ \t]*(\S.*)?$", lines[module_index].rstrip("\r"))
    if head is None or head.group(3):
        return None, None, "the task's arguments are written inline (key=value); move it by hand"
    last = module_index
    for index in range(module_index + 1, len(lines)):
        stripped = lines[index].lstrip(" \t")
        if not stripped.strip() or stripped.startswith("#"):
            continue
        if len(lines[index]) - len(stripped) <= module_indent:
            break
        last = index
    while last > module_index and not lines[last].strip():
        last -= 1
    if last == module_index:
        return None, None, "the task has no arguments under %s" % key
    blocks, indent = _arg_blocks(lines, module_index + 1, last)
    if blocks is None:
        return None, None, "the task's arguments are not plain 'key: value' lines"
    pad = " " * indent
    step = " " * max(2, indent - module_indent)
    eol = "\r" if lines[module_index].endswith("\r") else ""
    out = [head.group(1) + SECRET_MODULE + ":" + eol]
    unknown = []
    secret_type = None
    for name, first, final, value in blocks:
        nested = lines[first + 1:final + 1]
        if name == "name":
            out.append("%spath: %s%s" % (pad, entry.path, eol))
        elif name == "state":
            out.append(lines[first])
        elif name == "secret":
            if nested or value[:1] in ("|", ">") or not value:
                return None, None, "the secret: value spans several lines; move it under data.value by hand"
            out.extend(["%sdata:%s" % (pad, eol), "%s%svalue: %s%s" % (pad, step, value, eol)])
        elif name == "json_secret":
            out.append("%sdata:%s%s" % (pad, (" " + value) if value else "", eol))
            out.extend(nested)
            secret_type = "json"
        elif name == "secret_type":
            if value.strip("'\"") != "string":
                return None, None, "secret_type %s: a binary secret is written as data.value_base64 by hand" % value
        elif name == "description":
            if nested:
                return None, None, "the description spans several lines"
            out.extend(["%smetadata:%s" % (pad, eol), "%s%sdescription: %s%s" % (pad, step, value, eol)])
        elif name == "overwrite":
            if value.lower() in ("false", "no", "off"):
                out.append("%soverwrite: never%s" % (pad, eol))
            elif value.lower() not in ("true", "yes", "on"):
                unknown.append(name)
        elif name in _TASK_CONNECTION_KEYS:
            continue
        else:
            unknown.append(name)
    if unknown:
        return None, None, "option(s) %s have no scaivault_secret counterpart" % ", ".join(sorted(set(unknown)))
    if secret_type:
        out.append("%ssecret_type: %s%s" % (pad, secret_type, eol))
    return module_index, last, out


def suggest_patch(text, hits, catalog, kind_of_file="text", fallback=True):
    """(new text or None, {offset: (status, note)}) for the Ansible lookups and tasks among hits.

    Lookups become the scailabs.scaivault.secret lookup of the ScaiVault path (with field='value'
    for a text secret and '| to_json' for a JSON one, so the expression yields what the ASM lookup
    did), plus asm_fallback= naming the old secret when ``fallback``. secretsmanager_secret tasks
    become scailabs.scaivault.scaivault_secret tasks. What cannot be moved safely is left alone
    with the reason.
    """
    outcome = {}
    patchable = [hit for hit in hits if hit["kind"] in PATCHABLE_KINDS]
    if not patchable:
        return None, outcome
    context = TextContext(text, kind_of_file)
    edits = []  # (start offset, end offset, replacement)
    for call in context.lookups:
        inside = [hit for hit in patchable if hit["kind"] == KIND_LOOKUP and call["paren"] < hit["offset"] < call["end"]]
        if not inside:
            continue
        replacement, reason = lookup_edit(text, call, inside, catalog, fallback)
        for hit in inside:
            outcome[hit["offset"]] = (PATCH_SUGGESTED, None) if replacement else (PATCH_MANUAL, reason)
        if replacement:
            edits.append((call["start"], call["end"], replacement))
    for hit in patchable:
        if hit["kind"] != KIND_TASK:
            continue
        entries = [entry for entry in catalog.entries if (entry.name, entry.region) == (hit["asm_name"], hit["region"])]
        if len(entries) != 1 or not entries[0].path:
            outcome[hit["offset"]] = (PATCH_MANUAL, "%s has no single ScaiVault path" % hit["asm_name"])
            continue
        first, last, lines = task_edit(context, hit["details"]["module_line"], entries[0])
        if first is None:
            outcome[hit["offset"]] = (PATCH_MANUAL, lines)
            continue
        start = context.line_starts[first]
        end = context.line_starts[last] + len(context.lines[last])
        if any(s < end and start < e for s, e, _r in edits):
            continue  # the same task named twice (two regions): one edit
        edits.append((start, end, "\n".join(lines)))
        outcome[hit["offset"]] = (PATCH_SUGGESTED, None)
    if not edits:
        return None, outcome
    pieces, cursor = [], 0
    for start, end, replacement in sorted(edits):
        if start < cursor:
            continue
        pieces.extend([text[cursor:start], replacement])
        cursor = end
    pieces.append(text[cursor:])
    new_text = "".join(pieces)
    return (new_text if new_text != text else None), outcome


def unified_diff(relative, old_text, new_text, context_lines=3):
    """A unified diff with a/ and b/ prefixes (git apply, patch -p1); '' when nothing changed."""
    if old_text == new_text:
        return ""
    old = old_text.splitlines(True)
    new = new_text.splitlines(True)
    lines = []
    for line in difflib.unified_diff(old, new, "a/" + relative, "b/" + relative, n=context_lines):
        if line.startswith(("---", "+++")):
            lines.append(line.rstrip("\n") + "\n")
        elif not line.endswith("\n"):
            lines.append(line + "\n\\ No newline at end of file\n")
        else:
            lines.append(line)
    return "diff --git a/%s b/%s\n" % (relative, relative) + "".join(lines)


# -- cutover -----------------------------------------------------------------------------------------------
def cutover_status(references=None, new_path_reads=0, federated_reads=0, asm_accessed_in_window=False,
                   asm_last_accessed=None, scanned=True):
    """{status, reasons} of one migrated secret from its evidence.

    Old side: references left in the scanned trees, reads of the federated external/aws/... path by
    identities other than the migration's, ASM's LastAccessedDate inside the window. New side:
    reads of the new ScaiVault path by other identities.
      not_started     old-side evidence and nobody reads the new path yet
      in_transition   old-side evidence and the new path is read too
      moved           no old-side evidence
    """
    old = []
    if scanned and references:
        old.append("%d reference(s) left in the scanned trees" % references)
    if federated_reads:
        old.append("%d read(s) of the federated path by other identities" % federated_reads)
    if asm_accessed_in_window:
        old.append("ASM reports a read on %s, inside the window" % (asm_last_accessed or "a recent day"))
    new = ["%d read(s) of the new path by other identities" % new_path_reads] if new_path_reads else []
    if not old:
        status = STATUS_MOVED
        reasons = new or ["nothing reads the old place (nor, in the window, the new path)"]
        if not scanned:
            reasons.append("no tree was scanned for references")
    elif new:
        status = STATUS_IN_TRANSITION
        reasons = old + new
    else:
        status = STATUS_NOT_STARTED
        reasons = old + ["no read of the new path by other identities yet"]
    return {"status": status, "reasons": reasons}


def where_referenced(hits, limit=5):
    """'file:line (kind), ...' of the first hits, and how many more."""
    shown = ["%s:%d (%s)" % (hit["file"], hit["line"], hit["kind"]) for hit in hits[:limit]]
    more = len(hits) - len(shown)
    return ", ".join(shown) + (" and %d more" % more if more > 0 else "")
