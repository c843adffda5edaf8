# -*- coding: utf-8 -*-
# Copyright: ScaiLabs
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# A package, so integration tests import as ``integration.test_*`` and never clash with
# same-named files in tests/unit or tests/contract.
