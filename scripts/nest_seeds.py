"""Shared by the NEST reference scripts: one NEST kernel per seed, each in a subprocess.

    args = parse(description, seeds, threads, t_sim)      # --seeds --threads --t-sim --out
    if args.worker: worker(run_one, args) and return       # one seed: a JSON line, printed last
    for line in seed_lines(__file__, args): ...            # the workers' JSON lines, in order
    print_result(result, args.out)                         # the script's JSON, and --out

A script with options of its own (``extra``) passes them to its workers as ``extra_argv``
and to ``run_one`` as keyword arguments (``worker(run_one, args, **options)``).
"""

import argparse
import json
import os
import subprocess
import sys


def parse(description, seeds, threads, t_sim, argv=None, extra=None):
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--seeds", type=int, nargs="+", default=seeds)
    ap.add_argument("--threads", type=int, default=threads)
    ap.add_argument("--t-sim", type=float, default=t_sim)
    ap.add_argument("--out", default=None, help="also write the JSON to this file")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    if extra:
        extra(ap)
    return ap.parse_args(argv)


def worker(run_one, args, **options):
    """Run the single seed in this process; its JSON line is the last line of stdout."""
    run = run_one(args.seeds[0], args.threads, args.t_sim, **options)
    sys.stdout.flush()
    print(json.dumps(run))


def seed_lines(script, args, extra_argv=()):
    """Run ``script --worker`` once per seed (fresh kernel, own peak memory); yield the JSON
    line each prints last."""
    for seed in args.seeds:
        cmd = [
            sys.executable,
            os.path.abspath(script),
            "--worker",
            "--seeds",
            str(seed),
            "--threads",
            str(args.threads),
            "--t-sim",
            repr(args.t_sim),
            *extra_argv,
        ]
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, check=True, text=True)
        yield [ln for ln in proc.stdout.splitlines() if ln.strip()][-1]


def print_result(result, out=None):
    """Print ``result`` as one JSON line (last on stdout) and, with ``out``, also write it
    there, indented (making the folder)."""
    line = json.dumps(result)
    if out:
        os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
        with open(out, "w") as fh:
            json.dump(result, fh, indent=1)
            fh.write("\n")
    sys.stdout.flush()
    print(line)
