"""Neuromorphic hardware profiles, fabrics, energy and device synapses (to come)."""
