"""distsim slurm on a cluster: --threads (CPUs per task, passed to srun and distsim run),
--mpi, the memory request from distsim's estimate, extra #SBATCH lines.  The scripts run
in bash with fake srun, mpiexec and distsim that log what they are given (no Slurm)."""

import math
import subprocess

import pytest

from distsim.cli import main
from distsim.examples import brunel
from distsim.memory import BASE_BYTES, MPI_BYTES, STORE_BYTES, largest_rank_bytes

FAKE = """#!/bin/bash
echo "$(basename "$0") $* | OMP=$OMP_NUM_THREADS NUMBA=$NUMBA_NUM_THREADS" >> "$LOG"
"""


def generate(capsys, *argv):
    assert main(["slurm", *argv]) == 0
    return capsys.readouterr().out


def fails(capsys, *argv):
    assert main(["slurm", *argv]) == 2
    return capsys.readouterr().err.strip()


def sbatch_lines(script):
    return [line.split(None, 1)[1] for line in script.splitlines() if line.startswith("#SBATCH ")]


def run_script(tmp_path, script, **env):
    """Run ``script`` in bash as Slurm would start it, with fake srun, mpiexec and distsim in
    its venv; the commands they were given, one per line."""
    venv = tmp_path / "venv" / "bin"
    venv.mkdir(parents=True)
    for name in ("distsim", "srun", "mpiexec"):
        (venv / name).write_text(FAKE)
        (venv / name).chmod(0o755)
    path = tmp_path / "job.sh"
    path.write_text(script)
    log = tmp_path / "log"
    base = {
        "PATH": "/usr/bin:/bin",
        "LOG": str(log),
        "DISTSIM_VENV": str(venv.parent),
        "DISTSIM_OUT": str(tmp_path / "out"),
        "SLURM_JOB_ID": "7",
        "SLURM_SUBMIT_DIR": str(tmp_path),
    }
    r = subprocess.run(["bash", str(path)], env={**base, **env}, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return log.read_text().splitlines()


def test_threads_become_cpus_per_task_and_follow_the_allocation_into_the_run(tmp_path, capsys):
    text = generate(
        capsys, "run", "--ranks", "4", "--threads", "8", "--order", "100", "--mpi", "pmix"
    )
    assert "--cpus-per-task=8" in sbatch_lines(text)
    assert 'DISTSIM_ARGS=${DISTSIM_ARGS:-"--order 100"}' in text  # threads from the allocation
    compile_, srun, check = run_script(tmp_path, text, SLURM_NTASKS="4", SLURM_CPUS_PER_TASK="8")
    assert compile_ == "distsim compile brunel --order 100 --ranks 4 --threads 8 | OMP=8 NUMBA=8"
    out = tmp_path / "out"
    assert srun == (
        "srun --mpi=pmix --cpus-per-task=8 --kill-on-bad-exit=1 --ntasks=4 distsim run brunel "
        f"--order 100 --threads 8 --out {out}/run.zarr --json | OMP=8 NUMBA=8"
    )
    assert check.startswith("distsim slurm check")
    # sbatch --cpus-per-task=2 at submission: 2 threads per rank, through mpiexec as well
    _, mpiexec, _ = run_script(
        tmp_path / "again",
        text,
        SLURM_NTASKS="4",
        SLURM_CPUS_PER_TASK="2",
        DISTSIM_LAUNCHER="mpiexec",
    )
    assert mpiexec.startswith("mpiexec -n 4 distsim run brunel --order 100 --threads 2 ")
    assert mpiexec.endswith("OMP=2 NUMBA=2")


def test_every_run_kind_passes_the_threads_on(capsys):
    for kind, extra in [
        ("chain", []),
        ("scaling", ["--ranks", "1", "2"]),
        ("sweep", ["--vary", "seed=1,2"]),
    ]:
        text = generate(capsys, kind, "--order", "100", "--threads=3", *extra)
        assert "--cpus-per-task=3" in sbatch_lines(text)
        assert 'DISTSIM_ARGS=${DISTSIM_ARGS:-"--order 100"}' in text
        assert text.count('--threads "$threads"') == 2  # compile and run
        assert 'srun --mpi="$DISTSIM_MPI" --cpus-per-task="$threads"' in text
    err = fails(capsys, "sweep", "--vary", "threads=1,2")
    assert err == (
        "distsim: error: distsim slurm sweep: --vary threads is not possible: every array "
        "task has the job's --cpus-per-task; give --threads T, one sweep per thread count"
    )


def test_the_dask_workers_of_analyze_get_their_cpus_from_srun(capsys):
    text = generate(capsys, "analyze", "runs")
    assert not any(line.startswith(("--cpus-per-task", "--mem")) for line in sbatch_lines(text))
    assert (
        'srun --mpi=none --ntasks="$SLURM_NTASKS" --cpus-per-task="${SLURM_CPUS_PER_TASK:-1}"'
        in text
    )


def test_mpi_type_must_be_a_word(capsys):
    assert 'DISTSIM_MPI=${DISTSIM_MPI:-"pmi2"}' in generate(capsys, "run")
    err = fails(capsys, "run", "--mpi", "pmix;rm")
    assert err == (
        "distsim: error: distsim slurm run: --mpi 'pmix;rm' is not an MPI type of srun; use "
        "pmi2, pmix, none or another that srun --mpi=list shows"
    )


def request_mb(order, ranks, per):
    """MB per ``per`` ranks' share of the rule: 1.3 x the largest rank + a rank's baseline."""
    est = largest_rank_bytes(brunel(order=order), ranks, "block", True)
    return math.ceil(per * (1.3 * est + BASE_BYTES + MPI_BYTES + STORE_BYTES) / 2**20)


def test_memory_request_is_the_estimate_with_a_margin_per_cpu_or_per_node(capsys):
    text = generate(capsys, "run", "--ranks", "4", "--threads", "2", "--order", "2500")
    assert f"--mem-per-cpu={request_mb(2500, 4, 1 / 2)}M" in sbatch_lines(text)
    assert "# memory per rank: 1.3 x distsim's estimate of the largest rank" in text
    assert "sbatch --mem-per-cpu=SIZE; sbatch refuses --mem with it" in text  # (it does)
    bigger = generate(capsys, "run", "--ranks", "4", "--threads", "2", "--order", "10000")
    assert f"--mem-per-cpu={request_mb(10000, 4, 1 / 2)}M" in sbatch_lines(bigger)
    assert request_mb(10000, 4, 1) > request_mb(2500, 4, 1) + 100  # it follows the network
    nodes = generate(capsys, "run", "--ranks", "5", "--nodes", "2", "--order", "2500")
    assert f"--mem={request_mb(2500, 5, 3)}M" in sbatch_lines(nodes)  # 3 ranks on a node
    assert "sbatch --mem=SIZE; sbatch refuses --mem-per-cpu with it" in nodes
    mine = generate(capsys, "run", "--sbatch", "--mem=64G")
    assert "--mem=64G" in sbatch_lines(mine)
    assert not any(line.startswith("--mem-per-cpu") for line in sbatch_lines(mine))


def test_extra_sbatch_lines_are_checked_and_written(capsys):
    text = generate(
        capsys,
        "run",
        "--sbatch",
        "--constraint=cpu",
        "--sbatch=--qos=long",
        "--sbatch",
        "--exclusive",
    )
    lines = sbatch_lines(text)
    assert lines[-3:] == ["--constraint=cpu", "--qos=long", "--exclusive"]
    assert "--sbatch --constraint=cpu --sbatch=--qos=long" in text  # the command in the header


@pytest.mark.parametrize(
    "kind, line, message",
    [
        ("run", "constraint=cpu", "is not an sbatch option of the form --option or --option=value"),
        ("run", "--comment=two words", "is not an sbatch option of the form"),
        (
            "run",
            "--time=2:00:00",
            "sets --time, which the script writes itself; give --time instead",
        ),
        ("run", "--cpus-per-task=4", "give --threads instead"),
        ("run", "--partition=gpu", "give --partition instead"),
        (
            "chain",
            "--signal=B:USR1@60",
            "sets --signal, which the script writes itself; leave it out",
        ),
    ],
)
def test_extra_sbatch_lines_that_cannot_be_written_are_refused(capsys, kind, line, message):
    err = fails(capsys, kind, "--sbatch", line)
    assert err.startswith(f"distsim: error: distsim slurm {kind}: --sbatch ") and message in err
