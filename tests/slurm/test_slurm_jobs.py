"""The job scripts in slurm/, submitted as they are to a real Slurm (conftest.py) with a tiny
Brunel network, settings given through the environment and sbatch's options; checked by
their outputs (summaries, stores, digests, analysis files), not only by the job states."""

import functools
import json
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from distsim import spike_digest
from distsim.store import open_run

ROOT = Path(__file__).parents[2]
SLURM = ROOT / "slurm"
BIN = Path(sys.executable).parent
VENV = str(BIN.parent)
MODEL_ARGS = "--order 50 --t-sim 200"  # 250 neurons, 6,250 synapses


@functools.lru_cache
def reference(t_sim):
    """Summary of one uninterrupted run on one rank, here, without Slurm."""
    r = subprocess.run(
        [
            str(BIN / "distsim"),
            "run",
            "brunel",
            "--order",
            "50",
            "--t-sim",
            str(t_sim),
            "--no-store",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def submit(slurm, script, workdir, *options, **env):
    return slurm.sbatch(SLURM / script, *options, cwd=workdir, env={"DISTSIM_VENV": VENV, **env})


def completed(slurm, job_id, timeout=300):
    records = slurm.wait(job_id, timeout=timeout)
    logs = "\n".join(Path(r["StdOut"]).read_text() for r in records if Path(r["StdOut"]).exists())
    assert all(r["JobState"] == "COMPLETED" for r in records), (records, logs)
    return records, logs


def summary(path):
    return json.loads(Path(path).read_text())


def when(text):
    return datetime.fromisoformat(text)


def test_run_template_with_srun_and_with_mpiexec_gives_the_reference_spikes(slurm, tmp_path):
    jobs = {
        launcher: submit(
            slurm,
            "run.sh",
            tmp_path,
            "--ntasks=2",
            DISTSIM_ARGS=MODEL_ARGS,
            DISTSIM_LAUNCHER=launcher,
            DISTSIM_OUT=str(tmp_path / launcher),
        )
        for launcher in ("srun", "mpiexec")
    }
    ref = reference(200.0)
    for launcher, job in jobs.items():
        _, log = completed(slurm, job)
        assert "distsim run complete: 2 ranks" in log
        s = summary(tmp_path / launcher / "summary.json")
        assert s["ranks_total"] == 2 and s["slurm"]["slurm_job_id"] == job
        assert s["digest"] == ref["digest"]  # 2 ranks under Slurm = 1 rank here
        run = open_run(tmp_path / launcher / "run.zarr")
        assert run.complete and run.attrs["n_ranks"] == 2
        steps, _ = run.spikes()
        assert steps.size == s["recorded_spikes"] == ref["spikes"] > 0


def test_scaling_template_runs_strong_and_weak_points_and_the_study_reports_them(slurm, tmp_path):
    out = tmp_path / "study"
    job = submit(
        slurm,
        "scaling.sh",
        tmp_path,
        "--ntasks=4",
        "--array=0-5",
        DISTSIM_ARGS=MODEL_ARGS,
        DISTSIM_RANKS="1 2 4",
        DISTSIM_OUT=str(out),
    )
    records, _ = completed(slurm, job)
    assert sorted(int(r["ArrayTaskId"]) for r in records) == list(range(6))
    ref = reference(200.0)
    for ranks in (1, 2, 4):
        strong = summary(out / f"strong-{ranks:05d}.json")
        weak = summary(out / f"weak-{ranks:05d}.json")
        assert strong["ranks_total"] == weak["ranks_total"] == ranks
        assert strong["digest"] == ref["digest"] and strong["neurons"] == 250
        assert weak["neurons"] == 250 * ranks  # constant neurons per rank ...
        assert weak["synapses"] == 25 * weak["neurons"]  # ... and synapses per neuron
        assert strong["slurm"]["study"] == "strong" and weak["slurm"]["study"] == "weak"
    assert summary(out / "weak-00001.json")["digest"] == ref["digest"]

    r = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "scaling_study.py"), str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    report = json.loads((out / "scaling.json").read_text())
    points = {(p["study"], p["ranks"]): p for p in report["points"]}
    assert sorted(points) == [(s, n) for s in ("strong", "weak") for n in (1, 2, 4)]
    assert report["digests_agree"] == {"brunel (250 neurons)": True}
    for study in ("strong", "weak"):
        assert points[study, 1]["efficiency"] == 1.0
        assert points[study, 1]["bytes_sent"] == 0  # one rank sends nothing
        assert 0 < points[study, 2]["bytes_sent"] < points[study, 4]["bytes_sent"]
    strong4 = points["strong", 4]
    assert strong4["speedup"] == pytest.approx(points["strong", 1]["rtf"] / strong4["rtf"])
    assert strong4["efficiency"] == pytest.approx(strong4["speedup"] / 4)
    table = (out / "scaling.txt").read_text()
    assert table.splitlines()[0].split()[:3] == ["study", "network", "ranks"]
    assert len(table.splitlines()) == 2 + 6 and table in r.stdout
    assert (out / "scaling.png").read_bytes()[:4] == b"\x89PNG"


def test_sweep_array_then_dask_analysis_chained_with_afterok(slurm, tmp_path):
    out = tmp_path / "sweep"
    env = {"DISTSIM_OUT": str(out), "DISTSIM_ARGS": MODEL_ARGS}
    sweep = submit(
        slurm,
        "sweep.sh",
        tmp_path,
        "--ntasks=2",
        "--array=0-1",
        DISTSIM_SWEEP="--seed 1;--seed 2",
        **env,
    )
    analysis = submit(
        slurm,
        "analyze.sh",
        tmp_path,
        "--ntasks=2",
        f"--dependency=afterok:{sweep}",
        DISTSIM_ANALYZE_ARGS="--t-start 100 --no-plots",
        **env,
    )
    tasks, _ = completed(slurm, sweep)
    (record,), log = completed(slurm, analysis)
    assert when(record["StartTime"]) >= max(when(t["EndTime"]) for t in tasks)
    assert "2 workers" in log  # the dask cluster ran inside the analysis job
    digests = set()
    for i, seed in enumerate((1, 2)):
        s = summary(out / f"task-{i:05d}.json")
        assert s["slurm"]["set"] == f"--seed {seed}" and s["ranks_total"] == 2
        digests.add(s["digest"])
        steps, _ = open_run(out / f"task-{i:05d}.zarr").spikes()
        result = json.loads((out / f"task-{i:05d}.zarr.analysis" / "summary.json").read_text())
        assert result["complete"] and (result["t_start_ms"], result["t_end_ms"]) == (100, 200)
        in_window = (steps > 1000) & (steps <= 2000)  # (t_start, t_end] in steps of 0.1 ms
        assert result["spikes"] == int(np.count_nonzero(in_window)) > 0
    assert len(digests) == 2  # the seeds give different networks and spikes


def test_a_failing_job_cancels_the_jobs_that_depend_on_it(slurm, tmp_path):
    out = tmp_path / "bad"
    run = submit(
        slurm,
        "run.sh",
        tmp_path,
        "--ntasks=2",
        DISTSIM_OUT=str(out),
        DISTSIM_ARGS="--order 50 --t-sim 100.05",
    )  # not a multiple of dt
    dependants = [  # analyze.sh asks for it (--kill-on-invalid-dep), run.sh relies on the
        # cluster's DependencyParameters=kill_invalid_depend
        submit(
            slurm,
            script,
            tmp_path,
            "--ntasks=2",
            f"--dependency=afterok:{run}",
            DISTSIM_OUT=str(out / script),
        )
        for script in ("analyze.sh", "run.sh")
    ]
    (failed,) = slurm.wait(run)
    assert failed["JobState"] == "FAILED" and failed["ExitCode"] != "0:0"
    assert "is not a non-negative multiple of dt" in Path(failed["StdOut"]).read_text()
    for job in dependants:
        (cancelled,) = slurm.wait(job)
        assert cancelled["JobState"] == "CANCELLED"
        assert cancelled["Reason"] == "DependencyNeverSatisfied"
        assert not Path(cancelled["StdOut"]).exists(), cancelled  # it never ran


def test_chain_checkpoints_on_the_signal_requeues_itself_and_resumes(slurm, tmp_path):
    out = tmp_path / "chain"
    t_sim = 10000.0
    job = submit(
        slurm,
        "chain.sh",
        tmp_path,
        "--ntasks=2",
        DISTSIM_OUT=str(out),
        DISTSIM_ARGS=f"--order 50 --t-sim {t_sim:g}",
    )
    deadline = time.monotonic() + 300
    while not (out / "checkpoint" / "run.json").exists():  # the network is built
        assert time.monotonic() < deadline, slurm.jobs(job)
        time.sleep(0.1)
    # what --signal=B:USR1@... does before the time limit
    subprocess.run(["scancel", "--signal=USR1", "--batch", job], env=slurm.env, check=True)
    (record,), log = completed(slurm, job)
    assert record["Restarts"] == "1"
    assert "requeueing job" in log and "part 1: resuming" in log
    first, second = summary(out / "part-0.json"), summary(out / "part-1.json")
    assert first["stopped"] and 0 < first["t_model_ms"] < t_sim
    assert not second["stopped"] and second["t_model_ms"] == t_sim
    assert second["digest"] == reference(t_sim)["digest"]  # = one uninterrupted run
    assert open_run(out / "run.zarr").complete


@pytest.mark.parametrize("moment", ["compiling", "starting"])
def test_chain_holds_a_signal_that_comes_before_distsim_catches_signals(slurm, tmp_path, moment):
    """USR1 while `distsim compile` runs (a cold kernel cache: the shell's default action
    would end the job without a word), or right after the script launches the run, while the
    ranks still import and build (the default action would kill them): the script passes it
    on once distsim has written checkpoint/catching-signals: part 0 stops with a checkpoint
    (compiling: and, no requeue allowed, the job ends there), and the chain goes on as for a
    later signal (starting)."""
    out = tmp_path / "early"
    # 60 s of model time: about 2 s of run after distsim catches signals, longer than the
    # script's 1 s wait before it passes on the held signal (10 s ran out before it came)
    t_sim = 60000.0
    cache = tmp_path / "kernels"  # empty: distsim compile compiles every kernel
    job = submit(
        slurm,
        "chain.sh",
        tmp_path,
        "--ntasks=2",
        DISTSIM_OUT=str(out),
        DISTSIM_ARGS=f"--order 50 --t-sim {t_sim:g}",
        # compiling: no requeue (the chain's later parts are the other tests')
        **(
            {"DISTSIM_CACHE_DIR": str(cache), "DISTSIM_MAX_RESTARTS": "0"}
            if moment == "compiling"
            else {}
        ),
    )
    # compiling: the first kernel is cached; starting: the script's redirection, the run starts
    sign = cache if moment == "compiling" else out / "part-0.json"
    deadline = time.monotonic() + 300
    while not sign.exists():
        assert time.monotonic() < deadline, slurm.jobs(job)
        time.sleep(0.02)
    subprocess.run(["scancel", "--signal=USR1", "--batch", job], env=slurm.env, check=True)
    assert not (out / "checkpoint" / "catching-signals").exists()  # it came before that
    if moment == "compiling":
        assert not (out / "part-0.json").exists()  # still compiling
        (record,) = slurm.wait(job, timeout=300)
        log = Path(record["StdOut"]).read_text()
        assert record["JobState"] == "FAILED", log  # stopped, and no requeue allowed
        assert "USR1, checkpointing" in log and "submit again with the same DISTSIM_OUT" in log
        assert summary(out / "part-0.json")["stopped"]
        assert (out / "checkpoint" / "checkpoint.zarr").is_dir()
        return
    (record,), log = completed(slurm, job)
    assert record["Restarts"] == "1" and "USR1, checkpointing" in log
    first, second = summary(out / "part-0.json"), summary(out / "part-1.json")
    assert first["stopped"] and 0 < first["t_model_ms"] < t_sim
    assert second["digest"] == reference(t_sim)["digest"]


def test_wall_time_limit_leaves_a_checkpoint_and_a_stopped_store_and_resubmission_resumes(
    slurm, tmp_path
):
    out = tmp_path / "limit"
    # a 2 min limit; Slurm signals 110 s before it, once the ranks run (limits are checked
    # every 30 s: the signal comes 10 to 40 s after the start, maybe while the ranks start,
    # when the script holds it until distsim catches signals; the ranks have 2 min to start
    # even on a loaded machine with a cold kernel cache)
    job = submit(
        slurm,
        "chain.sh",
        tmp_path,
        "--ntasks=2",
        "--time=2",
        "--signal=B:USR1@110",
        DISTSIM_OUT=str(out),
        DISTSIM_ARGS="--order 50 --t-sim 100000000",
        DISTSIM_MAX_RESTARTS="0",
    )
    (record,) = slurm.wait(job, timeout=300)
    log = Path(record["StdOut"]).read_text()
    assert record["JobState"] == "FAILED", log  # stopped, and no requeue allowed
    assert "USR1, checkpointing" in log and "submit again with the same DISTSIM_OUT" in log
    part = summary(out / "part-0.json")
    assert part["stopped"] and part["ranks_total"] == 2
    run = open_run(out / "run.zarr")
    assert run.status == "stopped" and not run.complete
    stop_step = run.flushed_step()
    assert stop_step * run.dt == pytest.approx(part["t_model_ms"])
    assert (out / "checkpoint" / "checkpoint.zarr").is_dir()
    before = spike_digest(*run.spikes())

    t_end = part["t_model_ms"] + 500.0  # the same script again, to a nearer end, on 1 rank
    again = submit(
        slurm,
        "chain.sh",
        tmp_path,
        "--ntasks=1",
        DISTSIM_OUT=str(out),
        DISTSIM_ARGS=f"--order 50 --t-sim {t_end!r}",
    )
    _, log = completed(slurm, again)
    assert "part 1: resuming" in log
    resumed = summary(out / "part-1.json")
    assert not resumed["stopped"] and resumed["t_model_ms"] == pytest.approx(t_end)
    run = open_run(out / "run.zarr")
    assert run.complete
    steps, gids = run.spikes()
    kept = steps <= stop_step  # a spike at step s happened in (s - 1, s] dt
    assert spike_digest(steps[kept], gids[kept]) == before  # the first part is kept as it was
    assert steps.max() <= round(t_end / run.dt)
    assert (~kept).sum() > 1000  # and the run went on: 250 neurons at ~95 Hz for 0.5 s
