#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""2,000 secrets migrated and read back against ScaiVault's managed default limits, in real time.

    python tests/bench/managed_limits.py                   # N=2000, time scale 1: about 20 minutes
    python tests/bench/managed_limits.py --time-scale 10   # the same ratios in a tenth of the time

Starts its own servers (tests/harness/servers.py), runs tests/integration/managed_limits.py and prints the figures;
exits non-zero when more than 1% of the requests were answered 429 or a secret is missing. The time-scaled variant
(60x) runs in make test: tests/integration/test_pacing.py.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

TESTS_DIR = Path(__file__).resolve().parent.parent
if str(TESTS_DIR) not in sys.path:
    sys.path.insert(0, str(TESTS_DIR))

from harness.servers import Servers, ensure_layout  # noqa: E402  pylint: disable=wrong-import-position
from integration.managed_limits import minimum_write_seconds, run_managed_limits  # noqa: E402  pylint: disable=wrong-import-position


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--time-scale", type=float, default=1.0)
    parser.add_argument("--workers", type=int, default=8)
    args = parser.parse_args(argv)
    ensure_layout()
    with tempfile.TemporaryDirectory(prefix="scaivault-bench-limits-") as state_dir:
        srv = Servers(state_dir=Path(state_dir))
        srv.start()
        try:
            figures = run_managed_limits(srv, args.n, time_scale=args.time_scale, workers=args.workers)
        finally:
            srv.stop()
    stored_ok = figures.pop("stored") == dict((path, 1) for path in figures.pop("expected_paths"))
    share = figures["status_429"] / float(figures["requests"] or 1)
    figures.update(stored_ok=stored_ok, share_429=round(share, 4),
                   minimum_write_seconds=round(minimum_write_seconds(args.n, args.time_scale), 1))
    print(json.dumps(figures, indent=1, sort_keys=True))
    ok = stored_ok and share <= 0.01 and not figures["migrate_failed"] and figures["read_ok"]
    print("managed limits, N=%d, time scale %g: %s (429 share %.2f%%, writes %.0fs, total %.0fs)" % (
        args.n, args.time_scale, "ok" if ok else "FAILED", share * 100, figures["write_seconds"], figures["elapsed_seconds"]))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
