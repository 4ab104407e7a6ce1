"""How long the main command takes: the default study in an empty directory, stage by stage, then `infercost report`
again on the same records, and `infercost recommend` over the whole catalog.

    python benchmarks/study_time.py [--out DIR] [--skip-study]

Each stage is timed from the outside, the way a new user meets it: `infercost study` (measuring, then the fits,
figures, answers and HTML; the split comes from the study's own plain progress lines on stderr, each stamped as it
arrives), then `infercost report DIR` on the same records, then `infercost recommend --model resnet50 --slo-ms 100
--qps 50`. Goals (issue 32): the study under 10 minutes with report.html and summary.md written, the report again
under 30 s, recommend under 5 s, on a 2-core VM.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def timed(command: list[str], stamp_lines: bool = False) -> tuple[float, list[tuple[float, str]], int]:
    """Seconds the command took, its stderr lines each with the second it arrived, and its exit code."""
    start = time.monotonic()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    lines = [(time.monotonic() - start, line.rstrip()) for line in proc.stderr] if stamp_lines else []
    proc.wait()
    return time.monotonic() - start, lines, proc.returncode


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=None, help="The study's directory (default: a new temporary one).")
    parser.add_argument("--skip-study", action="store_true", help="Time only report and recommend on --out.")
    args = parser.parse_args()
    out = Path(args.out or tempfile.mkdtemp(prefix="infercost-study-time-"))
    exe = [sys.executable, "-m", "infercost"]
    if not args.skip_study:
        total, lines, code = timed([*exe, "study", "--out", str(out)], stamp_lines=True)
        measured = max((t for t, line in lines if line.startswith("[") and ":" in line
                        and not line.split("] ", 1)[-1].startswith(("fits", "figures", "report:"))), default=0.0)
        print(f"study: {total:.0f} s in all (exit {code}); measuring {measured:.0f} s, then {total - measured:.0f} s "
              f"of fits, figures, answers and HTML")
        previous = measured
        for t, line in lines:
            label = line.split("] ", 1)[-1]
            if label.startswith(("fits", "figures", "report:")):
                print(f"  {label:60} {t - previous:6.1f} s")
                previous = t
        for name in ("report.html", "summary.md"):
            print(f"  {name}: {'written' if (out / name).exists() else 'MISSING'}")
    seconds, _, code = timed([*exe, "report", str(out)])
    print(f"infercost report on the same records: {seconds:.1f} s (exit {code})")
    seconds, _, code = timed([*exe, "recommend", "--model", "resnet50", "--slo-ms", "100", "--qps", "50"])
    print(f"infercost recommend --model resnet50 over the whole catalog: {seconds:.1f} s (exit {code})")


if __name__ == "__main__":
    main()
