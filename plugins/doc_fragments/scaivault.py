# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment:
    """ScaiVault connection options, in two flavours: modules and plugins (lookups)."""

    # Modules cannot declare env:, so the environment variables are named in prose.
    DOCUMENTATION = r"""
options:
  url:
    description:
      - Base URL of the ScaiVault service, for example C(https://scaivault.scailabs.ai).
      - If not set, the environment variable E(SCAIVAULT_URL) is used.
    type: str
    aliases: [scaivault_url]
  token:
    description:
      - A ScaiVault bearer token (a personal C(skt_...) token or a service token).
      - If not set, the environment variable E(SCAIVAULT_TOKEN) is used.
      - Ignored when O(client_id) and O(client_secret) are set.
    type: str
    aliases: [scaivault_token]
  client_id:
    description:
      - Service-account client id, exchanged with O(client_secret) for short-lived tokens at O(token_url)
        (OAuth2 client credentials). Tokens are renewed before they expire, so long scheduled jobs keep working.
      - If not set, the environment variable E(SCAIVAULT_CLIENT_ID) is used.
    type: str
  client_secret:
    description:
      - Service-account client secret. If not set, E(SCAIVAULT_CLIENT_SECRET) is used.
    type: str
  token_url:
    description:
      - The ScaiKey token endpoint for O(client_id)/O(client_secret).
      - If not set, E(SCAIVAULT_TOKEN_URL) is used, else C(https://scaikey.scailabs.ai/oauth/token).
    type: str
  scopes:
    description:
      - Scopes requested for client-credentials tokens. Default is whatever the service account is granted.
    type: list
    elements: str
  tenant_id:
    description:
      - Tenant to act in (sent as C(X-Tenant-ID)); needs partner-admin rights for a tenant other than the token's.
      - If not set, E(SCAIVAULT_TENANT_ID) is used.
    type: str
  validate_certs:
    description:
      - Verify the server's TLS certificate. Turn off only for throwaway test servers.
      - If not set, E(SCAIVAULT_VALIDATE_CERTS) is used.
    type: bool
    default: true
  ca_path:
    description:
      - CA bundle (PEM) used to verify the server's certificate.
      - If not set, E(SCAIVAULT_CA_PATH) is used.
    type: path
  timeout:
    description:
      - Seconds to wait for each HTTP request. If not set, E(SCAIVAULT_TIMEOUT) is used.
    type: float
    default: 30
  retries:
    description:
      - Retries of a request answered C(429) (after C(Retry-After)), C(503), or failing to connect;
        reads are also retried on C(500), C(502), C(504) and dropped connections, with jittered exponential backoff.
      - A write whose outcome is unknown is never re-sent blindly; the module re-reads and compares instead.
      - If not set, E(SCAIVAULT_RETRIES) is used.
    type: int
    default: 5
notes:
  - The module runs where the task runs (usually the controller or an execution environment) and needs
    the C(httpx) Python library there.
"""

    # Lookups and other plugins get real env/ini/vars entries from the config manager.
    PLUGINS = r"""
options:
  url:
    description: Base URL of the ScaiVault service.
    type: str
    env:
      - name: SCAIVAULT_URL
    ini:
      - section: scaivault
        key: url
    vars:
      - name: ansible_scaivault_url
  token:
    description:
      - A ScaiVault bearer token. Ignored when O(client_id) and O(client_secret) are set.
    type: str
    env:
      - name: SCAIVAULT_TOKEN
    ini:
      - section: scaivault
        key: token
    vars:
      - name: ansible_scaivault_token
  client_id:
    description: Service-account client id for client-credentials tokens (renewed before expiry).
    type: str
    env:
      - name: SCAIVAULT_CLIENT_ID
    ini:
      - section: scaivault
        key: client_id
    vars:
      - name: ansible_scaivault_client_id
  client_secret:
    description: Service-account client secret.
    type: str
    env:
      - name: SCAIVAULT_CLIENT_SECRET
    ini:
      - section: scaivault
        key: client_secret
    vars:
      - name: ansible_scaivault_client_secret
  token_url:
    description: The ScaiKey token endpoint; default C(https://scaikey.scailabs.ai/oauth/token).
    type: str
    env:
      - name: SCAIVAULT_TOKEN_URL
    ini:
      - section: scaivault
        key: token_url
    vars:
      - name: ansible_scaivault_token_url
  scopes:
    description: Scopes requested for client-credentials tokens.
    type: list
    elements: str
  tenant_id:
    description: Tenant to act in (C(X-Tenant-ID)).
    type: str
    env:
      - name: SCAIVAULT_TENANT_ID
    ini:
      - section: scaivault
        key: tenant_id
    vars:
      - name: ansible_scaivault_tenant_id
  validate_certs:
    description: Verify the server's TLS certificate.
    type: bool
    default: true
    env:
      - name: SCAIVAULT_VALIDATE_CERTS
    ini:
      - section: scaivault
        key: validate_certs
    vars:
      - name: ansible_scaivault_validate_certs
  ca_path:
    description: CA bundle (PEM) used to verify the server's certificate.
    type: path
    env:
      - name: SCAIVAULT_CA_PATH
    ini:
      - section: scaivault
        key: ca_path
    vars:
      - name: ansible_scaivault_ca_path
  timeout:
    description: Seconds to wait for each HTTP request.
    type: float
    default: 30
    env:
      - name: SCAIVAULT_TIMEOUT
    ini:
      - section: scaivault
        key: timeout
    vars:
      - name: ansible_scaivault_timeout
  retries:
    description: Retries on C(429), C(503) and connection failures (reads also on C(500), C(502), C(504)).
    type: int
    default: 5
    env:
      - name: SCAIVAULT_RETRIES
    ini:
      - section: scaivault
        key: retries
    vars:
      - name: ansible_scaivault_retries
"""
