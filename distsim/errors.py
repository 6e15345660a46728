"""Typed exceptions raised for errors a user can cause.

Every message names the object, the rule that was broken, the offending value and the fix,
e.g. ``Projection 'E->I': delay 0.05 ms is shorter than one step (dt = 0.1 ms); use a delay
>= 0.1 ms or a smaller dt``.
"""

import errno


class DistsimError(Exception):
    """Base class of all distsim errors."""


class ModelError(DistsimError, ValueError):
    """Unknown neuron model, unknown or invalid model parameter."""


class NetworkError(DistsimError, ValueError):
    """Invalid population, projection, stimulus or recorder description."""


class ConnectionRuleError(NetworkError):
    """A connection rule that cannot be satisfied (probability, in-degree, multapses)."""


class DelayError(NetworkError):
    """A delay that is not representable on the simulation grid."""


class ConfigError(DistsimError, ValueError):
    """An unknown or invalid option of a configuration object or of the command line."""


class JobError(DistsimError, RuntimeError):
    """A batch job whose run did not give what it should (no summary, wrong rank count, store
    status)."""


class SimulationError(DistsimError, RuntimeError):
    """A run that cannot proceed (for example a fixed-point input range overflow)."""


class PartitionError(DistsimError, ValueError):
    """An invalid decomposition, balancer or rank count."""


class CommunicationError(DistsimError, RuntimeError):
    """A failure of the exchange between ranks (another rank failed, a protocol violation)."""


class StoreError(DistsimError, ValueError):
    """A run store or checkpoint that cannot be read (missing, foreign, newer format)."""


class ModelFileError(DistsimError, ValueError):
    """A model file that cannot be read or does not describe a valid network."""


class NIRError(DistsimError, ValueError):
    """A NIR graph that cannot be imported, or a network that cannot be exported to NIR."""


class HardwareError(DistsimError, ValueError):
    """An invalid chip profile, fabric spec or energy counter set, or a network that does not
    fit the chips and fabric it is mapped onto."""


class OutputError(DistsimError, ValueError):
    """An output path distsim will not write into: a file, a folder that is not its own, an
    earlier result without ``overwrite``, or a folder another run is writing."""


def failure_reason(exc, rank=None):
    """One line saying why a run ended with ``exc`` (on ``rank``): a full disk, Ctrl-C, or the
    error itself."""
    where = "" if rank is None else f"rank {rank}: "
    if isinstance(exc, KeyboardInterrupt):
        return f"{where}interrupted by SIGINT (Ctrl-C)"
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return (
            f"{where}the disk is full (ENOSPC){f' writing {exc.filename}' if exc.filename else ''}"
        )
    return f"{where}{type(exc).__name__}: {exc}"
