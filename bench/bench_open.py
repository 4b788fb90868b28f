"""`make bench-open` (issue 15): the open-territory benchmarks, one script each, run one after
the other so they do not share the cores:

- bench_open_agenda.py    5,000 events: /agenda.ics p95, and its 304 on an unchanged ETag
- bench_open_feedsin.py   a 1,000-event iCal feed imported, then imported again
- bench_open_api.py       the read API's list pages p95
- bench_open_webhooks.py  from an event's commit to the endpoint receiving it, p95

Each prints its figures as ``name: value`` lines; a part that fails is said and the others run.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PARTS = ("bench_open_agenda.py", "bench_open_feedsin.py", "bench_open_api.py", "bench_open_webhooks.py")


def main() -> int:
    failed = []
    for part in PARTS:
        script = ROOT / "bench" / part
        if not script.exists():
            print(f"{part}: not present")
            failed.append(part)
            continue
        print(f"== {part}", flush=True)
        if subprocess.run([sys.executable, str(script)], cwd=ROOT).returncode != 0:
            print(f"{part}: failed", flush=True)
            failed.append(part)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
