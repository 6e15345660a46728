"""distsim run --ranks without the mpich wheel: the site's mpiexec, mpirun or srun starts the
ranks (fake launchers in tmp_path; nothing is started)."""

import sys

import pytest

from distsim.cli import main
from distsim.errors import ConfigError
from distsim.launcher import launch_command


def tool(folder, name, says=""):
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(f"#!/bin/sh\necho '{says}'\n")
    path.chmod(0o755)
    return str(path)


@pytest.fixture
def machine(tmp_path, monkeypatch):
    """This Python in tmp_path/venv/bin (no wheel's mpiexec there), PATH = tmp_path/path."""
    venv, path = tmp_path / "venv" / "bin", tmp_path / "path"
    venv.mkdir(parents=True)
    path.mkdir()
    monkeypatch.setattr(sys, "executable", str(venv / "python"))
    monkeypatch.setenv("PATH", str(path))
    monkeypatch.delenv("SLURM_JOB_ID", raising=False)
    return venv, path


def test_the_wheels_mpiexec_comes_first_then_mpiexec_or_mpirun_on_path(machine):
    venv, path = machine
    mpirun = tool(path, "mpirun")
    assert launch_command(3) == [mpirun, "-n", "3"]
    mpiexec = tool(path, "mpiexec")
    assert launch_command(3) == [mpiexec, "-n", "3"]
    wheel = tool(venv, "mpiexec")
    assert launch_command(2, threads=4) == [wheel, "-n", "2"]  # hydra binds nothing


def test_open_mpi_is_told_not_to_bind_a_threaded_rank_to_one_core(machine):
    _, path = machine
    mpirun = tool(path, "mpirun", "mpirun (Open MPI) 4.1.5")
    assert launch_command(2, threads=4) == [mpirun, "-n", "2", "--bind-to", "none"]
    assert launch_command(2, threads=1) == [mpirun, "-n", "2"]


def test_srun_starts_the_ranks_inside_an_allocation_only(machine, monkeypatch):
    _, path = machine
    srun = tool(path, "srun")
    with pytest.raises(ConfigError, match="no MPI launcher found"):
        launch_command(2)
    monkeypatch.setenv("SLURM_JOB_ID", "42")
    assert launch_command(2, threads=8) == [
        srun,
        "--ntasks=2",
        "--cpus-per-task=8",  # Slurm >= 22.05: not inherited from the allocation
        "--kill-on-bad-exit=1",
    ]


def test_no_launcher_is_one_error_line_that_says_what_to_install(machine, capsys):
    venv, _ = machine
    assert main(["run", "--ranks", "2", "--oversubscribe", "--order", "5"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("distsim: error: distsim run --ranks 2: no MPI launcher found")
    assert str(venv) in err and "pip install 'distsim[mpich]'" in err
    assert len(err.strip().splitlines()) == 1
