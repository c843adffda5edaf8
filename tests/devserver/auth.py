# -*- coding: utf-8 -*-
# Copyright: ScaiLabs
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bearer tokens: who is calling, for which tenant, with which scopes, until when.

Tokens come from three places: the --tokens-file and SCAIVAULT_DEV_TOKEN (fixed for the
process lifetime) and tokens added while running (``/_dev/tokens`` and the stand-in
ScaiKey ``/oauth/token``). The latter are persisted so that a client keeps working across
a server restart; only their SHA-256 is stored.
"""

import hashlib
import json
import threading
from dataclasses import dataclass
from typing import Optional

from .errors import ApiError
from .timeutil import iso, parse_iso, utcnow

ALL_SCOPES = (
    "secrets:read", "secrets:write", "secrets:delete", "secrets:list", "secrets:rotate",
    "federation:read", "federation:write", "audit:read", "audit:export",
    "policies:read", "policies:write", "admin",
)
DEV_TENANT = "tnt_dev"
DEV_PARTNER = "ptn_dev"
DEV_IDENTITY = "user:dev@scaivault.local"
# The role that may name a tenant (X-Tenant-ID, /v1/t/{id}) [doc: core-concepts/multi-tenancy].
PARTNER_ADMIN = "partner_admin"

# Sources of runtime tokens; /_dev/reset forgets "runtime" but keeps what ScaiKey issued.
RUNTIME = "runtime"
OAUTH = "oauth"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS tokens (
    token_hash TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    identity_id TEXT NOT NULL,
    identity_type TEXT NOT NULL,
    tenant_id TEXT NOT NULL,
    scopes TEXT NOT NULL,
    expires_at TEXT,
    partner_id TEXT,
    roles TEXT
);
"""
# Columns added after the first release of the table (an old --data-dir gets them on start).
_ADDED_COLUMNS = ("partner_id", "roles")


@dataclass(frozen=True)
class Identity:
    identity_id: str
    identity_type: str
    tenant_id: str
    scopes: frozenset
    expires_at: Optional[object] = None
    partner_id: str = DEV_PARTNER
    roles: frozenset = frozenset()

    @property
    def partner_admin(self):
        return PARTNER_ADMIN in self.roles

    def expired(self):
        return self.expires_at is not None and self.expires_at <= utcnow()


# [doc] reference/audit: identity_type is one of these.
IDENTITY_TYPES = ("user", "service_account", "group")


def default_identity_type(identity_id):
    if identity_id.startswith("sa:"):
        return "service_account"
    return "group" if identity_id.startswith("group:") else "user"


def identity_from_dict(spec, where):
    """Build an Identity from a tokens-file / API dict; ``where`` names it in error messages."""
    identity_id = spec.get("identity_id")
    scopes = spec.get("scopes", [])
    if not isinstance(identity_id, str) or not identity_id:
        raise ValueError("%s: identity_id must be a non-empty string" % where)
    if not isinstance(scopes, list) or not all(isinstance(scope, str) for scope in scopes):
        raise ValueError("%s: scopes must be a list of strings" % where)
    roles = spec.get("roles", [])
    if not isinstance(roles, list) or not all(isinstance(role, str) for role in roles):
        raise ValueError("%s: roles must be a list of strings (e.g. [%r])" % (where, PARTNER_ADMIN))
    identity_type = spec.get("identity_type") or default_identity_type(identity_id)
    if identity_type not in IDENTITY_TYPES:
        raise ValueError("%s: identity_type must be one of %s (got %r)" % (where, ", ".join(IDENTITY_TYPES), identity_type))
    expires_at = spec.get("expires_at")
    return Identity(
        identity_id=identity_id,
        identity_type=identity_type,
        tenant_id=spec.get("tenant_id") or DEV_TENANT,
        scopes=frozenset(scopes),
        expires_at=parse_iso(expires_at) if isinstance(expires_at, str) else expires_at,
        partner_id=spec.get("partner_id") or DEV_PARTNER,
        roles=frozenset(roles),
    )


