# -*- coding: utf-8 -*-
# Copyright: ScaiLabs
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Transport-neutral request and response objects shared by the app and the route handlers."""

import json
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from .errors import bad_request


@dataclass
class Request:
    """One parsed HTTP request plus what the pipeline learns about it on the way.

    ``path`` has the ``/v1/t/{tenant}`` prefix removed (``raw_path`` keeps it) so that
    handlers never care how the tenant was named.
    """

    method: str
    raw_path: str
    query: dict
    headers: Any
    body: bytes
    client_ip: str
    request_id: str
    path: str = ""
    started: float = field(default_factory=time.monotonic)
    tenant_hint: Optional[str] = None
    params: dict = field(default_factory=dict)
    route: Any = None
    identity: Any = None
    tenant_id: Optional[str] = None
    audited: bool = False
    # A ``hold`` fault with ``"stage": "commit"``: called by a secret write between reading the head and committing.
    hold_before_commit: Optional[Callable] = None
    # Set by the rotation feature on a secret PUT that completes a due rotation (secret.updated.is_rotation).
    completes_rotation: bool = False

    def __post_init__(self):
        if not self.path:
            self.path = self.raw_path

    def header(self, name, default=None):
        return self.headers.get(name, default)

    @property
    def user_agent(self):
        return self.header("User-Agent")

    def arg(self, name, default=None):
        """Last value of a query parameter (repeated parameters: the last one wins)."""
        values = self.query.get(name)
        return values[-1] if values else default

    def json_object(self):
        """The body as a JSON object; anything else is the client's mistake (400)."""
        if not self.body:
            raise bad_request("request body must be a JSON object")
        try:
            value = json.loads(self.body)
        except ValueError as exc:
            raise bad_request("request body is not valid JSON: %s" % exc) from None
        if not isinstance(value, dict):
            raise bad_request("request body must be a JSON object")
        return value

    def elapsed_ms(self):
        return round((time.monotonic() - self.started) * 1000.0, 3)


@dataclass
class Response:
    status: int
    body: Any = None
    headers: dict = field(default_factory=dict)

    def payload(self):
        """Bytes and content type; a body of None means an empty response (204)."""
        if self.body is None:
            return b"", None
        if isinstance(self.body, bytes):
            return self.body, self.headers.get("Content-Type", "application/octet-stream")
        return json.dumps(self.body, separators=(",", ":")).encode("utf-8"), "application/json"


class Dropped:
    """Sentinel outcome: close the connection without answering (drop faults)."""


DROPPED = Dropped()
