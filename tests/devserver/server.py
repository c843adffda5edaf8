#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright: ScaiLabs
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Entry point: ``python tests/devserver/server.py --port 0 --port-file FILE --data-dir DIR ...``.

The CLI is fixed by docs/development.md; the work happens in ``main.py``. Run as a script,
this file puts ``tests/`` on sys.path so that the ``devserver`` package imports normally.
"""

import os
import sys

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from devserver.main import main  # pylint: disable=import-error
else:
    from .main import main

if __name__ == "__main__":
    sys.exit(main())
