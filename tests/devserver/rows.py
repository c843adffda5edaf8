# -*- coding: utf-8 -*-
# Copyright: ScaiLabs
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One row of a tenant's table by id, or the resource's 404."""


def row_by_id(conn, table, tenant_id, item_id, not_found):
    """The row of ``table`` with this tenant and id; raises ``not_found(item_id)`` when there is none."""
    row = conn.execute("SELECT * FROM %s WHERE tenant_id = ? AND id = ?" % table, (tenant_id, item_id)).fetchone()
    if row is None:
        raise not_found(item_id)
    return row
