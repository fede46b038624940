"""``lab web-load``: short bounded load runs against lab's app under gunicorn on loopback. Each
configuration leaves a record with a positive rate and no errors; the generator is another
process; the server is stopped after errors and interrupts too. No speed is asserted."""

from __future__ import annotations

import json
import os
import shutil

import pytest

from lab.cli import main
from lab.measure import load_records
from lab.web import load, loadgen, sustain
from lab.web.launch import ServerError, running
from lab.web.loadapps import CONFIGS, PATH, headers
from lab.web.loadclient import Connection, percentile
from lab.web.loadgen import LoadError, Result

SHORT = ["--duration", "1", "--warmup", "0", "--connections", "2", "--workers", "1", "--tier", "tiny"]
SHORT += ["--rounds", "1", "--threads", "2"]


def records_of(folder):
    return [r for r in load_records([folder / "runs"]) if r.source in (load.SOURCE, load.SUSTAINED)]


def check_records(records, names):
    assert [r.extras["configuration"] for r in records] == names
    for r in records:
        assert r.system == "web" and r.item == "requests" and r.tier == "tiny"
        assert r.n > 0 and r.per_s > 0 and r.counts["errors"] == 0, r.extras
        assert r.extras["p50_s"] > 0 and r.extras["p99_s"] >= r.extras["p50_s"]
        assert r.extras["generator_pid"] not in (None, os.getpid())  # another process drove it
        assert len({r.run_id for r in records}) == 1
    assert len({r.fingerprint for r in records}) == 1  # every app answered the same body


def test_every_configuration_under_the_server(lab_results_dir, capsys):
    assert main(["web-load", *SHORT, "--server", "gthread"]) == 0
    records = records_of(lab_results_dir)
    check_records(records, list(CONFIGS))
    assert all(len(r.extras["rounds"]) == 1 and r.counts["requests"] == r.n for r in records)
    assert records[0].params["generator"] == loadgen.tool("auto")
    assert all(r.params["worker_class"] == "gthread" and "keep-alive" in r.extras["server"] for r in records)
    summary = (lab_results_dir / "web-load.md").read_text()
    assert "| composed | lab's app, full stack composed once | gthread, keep-alive |" in summary
    assert "| falcon |" in summary
    assert "requests/s" in capsys.readouterr().out
    assert main(["report"]) == 0  # the report takes the load records beside the others
    assert "web (load)" in (lab_results_dir / "REPORT.md").read_text()


def test_python_client_and_a_sustained_paced_run(lab_results_dir):
    argv = [
        *SHORT,
        "--server",
        "sync",
        "--configs",
        "bare",
        "--tool",
        "python",
        "--sustained",
        "2",
        "--window",
        "1",
        "--rounds",
        "2",
    ]
    assert main(["web-load", *argv, "--sustained-config", "bare", "--fraction", "0.2,0.1"]) == 0
    peak, paced, slower = records_of(lab_results_dir)
    assert slower.params["rate"] == round(0.1 * peak.per_s) and slower.extras["fraction"] == 0.1
    check_records([peak], ["bare"])
    assert peak.params["generator"] == "python-client" and len(peak.extras["rounds"]) == 2
    assert len(peak.samples) == 2 and peak.counts["requests"] == sum(
        r["requests"] for r in peak.extras["rounds"]
    )
    assert paced.extras["mode"] == "sustained" and paced.params["generator"] == "python-client-paced"
    assert paced.params["rate"] == round(0.2 * peak.per_s)
    assert paced.counts["errors"] == 0 and paced.n > 0
    assert [w["start_s"] for w in paced.extras["windows"]] == [0, 1]
    assert all(w["load_average_1min"] >= 0 for w in paced.extras["windows"])
    assert len(paced.extras["p99_windows_p99_s"]) == 2
    assert "p99 per 1 s window" in (lab_results_dir / "web-load.md").read_text()


@pytest.mark.skipif(shutil.which("wrk") is None, reason="needs wrk (apt-get install wrk)")
def test_wrk_reports_percentiles():
    config = CONFIGS["falcon"]
    plan = load.Plan("tiny", 10, 1, 2, 1.0, 0.0, "wrk")
    result, fingerprint = load.measure(config, plan)
    assert result.tool == "wrk" and result.requests > 0 and result.error_count == 0
    assert 0 < result.latency_s["p50"] <= result.latency_s["p99"] <= result.latency_s["max"]
    assert len(fingerprint) == 16


