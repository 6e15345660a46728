"""Execution contexts (LocalContext, MPIContext, DryRunContext), routing and exchange."""
from .context import LocalContext

__all__ = ["LocalContext"]
