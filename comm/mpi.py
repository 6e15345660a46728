"""MPIContext: the only module that imports mpi4py.

Every message is an int64 array.  ``alltoallv_packed`` is an all-to-all in two phases:
``Ialltoall`` of the counts, then ``Ialltoallv`` of the data, each waited for by testing
and yielding the core (``sched_yield``): on an oversubscribed node the rank we wait for
gets it, where MPI's own blocking wait would spin.

No rank dies alone: on an uncaught exception on any rank, the excepthook installed here
prints that rank's message on stderr and calls MPI_Abort, which ends every rank of the job.
Before that it unlinks the job's MPICH shared-memory files (``/dev/shm/mpich_shm_*``):
MPI_Abort kills the ranks before MPICH removes them, and each aborted job would leave its
own behind (megabytes per node, until someone deletes them).
"""

import os
import sys
import time
import traceback

import numpy as np
from mpi4py import MPI

from distsim.errors import DistsimError
from distsim.launcher import announce

_OPS = {"sum": MPI.SUM, "min": MPI.MIN, "max": MPI.MAX}
TAG_SPIKES = 17


def _abort_on_uncaught(exc_type, exc, tb):
    rank = MPI.COMM_WORLD.Get_rank()
    if isinstance(exc, DistsimError):
        text = f"distsim: error on rank {rank}: {exc}\n"
    else:
        text = f"distsim: rank {rank} failed:\n" + "".join(
            traceback.format_exception(exc_type, exc, tb)
        )
    sys.stderr.write(text)
    sys.stderr.flush()
    time.sleep(0.5)  # let the launcher forward the message before Abort tears it down
    release_shared_memory()
    MPI.COMM_WORLD.Abort(1)


def shared_memory_files():
    """The MPICH shared-memory files this process has mapped (mapped at MPI_Init)."""
    try:
        with open("/proc/self/maps") as f:
            return sorted({line.split()[-1] for line in f if "/dev/shm/mpich_shm_" in line})
    except OSError:
        return []


def release_shared_memory():
    """Unlink the MPICH shared-memory files this process has mapped (their names leave
    /dev/shm; the ranks keep their mappings until they end)."""
    for path in shared_memory_files():
        try:
            os.unlink(path)
        except OSError:  # another rank of the node was first, or not a file any more
            pass


def _wait(request):
    """Seconds spent testing ``request`` until it completes, yielding the core between tests
    (as probe_recv)."""
    t0 = time.perf_counter()
    while not request.Test():
        os.sched_yield()
    return time.perf_counter() - t0


class MPIContext:
    """A rank of MPI_COMM_WORLD (or of ``comm``)."""

    name = "mpi"
    can_run = True

    def __init__(self, comm=None, abort_on_error=True):
        self.comm = comm or MPI.COMM_WORLD
        self.rank = self.comm.Get_rank()
        self.size = self.comm.Get_size()
        if abort_on_error:
            sys.excepthook = _abort_on_uncaught
        self._status = MPI.Status()
        announce(self.rank, shm=shared_memory_files())

    def allreduce(self, x, op="sum"):
        if isinstance(x, np.ndarray):
            out = np.empty_like(x)
            self.comm.Allreduce(x, out, op=_OPS[op])
            return out
        return self.comm.allreduce(x, op=_OPS[op])

    def gather(self, obj):
        return self.comm.gather(obj, root=0)

    def bcast(self, obj):
        return self.comm.bcast(obj, root=0)

    def alltoallv(self, arrays):
        arrays = [np.asarray(a, np.int64) for a in arrays]
        counts = np.array([a.size for a in arrays], np.int64)
        buf, counts, _ = self.alltoallv_packed(np.concatenate(arrays), counts)
        return np.split(buf, np.cumsum(counts)[:-1])

    def alltoallv_packed(self, sendbuf, sendcounts):
        """All-to-all in two phases (module docstring): rank r gets ``sendbuf``'s next
        ``sendcounts[r]`` int64s; returns (the int64s received, concatenated; their counts
        per source rank; seconds spent waiting for the other ranks)."""
        recvcounts = np.empty(self.size, np.int64)
        waited = _wait(self.comm.Ialltoall(sendcounts, recvcounts))
        sdispl = np.cumsum(sendcounts) - sendcounts
        rdispl = np.cumsum(recvcounts)
        recvbuf = np.empty(int(rdispl[-1]), np.int64)
        rdispl -= recvcounts
        request = self.comm.Ialltoallv(
            [sendbuf, (sendcounts, sdispl), MPI.INT64_T],
            [recvbuf, (recvcounts, rdispl), MPI.INT64_T],
        )
        return recvbuf, recvcounts, waited + _wait(request)

    def send(self, array, dest, grid=False):
        """Non-blocking send (on the Cartesian communicator of ``cartesian`` when ``grid``);
        returns a request whose ``Test()`` tells completion (keep the array alive until
        then)."""
        comm = self.cart if grid else self.comm
        return comm.Isend([array, MPI.INT64_T], dest=dest, tag=TAG_SPIKES)

    def probe_recv(self, block, grid=False):
        """One pending message as (source, int64 array), or None when none is pending and
        ``block`` is False."""
        comm, st = (self.cart if grid else self.comm), self._status
        while not comm.Iprobe(source=MPI.ANY_SOURCE, tag=TAG_SPIKES, status=st):
            if not block:
                return None
            os.sched_yield()  # an oversubscribed core goes to the rank we wait for
        source = st.Get_source()
        buf = np.empty(st.Get_count(MPI.INT64_T), np.int64)
        comm.Recv([buf, MPI.INT64_T], source=source, tag=TAG_SPIKES)
        return source, buf

    def cartesian(self, dims, periodic):
        """Arrange the ranks on a Cartesian grid of ``dims`` (row-major rank order, each
        dimension periodic or not); returns this rank's neighbours as a list, per dimension
        the lower then the upper one (-1 where there is none)."""
        self.cart = self.comm.Create_cart(list(dims), periods=[periodic] * len(dims), reorder=False)
        out = []
        for d in range(len(dims)):
            lower, upper = self.cart.Shift(d, 1)
            out += [-1 if r == MPI.PROC_NULL else r for r in (lower, upper)]
        return out

    @staticmethod
    def wait_all(requests):
        MPI.Request.Waitall(requests)

    def abort(self, code=1):
        sys.stderr.flush()
        release_shared_memory()
        self.comm.Abort(code)
