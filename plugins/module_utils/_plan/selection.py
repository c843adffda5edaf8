# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which ASM secrets a task selects (names, prefixes, filters), decided without I/O.

  check_filters       validates the filter list ({key, values}) into the API's shape ([{Key, Values}])
  requested_names     checks names/ARNs against the task's region
  name_filter_chunks  ListSecrets name filters for explicit names (10 values per filter)
  select_entries      keeps the entries a list of names/ARNs asks for; says which matched none
  listing_requests    the listings of a bulk selection: names by their parent folders, prefixes as
                      name filters, so many names in a few folders cost what those folders cost
  select_entries_for  picks a bulk selection's secrets out of those listings

The listings themselves are run by _run/selection.py (and the migration engine).

Private to this collection: no API promise.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.arns import ARN_SUFFIX_RE, parse_arn
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.errors import PlanError
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.options import ASM_FILTER_KEYS

FILTER_KEYS = ASM_FILTER_KEYS
MAX_FILTER_VALUES = 10


class SelectionError(PlanError):
    """Options that cannot select secrets; the message says what to change."""


def check_filters(filters):
    """Validate filters ([{key, values}]) and return them in the API's shape ([{Key, Values}]).

    Semantics are ASM's own: values of one filter are ORed, filters are ANDed, a value
    starting with '!' negates, and name/tag-key/tag-value match as case-sensitive prefixes.
    """
    result = []
    for index, item in enumerate(filters or []):
        key = (item or {}).get("key")
        values = (item or {}).get("values")
        where = "filter %d (key %r)" % (index + 1, key)
        if key not in FILTER_KEYS:
            raise SelectionError("%s: key must be one of %s" % (where, ", ".join(FILTER_KEYS)))
        if not values or not isinstance(values, (list, tuple)):
            raise SelectionError("%s: give at least one value in 'values'" % where)
        if len(values) > MAX_FILTER_VALUES:
            raise SelectionError("%s has %d values; ASM accepts at most %d per filter: split it or use a "
                                 "shorter common prefix" % (where, len(values), MAX_FILTER_VALUES))
        for value in values:
            if not isinstance(value, str) or not value:
                raise SelectionError("%s: every value must be a non-empty string, got %r" % (where, value))
        result.append({"Key": key, "Values": list(values)})
    return result


def requested_names(names, region):
    """Check explicit names/ARNs against the task's region; return [(as given, name to search)]."""
    requested = []
    for given in names or []:
        if not isinstance(given, str) or not given:
            raise SelectionError("every entry of names must be a non-empty secret name or ARN, got %r" % (given,))
        arn = parse_arn(given)
        if given.startswith("arn:") and arn is None:
            raise SelectionError("%r is not a Secrets Manager secret ARN (arn:aws:secretsmanager:REGION:"
                                 "ACCOUNT:secret:NAME-XXXXXX); give the ARN or the plain name" % given)
        if arn and arn["region"] and region and arn["region"] != region:
            raise SelectionError("%s is in region %s but this task runs in %s; set region: %s for it, or "
                                 "run one task per region" % (given, arn["region"], region, arn["region"]))
        requested.append((given, arn["name"] if arn else given))
    return requested


def name_filter_chunks(requested):
    """ListSecrets name filters for the requested names, at most 10 values each, names deduplicated."""
    search = []
    for _given, name in requested:
        if name not in search:
            search.append(name)
    return [search[start:start + MAX_FILTER_VALUES] for start in range(0, len(search), MAX_FILTER_VALUES)]


def _matches(entries, given, name):
    """Entries named by one name or ARN; a full ARN wins over a partial-ARN reading of the same text."""
    if not given.startswith("arn:"):
        return [entry for entry in entries if entry.get("Name") == name]
    exact = [entry for entry in entries if entry.get("ARN") == given]
    if exact:
        return exact
    # A partial ARN (without AWS's random suffix) names the secret too.
    return [entry for entry in entries if ARN_SUFFIX_RE.sub("", entry.get("ARN") or "") == given]


def select_entries(entries, requested):
    """(entries asked for, in the order seen, each once; [names/ARNs as given that matched none])."""
    wanted, missing = set(), []
    for given, name in requested:
        hits = _matches(entries, given, name)
        if not hits:
            missing.append(given)
        wanted.update(entry.get("ARN") for entry in hits)
    return [entry for entry in entries if entry.get("ARN") in wanted], missing


def _folder_prefix(name):
    """A prefix that certainly matches name: its parent 'folder' ('prod/billing/'), or the name itself."""
    stripped = name.rstrip("/")
    if "/" in stripped:
        return stripped[:stripped.rindex("/") + 1]
    return name


def _top_prefix(name):
    return name.split("/", 1)[0] + "/" if "/" in name else name


def _unique(items):
    seen, result = set(), []
    for item in items:
        if item not in seen:
            seen.add(item)
            result.append(item)
    return result


def listing_requests(names=None, prefixes=None, filters=None, region=None):
    """The ListSecrets filter lists to send (one listing each, unioned by ARN afterwards).

    The user's filters narrow every listing. Prefixes and names become one 'name' filter
    (ASM ORs its values, at most 10 per filter). Names are listed by their parent folder and
    picked out exactly afterwards, so 1,000 names in 3 folders cost what listing the 3 folders
    costs, not 100 listings; with more than 10 folders the top-level folders are used, and
    with more than 10 of those everything the filters allow is listed once.
    Raises SelectionError (from _inventory) for bad filters, names or ARNs.
    """
    base = check_filters(filters)
    prefixes = list(prefixes or [])
    requested = requested_names(names, region)
    if not prefixes and not requested:
        return [base]
    if any(prefix == "" for prefix in prefixes):
        return [base]  # an empty prefix selects everything: no name filter at all
    if any(item["Key"] == "name" for item in base):
        raise SelectionError("names/prefixes and a 'name' filter cannot be combined (ASM would AND two name "
                             "prefixes); use prefixes, or the name filter alone")
    searched = [name for _given, name in requested]
    values = _unique(prefixes + [_folder_prefix(name) for name in searched])
    if len(values) > MAX_FILTER_VALUES:
        values = _unique(prefixes + [_top_prefix(name) for name in searched])
    if len(values) > MAX_FILTER_VALUES and len(prefixes) <= MAX_FILTER_VALUES and requested:
        return [base]
    return [base + [{"Key": "name", "Values": values[start:start + MAX_FILTER_VALUES]}]
            for start in range(0, len(values), MAX_FILTER_VALUES)]


def select_entries_for(entries, region, names=None, prefixes=None):
    """(entries selected, [(given name or ARN, reason_code, reason)] not found), entries deduplicated.

    Selected: every entry when neither names nor prefixes are given (the listing applied the
    filters), else entries whose name starts with a prefix (case-sensitive) or that a name or
    ARN asks for (exact name, full ARN, or ARN without AWS's random suffix).
    """
    unique, seen = [], set()
    for entry in entries:
        if entry.get("ARN") not in seen:
            seen.add(entry.get("ARN"))
            unique.append(entry)
    prefixes = list(prefixes or [])
    requested = requested_names(names, region)
    if not prefixes and not requested:
        return unique, []
    asked, missing = select_entries(unique, requested) if requested else ([], [])
    asked_arns = set(entry.get("ARN") for entry in asked)
    chosen = [entry for entry in unique
              if entry.get("ARN") in asked_arns or any((entry.get("Name") or "").startswith(p) for p in prefixes)]
    not_found = [(given, "not_found", "no secret %s in region %s (or the filters exclude it)" % (given, region))
                 for given in missing]
    return chosen, not_found
