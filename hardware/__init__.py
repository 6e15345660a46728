"""Neuromorphic hardware: chip profiles, fabrics, hardware-aware mapping, energy and latency,
and device synapses (``PCM``, ``RRAM``: hardware/devices.py)."""

from .devices import PCM, RRAM

__all__ = ["PCM", "RRAM"]
