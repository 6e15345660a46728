"""Built-in example networks, runnable by name."""
from .brunel import brunel
from .hpc_benchmark import hpc_benchmark
from .microcircuit import microcircuit
from .sensor import sensor

EXAMPLES = {"brunel": brunel, "microcircuit": microcircuit, "hpc_benchmark": hpc_benchmark,
            "sensor": sensor}

__all__ = ["EXAMPLES", "brunel", "microcircuit", "hpc_benchmark", "sensor"]
