"""The README's two commands: the default run completes, and CI runs the test command."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]


def readme_commands():
    return re.findall(r"```bash\n(.*?)\n```", (ROOT / "README.md").read_text(), re.S)[:2]


def test_readme_opens_with_setup_run_and_test_commands():
    text = (ROOT / "README.md").read_text()
    run, test = readme_commands()
    assert text.index("```bash") < 20  # the commands come first
    assert "pip install" in run and run.endswith("distsim run")
    assert "pip install" in test and "pytest" in test
    assert test in (ROOT / ".ci" / "run").read_text()


def test_default_run_completes_and_prints_summary(tmp_path):
    bindir = Path(sys.executable).parent
    r = subprocess.run(
        [str(bindir / "distsim"), "run"], capture_output=True, text=True, timeout=600, cwd=tmp_path
    )
    assert r.returncode == 0, r.stderr
    out = r.stdout
    for key in (
        "neurons            12,500",
        "synapses           15,625,000",
        "spikes",
        "mean rate",
        "wall time",
        "real-time factor",
        "spike digest",
    ):
        assert key in out
    digest = re.search(r"spike digest\s+([0-9a-f]+)", out).group(1)
    assert len(digest) == 64
    rate = float(re.search(r"mean rate\s+([0-9.]+) Hz", out).group(1))
    assert 30.0 < rate < 45.0
    from distsim import spike_digest
    from distsim.store import open_run

    run = open_run(tmp_path / "brunel.zarr")  # the default run writes its store
    assert run.complete and spike_digest(*run.spikes()) == digest
