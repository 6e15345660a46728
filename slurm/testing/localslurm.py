#!/usr/bin/env python3
"""A single-node Slurm on localhost, for the tests and for trying the job scripts by hand.

    python slurm/testing/localslurm.py start DIR    install if missing, start; prints SLURM_CONF
    python slurm/testing/localslurm.py stop DIR     cancel its jobs, stop the daemons it started

Debian's ``munge`` and ``slurm-wlm`` packages (installed with apt-get when missing, as root);
munged, slurmctld and slurmd run as background daemons from DIR with their own ports, MUNGE
socket, state, logs and PID files (config: ``slurm.conf.in`` beside this file), so a system
Slurm, if any, is not touched.  ``stop`` signals exactly the PIDs in DIR's PID files.
Client commands need ``SLURM_CONF=DIR/slurm.conf`` in their environment.
"""

import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PACKAGES = ["slurm-wlm", "munge"]
DAEMONS = {"slurmd": "slurmd.pid", "slurmctld": "slurmctld.pid", "munged": "munged.pid"}
TERMINAL = {
    "COMPLETED",
    "FAILED",
    "CANCELLED",
    "TIMEOUT",
    "NODE_FAIL",
    "OUT_OF_MEMORY",
    "PREEMPTED",
    "BOOT_FAIL",
    "DEADLINE",
}


class Unavailable(RuntimeError):
    """Slurm cannot be installed or started here (the message says why)."""


