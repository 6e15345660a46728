"""dask analysis of run stores and the plots users look at (``distsim analyze STORE``)."""

from .cluster import Cluster
from .report import analyze

__all__ = ["Cluster", "analyze"]
