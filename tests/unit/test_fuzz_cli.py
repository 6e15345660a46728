"""Generated command lines thrown at every subcommand (issue 16, point 4): the only outcomes
allowed are success, or exit 2 (1 for a run that fails) with one line ``distsim: error``
or argparse's usage message, and never a traceback.  Values mix valid ones (small networks,
short runs) with wrong types, NaN, inf, negative, huge and out-of-range numbers; paths lie
inside a fresh temporary folder, with a file and a folder of the user's in it whose
survival is checked."""

import io
import os
import signal
import tempfile
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from distsim.cli import main

NUMBERS = st.sampled_from(
    [
        "0",
        "-1",
        "1",
        "2",
        "0.5",
        "nan",
        "inf",
        "-inf",
        "1e308",
        "1e-300",
        "3",
        "17",
        "99999999999999999999",
        "abc",
        "",
        "0x10",
        "1_0",
    ]
)
SMALL = {
    "--order": st.sampled_from(["20", "50", "0", "-5", "1e3", "x", "2000000000"]),
    "--epsilon": st.sampled_from(["0.1", "0.5", "1", "0", "2", "nan", "-0.1"]),
    "--scale": st.sampled_from(["0.005", "0.01", "0", "-1", "inf", "nan", "1e9"]),
    "--t-sim": st.sampled_from(["0", "1", "5", "0.05", "-1", "nan", "inf", "1e30"]),
    "--dt": st.sampled_from(["0.1", "0.05", "0", "-0.1", "nan", "1000"]),
    "--seed": st.sampled_from(["0", "7", "-1", "1e3", "99999999999999999999"]),
    "--state": st.sampled_from(["AI", "SR", "XX", ""]),
    "--background": st.sampled_from(["dc", "poisson", "none"]),
    "--ranks": st.sampled_from(["0", "-2", "100000", "1000", "nan"]),
    "--backend": st.sampled_from(["collective", "async", "routed", "nope"]),
    "--balancer": st.sampled_from(["block", "round_robin", "nope"]),
    "--hardware": st.sampled_from(["loihi", "nochip", "", "truenorth"]),
    "--fabric": st.sampled_from(["mesh:2x2", "mesh:0x0", "torus:1x1", "blah", "mesh:2x"]),
    "--link-latency": NUMBERS,
    "--bits-per-synapse": NUMBERS,
    "--checkpoint-every": st.sampled_from(["1h", "nan", "0", "-1s", "10x", "90s", "inf"]),
    "--t-start": NUMBERS,
    "--format": st.sampled_from(["nest", "parquet", "csv"]),
    "--time-unit": st.sampled_from(["s", "ms", "us", "h"]),
}
SWITCHES = [
    "--plastic",
    "--no-store",
    "--overwrite",
    "--oversubscribe",
    "--json",
    "-q",
    "-v",
    "--no-plots",
]
PATHS = [
    "out.zarr",
    "user",
    "user/file.txt",
    ".",
    "/",
    "missing/deep/x.zarr",
    "ck",
    "net.toml",
    "bad.yaml",
    "spikes.dat",
    "run.zarr",
]
MODELS = [
    "brunel",
    "microcircuit",
    "hpc_benchmark",
    "sensor",
    "nothing",
    "net.toml",
    "bad.yaml",
    "user/file.txt",
    "missing.nir",
    "",
]


@st.composite
def command_lines(draw):
    command = draw(
        st.sampled_from(
            ["run", "inspect", "partition", "analyze", "export", "convert", "run", "run"]
        )
    )
    argv = [command]
    if command in ("run", "inspect", "partition"):
        if draw(st.booleans()) or command != "run":
            argv.append(draw(st.sampled_from(MODELS)))
    else:
        argv += [draw(st.sampled_from(PATHS)) for _ in range(1 if command == "analyze" else 2)]
    for flag in draw(st.lists(st.sampled_from(sorted(SMALL)), max_size=4, unique=True)):
        argv += [flag, draw(SMALL[flag])]
    argv += draw(st.lists(st.sampled_from(SWITCHES), max_size=2, unique=True))
    for flag in draw(
        st.lists(st.sampled_from(["--out", "--checkpoint-dir", "--resume"]), max_size=1)
    ):
        argv += [flag, draw(st.sampled_from(PATHS))]
    if command == "run":  # keep what may run small and short
        argv += ["--t-sim", "2"] if "--t-sim" not in argv else []
        if argv[1:2] in (["microcircuit"], ["hpc_benchmark"]) and "--scale" not in argv:
            argv += ["--scale", "0.005"]
        if (
            len(argv) == 1 or argv[1].startswith("-") or argv[1] == "brunel"
        ) and "--order" not in argv:
            argv += ["--order", "20"]
    return argv


def _folder():
    top = Path(tempfile.mkdtemp(prefix="distsim-fuzz-"))
    (top / "user").mkdir()
    (top / "user" / "file.txt").write_text("mine")
    (top / "net.toml").write_text(
        '[network]\ndt = 0.1\n[populations.A]\nmodel = "iaf_psc_exp"'
        '\nsize = 10\n[[record.spikes]]\npopulation = "A"\n'
    )
    (top / "bad.yaml").write_bytes(b"\xff\xfe: [unclosed\n  - &a [*a, *a]\n")
    (top / "spikes.dat").write_text("mine too")
    return top


TOP = _folder()


@settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(command_lines())
def test_no_command_line_gives_a_traceback(argv):
    here = os.getcwd()
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    out, err = io.StringIO(), io.StringIO()
    os.chdir(TOP)
    try:
        with redirect_stdout(out), redirect_stderr(err):
            try:
                status = main(argv)
            except SystemExit as exc:  # argparse: one error line and exit 2
                status = exc.code
    finally:
        os.chdir(here)
    text = err.getvalue()
    event(f"{argv[0]} exit {status}")  # --hypothesis-show-statistics: how many ran
    assert "Traceback" not in text, (argv, text)
    assert status in (0, 2, 1), (argv, status, text)
    if status:
        errors = [line for line in text.splitlines() if line.startswith("distsim: error: ")]
        assert len(errors) == 1 and text.strip().splitlines()[-1] == errors[0], (argv, text)
    assert (TOP / "user" / "file.txt").read_text() == "mine"
    assert (TOP / "spikes.dat").read_text() == "mine too"
    assert {s: signal.getsignal(s) for s in handlers} == handlers  # nothing left behind
