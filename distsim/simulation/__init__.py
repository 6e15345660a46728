"""Simulation(network, context, decomposition, backend): build the local part of a network
on this rank, run it, collect the results (core.py; its parts in this package)."""

from .core import Simulation
from .digest import packed_spikes, spike_digest

__all__ = ["Simulation", "spike_digest", "packed_spikes"]
