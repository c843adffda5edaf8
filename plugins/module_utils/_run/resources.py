# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ScaiVault resources that a module manages by name (webhooks, rotation policies): find, create, delete.

ScaiVault gives these resources ids, but a task names them: the module lists the collection
and picks the one item of that name. A create has no idempotency key, so after a lost answer
the item is looked up by its name instead of being posted again.

Private to this collection: no API promise.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.errors import (
    ScaiVaultError, ScaiVaultUnknownOutcome)
from ansible_collections.scailabs.scaivault.plugins.module_utils._plan.webhook import find_by_name

try:
    from urllib.parse import quote
except ImportError:  # pragma: no cover
    from urllib import quote  # type: ignore

PAGE_SIZE = 1000
# The named collections of the API (items found by name: find_named).
ROTATION_POLICIES = "/rotation/policies"
WEBHOOKS = "/webhooks"


def item_path(collection, item_id, *rest):
    """API path of one item of collection (such as /webhooks), or of something below it."""
    return "/".join([collection, quote(item_id, safe="")] + list(rest))


def find_named(client, collection, name, kind):
    """The one item of collection called name, or None; several of that name raise ScaiVaultError."""
    return find_by_name(list(client.paginate(collection, {"limit": PAGE_SIZE})), name, kind)


def create_named(client, collection, body, kind):
    """POST body (which holds the item's name) to collection and return the new item.

    When the answer is lost, the item is looked up by its name instead of being posted again;
    if it is not there either, the ScaiVaultUnknownOutcome stands.
    """
    try:
        return client.request("POST", collection, json_body=body, idempotent=False).body or {}
    except ScaiVaultUnknownOutcome:
        found = find_named(client, collection, body["name"], kind)
        if found is None:
            raise
        return found


def delete_if_present(client, api_path, secret_path=None):
    """DELETE api_path; something already gone (404) is not an error."""
    try:
        client.request("DELETE", api_path, idempotent=True, secret_path=secret_path)
    except ScaiVaultError as exc:
        if exc.status != 404:
            raise
