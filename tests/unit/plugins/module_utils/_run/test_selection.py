# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""list_scope: the ListSecrets calls a selection costs and what it keeps (fake ASM client)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.scailabs.scaivault.plugins.module_utils._plan import selection as sel
from ansible_collections.scailabs.scaivault.plugins.module_utils._run import selection as run_selection

from unit.fakes import FakeAsm
from unit.fakes import asm_entry as entry


def test_list_scope_with_names_uses_one_listing_per_ten_names_and_ands_filters():
    asm = FakeAsm(entries=[entry("n%02d" % i) for i in range(12)])
    chosen, missing = run_selection.list_scope(asm, "us-east-1", names=["n%02d" % i for i in range(12)] + ["zz"],
                                               filters=[{"key": "tag-key", "values": ["team"]}],
                                               include_planned_deletion=True)
    assert len(chosen) == 12 and missing == ["zz"]
    assert len(asm.listings) == 2
    assert all(call[0][-1] == {"Key": "tag-key", "Values": ["team"]} and call[1] for call in asm.listings)


def test_list_scope_refuses_names_with_a_name_filter():
    with pytest.raises(sel.SelectionError, match="names/prefixes and a .name. filter"):
        run_selection.list_scope(FakeAsm(entries=[]), "us-east-1", names=["a"], filters=[{"key": "name", "values": ["a"]}])
