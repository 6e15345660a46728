"""Export the spikes of a run store to NEST's ASCII spike format or to Parquet, chunk by
chunk (never all spikes in memory).

NEST ASCII (as NEST 3's ``record_to="ascii"`` spike_recorder writes it): two comment lines,
a header ``sender<TAB>time_ms``, then one spike per line; NEST numbers nodes from 1, so
``sender = gid + 1``; times with 3 decimals.  Parquet: columns ``step`` (int64), ``gid``
(int64) and ``time_ms`` (float64), one row group per chunk.
"""
import numpy as np

from distsim.errors import ConfigError

from .reader import open_run

CHUNK = 1 << 22


def _chunks(run):
    for g in run.ranks:
        n = int(g.attrs["flushed_spikes"])
        for lo in range(0, n, CHUNK):
            hi = min(n, lo + CHUNK)
            yield np.asarray(g["spike_step"][lo:hi]), np.asarray(g["spike_gid"][lo:hi])


def export_spikes(store, path, fmt):
    """Write the store's spikes to ``path`` as ``fmt`` ("nest" or "parquet"); returns the
    number of spikes written."""
    run = open_run(store)
    dt = run.dt
    total = 0
    if fmt == "nest":
        from distsim import __version__
        with open(path, "w") as f:
            f.write(f"# distsim version: {__version__} (NEST-compatible spike file)\n"
                    f"# RecordingBackendASCII version: 2\nsender\ttime_ms\n")
            for steps, gids in _chunks(run):
                lines = np.char.add(np.char.add((gids + 1).astype(str), "\t"),
                                    np.char.mod("%.3f", steps * dt))
                f.write("\n".join(lines.tolist()))
                if lines.size:
                    f.write("\n")
                total += steps.size
    elif fmt == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq
        schema = pa.schema([("step", pa.int64()), ("gid", pa.int64()), ("time_ms", pa.float64())])
        with pq.ParquetWriter(path, schema) as writer:
            for steps, gids in _chunks(run):
                writer.write_table(pa.table({"step": steps, "gid": gids, "time_ms": steps * dt},
                                            schema=schema))
                total += steps.size
    else:
        raise ConfigError(f"export: format {fmt!r} is not known; use 'nest' or 'parquet'")
    return total
