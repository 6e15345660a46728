"""Built-in example networks, runnable by name."""
from .brunel import brunel
from .microcircuit import microcircuit

EXAMPLES = {"brunel": brunel, "microcircuit": microcircuit}

__all__ = ["EXAMPLES", "brunel", "microcircuit"]
