"""The Context protocol: who am I (rank, size) and the collectives the engine needs.

    rank, size                    this process and the number of ranks
    allreduce(x, op)              op in "sum", "min", "max"; numbers or numpy arrays
    gather(obj) / bcast(obj)      to / from rank 0 (small objects: counters, summaries)
    alltoallv(arrays)             one int64 array to each rank -> one from each rank
    alltoallv_packed(buf, counts) the same from one buffer (counts[r] entries to rank r):
                                  (received, counts per rank, seconds waiting)
    send(array, dest) / probe_recv(block)   point-to-point int64 messages (async backend)
    abort(code)                   end every rank now

``LocalContext`` is one process (the default).  ``MPIContext`` (comm/mpi.py, the only module
that imports mpi4py) runs on MPI_COMM_WORLD.  ``DryRunContext(n, rank)`` pretends to be one
rank of n, so that decompositions, builds and routing can be computed and inspected for any
rank count in one process; it cannot run a simulation (it would miss the other ranks'
spikes).
"""

import os
import sys

import numpy as np

from distsim.errors import ConfigError


class LocalContext:
    """One process: rank 0 of 1; collectives are identities."""

    name = "local"
    rank = 0
    size = 1
    can_run = True

    def allreduce(self, x, op="sum"):
        return x

    def gather(self, obj):
        return [obj]

    def bcast(self, obj):
        return obj

    def alltoallv(self, arrays):
        return [np.asarray(arrays[0], np.int64)]

    def cartesian(self, dims, periodic):
        """This rank's neighbours on a grid of ranks (routing.grid_neighbours)."""
        from .routing import grid_neighbours

        return grid_neighbours(self.rank, dims, periodic)

    def abort(self, code=1):
        sys.exit(code)


class DryRunContext(LocalContext):
    """Rank ``rank`` of ``size`` pretended ranks: other ranks contribute nothing to
    collectives (reductions return this rank's value, exchanges deliver only to itself)."""

    name = "dry-run"
    can_run = False

    def __init__(self, size, rank=0):
        if not isinstance(size, int) or size < 1 or not 0 <= rank < size:
            raise ConfigError(
                f"DryRunContext: rank {rank} of size {size} is invalid; use size >= 1 and "
                f"0 <= rank < size"
            )
        self.size = size
        self.rank = rank

    def gather(self, obj):
        return [obj if r == self.rank else None for r in range(self.size)]

    def alltoallv(self, arrays):
        return [
            np.asarray(arrays[r], np.int64) if r == self.rank else np.empty(0, np.int64)
            for r in range(self.size)
        ]


def launched_under_mpi():
    """True when this process was started by an MPI launcher with more than one rank."""
    for var in ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MPI_LOCALNRANKS", "SLURM_NTASKS"):
        value = os.environ.get(var)
        if value and value.isdigit() and int(value) > 1:
            return var != "SLURM_NTASKS" or "PMI_RANK" in os.environ or "PMIX_RANK" in os.environ
    return False


def default_context():
    """MPIContext when launched by mpiexec/srun with several ranks, else LocalContext."""
    if launched_under_mpi():
        from .mpi import MPIContext

        return MPIContext()
    return LocalContext()
