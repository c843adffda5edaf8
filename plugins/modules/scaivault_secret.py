#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: scaivault_secret
short_description: Create, update or delete one ScaiVault secret, idempotently
version_added: 0.1.0
author:
  - ScaiLabs (@scailabs)
description:
  - Makes one ScaiVault secret hold the given data, type, metadata and options, or removes it.
  - Idempotent. O(data) is compared structurally with the stored value (key order and JSON
    spelling do not count; C(true), C(1) and C(1.0) are different values); metadata is compared
    field by field. A new version is written only when something really differs.
  - Every write of the value creates a new version. A change of metadata alone (tags, owner, description,
    custom keys) uses the tenant's metadata-only update where it has one (discovered on the first such change;
    no new version, and the stored value need not be read); otherwise, and for a change of type or options,
    the stored value is re-sent unchanged as a new version, and RV(version_written_for_metadata) says so.
  - Options that are not set leave the stored value alone; nothing is ever removed because an option was omitted.
  - Secret values never appear in results, warnings, error messages or diffs. The diff shows
    metadata, options and, for the data, the key names with a salted fingerprint per key
    (C(sha256:) plus 16 hex characters, keyed with a random salt made for each run, so the
    fingerprints show which keys change without making the values guessable).
  - If the answer to a write is lost (connection dropped, gateway error), the module never re-sends
    it blindly (that would create a duplicate version). It re-reads the secret and compares it with
    what it wrote; if the write was applied it reports success, if the version did not move it
    writes once more, and if someone else changed the secret meanwhile it fails and says so.
extends_documentation_fragment:
  - scailabs.scaivault.scaivault
  - scailabs.scaivault.attributes.scaivault_group
attributes:
  check_mode:
    description: Predicts the full outcome (the new version number and every field that changes) and writes nothing.
    support: full
    details:
      - A soft-deleted path looks absent to every read, so check mode predicts a create where the real
        run fails with C(409 secret_exists), and predicts no change for O(state=absent) with
        O(permanent=true) where the real run purges the soft-deleted secret.
      - For a change of metadata alone the new version number is predicted as if a version were written, because
        whether the tenant updates metadata in place is found out by the first real write.
  diff_mode:
    description: Shows metadata, type, options and, for the data, key names with salted per-key fingerprints, never
      values.
    support: full
    details:
      - With O(compare=metadata_only) the stored data is not read, so the C(before) side has no data.
