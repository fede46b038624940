"""lab report: REPORT.md, report.html and the README section, from records alone."""

from __future__ import annotations

import json

from report_records import LISTING, MACHINE, STREAMING, record

from lab.cli import main
from lab.measure import append_record
from lab.report import pytest_benchmark
from lab.report.model import build
from lab.report.render import END, START
from lab.strategies import label


def _store_sweep() -> None:
    for tier, scale in (("small", 1), ("medium", 10), ("large", 100)):
        append_record(record(tier, STREAMING, median=0.01 * scale, peak=100_000))
        append_record(record(tier, LISTING, median=0.011 * scale, peak=1_400_000 * scale))


def test_report_writes_markdown_html_and_plots(lab_results_dir, tmp_path, capsys):
    _store_sweep()
    readme = tmp_path / "README.md"
    readme.write_text("# lab\n")
    assert main(["report", "--readme", str(readme)]) == 0
    markdown = (lab_results_dir / "REPORT.md").read_text()
    assert MACHINE["cpu"] in markdown and "abc123def456" in markdown and "2026-01-01" in markdown
    assert "## Claims" in markdown and "## analytics" in markdown
    assert "![analytics reader" in markdown
    assert "n^1.00" in markdown and "n^0.00" in markdown
    assert (lab_results_dir / "plots" / "analytics-reader.png").read_bytes()[:4] == b"\x89PNG"
    html = (lab_results_dir / "report.html").read_text()
    assert "data:image/png;base64," in html and "<script" not in html
    assert "http://" not in html and "https://" not in html
    assert readme.read_text() == "# lab\n"
    assert "no claims markers" in capsys.readouterr().out


def test_report_rewrites_the_readme_section_from_claims_md(lab_results_dir, tmp_path):
    _store_sweep()
    assert main(["verify", "--tiers", "tiny"]) == 0
    readme = tmp_path / "README.md"
    readme.write_text(f"# lab\n\n{START}\nnothing measured\n{END}\n\nmore\n")
    assert main(["report", "--readme", str(readme)]) == 0
    text = readme.read_text()
    assert "nothing measured" not in text
    assert "| Stream 1M rows: ~5 seconds, <1MB (stream-1m) |" in text
    assert text.startswith("# lab\n\n" + START) and text.endswith(END + "\n\nmore\n")


def _benchmark_json() -> dict:
    return {
        "machine_info": {"python_version": "3.11.7", "cpu": {"brand_raw": "Bench CPU", "count": 2}},
        "commit_info": {"id": "0123456789abcdef", "dirty": True},
        "datetime": "2026-05-01T10:00:00+00:00",
        "benchmarks": [
            {
                "name": "test_reader[list]",
                "fullname": "tests/benchmarks/test_analytics_bench.py::test_reader[list]",
                "params": {"choices": dict(LISTING)},
                "extra_info": {"choices": dict(LISTING), "tier": "small", "n": 10_000},
                "stats": {"median": 0.02, "iqr": 0.001, "data": [0.019, 0.02, 0.021]},
            }
        ],
    }


def test_pytest_benchmark_json_becomes_records():
    (r,) = pytest_benchmark.to_records(_benchmark_json())
    assert r["system"] == "analytics" and r["tier"] == "small" and r["choices"] == LISTING
    assert r["source"] == "pytest-benchmark" and r["samples"] == [0.019, 0.02, 0.021]
    assert r["median_s"] == 0.02 and r["per_s"] == 500_000 and r["commit"] == "0123456789ab+dirty"
    assert r["machine"]["cpu"] == "Bench CPU"


def test_report_imports_pytest_benchmark_results(lab_results_dir, tmp_path):
    storage = tmp_path / "pytest-benchmark" / "Linux-CPython-3.11-64bit"
    storage.mkdir(parents=True)
    (storage / "0001_abc.json").write_text(json.dumps(_benchmark_json()))
    assert main(["report", "--pytest-benchmark", str(tmp_path / "pytest-benchmark"), "--readme", "x"]) == 0
    markdown = (lab_results_dir / "REPORT.md").read_text()
    assert "## analytics (pytest-benchmark)" in markdown and "Bench CPU" in markdown


def test_report_refuses_what_is_not_pytest_benchmark_json(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]")
    assert main(["report", "--pytest-benchmark", str(bad)]) == 1
    assert "not pytest-benchmark JSON" in capsys.readouterr().err


def test_an_axis_view_is_compared_with_its_own_baseline():
    """The executor view of the bytes reader: ratios to executor=serial, not to the generator."""
    from lab.analytics import SYSTEM
    from lab.cli.report import layouts

    serial = SYSTEM.complete({"reader": "bytes", "executor": "serial"})
    pool = SYSTEM.complete({"reader": "bytes", "executor": "processes"})
    records = [record("small", serial, median=0.2), record("small", pool, median=0.1)]
    (section,) = build(records, {"analytics": layouts()["analytics"]}).sections
    (view,) = [v for v in section.views if v.axis == "executor"]
    ratios = {row.label: row.time_ratio for row in view.rows}
    assert ratios == {label(serial): 1.0, label(pool): 0.5}
    assert "executor=serial" in view.reference


def test_a_view_with_nothing_to_plot_gets_no_plot(lab_results_dir):
    from lab.report.publish import write_report

    records = [record("small", STREAMING, peak=None).replace(samples=[], median_s=None, iqr_s=None)]
    report = build(records, {})
    write_report(report, lab_results_dir)
    assert not list((lab_results_dir / "plots").glob("*.png"))
    assert "![" not in (lab_results_dir / "REPORT.md").read_text()
