"""Memory per rank: a process imports what it uses.  ``import distsim`` loads no store,
analysis, plotting, partitioning, NIR or MPI module, and a run imports no dask cluster
client, plots, METIS or NIR (each a fresh Python: sys.modules after the fact)."""

import json
import subprocess
import sys

UNUSED = ["distributed", "matplotlib", "pymetis", "nir"]
STORE = ["dask", "zarr"]


def imported(code):
    """The modules of UNUSED + STORE + mpi4py a fresh Python holds after ``code``."""
    names = UNUSED + STORE + ["mpi4py"]
    r = subprocess.run(
        [
            sys.executable,
            "-c",
            f"{code}\nimport sys, json\nprint(json.dumps([m for m in {names!r} if m in sys.modules]))",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    return set(json.loads(r.stdout.splitlines()[-1]))


def test_import_distsim_loads_no_store_analysis_or_mpi_module():
    assert imported("import distsim\nfrom distsim import Simulation, Network") == set()


def test_a_run_that_writes_a_store_imports_no_dask_cluster_plots_metis_or_nir(tmp_path):
    store = tmp_path / "run.zarr"
    code = (
        "from distsim.cli import main\n"
        f"assert main(['run', 'brunel', '--order', '5', '--t-sim', '10', '--quiet', '--out', {str(store)!r}]) == 0"
    )
    held = imported(code)
    assert not held & set(UNUSED), held
    assert "zarr" in held  # (the store is written: zarr is used)