options:
  path:
    description:
      - Path of the secret, for example V(environments/production/billing/stripe).
      - Lowercase C(a-z 0-9 - _ /) only, at most 10 segments and 512 characters, no leading or
        trailing C(/) and no empty segment. An invalid path is refused before any request is sent.
    type: str
    required: true
  state:
    description:
      - V(present) makes the secret exist with the given data, type, metadata and options.
      - V(absent) deletes it. Absent on a secret that does not exist is not a change.
    type: str
    choices: [present, absent]
    default: present
  data:
    description:
      - The secret value, a dictionary (ScaiVault stores a JSON object).
      - Required to create a secret. When omitted for an existing secret, the stored value is kept
        (and re-sent unchanged if metadata, type or options change; that needs C(secrets:read)).
      - Never logged and never returned.
    type: dict
  secret_type:
    description:
      - Type hint stored with the secret. Storage is the same for every type.
      - When omitted, a new secret gets V(kv) and an existing secret keeps its type.
    type: str
    choices: [kv, json, certificate, ssh_key, api_key]
  metadata:
    description:
      - Metadata to set. Not secret (it is returned and shown in diffs).
      - C(description) (string) and C(owner) (string such as C(team:billing)) replace the stored values
        when given. C(tags) is a list of bare strings, handled as O(purge_tags) says.
      - Any other key is custom metadata; each given key replaces the stored key as a whole
        (compared structurally). Keys that are not given are kept; no option removes a custom key.
      - A field that is not given is left alone.
    type: dict
  purge_tags:
    description:
      - With V(true), the stored tags become exactly C(metadata.tags) (order and repeats do not count).
      - With V(false), the given tags are added to the stored ones and nothing is removed.
      - Has no effect when C(metadata.tags) is not given.
    type: bool
    default: true
  options:
    description:
      - Write options. Each one that is not given is left alone.
    type: dict
    suboptions:
      max_versions:
        description:
          - Number of versions ScaiVault keeps; older versions age out. Unbounded unless set.
          - ScaiVault's secret object has no C(options) field, so the stored value cannot be read back. It is
            sent with every write but never causes one on its own. A server that does report
            C(options.max_versions) gets it compared.
        type: int
      expires_in:
        description:
          - Lifetime of the secret, counted from the write that sets it, as a duration such as
            V(90d), V(48h), V(15m) or V(1h30m) (whole numbers with the units d, h, m, s).
          - Compared with C(expires_at - updated_at) of the stored version (within 5 seconds), so an
            unchanged O(options.expires_in) does not cause a write and does not move the expiry.
            When another change is written, O(options.expires_in) is sent again and the lifetime
            restarts from that write.
        type: str
      rotation_policy_id:
        description:
          - ID of a rotation policy (C(rot_...)) to attach to the secret; compared with the stored
            C(rotation_policy_id). Detaching is done with the rotation policy, not with this option.
        type: str
  overwrite:
    description:
      - V(always) writes O(data) whenever it differs from the stored value.
      - V(never) uses O(data) only to create the secret; an existing secret keeps its value (for
        generated passwords that must not be replaced). Metadata, type and options are still
        updated, re-sending the stored value.
    type: str
    choices: [always, never]
    default: always
  compare:
    description:
      - How the stored secret is read to decide whether to write.
      - V(full) reads the secret with its value (needs C(secrets:read) and C(secrets:write)) and
        compares everything.
      - V(metadata_only) reads only metadata through the batch metadata endpoint (needs C(secrets:list)
        and C(secrets:write), never C(secrets:read)); the read is audited as C(list), not C(read).
        Trade-off, B(the stored value is never compared), so a changed O(data) alone is B(not detected)
        and not written. O(data) is written when the secret does not exist yet, and whenever metadata,
        type or options differ (then the given O(data) replaces the stored value, and C(data) is listed
        in RV(changed_fields) because it cannot be told apart). An existing secret whose metadata
        must change cannot be updated without O(data) in this mode (the module fails and says so).
    type: str
    choices: [full, metadata_only]
    default: full
  permanent:
    description:
      - With O(state=absent), V(false) soft-deletes the secret; it stays recoverable for 30 days and
        its path cannot be written meanwhile (ScaiVault answers C(409 secret_exists)).
      - V(true) deletes it for good, all versions included. This also purges a secret that was
        soft-deleted before, which frees the path for a new secret.
    type: bool
    default: false
