"""Execution contexts (LocalContext, MPIContext, DryRunContext), routing and exchange."""

from .context import DryRunContext, LocalContext, default_context, launched_under_mpi

__all__ = ["LocalContext", "DryRunContext", "default_context", "launched_under_mpi"]
