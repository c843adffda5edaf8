# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The import rule of plugins/module_utils, read from the source (see docs/development.md).

  _common   imports nothing of ours outside _common
  _clients  _common (and _clients)
  _plan     _common (and _plan): pure planners, no client in sight
  _run      any layer
  _module_base.py   any layer
  modules   _run, _plan, _common and the module base, never a client directly
  lookup    _clients and _common (it runs on the controller, without the module base)
  action    _common and _run (report writing on the controller)
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ast
import os

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
PLUGINS = os.path.join(ROOT, "plugins")
PREFIX = "ansible_collections.scailabs.scaivault.plugins."

ALLOWED = {
    "_common": {"_common"},
    "_clients": {"_common", "_clients"},
    "_plan": {"_common", "_plan"},
    "_run": {"_common", "_clients", "_plan", "_run"},
    "_module_base": {"_common", "_clients", "_plan", "_run"},
    "modules": {"_common", "_plan", "_run", "_module_base"},
    "lookup": {"_common", "_clients"},
    "action": {"_common", "_run"},
    "doc_fragments": {"_common", "plugin_utils"},
    "plugin_utils": {"_common"},
}
LAYERS = ("_common", "_clients", "_plan", "_run")


def layer_of_file(path):
    rel = os.path.relpath(path, PLUGINS).split(os.sep)
    if rel[0] == "module_utils":
        return rel[1] if rel[1] in LAYERS else os.path.splitext(rel[1])[0]
    return rel[0]


def layer_of_import(module):
    """'_plan' for ...plugins.module_utils._plan.secret, 'plugin_utils' for ...plugins.plugin_utils.x."""
    parts = module[len(PREFIX):].split(".")
    if parts[0] == "module_utils":
        return parts[1]
    return parts[0]


def read_source(path):
    with open(path) as handle:
        return handle.read()


def collection_imports(path, source):
    tree = ast.parse(source, path)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(PREFIX):
            yield node.lineno, node.module
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith(PREFIX):
                    yield node.lineno, alias.name


def python_files():
    for folder, _dirs, files in os.walk(PLUGINS):
        for name in sorted(files):
            if name.endswith(".py") and name != "__init__.py":
                yield os.path.join(folder, name)


def violations(files, read=read_source):
    found = []
    for path in files:
        layer = layer_of_file(path)
        allowed = ALLOWED.get(layer)
        if allowed is None:
            found.append("%s: in no known layer (add it to the rule in docs/development.md and here)" % path)
            continue
        for line, module in collection_imports(path, read(path)):
            target = layer_of_import(module)
            if target not in allowed:
                found.append("%s:%d (%s) imports %s (%s); %s may import only %s" % (
                    os.path.relpath(path, ROOT), line, layer, module, target, layer, ", ".join(sorted(allowed))))
    return found


def test_every_plugin_file_follows_the_layer_rule():
    assert violations(python_files()) == []


def test_module_utils_holds_only_the_layers_and_the_module_base():
    entries = sorted(name for name in os.listdir(os.path.join(PLUGINS, "module_utils"))
                     if not name.startswith((".", "__")))
    assert entries == ["_clients", "_common", "_module_base.py", "_plan", "_run"]


@pytest.mark.parametrize("layer, imported, ok", [
    ("_common", "module_utils._clients.scaivault", False),
    ("_plan", "module_utils._clients.asm", False),
    ("_plan", "module_utils._run.reports", False),
    ("_clients", "module_utils._plan.secret", False),
    ("modules", "module_utils._clients.scaivault", False),
    ("_run", "module_utils._clients.scaivault", True),
    ("_plan", "module_utils._common.errors", True),
])
def test_the_rule_itself_catches_a_wrong_import(layer, imported, ok):
    """A planted import in a file of each layer is reported (or not), so the rule cannot pass vacuously."""
    folder = {"modules": os.path.join(PLUGINS, "modules")}.get(layer, os.path.join(PLUGINS, "module_utils", layer))
    planted = os.path.join(folder, "_planted_for_test.py")
    source = "from %s%s import something\n" % (PREFIX, imported)
    found = violations([planted], read=lambda path: source)
    assert (found == []) is ok, found