def dev_identity():
    """The dev token's caller: every scope, and a partner admin of ptn_dev (may name tenants of ptn_dev)."""
    return Identity(DEV_IDENTITY, "user", DEV_TENANT, frozenset(ALL_SCOPES), roles=frozenset([PARTNER_ADMIN]))


def token_hash(token):
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _unauthorized(code, message):
    return ApiError(401, code, message, headers={"WWW-Authenticate": 'Bearer realm="scaivault", error="invalid_token"'})


class TokenRegistry:
    def __init__(self, db, fixed_tokens):
        """``fixed_tokens``: {token: Identity} from the tokens file and the environment."""
        self._db = db
        self._lock = threading.Lock()
        self._fixed = {token_hash(token): identity for token, identity in fixed_tokens.items()}
        db.register_schema(_SCHEMA)
        with db.reading() as conn:
            present = {row[1] for row in conn.execute("PRAGMA table_info(tokens)")}
            for column in _ADDED_COLUMNS:
                if column not in present:
                    conn.execute("ALTER TABLE tokens ADD COLUMN %s TEXT" % column)
        self._runtime = self._load()

    def _load(self):
        with self._db.reading() as conn:
            rows = conn.execute("SELECT * FROM tokens").fetchall()
        return {row["token_hash"]: (row["source"], Identity(
            row["identity_id"], row["identity_type"], row["tenant_id"], frozenset(json.loads(row["scopes"])),
            parse_iso(row["expires_at"]) if row["expires_at"] else None, row["partner_id"] or DEV_PARTNER,
            frozenset(json.loads(row["roles"] or "[]")))) for row in rows}

    def authenticate(self, authorization):
        """The caller's Identity, or 401 token_invalid / token_expired / authentication_required."""
        if not authorization:
            raise _unauthorized("authentication_required", "missing 'Authorization: Bearer <token>' header")
        scheme, _space, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _unauthorized("token_invalid", "the Authorization header must be 'Bearer <token>'")
        identity = self.lookup(token.strip())
        if identity is None:
            raise _unauthorized("token_invalid", "the bearer token is not valid on this server")
        if identity.expired():
            raise _unauthorized("token_expired", "the bearer token expired at %s" % iso(identity.expires_at))
        return identity

    def lookup(self, token):
        key = token_hash(token)
        if key in self._fixed:
            return self._fixed[key]
        with self._lock:
            entry = self._runtime.get(key)
        return entry[1] if entry else None

    def add(self, token, identity, source):
        """Register a token issued while running; committed before the caller is answered."""
        key = token_hash(token)
        with self._db.transaction() as conn:
            conn.execute("INSERT OR REPLACE INTO tokens (token_hash, source, identity_id, identity_type, tenant_id, scopes,"
                         " expires_at, partner_id, roles) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", (
                             key, source, identity.identity_id, identity.identity_type, identity.tenant_id,
                             json.dumps(sorted(identity.scopes)), iso(identity.expires_at), identity.partner_id,
                             json.dumps(sorted(identity.roles))))
        with self._lock:
            self._runtime[key] = (source, identity)

    def tenant_partner(self, tenant_id):
        """The partner of a tenant this server knows (the dev tenant and every token's tenant), or None."""
        if tenant_id == DEV_TENANT:
            return DEV_PARTNER
        with self._lock:
            identities = list(self._fixed.values()) + [entry[1] for entry in self._runtime.values()]
        for identity in identities:
            if identity.tenant_id == tenant_id:
                return identity.partner_id
        return None

    def forget_runtime(self):
        """``/_dev/reset``: drop tokens added through ``/_dev/tokens``."""
        with self._db.transaction() as conn:
            conn.execute("DELETE FROM tokens WHERE source = ?", (RUNTIME,))
        with self._lock:
            self._runtime = {key: entry for key, entry in self._runtime.items() if entry[0] != RUNTIME}
