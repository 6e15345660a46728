"""Launching scripts under the mpich wheel's mpiexec (oversubscribed on this machine)."""

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
MPIEXEC = str(Path(sys.executable).parent / "mpiexec")


def mpiexec(n, args, timeout=300):
    """Run ``args`` (a script in tests/mpi or a command) on n ranks; CompletedProcess."""
    env = dict(os.environ, PYTHONPATH=str(HERE) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    if args and args[0].endswith(".py"):
        args = [sys.executable, str(HERE / args[0]), *args[1:]]
    return subprocess.run(
        [MPIEXEC, "-n", str(n), *args], capture_output=True, text=True, timeout=timeout, env=env
    )
