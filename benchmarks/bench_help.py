"""Start-up benchmark: ``pmae --help`` against ``python -c "import click"``.

The command line imports a command's module only when that command runs (or shows its own
``--help``), so listing the commands should cost little more than starting Python and importing
click. Each measurement is a fresh process (nothing is warm but the operating system's file
cache), repeated; the medians are compared. The goal is a ratio of at most 1.3.

    python benchmarks/bench_help.py                 # 15 runs of each, after 2 warm-up runs
    python benchmarks/bench_help.py --repeat 31

It also lists the pmae modules that ``pmae --help`` imported (only ``pmae``, ``pmae.cli`` and
the languages of its messages, ``pmae.cli.translate`` and ``pmae.i18n``, are expected) and checks that ``import pmae.model``
loads no module of ``pmae.io``.

A script that prints figures, not a timed test; it exits 1 when the ratio is over the goal.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import subprocess
import sys
import time

GOAL = 1.3

#: The console script's own work: ``pmae = "pmae.cli:main"``, called as the script does.
HELP = "import sys; from pmae.cli import main; sys.argv = ['pmae', '--help']; main()"
CLICK = "import click"
MODULES = ("import sys; from pmae.cli import main\ntry:\n    main(['--help'])\n"
           "except SystemExit:\n    pass\n"
           "print(' '.join(sorted(m for m in sys.modules if m.startswith('pmae'))),"
           " file=sys.stderr)")
MODEL = ("import sys, pmae.model; "
         "print(' '.join(sorted(m for m in sys.modules if m.startswith('pmae.io'))))")


def _run(code: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def _median(code: str, repeat: int) -> float:
    return statistics.median(_run(code) for _ in range(repeat))


def main(argv: list[str] | None = None) -> int:
    """Measure, print the medians and the ratio; 1 when the ratio is over the goal."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=15, help="runs of each (default 15)")
    parser.add_argument("--warmup", type=int, default=2, help="runs not counted (default 2)")
    args = parser.parse_args(argv)
    for _ in range(args.warmup):
        _run(CLICK)
        _run(HELP)
    # Interleaved, so a burst of load on the machine weighs on both alike.
    click_times, help_times = [], []
    for _ in range(args.repeat):
        click_times.append(_run(CLICK))
        help_times.append(_run(HELP))
    click_s, help_s = statistics.median(click_times), statistics.median(help_times)
    ratio = help_s / click_s
    loaded = subprocess.run([sys.executable, "-c", MODULES], check=True, capture_output=True,
                            text=True).stderr.split()
    io_modules = subprocess.run([sys.executable, "-c", MODEL], check=True, capture_output=True,
                                text=True).stdout.split()
    print(f"pmae --help start-up: medians of {args.repeat} fresh processes; Python "
          f"{platform.python_version()}")
    print(f"python -c 'import click'   {click_s * 1000:8.1f} ms")
    print(f"pmae --help                {help_s * 1000:8.1f} ms")
    print(f"ratio                      {ratio:8.2f}   (goal ≤ {GOAL})")
    print(f"pmae modules imported by pmae --help: {' '.join(loaded)}")
    print(f"pmae.io modules imported by import pmae.model: {' '.join(io_modules) or 'none'}")
    return 0 if ratio <= GOAL and not io_modules else 1


if __name__ == "__main__":
    sys.exit(main())
