# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Report files (JSON for machines and AWX artifacts, Markdown for people), written atomically.

A reader never sees a half-written report: the text goes to a temporary file in the same
directory, which then replaces the target in one rename. A report whose content has not
changed is not rewritten (its mtime stays), so a scheduled job that finds nothing new
leaves the files alone. JSON is rendered deterministically (sorted keys, two-space
indent, trailing newline), so the same data always gives the same bytes.

Reports carry names, paths, versions and fingerprints: never secret values. Callers
are responsible for what they put in.

Private to this collection: no API promise.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import json
import os
import tempfile

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.errors import CollectionError, PlanError

REPORT_FORMATS = ("json", "markdown")
# Reports name secrets, paths and who read them: private to the user running the task unless asked.
DEFAULT_REPORT_MODE = 0o600


class ReportError(CollectionError):
    """A report file that cannot be written; the message names the file and the fix."""


def _json_default(value):
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    if isinstance(value, bytes):
        raise TypeError("refusing to put raw bytes in a report")
    raise TypeError("%s is not JSON serializable" % type(value).__name__)


def render_json(data):
    """The JSON text of a report: sorted keys, 2-space indent, ASCII-safe, newline at the end."""
    return json.dumps(data, sort_keys=True, indent=2, default=_json_default) + "\n"


def markdown_escape(value):
    """One table cell: None -> '', pipes escaped, line breaks turned into spaces."""
    if value is None:
        return ""
    if isinstance(value, bool):
        value = "yes" if value else "no"
    text = str(value)
    text = text.replace("\\", "\\\\").replace("|", "\\|")
    return " ".join(text.split())


def markdown_table(headers, rows):
    """A GitHub-flavoured Markdown table; every cell goes through markdown_escape."""
    lines = ["| " + " | ".join(markdown_escape(h) for h in headers) + " |",
             "|" + "|".join("---" for _h in headers) + "|"]
    for row in rows:
        cells = [markdown_escape(cell) for cell in row]
        if len(cells) != len(headers):
            raise ValueError("a table row has %d cells for %d headers" % (len(cells), len(headers)))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def parse_mode(text, option="report_mode"):
    """The file mode of an option such as '0640' (octal, as chmod takes it); PlanError otherwise."""
    try:
        mode = int(str(text), 8)
    except ValueError:
        mode = -1
    if not 0 <= mode <= 0o777:
        raise PlanError("%s %r is not a file mode: give octal digits such as '0600' or '0640'" % (option, text))
    return mode


def write_text_atomic(path, text, mode=DEFAULT_REPORT_MODE):
    """Write text (UTF-8) to path atomically, with ``mode``; return False if it already held the text.

    The parent directory is created when missing. The file gets ``mode`` (0600 unless asked
    otherwise) whatever the umask or the mode of the file it replaces, so a report that was
    world-readable once does not stay so; an unchanged file only has its mode corrected.
    """
    mode = DEFAULT_REPORT_MODE if mode is None else mode
    if not path:
        raise ReportError("a report path is empty; give a file name")
    path = os.path.abspath(os.path.expanduser(path))
    data = text.encode("utf-8")
    if os.path.isdir(path):
        raise ReportError("report path %s is a directory; give a file name inside it" % path)
    try:
        with open(path, "rb") as handle:
            unchanged = handle.read() == data
        if unchanged:
            if os.stat(path).st_mode & 0o7777 != mode:
                os.chmod(path, mode)
            return False
    except (IOError, OSError):
        pass
    directory = os.path.dirname(path)
    try:
        # Reports name secrets and paths: private like the files. exist_ok: the regions of a run write into one
        # directory from parallel forks, and a check-then-create lets the loser fail with "File exists".
        os.makedirs(directory, mode=0o700, exist_ok=True)
        handle, tmp_path = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), suffix=".tmp", dir=directory)
    except (IOError, OSError) as exc:
        raise ReportError("cannot write report %s: %s; check that the directory is writable" % (path, exc))
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp_path, mode)
        os.replace(tmp_path, path)
    except (IOError, OSError) as exc:
        try:
            os.unlink(tmp_path)
        except OSError:
            pass
        raise ReportError("cannot write report %s: %s; check that the directory is writable" % (path, exc))
    return True


def write_reports(json_path=None, markdown_path=None, data=None, markdown=None, mode=None):
    """Write the JSON rendering of data and/or the Markdown text; return {format: {path, changed}}.

    Only the formats whose path is given are written. Nothing is returned for the others.
    """
    written = {}
    if json_path:
        changed = write_text_atomic(json_path, render_json(data), mode)
        written["json"] = {"path": os.path.abspath(os.path.expanduser(json_path)), "changed": changed}
    if markdown_path:
        if markdown is None:
            raise ValueError("a Markdown report path was given without Markdown text")
        changed = write_text_atomic(markdown_path, markdown if markdown.endswith("\n") else markdown + "\n", mode)
        written["markdown"] = {"path": os.path.abspath(os.path.expanduser(markdown_path)), "changed": changed}
    return written


def module_reports(paths, data, markdown, check_mode, mode=DEFAULT_REPORT_MODE):
    """The report files of a module run: {format: {path, changed, written}} for the formats given.

    ``paths`` is {"json": path or None, "markdown": path or None}. In check mode nothing is written:
    each format lists the path as given, with ``changed`` and ``written`` false. Otherwise the files
    are written as write_reports does (atomically, an unchanged file left alone). Raises ReportError.
    """
    wanted = [(fmt, paths.get(fmt)) for fmt in REPORT_FORMATS if paths.get(fmt)]
    if check_mode:
        return dict((fmt, {"path": path, "changed": False, "written": False}) for fmt, path in wanted)
    written = write_reports(paths.get("json"), paths.get("markdown"), data, markdown, mode)
    for entry in written.values():
        entry["written"] = True
    return written
