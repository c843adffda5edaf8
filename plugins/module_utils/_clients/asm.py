# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""AWS Secrets Manager client shared by the collection's ASM-side modules.

FOR INTERNAL COLLECTION USE ONLY: no API promise, may change in any release.

One boto3 client per module run, built by connect() from the AWS connection options the way
boto3 itself would (an option set wins; otherwise the environment, the profile and its config,
assume-role profiles, container and instance roles), with botocore's retry modes absorbing
ThrottlingException, botocore's paginators, a BatchGetSecretValue helper (20 ids per call)
that falls back to GetSecretValue where the batch call is denied, and per-operation call
counters so modules can report what they spent against the cost floor.
Error texts carry the operation, the secret name and AWS's error code and message,
never a value.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
import threading

try:
    import boto3
    import botocore
    import botocore.session
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, NoRegionError, ProfileNotFound
    HAS_BOTO3 = True
    BOTO3_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - exercised by the sanity import test
    boto3 = botocore = Config = None
    BotoCoreError = ClientError = NoCredentialsError = NoRegionError = ProfileNotFound = Exception
    HAS_BOTO3 = False
    BOTO3_IMPORT_ERROR = exc

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.errors import (
    AWS_ACCESS_DENIED_CODES, AsmError, PlanError)
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.options import (
    AWS_DEFAULT_MAX_ATTEMPTS, AWS_DEFAULT_RETRY_MODE)
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.version import COLLECTION_VERSION

LIST_PAGE_SIZE = 100
BATCH_GET_MAX_IDS = 20
REGION_PATTERN = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d{1,2}$")


def _clean_message(message):
    """AWS messages, minus noise; moto answers IAM denials as an XML document."""
    match = re.search(r"<Message>(.*?)</Message>", message or "", re.S)
    if match:
        message = match.group(1)
    elif re.match(r"\s*<(!doctype|html)", message or "", re.I):
        # A proxy's or a wrong endpoint's error page, not an AWS answer: say so instead of quoting HTML.
        return ("the endpoint answered with an HTML page, not an AWS error (check region, endpoint_url and any "
                "proxy in between)")
    return re.sub(r"\s+", " ", message or "").strip()


def aws_error(exc, operation, secret_id=None):
    """Turn a botocore exception into an AsmError a person can act on."""
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code") or exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or "ClientError")
        message = _clean_message(error.get("Message"))
        failed = getattr(exc, "operation_name", None) or operation
        if failed != operation:
            # The credential chain failed on its way (sts:AssumeRole of an assume-role profile, ...).
            subject = " (getting credentials for %s%s)" % (operation, " of %s" % secret_id if secret_id else "")
            hint = " Check the profile's role_arn and that its source identity may assume it" if \
                code in AWS_ACCESS_DENIED_CODES else ""
            return AsmError("%s on %s%s: %s.%s" % (code, failed, subject, message, hint), code=code,
                            operation=failed, secret_id=secret_id)
        if code in AWS_ACCESS_DENIED_CODES:
            code = "AccessDeniedException"
            hint = " Grant secretsmanager:%s to the AWS identity running this task" % operation
        else:
            hint = ""
        subject = " for %s" % secret_id if secret_id else ""
        return AsmError("%s on %s%s: %s.%s" % (code, operation, subject, message, hint), code=code,
                        operation=operation, secret_id=secret_id)
    if isinstance(exc, NoCredentialsError):
        return AsmError("no AWS credentials found: set access_key/secret_key or profile, or give boto3's chain "
                        "something to find (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, an instance role)",
                        code="NoCredentials", operation=operation, secret_id=secret_id)
    if isinstance(exc, NoRegionError):
        return AsmError(NO_REGION, code="NoRegion", operation=operation)
    return AsmError("%s on %s%s: %s" % (type(exc).__name__, operation,
                                        " for %s" % secret_id if secret_id else "", _clean_message(str(exc))),
                    code=type(exc).__name__, operation=operation, secret_id=secret_id)


NO_REGION = ("no AWS region: set region, AWS_REGION or AWS_DEFAULT_REGION, or region in the profile of the AWS "
             "config file")


