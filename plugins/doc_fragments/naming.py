# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment:
    """The naming_policy option, shared by every module that maps ASM names to ScaiVault paths.

    The one description of the policies that _paths.normalize_name applies; a unit test keeps
    its choices equal to _paths.NAMING_POLICIES.
    """

    DOCUMENTATION = r"""
options:
  naming_policy:
    description:
      - >-
        How an AWS Secrets Manager name (after the mapping rules) becomes a ScaiVault path.
        ScaiVault paths use only a-z 0-9 - _ /, have at most 10 segments and 512 characters,
        and have no leading or trailing slash and no empty segment.
        C(strict) uses the mapped name unchanged; a name that breaks a path rule is reported
        as invalid (how, the module's results say) and left alone.
        C(lowercase) turns the ASCII letters A-Z into a-z and changes nothing else; a name
        that still breaks a rule (for example because it contains C(+ = . @)) is invalid.
        C(normalize) first lower-cases the ASCII letters A-Z, then replaces every character
        outside a-z 0-9 - _ / with C(-) (one C(-) per character, for example C(db.Primary@eu)
        becomes C(db-primary-eu)), then strips leading and trailing slashes and drops empty
        segments (C(/prod//app/) becomes C(prod/app)). It never shortens a name, so a name
        with more than 10 segments or 512 characters stays invalid.
        With every policy, two names that end on the same path are both reported as a
        collision and neither is used.
    type: str
    choices: [strict, lowercase, normalize]
    default: strict
"""
