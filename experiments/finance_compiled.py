"""The finance ledger compiled: the same modules built with mypyc, against the interpreted ones,
at a tier (default ``large``), in child processes run alternately round by round.

    python experiments/finance_compiled.py [--tier large] [--rounds 3]

Needs mypy (``pip install mypy``: its mypyc and a C compiler). Copies the ``lab`` package into a
temporary folder, compiles the modules of :data:`COMPILED` there, unchanged, and runs each money
of :data:`MONIES` (in memory, every rule, check and event) once per round with the interpreted
package and once with the compiled one, each in a fresh process. Writes
``results/experiments/finance_compiled_<tier>.md``: medians of transactions per second (their
range) and the median of each round's ratio, compiled against interpreted.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from repeats import paired_ratio, spread

from lab.paths import data_dir

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "results/experiments"
#: The ledger's hot path: what a transaction runs, module by module.
COMPILED = (
    "lab/finance/ledger.py",
    "lab/finance/compliance.py",
    "lab/finance/lifecycle.py",
    "lab/finance/accounts.py",
)
MONIES = ("decimal", "int")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tier", default="large")
    p.add_argument("--rounds", type=int, default=3, help="runs of each build and money (default 3)")
    p.add_argument("--child", metavar="MONEY", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        print(json.dumps(child(args.tier, args.child)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        build = compile_copy(Path(tmp))
        builds = {"interpreted": ROOT, "compiled": build}
        rates: dict[tuple[str, str], list[float]] = {(b, m): [] for b in builds for m in MONIES}
        digests: set[str] = set()
        for r in range(args.rounds):
            order = list(builds) if r % 2 == 0 else list(reversed(builds))  # neither always first
            for money in MONIES:
                for name in order:
                    found = run_child(builds[name], args.tier, money)
                    if found["compiled"] != (name == "compiled"):
                        raise SystemExit(f"{name} run loaded {found['module']}")
                    rates[name, money].append(found["rate"])
                    digests.add(found["digest"])
                    print(f"round {r + 1}: {name} {money}: {found['rate']:,.0f} transactions/s")
    write(args.tier, args.rounds, rates, len(digests) == 1)


def compile_copy(tmp: Path) -> Path:
    """A copy of the ``lab`` package under ``tmp`` with :data:`COMPILED` built by mypyc in place."""
    shutil.copytree(ROOT / "lab", tmp / "lab", ignore=shutil.ignore_patterns("__pycache__", "*.so"))
    print(f"compiling {len(COMPILED)} modules with mypyc ...")
    done = subprocess.run(
        [sys.executable, "-m", "mypyc", *COMPILED], cwd=tmp, capture_output=True, text=True, check=False
    )
    if done.returncode:
        raise SystemExit(f"mypyc failed (is mypy installed?):\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return tmp


def run_child(path: Path, tier: str, money: str) -> dict:
    """One run in a fresh process whose ``lab`` is the one under ``path``."""
    env = dict(os.environ, PYTHONPATH=str(path), LAB_DATA_DIR=str(data_dir().resolve()))
    done = subprocess.run(
        [sys.executable, __file__, "--tier", tier, "--child", money],
        cwd=path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.splitlines()[-1])


def child(tier: str, money: str) -> dict:
    """Run the reference with ``money`` at ``tier``: its processing rate, and which ledger ran."""
    from lab import tiers
    from lab.finance import SYSTEM, ledger, prepare
    from lab.scenario import run_once

    workload = prepare(tiers.get(tier))
    outcome = run_once(SYSTEM, workload, SYSTEM.complete({"money": money}))
    return {
        "rate": len(workload.rows) / outcome.details["process_s"],
        "module": ledger.__file__,
        "compiled": not ledger.__file__.endswith(".py"),
        "digest": outcome.answer["balances_digest"],
    }


def write(tier: str, rounds: int, rates: dict[tuple[str, str], list[float]], same: bool) -> None:
    lines = [
        f"# finance at {tier}: the ledger interpreted and compiled with mypyc, {rounds} rounds",
        "",
        f"The modules {', '.join(f'`{m}`' for m in COMPILED)}, unchanged, compiled with mypyc;",
        "each run in a fresh process, the two builds alternating. Medians (range); the ratio is the",
        "median of each round's compiled rate over its interpreted one.",
        "",
        f"Every run's balances the same (one digest, both builds, both monies): {'yes' if same else 'NO'}.",
        "",
        "| money | interpreted, transactions/s | compiled, transactions/s | compiled / interpreted |",
        "|---|---|---|---|",
    ]
    for money in MONIES:
        slow, fast = rates["interpreted", money], rates["compiled", money]
        ratio = paired_ratio(fast, slow)
        lines.append(f"| {money} | {spread(slow)} | {spread(fast)} | {ratio:.2f}x |")
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"finance_compiled_{tier}.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
