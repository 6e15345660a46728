"""Export the spikes of a run store to NEST's ASCII spike format or to Parquet, chunk by
chunk (never all spikes in memory).

NEST ASCII (as NEST 3's ``record_to="ascii"`` spike_recorder writes it): two comment lines,
a header ``sender<TAB>time_ms``, then one spike per line; NEST numbers nodes from 1, so
``sender = gid + 1``; times with 3 decimals.  Parquet: columns ``step`` (int64), ``gid``
(int64) and ``time_ms`` (float64), one row group per chunk.
"""

import os

import numpy as np

from distsim.errors import ConfigError, OutputError

from .reader import open_run

CHUNK = 1 << 22


def _chunks(run):
    for g in run.ranks:
        n = int(g.attrs["flushed_spikes"])
        for lo in range(0, n, CHUNK):
            hi = min(n, lo + CHUNK)
            yield np.asarray(g["spike_step"][lo:hi]), np.asarray(g["spike_gid"][lo:hi])


_NEST_HEADER = "# distsim version: "


def _written_by_distsim(path):
    """True for a file an earlier export wrote (its NEST header or Parquet metadata)."""
    try:
        with open(path, "rb") as f:
            head = f.read(len(_NEST_HEADER))
        if head == _NEST_HEADER.encode():
            return True
        import pyarrow.parquet as pq

        return b"distsim" in (pq.read_schema(path).metadata or {})
    except Exception:  # unreadable, or not Parquet
        return False


def export_spikes(store, path, fmt, overwrite=False):
    """Write the store's spikes to ``path`` as ``fmt`` ("nest" or "parquet"); returns the
    number of spikes written.  ``path`` must be new, or with ``overwrite`` a file an earlier
    export wrote; the file appears only when complete (written beside it, then renamed)."""
    path = str(path)
    if os.path.lexists(path) and not (
        overwrite and os.path.isfile(path) and _written_by_distsim(path)
    ):
        rule = (
            "is not a file an earlier distsim export wrote, and distsim replaces only its own files"
            if overwrite
            else "exists; give --overwrite to replace an earlier export"
        )
        raise OutputError(f"export: {path} {rule}; give a new path")
    run = open_run(store)
    partial = f"{path}.partial"
    if os.path.lexists(partial) and not _written_by_distsim(partial):
        raise OutputError(f"export: {partial} exists and is not distsim's; move it away")
    total = _write(run, partial, fmt)
    os.replace(partial, path)
    return total


def _write(run, path, fmt):
    from distsim import __version__

    dt = run.dt
    total = 0
    if fmt == "nest":
        with open(path, "w") as f:
            f.write(
                f"{_NEST_HEADER}{__version__} (NEST-compatible spike file)\n"
                f"# RecordingBackendASCII version: 2\nsender\ttime_ms\n"
            )
            for steps, gids in _chunks(run):
                lines = np.char.add(
                    np.char.add((gids + 1).astype(str), "\t"), np.char.mod("%.3f", steps * dt)
                )
                f.write("\n".join(lines.tolist()))
                if lines.size:
                    f.write("\n")
                total += steps.size
    elif fmt == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        schema = pa.schema(
            [("step", pa.int64()), ("gid", pa.int64()), ("time_ms", pa.float64())],
            metadata={b"distsim": __version__.encode()},
        )
        with pq.ParquetWriter(path, schema) as writer:
            for steps, gids in _chunks(run):
                writer.write_table(
                    pa.table({"step": steps, "gid": gids, "time_ms": steps * dt}, schema=schema)
                )
                total += steps.size
    else:
        raise ConfigError(f"export: format {fmt!r} is not known; use 'nest' or 'parquet'")
    return total
