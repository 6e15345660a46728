"""Neuromorphic hardware: chip profiles, fabrics, hardware-aware mapping, energy and latency,
and device synapses (``PCM``: hardware/devices.py)."""
from .devices import PCM

__all__ = ["PCM"]