def new_session(region=None, profile=None, access_key=None, secret_key=None, session_token=None):
    """One boto3 session per run: an option set here wins, boto3's own chain supplies the rest."""
    try:
        return boto3.session.Session(botocore_session=botocore.session.get_session(), profile_name=profile or None,
                                     aws_access_key_id=access_key or None, aws_secret_access_key=secret_key or None,
                                     aws_session_token=session_token or None, region_name=region or None)
    except ProfileNotFound:
        raise AsmError("AWS profile '%s' is not in the AWS config files (~/.aws/config, ~/.aws/credentials, or "
                       "AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE)" % (profile or os.environ.get("AWS_PROFILE")),
                       code="ProfileNotFound")


def profile_settings(session):
    """The settings of the session's profile in the AWS config files ({} when there is none)."""
    try:
        return dict(session._session.get_scoped_config())  # pylint: disable=protected-access
    except ProfileNotFound:
        return {}


def resolve_region(region, session, environ=None):
    """The option, else AWS_REGION (as amazon.aws reads it), else boto3's chain (AWS_DEFAULT_REGION, the profile)."""
    environ = os.environ if environ is None else environ
    return region or environ.get("AWS_REGION") or session.region_name


def chain_region(options, environ=None):
    """The region an unset ``region`` option resolves to (AWS_REGION, AWS_DEFAULT_REGION, the profile), or None.

    Best effort and without any call: connect() resolves again and names what is wrong."""
    try:
        session = new_session(profile=options.get("profile"), access_key=options.get("access_key"),
                              secret_key=options.get("secret_key"), session_token=options.get("session_token"))
        return resolve_region(options.get("region"), session, environ)
    except (AsmError, BotoCoreError):
        return None


def region_problem(region):
    """Why ``region`` cannot be used, or None. Only the shape: botocore decides the endpoint of a region."""
    if not region:
        return NO_REGION
    if not REGION_PATTERN.match(region):
        return "'%s' is not an AWS region name (expected a name like eu-west-1)" % region
    return None


def retry_settings(max_attempts=None, retry_mode=None, aws_config=None, profile=None, environ=None):
    """(total attempts, mode): the option, else ``aws_config``'s retries, else boto3's chain
    (AWS_MAX_ATTEMPTS / AWS_RETRY_MODE, then the profile's max_attempts / retry_mode), else the collection default.

    Both counts are total attempts (the first call included), as in the AWS config file.
    """
    environ = os.environ if environ is None else environ
    profile = profile or {}
    retries = (aws_config or {}).get("retries") or {}
    configured = retries.get("total_max_attempts")
    if configured is None and retries.get("max_attempts") is not None:
        configured = int(retries["max_attempts"]) + 1  # botocore's max_attempts counts retries only
    for option, value, other in (("aws_max_attempts", max_attempts, configured),
                                 ("aws_retry_mode", retry_mode, retries.get("mode"))):
        if value is not None and other is not None and str(value) != str(other):
            raise PlanError("%s and aws_config.retries disagree (%s, %s): set the retries in one place"
                            % (option, value, other))
    attempts = (max_attempts if max_attempts is not None else configured) or \
        environ.get("AWS_MAX_ATTEMPTS") or profile.get("max_attempts") or AWS_DEFAULT_MAX_ATTEMPTS
    mode = retry_mode or retries.get("mode") or environ.get("AWS_RETRY_MODE") or profile.get("retry_mode") or \
        AWS_DEFAULT_RETRY_MODE
    try:
        attempts = int(attempts)
    except ValueError:
        raise PlanError("AWS max attempts must be a number, got '%s'" % attempts)
    return attempts, mode


def client_config(max_attempts=None, retry_mode=None, aws_config=None, profile=None, environ=None):
    """The botocore Config: the collection's settings, ``aws_config`` over them, the resolved retries."""
    attempts, mode = retry_settings(max_attempts, retry_mode, aws_config, profile, environ)
    settings = dict(aws_config or {})
    settings.pop("retries", None)
    try:
        user = Config(**settings)
    except TypeError as exc:
        raise PlanError("aws_config: %s (keys are the arguments of botocore.config.Config)" % exc)
    config = Config(user_agent_extra="scailabs.scaivault/%s" % COLLECTION_VERSION, max_pool_connections=20)
    return config.merge(user).merge(Config(retries={"total_max_attempts": attempts, "mode": mode}))


