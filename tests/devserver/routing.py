# -*- coding: utf-8 -*-
# Copyright: ScaiLabs
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A small route table: method + path template -> handler, with the policy of each route.

Feature modules (secrets, audit, later federation, rotation, webhooks) register their
routes here and declare per route what the pipeline must enforce, so that auth, scopes,
rate limits and failure auditing live in one place (app.py) instead of in every handler.
"""

import re
from dataclasses import dataclass
from typing import Callable, Optional, Pattern

from .errors import ApiError

# "{name}" matches one segment; "{name:path}" matches the rest, slashes included (secret paths).
_PLACEHOLDER = re.compile(r"\{(\w+)(:path)?\}")


@dataclass(frozen=True)
class Route:
    method: str
    template: str
    regex: Pattern
    handler: Callable
    scope: Optional[str] = None
    category: Optional[str] = None
    audit_action: Optional[str] = None
    public: bool = False
    # Optional predicate: the route exists only while it is true (contract switches flip routes at runtime).
    when: Optional[Callable] = None
    # Optional: request -> {category: units} the request costs besides one unit of ``category`` (batch reads).
    extra_units: Optional[Callable] = None

    @property
    def label(self):
        """Name used by the request counters, e.g. ``PUT /v1/secrets/{path}``."""
        return "%s %s" % (self.method, self.template)


def _compile(template):
    pattern, last = [], 0
    for match in _PLACEHOLDER.finditer(template):
        pattern.append(re.escape(template[last:match.start()]))
        pattern.append("(?P<%s>%s)" % (match.group(1), ".*" if match.group(2) else "[^/]+"))
        last = match.end()
    pattern.append(re.escape(template[last:]))
    return re.compile("^%s$" % "".join(pattern))


class Router:
    def __init__(self):
        self._routes = []

    def add(self, method, template, handler, **policy):
        """Register a route; ``policy`` holds scope, category, audit_action, public."""
        self._routes.append(Route(method.upper(), _PLACEHOLDER.sub(r"{\1}", template), _compile(template), handler, **policy))

    def match(self, method, path):
        """The first route whose template and method match; 404 or 405 otherwise."""
        allowed = []
        for route in self._routes:
            if route.when is not None and not route.when():
                continue
            found = route.regex.match(path)
            if not found:
                continue
            if route.method == method:
                return route, found.groupdict()
            allowed.append(route.method)
        if allowed:
            raise ApiError(405, "method_not_allowed", "%s is not allowed on %s" % (method, path),
                           {"allowed_methods": sorted(set(allowed))}, {"Allow": ", ".join(sorted(set(allowed)))})
        raise ApiError(404, "not_found", "no route for %s %s" % (method, path))
