# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading what ScaiVault stores about many secrets at once, without reading a value.

Private to this collection: no API promise.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.scailabs.scaivault.plugins.module_utils._clients.scaivault import batch_path_error
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.errors import is_missing_code
from ansible_collections.scailabs.scaivault.plugins.module_utils._plan.secret import public_view


def metadata_of(client, paths):
    """(public views of the secrets found, in the order given; paths with no secret).

    Uses the batch metadata endpoint (secrets:list, audited as list, never reads a value).
    A per-path error other than not-found raises ScaiVaultError.
    """
    paths = list(dict.fromkeys(paths))
    found, errors = client.batch_metadata(paths)
    secrets, missing = [], []
    for path in paths:
        if path in found:
            secrets.append(public_view(found[path]))
            continue
        error = errors.get(path)
        if error and not is_missing_code(error.get("code")):
            raise batch_path_error(path, error)
        missing.append(path)
    return secrets, missing