def install():
    """apt-get install munge and slurm-wlm unless their programs are there."""
    if all(shutil.which(p) for p in ("munged", "mungekey", "slurmctld", "slurmd", "sbatch")):
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise Unavailable(
            f"Slurm is not installed and cannot be installed here (needs root and "
            f"apt-get); install {' '.join(PACKAGES)}"
        )
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for cmd in (
        ["apt-get", "update", "-qq"],
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *PACKAGES],
    ):
        r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900)
        if r.returncode:
            raise Unavailable(
                f"{' '.join(cmd)} failed ({r.returncode}): {(r.stderr or r.stdout).strip()[-500:]}"
            )


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """The Slurm of one directory: start(), stop(), sbatch(), jobs(), wait()."""

    def __init__(self, directory):
        self.dir = Path(directory).resolve()
        self.conf = self.dir / "slurm.conf"
        self.env = dict(os.environ, SLURM_CONF=str(self.conf))

    def start(self, cpus=4, timeout=60):
        """Write the config and start munged, slurmctld and slurmd; wait for an idle node."""
        if len(str(self.dir / "munge.socket")) > 100:
            raise Unavailable(
                f"{self.dir}: path too long for the MUNGE socket; use a short "
                f"directory such as /tmp/slurm"
            )
        install()
        for sub in ("state", "spool", "log"):
            (self.dir / sub).mkdir(parents=True, exist_ok=True)
        self.dir.chmod(0o755)  # munged wants its socket directory readable by all
        text = (HERE / "slurm.conf.in").read_text()
        for key, value in {
            "DIR": self.dir,
            "CPUS": cpus,
            "MEMORY": os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 2**20,
            "CTLD_PORT": _free_port(),
            "SLURMD_PORT": _free_port(),
            "FIRST_JOB_ID": random.randrange(10**6, 6 * 10**7),
        }.items():
            text = text.replace(f"@{key}@", str(value))
        self.conf.write_text(text)
        key = self.dir / "munge.key"
        try:
            if not key.exists():
                self._daemon(["mungekey", "--create", "--keyfile", key])
            self._daemon(
                [
                    "munged",
                    "--force",
                    f"--socket={self.dir}/munge.socket",
                    f"--key-file={key}",
                    f"--pid-file={self.dir}/munged.pid",
                    f"--log-file={self.dir}/log/munged.log",
                    f"--seed-file={self.dir}/munged.seed",
                ]
            )
            self._daemon(["slurmctld", "-f", self.conf])
            self._daemon(["slurmd", "-f", self.conf])
            deadline = time.monotonic() + timeout
            while self._node_state() != "idle":
                if time.monotonic() > deadline:
                    raise Unavailable(
                        f"the node did not become idle in {timeout} s (state "
                        f"{self._node_state()!r}); logs in {self.dir}/log"
                    )
                time.sleep(0.2)
        except (Unavailable, OSError, subprocess.SubprocessError) as exc:
            self.stop()
            raise Unavailable(f"Slurm did not start in {self.dir}: {exc}") from None
        return self

    def _daemon(self, cmd):
        r = subprocess.run(
            [str(c) for c in cmd], capture_output=True, text=True, env=self.env, timeout=60
        )
        if r.returncode:
            raise Unavailable(f"{cmd[0]} failed ({r.returncode}): {r.stderr.strip()[-500:]}")

    def _node_state(self):
        r = subprocess.run(
            ["sinfo", "-h", "-n", "localhost", "-o", "%T"],
            capture_output=True,
            text=True,
            env=self.env,
            timeout=30,
        )
        return r.stdout.strip()

    def stop(self, timeout=15):
        """Cancel every job, then SIGTERM (SIGKILL after ``timeout`` s) each daemon whose PID
        file is in the directory and whose process has the expected name."""
        if (self.dir / "slurmctld.pid").exists():
            subprocess.run(
                ["scancel", "--user", str(os.geteuid())],
                capture_output=True,
                env=self.env,
                timeout=30,
            )
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and self._queue():
                time.sleep(0.2)
        for name, pidfile in DAEMONS.items():
            path = self.dir / pidfile
            pid = int(path.read_text().split()[0]) if path.exists() else None
            if pid is None or _name(pid) != name:
                continue
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + timeout
            while _name(pid) == name and time.monotonic() < deadline:
                time.sleep(0.1)
            if _name(pid) == name:
                os.kill(pid, signal.SIGKILL)

    def _queue(self):
        r = subprocess.run(
            ["squeue", "-h", "-o", "%i"], capture_output=True, text=True, env=self.env, timeout=30
        )
        return r.stdout.split() if r.returncode == 0 else []

    def sbatch(self, script, *options, env=None, cwd=None):
        """Submit ``script`` with sbatch ``options`` and extra environment ``env``; job id."""
        r = subprocess.run(
            ["sbatch", "--parsable", *map(str, options), str(script)],
            capture_output=True,
            text=True,
            cwd=cwd,
            timeout=60,
            env={**self.env, **(env or {})},
        )
        if r.returncode:
            raise RuntimeError(f"sbatch {script} failed: {r.stderr.strip()}")
        return r.stdout.strip().split(";")[0]

    def jobs(self, job_id):
        """scontrol's records of ``job_id`` (every task of an array) as dicts."""
        r = subprocess.run(
            ["scontrol", "-o", "show", "job", str(job_id)],
            capture_output=True,
            text=True,
            env=self.env,
            timeout=30,
        )
        if r.returncode:
            raise RuntimeError(f"scontrol show job {job_id}: {r.stderr.strip()}")
        return [
            dict(re.findall(r"(\w+(?:/\w+)?)=(\S*)", line))
            for line in r.stdout.splitlines()
            if line.strip()
        ]

    def wait(self, job_id, timeout=300, done=TERMINAL):
        """Poll until every record of ``job_id`` is in a state of ``done``; the records."""
        deadline = time.monotonic() + timeout
        while True:
            records = self.jobs(job_id)
            if records and all(r["JobState"] in done for r in records):
                return records
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"job {job_id} not done after {timeout} s: "
                    f"{[(r['JobId'], r['JobState']) for r in records]}\n"
                    f"{self.logs()}"
                )
            time.sleep(0.3)

    def logs(self, tail=40):
        """The last lines of the daemons' logs (for failure messages)."""
        out = []
        for log in sorted((self.dir / "log").glob("*.log")):
            lines = log.read_text(errors="replace").splitlines()[-tail:]
            out.append(f"== {log.name}\n" + "\n".join(lines))
        return "\n".join(out)


def _name(pid):
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return None


def main(argv):
    if len(argv) != 2 or argv[0] not in ("start", "stop"):
        print(__doc__, file=sys.stderr)
        return 2
    cluster = Cluster(argv[1])
    if argv[0] == "stop":
        cluster.stop()
        return 0
    try:
        cluster.start()
    except Unavailable as exc:
        print(f"localslurm: {exc}", file=sys.stderr)
        return 1
    print(f"export SLURM_CONF={cluster.conf}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
