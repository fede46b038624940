"""The ``lab`` command, called in-process through ``lab.cli.main`` (and once as installed).

Usage errors exit 2 with one ``lab: error: ...`` line on stderr that names the
valid choices; unreadable input exits 1; no traceback ever reaches the user.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lab.analytics import SYSTEM
from lab.cli import main
from lab.measure import load_records
from lab.tiers import TIERS

RECORD_FIELDS = {
    "system",
    "tier",
    "choices",
    "n",
    "samples",
    "median_s",
    "iqr_s",
    "fingerprint",
    "commit",
    "machine",
    "timestamp",
    "peak_bytes",
}


AXES = ", ".join(a.name for a in SYSTEM.axes)


def names(axis):
    return ", ".join(SYSTEM.axis(axis).names())


def error_line(capsys, code, argv):
    """Run ``lab argv``; check the exit code and that stderr holds one error line; return it."""
    assert main(argv) == code
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("lab: error: "), err
    return lines[0]


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["run", "nope"], "unknown system 'nope' (choose from: analytics"),
        (["list", "nope"], "unknown system 'nope' (choose from: analytics"),
        (["sweep", "nope"], "unknown system 'nope' (choose from: analytics"),
        (["data", "tiny", "--system", "nope"], "unknown system 'nope' (choose from: analytics"),
        (["run", "analytics", "--tier", "nope"], f"unknown tier 'nope' (choose from: {', '.join(TIERS)})"),
        (["data", "nope"], f"unknown tier 'nope' (choose from: {', '.join(TIERS)})"),
        (["sweep", "analytics", "--tiers", "tiny,nope"], "unknown tier 'nope' (choose from: tiny, small"),
        (
            ["run", "analytics", "--set", "nope=x"],
            f"unknown axis 'nope' for system 'analytics' (choose from: {AXES})",
        ),
        (
            ["sweep", "analytics", "--axis", "nope"],
            "unknown axis 'nope' for system 'analytics' (choose from: ",
        ),
        (
            ["run", "analytics", "--set", "reader=nope"],
            f"unknown strategy 'nope' for axis 'reader' (choose from: {names('reader')})",
        ),
        (
            ["run", "analytics", "--set", "stats=nope"],
            f"unknown strategy 'nope' for axis 'stats' (choose from: {names('stats')})",
        ),
        (
            ["run", "analytics", "--set", "engine=nope"],
            f"unknown strategy 'nope' for axis 'engine' (choose from: {names('engine')})",
        ),
        (["run", "analytics", "--set", "reader"], "--set takes AXIS=NAME, not 'reader'"),
        (["run", "analytics", "--set", "chunk_size=many"], "parameter 'chunk_size' takes a whole number"),
        (["run", "analytics", "--repeat", "0"], "--repeat must be at least 1"),
    ],
)
def test_unknown_names_exit_2_naming_the_choices(capsys, argv, expected):
    line = error_line(capsys, 2, argv)
    assert expected in line


@pytest.mark.parametrize(
    ("settings", "reason"),
    [
        (
            ["reader=list", "stats=chan"],
            "chan merges per-block statistics; the list reader yields single rows",
        ),
        (["reader=generator", "stats=chan"], "chan merges per-block statistics"),
        (["reader=chunked", "stats=welford"], "welford takes one value at a time"),
        (["engine=duckdb", "reader=list"], "axis 'reader' does not apply to engine=duckdb"),
    ],
)
def test_impossible_combination_exits_2_with_the_reason(capsys, settings, reason):
    argv = ["run", "analytics", "--tier", "tiny"]
    for pair in settings:
        argv += ["--set", pair]
    line = error_line(capsys, 2, argv)
    assert reason in line
    if "does not apply" not in reason:
        assert "cannot work" in line and " ".join(settings) in line


def test_argparse_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as info:
        main([])
    assert info.value.code == 2
    assert "usage: lab" in capsys.readouterr().err


def run_json(capsys, argv):
    assert main(argv) == 0, capsys.readouterr().err
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return json.loads(out)


def test_run_json_prints_the_record(capsys, lab_results_dir):
    record = run_json(capsys, ["run", "analytics", "--tier", "tiny", "--repeat", "1", "--json"])
    assert RECORD_FIELDS <= set(record)
    assert record["system"] == "analytics" and record["tier"] == "tiny"
    assert record["choices"] == SYSTEM.reference()
    assert record["n"] == TIERS["tiny"].rows
    assert len(record["samples"]) == 1 and record["median_s"] == record["samples"][0] > 0
    assert record["iqr_s"] == 0.0
    assert record["peak_bytes"] is None  # no --memory, no memray run
    assert record["counts"] == {"rows_in": 1000, "rows_ok": 1000, "rows_quarantined": 0}
    assert record["answer"]["overall"]["count"] == 1000
    assert {"cpu", "cores", "python"} <= set(record["machine"])
    assert record["commit"]
    [stored] = load_records([lab_results_dir / "runs"])
    assert stored["fingerprint"] == record["fingerprint"]
    assert stored["timestamp"] == record["timestamp"]


def test_run_json_with_memory_and_settings(capsys):
    argv = ["run", "analytics", "--tier", "tiny", "--repeat", "2", "--warmup", "0", "--json", "--memory"]
    argv += ["--set", "reader=chunked", "--set", "chunk_size=100"]
    record = run_json(capsys, argv)
    assert RECORD_FIELDS <= set(record)
    assert isinstance(record["peak_bytes"], int) and record["peak_bytes"] > 0
    assert record["choices"]["reader"] == "chunked" and record["choices"]["stats"] == "chan"
    assert record["params"]["chunk_size"] == 100
    assert len(record["samples"]) == 2


def test_run_prints_a_table_for_people(capsys):
    assert main(["run", "analytics", "--tier", "tiny", "--repeat", "1", "--warmup", "0"]) == 0
    out = capsys.readouterr().out
    assert "analytics" in out and "median" in out and "fingerprint" in out
    assert "(all)" in out and "groceries" in out


def test_run_on_a_user_file_quarantines_the_bad_row(capsys, tmp_path, lab_results_dir):
    path = tmp_path / "spend.csv"
    path.write_bytes(b"who;total;team\nann;1.5;x\nbob;oops;y\ncat;2.5;y\n")
    argv = ["run", "analytics", "--input", str(path), "--column", "total", "--group-by", "team"]
    record = run_json(capsys, argv + ["--repeat", "1", "--json"])
    assert record["tier"] == "file:spend.csv"
    assert record["counts"] == {"rows_in": 3, "rows_ok": 2, "rows_quarantined": 1}
    assert record["answer"]["overall"]["mean"] == 2.0
    assert sorted(record["answer"]["groups"]) == ["x", "y"]
    quarantine = Path(record["details"]["quarantine_file"])
    assert quarantine.parent == lab_results_dir / "quarantine"
    assert quarantine.read_text().splitlines() == [
        "line,reason,raw",
        "3,total is not a number: 'oops',bob;oops;y",
    ]
    [stored] = load_records([lab_results_dir / "runs"])
    assert stored["tier"] == "file:spend.csv" and stored["counts"]["rows_quarantined"] == 1


def test_run_on_a_user_file_with_a_delimiter(capsys, tmp_path):
    path = tmp_path / "colon.csv"
    path.write_text("a:b\n1:x\n3:x\n")
    argv = ["run", "analytics", "--input", str(path), "--column", "a", "--delimiter", ":"]
    record = run_json(capsys, argv + ["--repeat", "1", "--json"])
    assert record["answer"]["overall"]["mean"] == 2.0
    assert record["answer"]["groups"] == {}


@pytest.mark.parametrize(
    ("content", "extra", "code", "expected"),
    [
        (None, ["--column", "x"], 1, "no such file"),
        (b"", ["--column", "x"], 1, "is empty"),
        (b"a,b\n1,2\n", ["--column", "x"], 1, "has no column 'x' (its columns: a, b)"),
        (b"a,b\n1,2\n", [], 2, "--input needs --column"),
    ],
    ids=["missing", "empty", "no-such-column", "no-column-option"],
)
def test_run_on_unreadable_input(capsys, tmp_path, content, extra, code, expected):
    path = tmp_path / "input.csv"
    if content is not None:
        path.write_bytes(content)
    line = error_line(capsys, code, ["run", "analytics", "--input", str(path), "--repeat", "1", *extra])
    assert expected in line


def test_list(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "analytics" in out


def test_list_analytics_shows_axes_strategies_and_references(capsys):
    assert main(["list", "analytics"]) == 0
    out = capsys.readouterr().out
    for axis in SYSTEM.axes:
        assert axis.name in out
        assert f"{axis.reference} (reference)" in out
        for name in axis.names():
            assert name in out
    assert "chunk_size=" in out


def test_sweep_writes_records_and_the_summary(capsys, lab_results_dir):
    argv = ["sweep", "analytics", "--tiers", "tiny", "--axis", "reader", "--repeat", "1", "--no-memory"]
    assert main(argv) == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    plan = SYSTEM.combinations("reader")
    records = load_records([lab_results_dir / "runs"])
    assert [r["choices"] for r in records] == plan
    assert all(r["tier"] == "tiny" and r["peak_bytes"] is None for r in records)
    assert len({r["fingerprint"] for r in records}) == 1

    summary = lab_results_dir / "sweep-analytics.md"
    assert str(summary) in out.replace("\n", "")
    text = summary.read_text()
    assert text.startswith("# analytics sweep")
    table = [line for line in text.splitlines() if line.startswith("| tiny |")]
    assert len(table) == len(plan)
    assert sum("(ref)" in line for line in table) == 1


def test_data_prepares_the_tier(capsys, lab_data_dir):
    assert main(["data", "tiny", "--system", "analytics"]) == 0
    assert (lab_data_dir / "transactions-tiny-seed0.csv").exists()


def lab_command():
    found = shutil.which("lab", path=str(Path(sys.executable).parent))
    if found is None:
        pytest.skip("the lab entry point is not installed next to this Python")
    return found


def test_installed_entry_point():
    lab = lab_command()
    bad = subprocess.run([lab, "run", "analytics", "--tier", "nope"], capture_output=True, text=True)
    assert bad.returncode == 2
    assert bad.stdout == ""
    assert bad.stderr.strip().splitlines() == [
        f"lab: error: unknown tier 'nope' (choose from: {', '.join(TIERS)})"
    ]
    good = subprocess.run([lab, "list", "analytics"], capture_output=True, text=True, env=os.environ.copy())
    assert good.returncode == 0, good.stderr
    assert "welford (reference)" in good.stdout


def test_tier_and_input_together_are_refused(capsys, tmp_path):
    data = tmp_path / "a.csv"
    data.write_text("amount\n1\n")
    assert main(["run", "analytics", "--input", str(data), "--column", "amount", "--tier", "tiny"]) == 2
    assert "--tier and --input name two inputs" in capsys.readouterr().err
    assert main(["run", "analytics", "--tier", "tiny", "--column", "amount"]) == 2
    assert "--column is for --input" in capsys.readouterr().err


def test_a_negative_warmup_is_refused(capsys):
    assert main(["run", "analytics", "--tier", "tiny", "--warmup", "-1"]) == 2
    assert "--warmup cannot be negative" in capsys.readouterr().err


@pytest.mark.parametrize("system", ["finance", "etl"])
def test_every_system_refuses_a_tier_beside_its_own_input(system, capsys, tmp_path):
    data = tmp_path / "a.csv"
    data.write_text("x\n1\n")
    assert main(["run", system, "--input", str(data), "--tier", "tiny"]) == 2
    assert "--tier and --input name two inputs" in capsys.readouterr().err
