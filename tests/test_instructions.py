"""The instruction count of a process depends on the code it runs, not on the shell it is
started from: neither the variables a shell changes per command nor the working directory
reach it."""

from __future__ import annotations

import shutil
import sys

import pytest

from lab.measure.instructions import count_process, counting_env

pytestmark = pytest.mark.skipif(shutil.which("valgrind") is None, reason="valgrind is not installed")

LOOP = "s = 0\nfor i in range(20000):\n    s += i\n"


def test_the_shell_around_a_count_does_not_enter_it(tmp_path, monkeypatch):
    script = tmp_path / "loop.py"
    script.write_text(LOOP)
    counts = []
    for size, folder in ((1, tmp_path), (4000, tmp_path / "a-working-directory-with-a-longer-name")):
        folder.mkdir(exist_ok=True)
        monkeypatch.setenv("OLDPWD", "/" + "x" * size)
        monkeypatch.chdir(folder)
        counts.append(count_process([sys.executable, "-c", f"exec(open({str(script)!r}).read())"]))
    assert counts[0] > 10_000_000
    assert counts[0] == counts[1]  # before: 430 and 496 apart


def test_the_counted_process_keeps_the_rest_of_the_environment(monkeypatch):
    monkeypatch.setenv("LAB_DATA_DIR", "/some/data")
    monkeypatch.setenv("A_SETTING_OF_THE_USER", "x")
    monkeypatch.setenv("OLDPWD", "/somewhere")
    env = counting_env({"LAB_RESULTS_DIR": "/some/results"})
    assert env["LAB_DATA_DIR"] == "/some/data" and env["LAB_RESULTS_DIR"] == "/some/results"
    assert env["A_SETTING_OF_THE_USER"] == "x" and env["PYTHONHASHSEED"] == "0"
    assert "OLDPWD" not in env
