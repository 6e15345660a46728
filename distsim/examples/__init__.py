"""Built-in example networks, runnable by name."""
from .brunel import brunel

EXAMPLES = {"brunel": brunel}

__all__ = ["EXAMPLES", "brunel"]
