"""The Context protocol: rank, size and the collectives the engine needs.

``LocalContext`` is one process, the default.  ``MPIContext`` (the only module importing
mpi4py) and ``DryRunContext`` come with distribution.
"""


class LocalContext:
    """A single process: rank 0 of 1; collectives are identities."""

    rank = 0
    size = 1

    def allreduce_sum(self, value):
        return value

    def gather(self, value):
        return [value]

    def barrier(self):
        pass
