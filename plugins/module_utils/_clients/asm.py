# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""AWS Secrets Manager client shared by the collection's ASM-side modules.

FOR INTERNAL COLLECTION USE ONLY: no API promise, may change in any release.

One boto3 client per module run, with botocore's retry modes absorbing
ThrottlingException, a paginator helper, a BatchGetSecretValue helper (20 ids per call)
that falls back to GetSecretValue where the batch call is denied, and per-operation call
counters so modules can report what they spent against the cost floor.
Error texts carry the operation, the secret name and AWS's error code and message,
never a value.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
import threading

try:
    import boto3
    import botocore
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, NoRegionError
    HAS_BOTO3 = True
    BOTO3_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - exercised by the sanity import test
    boto3 = botocore = Config = None
    BotoCoreError = ClientError = NoCredentialsError = NoRegionError = Exception
    HAS_BOTO3 = False
    BOTO3_IMPORT_ERROR = exc

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.errors import AWS_ACCESS_DENIED_CODES, AsmError
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.options import AWS_DEFAULT_MAX_ATTEMPTS
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.version import COLLECTION_VERSION

LIST_PAGE_SIZE = 100
BATCH_GET_MAX_IDS = 20
REGION_PATTERN = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d{1,2}$")


def _clean_message(message):
    """AWS messages, minus noise; moto answers IAM denials as an XML document."""
    match = re.search(r"<Message>(.*?)</Message>", message or "", re.S)
    if match:
        message = match.group(1)
    return re.sub(r"\s+", " ", message or "").strip()


def aws_error(exc, operation, secret_id=None):
    """Turn a botocore exception into an AsmError a person can act on."""
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code") or exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or "ClientError")
        message = _clean_message(error.get("Message"))
        if code in AWS_ACCESS_DENIED_CODES:
            code = "AccessDeniedException"
            hint = " Grant secretsmanager:%s to the AWS identity running this task" % operation
        else:
            hint = ""
        subject = " for %s" % secret_id if secret_id else ""
        return AsmError("%s on %s%s: %s.%s" % (code, operation, subject, message, hint), code=code,
                        operation=operation, secret_id=secret_id)
    if isinstance(exc, NoCredentialsError):
        return AsmError("no AWS credentials found: set access_key/secret_key, profile, or the AWS_* environment",
                        code="NoCredentials", operation=operation, secret_id=secret_id)
    if isinstance(exc, NoRegionError):
        return AsmError("no AWS region: set region or AWS_REGION", code="NoRegion", operation=operation)
    return AsmError("%s on %s%s: %s" % (type(exc).__name__, operation,
                                        " for %s" % secret_id if secret_id else "", _clean_message(str(exc))),
                    code=type(exc).__name__, operation=operation, secret_id=secret_id)


def new_session(region=None, profile=None, access_key=None, secret_key=None, session_token=None):
    """One boto3 session per run: region checks and the client share its parsed endpoint data."""
    return boto3.session.Session(profile_name=profile or None, aws_access_key_id=access_key or None,
                                 aws_secret_access_key=secret_key or None,
                                 aws_session_token=session_token or None, region_name=region)


def known_regions(session=None):
    """Regions botocore knows for Secrets Manager, in every partition (offline data)."""
    session = session or boto3.session.Session()
    regions = set()
    for partition in session.get_available_partitions():
        regions.update(session.get_available_regions("secretsmanager", partition_name=partition))
    return regions


def region_problem(region, endpoint_url=None, session=None):
    """Why ``region`` cannot be used, or None. Custom endpoints may use any well-formed name."""
    if not region:
        return "no AWS region: set the region option or AWS_REGION / AWS_DEFAULT_REGION"
    if not REGION_PATTERN.match(region):
        return "'%s' is not an AWS region name (expected a name like us-east-1)" % region
    if not endpoint_url and region not in known_regions(session):
        return "unknown AWS region '%s' for Secrets Manager: check the spelling (e.g. eu-west-1)" % region
    return None


