"""The zarr run store (format in LAYOUT.md): per-rank writer, reader, checkpoints.

Its names are imported on first use: zarr and dask only in a process that reads or writes a
store (a rank without one is about 20 MB lighter)."""

_WHERE = {
    "RunWriter": "writer",
    "FORMAT": "writer",
    "FORMAT_VERSION": "writer",
    "RunReader": "reader",
    "open_run": "reader",
}
__all__ = ["RunWriter", "RunReader", "open_run", "FORMAT", "FORMAT_VERSION"]


def __getattr__(name):
    if name in _WHERE:
        from importlib import import_module

        return getattr(import_module(f"{__name__}.{_WHERE[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
