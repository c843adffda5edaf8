#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test-only module of the integration targets: create, read and delete ASM secrets with plain boto3.

The targets seed ASM and read it back out of band with this, never with the collection's own modules.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: scaivault_test_asm_secret
short_description: Seed and read ASM secrets for the integration targets (tests only)
description: Creates (or puts a new value into), reads or force-deletes one secret with plain boto3.
options:
  name: {description: Secret name., type: str, required: true}
  state: {description: What to do., type: str, choices: [present, read, absent], default: present}
  value: {description: SecretString for O(state=present)., type: str}
  tags: {description: Tags for a new secret., type: dict, default: {}}
  region: {description: AWS region., type: str, required: true}
  endpoint_url: {description: Secrets Manager endpoint., type: str, required: true}
  access_key: {description: AWS access key., type: str, required: true}
  secret_key: {description: AWS secret key., type: str, required: true}
author: ScaiLabs platform engineering
"""

from ansible.module_utils.basic import AnsibleModule

try:
    import boto3
except ImportError:  # pragma: no cover - the targets' requirements install it
    boto3 = None


def main():
    module = AnsibleModule(argument_spec=dict(
        name=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "read", "absent"], default="present"),
        value=dict(type="str", no_log=False),
        tags=dict(type="dict", default={}),
        region=dict(type="str", required=True),
        endpoint_url=dict(type="str", required=True),
        access_key=dict(type="str", required=True, no_log=False),
        secret_key=dict(type="str", required=True, no_log=True),
    ))
    params = module.params
    client = boto3.client("secretsmanager", region_name=params["region"], endpoint_url=params["endpoint_url"],
                          aws_access_key_id=params["access_key"], aws_secret_access_key=params["secret_key"])
    missing = client.exceptions.ResourceNotFoundException
    name = params["name"]
    if params["state"] == "read":
        try:
            answer = client.get_secret_value(SecretId=name)
        except missing:
            module.exit_json(changed=False, exists=False)
        module.exit_json(changed=False, exists=True, arn=answer["ARN"], version_id=answer["VersionId"],
                         secret_string=answer.get("SecretString"))
    if params["state"] == "absent":
        try:
            client.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
        except missing:
            module.exit_json(changed=False)
        module.exit_json(changed=True)
    try:
        answer = client.put_secret_value(SecretId=name, SecretString=params["value"])
    except missing:
        tags = [{"Key": key, "Value": str(value)} for key, value in sorted(params["tags"].items())]
        answer = client.create_secret(Name=name, SecretString=params["value"], Tags=tags)
    module.exit_json(changed=True, arn=answer["ARN"], version_id=answer["VersionId"])


if __name__ == "__main__":
    main()
