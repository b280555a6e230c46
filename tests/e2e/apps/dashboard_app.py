"""genai_app.py's calls, twice: the workload behind the dashboard test.

Run it as ``opentelemetry-instrument python dashboard_app.py`` with genai_app.py's environment.
Each pass prints ``RESULT ...`` and ``READY`` and waits for a line on stdin; between the passes
the test lets Prometheus scrape, so the counters visibly rise from one scrape to the next (rates,
histogram quantiles) as well as appear (recording rules).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path


def main() -> int:
    spec = importlib.util.spec_from_file_location("genai_app", Path(__file__).with_name("genai_app.py"))
    assert spec is not None and spec.loader is not None
    workload = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(workload)
    for _ in range(2):
        workload.main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