class AsmClient:
    """A Secrets Manager client for one region, counting what it spends."""

    def __init__(self, region, profile=None, access_key=None, secret_key=None, session_token=None,
                 endpoint_url=None, max_attempts=AWS_DEFAULT_MAX_ATTEMPTS, retry_mode="standard",
                 validate_certs=True, ca_bundle=None, boto_client=None, session=None):
        self.region = region
        self.calls = {}
        self.retries = 0
        self._lock = threading.Lock()
        self.batch_get_denied = False
        if boto_client is not None:
            self._client = boto_client
        else:
            session = session or new_session(region, profile, access_key, secret_key, session_token)
            config = Config(retries={"total_max_attempts": max_attempts, "mode": retry_mode},
                            user_agent_extra="scailabs.scaivault/%s" % COLLECTION_VERSION,
                            max_pool_connections=20)
            verify = ca_bundle if (validate_certs and ca_bundle) else validate_certs
            self._client = session.client("secretsmanager", endpoint_url=endpoint_url or None,
                                          config=config, verify=verify)
        self._client.meta.events.register("after-call.secrets-manager", self._count)

    # -- counting ---------------------------------------------------------------------
    def _count(self, http_response, parsed, model, **kwargs):
        with self._lock:
            self.calls[model.name] = self.calls.get(model.name, 0) + 1
            self.retries += int((parsed or {}).get("ResponseMetadata", {}).get("RetryAttempts", 0) or 0)

    def calls_snapshot(self):
        with self._lock:
            result = dict(self.calls)
            result["total"] = sum(self.calls.values())
            result["retries"] = self.retries
            return result

    def call(self, operation, secret_id=None, **kwargs):
        """Call an operation by its API name, e.g. call("DescribeSecret", SecretId=...)."""
        method = getattr(self._client, botocore.xform_name(operation))
        try:
            return method(**kwargs)
        except (ClientError, BotoCoreError) as exc:
            # after-call has already counted an answered call, errors included.
            raise aws_error(exc, operation, secret_id)

    # -- reads ------------------------------------------------------------------------
    def list_secrets(self, filters=None, include_planned_deletion=False):
        """Every SecretListEntry matching ``filters`` (ASM's filter list), 100 per page."""
        kwargs = {"MaxResults": LIST_PAGE_SIZE}
        if filters:
            kwargs["Filters"] = filters
        if include_planned_deletion:
            kwargs["IncludePlannedDeletion"] = True
        while True:
            page = self.call("ListSecrets", **kwargs)
            yield from page.get("SecretList", [])
            token = page.get("NextToken")
            if not token:
                return
            kwargs["NextToken"] = token

    def describe(self, secret_id):
        return self.call("DescribeSecret", secret_id=secret_id, SecretId=secret_id)

    def list_version_ids(self, secret_id, include_deprecated=False, name=None):
        """Every version of a secret; include_deprecated adds versions without a staging label.

        ``name`` only labels error messages (when ``secret_id`` is an ARN)."""
        versions, kwargs = [], {"SecretId": secret_id, "MaxResults": LIST_PAGE_SIZE}
        if include_deprecated:
            kwargs["IncludeDeprecated"] = True
        while True:
            page = self.call("ListSecretVersionIds", secret_id=name or secret_id, **kwargs)
            versions.extend(page.get("Versions", []))
            token = page.get("NextToken")
            if not token:
                return versions
            kwargs["NextToken"] = token

    def get_value(self, secret_id, version_id=None, version_stage=None):
        kwargs = {"SecretId": secret_id}
        if version_id:
            kwargs["VersionId"] = version_id
        if version_stage:
            kwargs["VersionStage"] = version_stage
        return self.call("GetSecretValue", secret_id=secret_id, **kwargs)

    def batch_get_values(self, secret_ids):
        """Current values of many secrets: ({id: value dict}, {id: AsmError}).

        Uses BatchGetSecretValue, 20 ids per call. If the identity may not call it,
        falls back to one GetSecretValue per id for the rest of the run (the IAM
        permission is newer than GetSecretValue and often missing).
        """
        values, errors = {}, {}
        ids = list(secret_ids)
        start = 0
        while start < len(ids):
            chunk = ids[start:start + BATCH_GET_MAX_IDS]
            if self.batch_get_denied:
                self._get_one_by_one(chunk, values, errors)
            else:
                try:
                    self._batch_chunk(chunk, values, errors)
                except AsmError as exc:
                    if not exc.access_denied:
                        raise
                    self.batch_get_denied = True
                    continue
            start += BATCH_GET_MAX_IDS
        return values, errors

    def _batch_chunk(self, chunk, values, errors):
        answer = self.call("BatchGetSecretValue", SecretIdList=chunk)
        by_key = {}
        for value in answer.get("SecretValues", []):
            by_key[value.get("Name")] = value
            by_key[value.get("ARN")] = value
        failed = {}
        for error in answer.get("Errors", []):
            failed[error.get("SecretId")] = error
        for secret_id in chunk:
            if secret_id in by_key:
                values[secret_id] = by_key[secret_id]
            elif secret_id in failed:
                error = failed[secret_id]
                code = error.get("ErrorCode") or "Error"
                errors[secret_id] = AsmError("%s on BatchGetSecretValue for %s: %s" % (
                    code, secret_id, _clean_message(error.get("Message"))), code=code,
                    operation="BatchGetSecretValue", secret_id=secret_id)
            else:
                # Not in either list (partial-ARN quirks): read it on its own.
                self._get_one_by_one([secret_id], values, errors)

    def _get_one_by_one(self, chunk, values, errors):
        for secret_id in chunk:
            try:
                values[secret_id] = self.get_value(secret_id)
            except AsmError as exc:
                errors[secret_id] = exc

    # -- writes -----------------------------------------------------------------------
    def rotate(self, secret_id, **kwargs):
        return self.call("RotateSecret", secret_id=secret_id, SecretId=secret_id, **kwargs)

    def cancel_rotation(self, secret_id):
        return self.call("CancelRotateSecret", secret_id=secret_id, SecretId=secret_id)

    def delete(self, secret_id, recovery_window_days=None, force=False):
        kwargs = {"SecretId": secret_id}
        if force:
            kwargs["ForceDeleteWithoutRecovery"] = True
        elif recovery_window_days is not None:
            kwargs["RecoveryWindowInDays"] = int(recovery_window_days)
        return self.call("DeleteSecret", secret_id=secret_id, **kwargs)

    def restore(self, secret_id):
        return self.call("RestoreSecret", secret_id=secret_id, SecretId=secret_id)