def started(monkeypatch):
    """Every server ``load.measure`` starts, kept to check it was stopped."""
    servers = []
    real = load.running

    def keep(*args, **kwargs):
        context = real(*args, **kwargs)

        class Kept:
            def __enter__(self):
                port, process = context.__enter__()
                servers.append(process)
                return port, process

            def __exit__(self, *exc):
                return context.__exit__(*exc)

        return Kept()

    monkeypatch.setattr(load, "running", keep)
    return servers


@pytest.mark.parametrize("failure", [LoadError, KeyboardInterrupt])
def test_the_server_is_stopped_when_the_load_fails(monkeypatch, failure):
    servers = started(monkeypatch)
    plan = load.Plan("tiny", 10, 1, 2, 5.0, 0.0, "python")

    def fail() -> None:
        raise failure("stopped here")

    with pytest.raises(failure):
        load.measure(CONFIGS["bare"], plan, on_tick=fail)
    assert len(servers) == 1 and servers[0].poll() is not None


def test_a_failed_generator_stops_the_server(monkeypatch):
    servers = started(monkeypatch)
    broken = loadgen.Generator(["python3", "-c", "import sys; sys.exit(3)"], lambda _: None, lambda: None)
    monkeypatch.setattr(load, "_generator", lambda *args: broken)
    with pytest.raises(LoadError, match="exited with 3"):
        load.measure(CONFIGS["bare"], load.Plan("tiny", 10, 1, 2, 1.0, 0.0, "python"))
    assert servers[0].poll() is not None


def test_an_app_that_cannot_start_is_one_clear_error():
    with pytest.raises(ServerError, match="did not start"):
        with running("lab.web.loadapps:nothing", ready=PATH, headers=headers(), timeout=20):
            pass


def test_bad_options_are_one_line(capsys):
    assert main(["web-load", "--configs", "nope"]) == 1
    assert capsys.readouterr().err.strip() == (
        "lab: error: unknown configuration nope (choose from: bare, composed, per-request, falcon)"
    )
    with pytest.raises(SystemExit) as stop:
        main(["web-load", "--fraction", "0.5,2"])
    assert stop.value.code == 2 and "--fraction: takes numbers in (0, 1]" in capsys.readouterr().err


def test_percentiles_and_stability():
    assert percentile([], 99) == 0.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.0 and percentile([1.0, 2.0], 99) == 2.0
    windows = [{"requests": 10, "p99_s": p} for p in (0.010, 0.012, 0.011)]
    result = Result("python-client-paced", 30, {}, 3.0, {}, 2, 10.0, 1.0, windows)
    found = load.stability(result)
    assert found["p99_s"] == [0.010, 0.012, 0.011] and found["stable"]
    assert found["spread"] == pytest.approx(1.2)
    windows[1]["p99_s"] = 0.1
    assert load.stability(result)["stable"] is False
    assert json.loads(json.dumps(result.to_dict()))["windows"] == windows


def test_both_servers_interleaved_and_the_client_keeps_connections_alive(lab_results_dir):
    argv = [*SHORT, "--configs", "bare,falcon", "--tool", "python", "--server", "sync,gthread"]
    assert main(["web-load", *argv]) == 0
    records = records_of(lab_results_dir)
    check_records(records, ["bare", "falcon", "bare", "falcon"])
    assert [r.params["worker_class"] for r in records] == ["sync", "sync", "gthread", "gthread"]
    assert [r.params["generator"] for r in records[2:]] == ["python-client-keepalive"] * 2
    lines = (lab_results_dir / "web-load.md").read_text().splitlines()
    kept = next(line for line in lines if line.startswith("| bare ") and "keep-alive" in line)
    sync, kept_rate = records[0].per_s, records[2].per_s
    assert kept.split(" | ")[-2] == f"{kept_rate / sync:.2f}x"  # the same app under sync workers