notes:
  - Scopes needed, O(state=present) with O(compare=full) C(secrets:read) and C(secrets:write);
    with O(compare=metadata_only) C(secrets:list) and C(secrets:write); O(state=absent) C(secrets:delete)
    (plus C(secrets:list) in check mode and diff mode, to see the secret before deleting it).
  - Every write creates a new version, so a task that changes metadata of N secrets creates N versions.
  - To read values in a play use the P(scailabs.scaivault.secret#lookup) lookup; to list secrets and
    their metadata use M(scailabs.scaivault.scaivault_secret_info).
seealso:
  - module: scailabs.scaivault.scaivault_secret_info
  - plugin: scailabs.scaivault.secret
    plugin_type: lookup
"""

EXAMPLES = r"""
- name: Store the Stripe credentials with metadata, a version limit and an expiry
  scailabs.scaivault.scaivault_secret:
    path: environments/production/billing/stripe
    secret_type: json
    data:
      publishable_key: pk_live_example
      secret_key: "{{ vault_stripe_secret_key }}"
    metadata:
      description: Stripe API keys for the billing service
      owner: team:billing
      tags: [billing, pci, migrated-from-asm]
      source:
        system: aws-secrets-manager
        name: prod/billing/stripe
    options:
      max_versions: 10
      expires_in: 90d

- name: Create a generated database password once, never replace it afterwards
  scailabs.scaivault.scaivault_secret:
    path: environments/production/billing/db
    data:
      username: billing
      password: "{{ lookup('ansible.builtin.password', '/dev/null', length=32, chars=['ascii_letters', 'digits']) }}"
    overwrite: never

- name: Add a tag and change the owner, keep the value and the other tags
  scailabs.scaivault.scaivault_secret:
    path: environments/production/billing/stripe
    metadata:
      owner: team:payments
      tags: [reviewed-2025]
    purge_tags: false

- name: Preview what would change, with fingerprints instead of values
  scailabs.scaivault.scaivault_secret:
    path: environments/production/billing/stripe
    data:
      publishable_key: pk_live_example
      secret_key: "{{ vault_stripe_secret_key_next }}"
  check_mode: true
  diff: true
  register: preview

- name: Write with a token that may write but not read values (the stored value is not compared)
  scailabs.scaivault.scaivault_secret:
    path: shared/integrations/salesforce/oauth
    token: "{{ scaivault_writer_token }}"
    compare: metadata_only
    data:
      client_id: example-client
      client_secret: "{{ vault_salesforce_client_secret }}"
    metadata:
      owner: team:integrations

- name: Soft-delete a secret (recoverable for 30 days)
  scailabs.scaivault.scaivault_secret:
    path: shared/integrations/salesforce/oauth
    state: absent

- name: Delete it for good, which also frees the path of a soft-deleted secret
  scailabs.scaivault.scaivault_secret:
    path: shared/integrations/salesforce/oauth
    state: absent
    permanent: true
"""

RETURN = r"""
path:
  description: Path of the secret.
  returned: always
  type: str
  sample: environments/production/billing/stripe
state:
  description: The requested state.
  returned: always
  type: str
  sample: present
exists:
  description: Whether the secret exists after the task (in check mode, whether it would).
  returned: always
  type: bool
  sample: true
version:
  description:
    - Current version after the task. In check mode the version the write would create.
  returned: when O(state=present)
  type: int
  sample: 4
previous_version:
  description: Version before the task; null when the secret did not exist (or could not be seen).
  returned: always
  type: int
  sample: 3
secret_type:
  description: Type of the secret after the task.
  returned: when O(state=present)
  type: str
  sample: json
metadata:
  description: Metadata after the task (description, tags, owner and custom keys). Never contains values.
  returned: when O(state=present)
  type: dict
  sample: {"description": "Stripe API keys", "owner": "team:billing", "tags": ["billing", "pci"]}
options:
  description:
    - Write options as far as the server reports them; C(expires_in) is derived from C(expires_at - updated_at).
  returned: when O(state=present)
  type: dict
  sample: {"max_versions": 10, "expires_in": "90d", "rotation_policy_id": null}
created_at:
  description: When the secret was first written (null in check mode for a secret not created yet).
  returned: when O(state=present)
  type: str
  sample: "2025-01-31T09:12:44.123456Z"
updated_at:
  description: When the current version was written (the stored value in check mode).
  returned: when O(state=present)
  type: str
  sample: "2025-03-02T17:01:09.000001Z"
expires_at:
  description: When the secret expires; null when it does not.
  returned: when O(state=present)
  type: str
  sample: "2025-05-31T17:01:09.000001Z"
rotation_policy_id:
  description: Rotation policy attached to the secret, or null.
  returned: when O(state=present)
  type: str
  sample: rot_4f1c2a
changed_fields:
  description:
    - What changes (or would change in check mode) with this task, sorted. C(data), C(secret_type),
      C(metadata.<key>) and C(options.<name>); C(deleted) for O(state=absent).
  returned: always
  type: list
  elements: str
  sample: ["metadata.owner", "metadata.tags"]
version_written_for_metadata:
  description:
    - For a change of metadata only, whether a new version (with the unchanged value) had to be written for it
      because the tenant has no metadata-only update (V(false) - the metadata was updated in place; null - not
      a metadata-only change, or check mode, which cannot tell before the first real write).
  returned: when O(state=present)
  type: bool
  sample: false
data_compared:
  description: Whether the stored value was read and compared (false with O(compare=metadata_only)).
  returned: when O(state=present)
  type: bool
  sample: true
permanent:
  description: Whether the deletion was (or would be) permanent.
  returned: when O(state=absent)
  type: bool
  sample: false
api_calls:
  description: ScaiVault requests made by this task, per method and endpoint category, with C(total) and C(retries).
  returned: always
  type: dict
  sample: {"scaivault": {"GET read": 1, "PUT write": 1, "total": 2, "retries": 0, "rate_limited": 0}}
diff:
  description:
    - In diff mode, C(before) and C(after) views of the secret. The data appears as key names mapped to
      fingerprints, never as values.
  returned: when diff mode is on
  type: dict
  sample: {"before": {"version": 3, "data": {"secret_key": "sha256:1f0c9a7e55d2b3c4"}},
           "after": {"version": 4, "data": {"secret_key": "sha256:9b2d4e6f8a1c3e5d"}}}
"""

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.errors import (
    VERSION_CONFLICT, PlanError, ScaiVaultError, ScaiVaultUnknownOutcome)
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.fingerprint import new_salt
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.paths import check_paths
from ansible_collections.scailabs.scaivault.plugins.module_utils._module_base import run_module
from ansible_collections.scailabs.scaivault.plugins.module_utils._plan.secret import (
    COMPARE_CHOICES, OUTCOME_APPLIED, OUTCOME_NOT_APPLIED, OVERWRITE_CHOICES, SECRET_TYPES, check_request, diff_view,
    options_view, plan_present, predicted_options, public_view, write_outcome)
from ansible_collections.scailabs.scaivault.plugins.module_utils._run.secret_reads import metadata_of


def argument_spec():
    return dict(
        path=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        data=dict(type="dict", no_log=True),
        secret_type=dict(type="str", choices=list(SECRET_TYPES)),
        metadata=dict(type="dict"),
        purge_tags=dict(type="bool", default=True),
        options=dict(type="dict", options=dict(
            max_versions=dict(type="int"),
            expires_in=dict(type="str"),
            rotation_policy_id=dict(type="str"),
        )),
        overwrite=dict(type="str", default="always", choices=list(OVERWRITE_CHOICES)),
        compare=dict(type="str", default="full", choices=list(COMPARE_CHOICES)),
        permanent=dict(type="bool", default=False),
    )


def run(module):
    path = module.params["path"]
    state = module.params["state"]
    try:
        check_paths([path])
        if state == "absent":
            return absent(module, path, new_salt())
        return present(module, path, new_salt())
    except PlanError as exc:
        module.fail(exc.describe(), **failure(module, path))
    except ScaiVaultError as exc:
        module.fail_from(exc, ("writing %s" if state == "present" else "deleting %s") % path, **failure(module, path))


def failure(module, path):
    """What a failed task still returns: the path, and the requests made once a client was built."""
    calls = module.api_calls()
    return dict(path=path, api_calls=calls) if calls else dict(path=path)


def present(module, path, salt):
    params = module.params
    compare = params["compare"]
    request = dict(data=params["data"], secret_type=params["secret_type"], metadata=params["metadata"],
                   purge_tags=params["purge_tags"], options=params["options"], overwrite=params["overwrite"],
                   compare=compare)
    check_request(path, **request)
    client = module.scaivault
    current = read_current(module, client, path, compare)
    plan = plan_present(path, current, **request)

    after = plan.after
    version_for_metadata = None
    if plan.changed and not module.check_mode:
        written, wrote_version = write(module, client, path, plan, compare)
        after = dict(plan.after)
        after.update(public_view(written))
        if plan.metadata_only:
            version_for_metadata = wrote_version
    after_options = options_view(after) if (plan.changed and not module.check_mode) else predicted_options(plan, current)

    result = dict(
        changed=plan.changed, path=path, state="present", exists=True, previous_version=plan.previous_version,
        version=after.get("version"), secret_type=after.get("secret_type"), metadata=after.get("metadata") or {},
        options=after_options, created_at=after.get("created_at"), updated_at=after.get("updated_at"),
        expires_at=after.get("expires_at"), rotation_policy_id=after.get("rotation_policy_id"),
        changed_fields=plan.changed_fields, data_compared=plan.data_compared,
        version_written_for_metadata=version_for_metadata, api_calls=module.api_calls())
    if module.diff_mode:
        after_data = plan.body["data"] if plan.changed and plan.body else (current or {}).get("data")
        if not plan.changed and not plan.data_compared:
            after_data = None
        result["diff"] = dict(
            before=diff_view(current, salt) if current else {},
            after=diff_view(after, salt, data=after_data, options=after_options))
    return result


def absent(module, path, salt):
    client = module.scaivault
    permanent = module.params["permanent"]
    before = None
    seen = False
    if module.check_mode or module.diff_mode:
        try:
            before = read_metadata(client, path)
            seen = True
        except ScaiVaultError as exc:
            if module.check_mode:
                module.fail_from(exc, "check mode reads %s to tell whether it exists (that needs secrets:list)" % path)
    changed = before is not None if module.check_mode else client.delete_secret(path, permanent=permanent)
    result = dict(changed=changed, path=path, state="absent", exists=False, permanent=permanent,
                  previous_version=(before or {}).get("version"), changed_fields=["deleted"] if changed else [],
                  api_calls=module.api_calls())
    if module.diff_mode and seen:
        result["diff"] = dict(before=diff_view(before, salt) if before else {}, after={})
    return result


def read_metadata(client, path):
    """The secret object without data (batch metadata: scope secrets:list, audited as list), or None."""
    secrets, _missing = metadata_of(client, [path])
    return secrets[0] if secrets else None


def read_current(module, client, path, compare):
    """Stored secret for the compare: with data (compare=full) or metadata only."""
    if compare == "metadata_only":
        return read_metadata(client, path)
    try:
        return client.get_secret(path)
    except ScaiVaultError as exc:
        if exc.code == "insufficient_scope":
            module.fail_from(exc, "reading %s to compare it (compare=full needs secrets:read; with a token that may "
                                  "write but not read values use compare=metadata_only)" % path)
        raise


def write(module, client, path, plan, compare):
    """(the object written, whether a version was written): metadata alone goes through the tenant's
    metadata-only update where it has one; anything else (or a tenant without it) is a PUT."""
    if plan.metadata_only:
        answer = client.update_metadata(path, plan.metadata, version=plan.previous_version)
        if answer is not None:
            return dict(answer, version=answer.get("version") or plan.previous_version), False
        if plan.body is None:
            raise PlanError(plan.value_needed)
    return put(module, client, path, plan, compare), True


def put(module, client, path, plan, compare):
    """PUT the plan's body. After a lost answer, or a 409 version_conflict (a concurrent write, ScaiVault's
    core-concepts/errors: fetch the current state, then retry), re-read and compare: the write is re-sent once
    only when the secret is still at the version the plan was made from - never over another writer's newer
    version."""
    try:
        return client.put_secret(path, **plan.body)
    except ScaiVaultUnknownOutcome as exc:
        first_error = exc
    except ScaiVaultError as exc:
        if exc.code != VERSION_CONFLICT:
            raise
        first_error = exc
    why = ("ScaiVault answered version_conflict (another write to it was in progress)"
           if first_error.code == VERSION_CONFLICT else "the answer to the write was lost (%s), so the outcome of the write is unknown" % first_error.code)
    previous = plan.previous_version
    for attempt in (1, 2):
        try:
            reread = read_current(module, client, path, compare)
        except ScaiVaultError as exc:
            module.fail_from(exc, "%s: %s and re-reading the secret to find out whether it was applied failed; check "
                                  "its versions before running the task again" % (path, why),
                             path=path, previous_version=previous, api_calls=module.api_calls())
        outcome = write_outcome(previous, plan.body, reread)
        if outcome == OUTCOME_APPLIED:
            module.warn("%s: %s; a re-read shows version %s holds what was written, so it was not sent again"
                        % (path, why, reread.get("version")))
            return public_view(reread)
        if outcome == OUTCOME_NOT_APPLIED and attempt == 1:
            module.warn("%s: %s and a re-read shows it was not applied (version %s); writing once more"
                        % (path, why, previous))
            try:
                return client.put_secret(path, **plan.body)
            except ScaiVaultUnknownOutcome:
                continue
            except ScaiVaultError as exc:
                if exc.code != VERSION_CONFLICT:
                    raise
                continue
        break
    if outcome != OUTCOME_NOT_APPLIED:
        found = ("another writer changed the secret meanwhile (now version %s); that version was kept, not "
                 "overwritten" % (reread or {}).get("version") if reread else "that the secret is gone")
    else:
        found = "it was still not applied after one more attempt"
    module.fail(
        "%s: %s and a re-read shows %s. The write was not re-sent%s. Check the secret's versions, then run the task "
        "again to compare against what is stored now"
        % (path, why, found, "" if first_error.code == VERSION_CONFLICT else ", to avoid a duplicate version"),
        path=path, previous_version=previous, changed_fields=plan.changed_fields, api_calls=module.api_calls())


def main():
    run_module(run, argument_spec())


if __name__ == "__main__":
    main()
