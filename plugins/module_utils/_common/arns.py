# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""AWS Secrets Manager ARNs: their parts, and the secret name inside one.

Private to this collection: no API promise.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

_ARN_RE = re.compile(r"^arn:(?P<partition>[^:]+):secretsmanager:(?P<region>[^:]*):(?P<account>[^:]*):secret:(?P<rest>.+)$")
# ASM appends '-' and 6 random characters to every secret's ARN.
ARN_SUFFIX_RE = re.compile(r"-[A-Za-z0-9]{6}$")


def parse_arn(arn):
    """{partition, region, account, name} of a Secrets Manager secret ARN, or None for a plain name.

    The name is the ARN's resource part minus AWS's random '-XXXXXX' suffix when the ARN is
    complete (ASM always adds one); a partial ARN keeps its name as written.
    """
    found = _ARN_RE.match(arn or "")
    if not found:
        return None
    rest = found.group("rest")
    return {"partition": found.group("partition"), "region": found.group("region"),
            "account": found.group("account"), "name": ARN_SUFFIX_RE.sub("", rest), "resource": rest}


def name_from_arn(arn):
    """The secret name inside an ARN (without AWS's random suffix), or the input when it is no ARN."""
    parsed = parse_arn(arn)
    return parsed["name"] if parsed else arn
