"""Decompositions (gid -> rank, local index) and the balancers that compute them."""

from .balancers import BALANCERS, balanced, block, get_balancer, population, round_robin
from .decomposition import Decomposition
from .hardware_mapping import hardware, mapping_report

BALANCERS["hardware"] = hardware

__all__ = [
    "Decomposition",
    "BALANCERS",
    "get_balancer",
    "round_robin",
    "block",
    "population",
    "balanced",
    "hardware",
    "mapping_report",
]
