# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.scailabs.scaivault.plugins.plugin_utils._doc_fragments import fragment
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.options import AWS_CONNECTION, module_docs


class ModuleDocFragment:
    """AWS Secrets Manager connection options of the asm_* modules (from module_utils/_common/options.py)."""

    DOCUMENTATION = fragment(module_docs(AWS_CONNECTION), requirements=["boto3 >= 1.34.0", "botocore >= 1.34.0"])
