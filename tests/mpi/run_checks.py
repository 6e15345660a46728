"""check_context under MPI: every rank runs the checks; rank 0 prints OK."""

from checks import check_context

from distsim.comm.mpi import MPIContext

ctx = MPIContext()
check_context(ctx)
ok = ctx.gather(True)
if ctx.rank == 0:
    print("OK", len(ok))