def verify_setting(validate_certs=True, ca_bundle=None):
    """botocore's ``verify``: None leaves the choice to boto3's chain (AWS_CA_BUNDLE, ca_bundle in the profile)."""
    if validate_certs is False:
        return False
    return ca_bundle or None


def connect(options, environ=None):
    """An AsmClient from the AWS connection options (the names of options.AWS_CONNECTION), resolved like boto3."""
    get = options.get
    session = new_session(profile=get("profile"), access_key=get("access_key"), secret_key=get("secret_key"),
                          session_token=get("session_token"))
    try:
        region = resolve_region(get("region"), session, environ)
    except ProfileNotFound as exc:  # AWS_PROFILE names a profile that does not exist
        raise AsmError("%s (AWS_PROFILE, ~/.aws/config, AWS_CONFIG_FILE)" % exc, code="ProfileNotFound")
    problem = region_problem(region)
    if problem:
        raise PlanError(problem)
    config = client_config(get("aws_max_attempts"), get("aws_retry_mode"), get("aws_config"),
                           profile_settings(session), environ)
    verify = verify_setting(get("aws_validate_certs", True), get("aws_ca_bundle"))
    try:
        raw = session.client("secretsmanager", region_name=region, endpoint_url=get("endpoint_url") or None,
                             config=config, verify=verify)
    except (BotoCoreError, ValueError) as exc:
        raise AsmError("cannot create the AWS Secrets Manager client: %s" % _clean_message(str(exc)),
                       code=type(exc).__name__)
    return AsmClient(region, boto_client=raw)


class AsmClient:
    """A Secrets Manager client for one region, counting what it spends."""

    def __init__(self, region, profile=None, access_key=None, secret_key=None, session_token=None,
                 endpoint_url=None, max_attempts=None, retry_mode=None, validate_certs=True, ca_bundle=None,
                 boto_client=None, session=None, aws_config=None):
        """Wrap ``boto_client``, or build one (connect() is the usual way: it also resolves the region)."""
        self.region = region
        self.calls = {}
        self.retries = 0
        self._lock = threading.Lock()
        self.batch_get_denied = False
        if boto_client is not None:
            self._client = boto_client
        else:
            session = session or new_session(region, profile, access_key, secret_key, session_token)
            config = client_config(max_attempts, retry_mode, aws_config, profile_settings(session))
            self._client = session.client("secretsmanager", region_name=region, endpoint_url=endpoint_url or None,
                                          config=config, verify=verify_setting(validate_certs, ca_bundle))
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
        """Every SecretListEntry matching ``filters`` (ASM's filter list), 100 per page (botocore's paginator)."""
        kwargs = {"PaginationConfig": {"PageSize": LIST_PAGE_SIZE}}
        if filters:
            kwargs["Filters"] = filters
        if include_planned_deletion:
            kwargs["IncludePlannedDeletion"] = True
        pages = self._client.get_paginator("list_secrets").paginate(**kwargs)
        try:
            for page in pages:
                yield from page.get("SecretList", [])
        except (ClientError, BotoCoreError) as exc:
            raise aws_error(exc, "ListSecrets")

    def describe(self, secret_id):
        return self.call("DescribeSecret", secret_id=secret_id, SecretId=secret_id)

    def list_version_ids(self, secret_id, include_deprecated=False, name=None):
        """Every version of a secret; include_deprecated adds versions without a staging label.

        ``name`` only labels error messages (when ``secret_id`` is an ARN). botocore has no paginator
        for ListSecretVersionIds, hence the NextToken loop."""
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

    def tag(self, secret_id, tags):
        """Add or overwrite tags ({key: value}); ASM merges by key."""
        return self.call("TagResource", secret_id=secret_id, SecretId=secret_id,
                         Tags=[{"Key": key, "Value": value} for key, value in sorted(tags.items())])

    def untag(self, secret_id, keys):
        return self.call("UntagResource", secret_id=secret_id, SecretId=secret_id, TagKeys=sorted(keys))

    def create_empty(self, name, description, tags):
        """Create a secret without a value (CreateSecret fails with ResourceExists when the name is taken)."""
        return self.call("CreateSecret", secret_id=name, Name=name, Description=description,
                         Tags=[{"Key": key, "Value": value} for key, value in sorted(tags.items())])