def test_a_kept_alive_connection_serves_many_requests_and_one_closed_by_the_server_is_reopened():
    request = b"GET " + PATH.encode() + b" HTTP/1.1\r\nHost: x\r\n"
    request += "".join(f"{k}: {v}\r\n" for k, v in headers().items()).encode() + b"\r\n"
    with running("lab.web.loadapps:bare", ready=PATH, headers=headers(), worker_class="gthread") as (port, _):
        conn = Connection(port, keep_alive=True)
        assert conn.send(request) is None
        first = conn.sock
        assert conn.send(request) is None and conn.sock is first  # the same connection, kept
        first.shutdown(2)  # as the server does with an idle one
        assert conn.send(request) is None and conn.sock is not first
        conn.close()
    with running("lab.web.loadapps:bare", ready=PATH, headers=headers()) as (port, _):  # sync: closed
        conn = Connection(port, keep_alive=True)
        assert conn.send(request) is None and conn.send(request) is None
        conn.close()


def paced(rate: float, p99s: list[float], errors: int = 0) -> Result:
    windows = [{"requests": 100, "p99_s": p} for p in p99s]
    return Result(
        "python-client-paced", 200, {"read": errors} if errors else {}, 2.0, {}, 2, rate, 1.0, windows
    )


def test_a_step_is_sustainable_without_errors_growth_or_a_p99_over_the_ceiling():
    assert sustain.sustainable(paced(10, [0.010, 0.015]))
    assert sustain.sustainable(paced(10, [0.010, 0.002]))  # a hiccup in the first window
    assert not sustain.sustainable(paced(10, [0.010, 0.021]))  # grew: a queue builds up
    assert not sustain.sustainable(paced(10, [0.010, 0.011], errors=1))
    assert sustain.sustainable(paced(10, [0.010, 0.011]), ceiling_s=0.011)
    assert not sustain.sustainable(paced(10, [0.010, 0.011]), ceiling_s=0.0105)
    assert not sustain.sustainable(paced(10, [0.010]))  # one window shows no trend


def test_bisection_keeps_the_highest_sustainable_rate_tried():
    capacity = 700.0

    def run(rate):
        return paced(rate, [0.001, 0.001 if rate <= capacity else 0.01])

    best, trail = sustain.bisect_rate(run, 1000.0, 4)
    assert [s.rate for s in trail] == [500.0, 750.0, 625.0, 687.5]
    assert [s.ok for s in trail] == [True, False, True, True] and best == 687.5
    best, trail = sustain.bisect_rate(lambda rate: paced(rate, [0.001, 0.01]), 1000.0, 3)
    assert best == 0.0 and [s.rate for s in trail] == [500.0, 250.0, 125.0]
    with pytest.raises(ValueError):
        sustain.bisect_rate(run, 0.0, 3)


def test_the_search_on_a_real_server_then_a_sustained_run_at_what_it_found(lab_results_dir, capsys):
    argv = [*SHORT, "--configs", "bare", "--tool", "python", "--server", "gthread", "--window", "1"]
    argv += ["--sustained", "1", "--sustained-config", "bare", "--search", "--search-steps", "2"]
    assert main(["web-load", *argv, "--search-step", "1"]) == 0
    found = records_of(lab_results_dir)
    peak, maximum = found[0], found[0].per_s
    ceiling = 2 * peak.extras["p99_s"]
    if len(found) == 1:  # no step was sustainable on this machine now: said, and no paced run
        assert "found no sustainable rate" in capsys.readouterr().err
        return
    steady = found[1]
    steps = steady.extras["search"]
    assert steps[0]["rate"] == round(maximum / 2)
    assert steps[1]["rate"] == round(maximum * (3 / 4 if steps[0]["sustainable"] else 1 / 4))
    for s in steps:
        grown = s["p99_s"][1] / s["p99_s"][0]
        assert s["growth"] == pytest.approx(grown) and len(s["p99_s"]) == 2
        assert s["sustainable"] == (s["errors"] == 0 and grown <= 2 and max(s["p99_s"]) <= ceiling)
    best = max(s["rate"] for s in steps if s["sustainable"])
    assert abs(steady.params["rate"] - best) <= 1 and steady.extras["mode"] == "sustained"
    assert steady.extras["fraction"] == pytest.approx(steady.params["rate"] / maximum, rel=0.01)
    assert steady.params["worker_class"] == "gthread" and steady.n > 0
    assert "the sustainable maximum" in (lab_results_dir / "web-load.md").read_text()
