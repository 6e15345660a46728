"""The mpich wheel is an extra: distsim runs on the MPI mpi4py was built against, and the
README's two commands (and so CI) install the extra, so tests keep using the wheel."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).parents[2]


def test_mpich_is_an_extra_that_the_readme_commands_and_ci_install():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert not any(d.startswith("mpich") for d in project["dependencies"])
    assert project["optional-dependencies"]["mpich"] == ["mpich>=4.2"]
    commands = re.findall(r"```bash\n(.*?)\n```", (ROOT / "README.md").read_text(), re.S)[:2]
    ci = (ROOT / ".ci" / "run").read_text()
    for command in commands:
        extras = re.search(r"pip install -q -e '\.\[([a-z,]+)\]'", command).group(1)
        assert {"test", "mpich"} <= set(extras.split(","))
    assert commands[1] in ci.splitlines()  # CI runs exactly the README's test command
