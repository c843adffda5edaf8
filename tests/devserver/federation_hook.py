# -*- coding: utf-8 -*-
# Copyright: ScaiLabs
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Extension point where federation backends (contract section 3) claim secret paths.

secrets_api consults every registered interceptor before it touches local storage:
- ``read`` may serve a path itself (proxy mode: a live read from ASM) by returning a secret
  object with ``data``, or raise ApiError (e.g. 502 backend_unavailable); None = not mine.
- ``check_write`` / ``check_delete`` raise ApiError(409, "federated_path_read_only", ...)
  for paths a backend owns (sync-mode copies live in local storage but stay read-only).
Interceptors run outside database transactions, so a slow backend never blocks the store.
Register with ``app.secrets.add_interceptor(...)``; the audit row of a proxied read is
written by secrets_api exactly like a local read.
"""


class PathInterceptor:
    """Base class: claims nothing. Federation subclasses it."""

    def read(self, request, path, version):  # pylint: disable=unused-argument
        return None

    def check_write(self, request, path):  # pylint: disable=unused-argument
        return None

    def check_delete(self, request, path):  # pylint: disable=unused-argument
        return None
