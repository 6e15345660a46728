"""Built-in example networks, runnable by name; each declares its command-line options
(options.py)."""

from . import brunel as _brunel
from . import hpc_benchmark as _hpc
from . import microcircuit as _microcircuit
from . import multi_area as _multi_area
from .brunel import brunel
from .hpc_benchmark import hpc_benchmark
from .microcircuit import microcircuit
from .multi_area import multi_area
from .options import Example, Option
from .sensor import sensor

EXAMPLES = {
    "brunel": Example(brunel, _brunel.OPTIONS),
    "microcircuit": Example(microcircuit, _microcircuit.OPTIONS),
    "hpc_benchmark": Example(hpc_benchmark, _hpc.OPTIONS),
    "multi_area": Example(multi_area, _multi_area.OPTIONS),
    "sensor": Example(sensor, (), uses_t_sim=True),
}

__all__ = [
    "EXAMPLES",
    "Example",
    "Option",
    "brunel",
    "microcircuit",
    "multi_area",
    "hpc_benchmark",
    "sensor",
]
