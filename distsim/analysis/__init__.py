"""dask analysis of run stores and the plots users look at (``distsim analyze STORE``)."""

from .report import analyze

__all__ = ["analyze"]
