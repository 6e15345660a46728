"""Decompositions (gid -> rank, local index) and the balancers that compute them."""
from .decomposition import Decomposition, block

__all__ = ["Decomposition", "block"]
