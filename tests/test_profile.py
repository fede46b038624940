"""lab profile: flame graphs named after what ran, and clear messages when a profiler cannot run."""

from __future__ import annotations

import json

import pytest

from lab.cli import main
from lab.cli import profile as profile_cli
from lab.report.flame import read_collapsed


def test_profile_names_say_what_ran():
    name = profile_cli.profile_name("analytics", "large", {"reader": "list", "stats": "welford"}, {})
    assert name == "analytics-large-list-welford"
    with_param = profile_cli.profile_name("analytics", "small", {"reader": "chunked"}, {"chunk_size": 500})
    assert with_param == "analytics-small-chunked-chunk_size-500"


@pytest.mark.parametrize(
    "stderr",
    [
        "Error: Permission Denied: Try running again with elevated permissions",
        "Failed to attach: Operation not permitted (os error 1)",
        "ptrace(PTRACE_ATTACH) failed",
    ],
)
def test_ptrace_refusals_are_recognised(stderr):
    assert profile_cli.ptrace_refused(1, stderr)
    assert not profile_cli.ptrace_refused(0, stderr)
    assert not profile_cli.ptrace_refused(1, "ModuleNotFoundError: no module named x")


def test_a_missing_profiler_is_a_clear_error(monkeypatch, capsys):
    monkeypatch.setattr(profile_cli, "_tool", lambda name: None)
    assert main(["profile", "analytics", "--tier", "tiny", "--with", "py-spy"]) == 2
    assert "py-spy is not installed" in capsys.readouterr().err


def test_a_ptrace_refusal_is_a_clear_error(monkeypatch, capsys, tmp_path):
    refusing = tmp_path / "py-spy"
    refusing.write_text(
        "#!/bin/sh\necho 'Error: Permission Denied: Try again with elevated permissions' >&2\nexit 1\n"
    )
    refusing.chmod(0o755)
    monkeypatch.setattr(profile_cli, "_tool", lambda name: str(refusing))
    assert main(["profile", "analytics", "--tier", "tiny", "--with", "py-spy", "--duration", "0.1"]) == 1
    err = capsys.readouterr().err
    assert "ptrace" in err and "SYS_PTRACE" in err


def test_py_spy_writes_a_flame_graph_and_a_speedscope_profile(lab_results_dir, capsys):
    argv = ["profile", "analytics", "--tier", "tiny", "--set", "reader=list", "--with", "py-spy"]
    code = main([*argv, "--duration", "1"])
    if code == 1 and "ptrace" in capsys.readouterr().err:
        pytest.skip("py-spy may not trace processes here")
    assert code == 0
    folder = lab_results_dir / "profiles"
    (raw,) = folder.glob("analytics-tiny-lab-list-*.py-spy.collapsed.txt")
    stacks = read_collapsed(raw)
    total = sum(count for _, count in stacks)
    assert total > 20
    assert not any("importlib" in ";".join(frames) for frames, _ in stacks)  # attached after imports
    (svg,) = folder.glob("analytics-tiny-lab-list-*.py-spy.svg")
    assert b"<svg" in svg.read_bytes()[:2000] and f"{total:,} samples".encode() in svg.read_bytes()
    (profile,) = folder.glob("analytics-tiny-lab-list-*.py-spy.speedscope.json")
    speedscope = json.loads(profile.read_text())
    assert "speedscope" in speedscope["$schema"]
    assert sum(speedscope["profiles"][0]["weights"]) == total  # the same samples as the flame graph


def test_memray_writes_a_flame_graph_and_stats(lab_results_dir, capsys):
    assert main(["profile", "analytics", "--tier", "tiny", "--with", "memray"]) == 0
    folder = lab_results_dir / "profiles"
    (html,) = folder.glob("analytics-tiny-lab-generator-welford*.memray.html")
    assert "<html" in html.read_text().lower()
    (stats_file,) = folder.glob("analytics-tiny-lab-generator-welford*.memray-stats.json")
    stats = json.loads(stats_file.read_text())
    assert stats["metadata"]["peak_memory"] > 0
    assert "peak heap" in capsys.readouterr().out
