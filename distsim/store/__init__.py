"""The zarr run store (format in LAYOUT.md): per-rank writer, reader, checkpoints."""

from .reader import RunReader, open_run
from .writer import FORMAT, FORMAT_VERSION, RunWriter

__all__ = ["RunWriter", "RunReader", "open_run", "FORMAT", "FORMAT_VERSION"]
