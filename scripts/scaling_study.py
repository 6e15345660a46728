#!/usr/bin/env python3
"""The outputs of a scaling study as a table, plots and JSON.

    python scripts/scaling_study.py DIR|FILE [...] [--out DIR]

Inputs: directories of ``distsim run --json`` summaries (what slurm/scaling.sh writes, one
STUDY-RANKS.json per point, labelled with the study by ``distsim slurm check``), such
summaries one by one, or the JSON list that scripts/bench_scaling.py prints.  Writes to
``--out`` (default: the first input directory) ``scaling.json`` (``points``: one record per
run, the fastest of repeated ones; ``digests_agree``: per strong-scaling network, whether
every rank count gave the same spikes), ``scaling.txt`` (the table, also printed) and
``scaling.png`` (real-time factor, parallel efficiency and data sent per model second vs
ranks).

Efficiency is measured against the fastest run on the fewest ranks R0 of the same study and
network: strong, ``speedup = R0 rtf0 / rtf`` and ``efficiency = speedup / R``; weak (R times
the network on R ranks), ``efficiency = rtf0 / rtf``.
"""

import argparse
import json
import sys
from pathlib import Path

from distsim.comm.exchange import exchange_per_step


def record(summary, network, study="strong"):
    """One point of a study from a distsim run summary (``Simulation.summary()`` or ``distsim
    run --json``): sizes, rtf, exchange counters summed over ranks, digest."""
    ranks = summary["ranks"]
    run_s = sum(r["run_s"] for r in ranks)
    return {
        "study": study,
        "network": network,
        "neurons": summary["neurons"],
        "synapses": summary["synapses"],
        "ranks": summary["ranks_total"],
        "backend": summary["backend"],
        "t_sim_ms": summary["t_model_ms"],
        "rtf": summary["rtf"],
        "build_s": summary["build_s"],
        "spikes": summary["spikes"],
        "bytes_sent": sum(r["bytes_sent"] for r in ranks),
        "messages_sent": sum(r["messages_sent"] for r in ranks),
        "bytes_per_rank": [r["bytes_sent"] for r in ranks],
        "messages_per_rank": [r["messages_sent"] for r in ranks],
        "wait_fraction": sum(r["wait_s"] for r in ranks) / run_s if run_s else 0.0,
        # windows, wait and bookkeeping per step (summaries of older versions lack them)
        **(exchange_per_step(ranks) if len(ranks) > 1 and "steps" in ranks[0] else {}),
        "digest": summary["digest"],
    }


def add_efficiency(records):
    """Set speedup (strong only) and efficiency of each record, per study and network, against
    the fastest run on the fewest cores (ranks x threads; on one rank the backends do the same
    work)."""
    groups = {}
    for r in records:
        groups.setdefault((r.get("study", "strong"), r["network"]), []).append(r)
    for (study, _), group in groups.items():
        cores = [r["ranks"] * r.get("threads", 1) for r in group]
        fewest = min(cores)
        base = min(r["rtf"] for r, c in zip(group, cores) if c == fewest)
        for r, c in zip(group, cores):
            if study == "weak":
                r["efficiency"] = base / r["rtf"]
            else:
                r["speedup"] = fewest * base / r["rtf"]
                r["efficiency"] = r["speedup"] / c
    return records


def load(paths):
    """The records of the inputs, the fastest of each repeated point, sorted."""
    records = []
    for path in map(Path, paths):
        files = sorted(path.glob("*.json")) if path.is_dir() else [path]
        for f in files:
            data = json.loads(f.read_text())
            if isinstance(data, list):  # scripts/bench_scaling.py output
                records += data
            elif isinstance(data, dict) and "ranks_total" in data:
                label = data.get("slurm", {})
                records.append(
                    record(
                        data,
                        network=data.get("example") or "network",
                        study=label.get("study", "strong"),
                    )
                )
    if not records:
        raise SystemExit(
            f"scaling_study: no distsim run summaries in {' '.join(paths)}; give "
            f"the DISTSIM_OUT directory of slurm/scaling.sh or bench_scaling JSON"
        )
    best = {}
    for r in records:
        key = (r.get("study", "strong"), r["network"], r["neurons"], r["ranks"], r["backend"])
        if key not in best or r["rtf"] < best[key]["rtf"]:
            best[key] = r
    return sorted(
        best.values(),
        key=lambda r: (r.get("study", "strong"), r["network"], r["backend"], r["ranks"]),
    )


def digests_agree(records):
    """Per network of the strong study: do all its runs have the same spike digest?"""
    seen = {}
    for r in records:
        if r.get("study", "strong") == "strong":
            seen.setdefault(f"{r['network']} ({r['neurons']} neurons)", set()).add(r["digest"])
    return {name: len(digests) == 1 for name, digests in seen.items()}


def table(records):
    head = (
        f"{'study':<7} {'network':<14} {'ranks':>5} {'backend':<10} {'neurons':>9} "
        f"{'synapses':>11} {'RTF':>8} {'speedup':>7} {'effic.':>6} {'MB sent':>8} "
        f"{'messages':>9} {'wait':>5} digest"
    )
    lines = [head, "-" * len(head)]
    for r in records:
        speedup = f"{r['speedup']:.2f}" if "speedup" in r else "-"
        lines.append(
            f"{r.get('study', 'strong'):<7} {r['network']:<14} {r['ranks']:>5} "
            f"{r['backend']:<10} {r['neurons']:>9,} {r['synapses']:>11,} {r['rtf']:>8.3f} "
            f"{speedup:>7} {r['efficiency']:>6.2f} {r['bytes_sent'] / 1e6:>8.2f} "
            f"{r['messages_sent']:>9,} {r['wait_fraction']:>5.0%} {r['digest'][:12]}"
        )
    return "\n".join(lines)


def plot(records, path):
    """scaling.png: real-time factor, parallel efficiency and data sent per model second
    against ranks, one line per study, network and backend; the legend under the panels."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FormatStrFormatter, LogLocator, NullFormatter

    fig, axes = plt.subplots(1, 3, figsize=(14, 4.8), layout="constrained")
    lines = {}
    for r in records:
        lines.setdefault((r.get("study", "strong"), r["network"], r["backend"]), []).append(r)
    for (study, network, backend), rs in lines.items():
        ranks = [r["ranks"] for r in rs]
        size = (
            f"{rs[0]['neurons']:,} neurons"
            if study == "strong"
            else f"{rs[0]['neurons'] // rs[0]['ranks']:,} neurons per rank"
        )
        label = f"{study} scaling, {network} ({size}), {backend} exchange"
        axes[0].plot(ranks, [r["rtf"] for r in rs], "o-", label=label)
        axes[1].plot(ranks, [r["efficiency"] for r in rs], "o-")
        axes[2].plot(ranks, [r["bytes_sent"] / 1e6 / (r["t_sim_ms"] / 1000.0) for r in rs], "o-")
    axes[1].axhline(1.0, color="grey", lw=0.8, ls="--")
    axes[1].set_ylim(bottom=0)
    ticks = sorted({r["ranks"] for r in records})
    for ax, ylabel, title in zip(
        axes,
        [
            "real-time factor (wall s / model s)",
            "parallel efficiency (1 = ideal)\nstrong: speedup / ranks; weak: RTF0 / RTF",
            "data sent between ranks\n(MB per model s, all ranks together)",
        ],
        ["Speed (lower is faster)", "Parallel efficiency", "Communication volume"],
    ):
        ax.set_xscale("log", base=2)
        ax.set_xticks(ticks, [str(t) for t in ticks])
        ax.minorticks_off()
        ax.set(xlabel="MPI ranks", ylabel=ylabel)
        ax.set_title(title, fontsize=10)
        ax.grid(alpha=0.3)
    axes[0].set_yscale("log")
    axes[0].yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    axes[0].yaxis.set_major_formatter(FormatStrFormatter("%g"))
    axes[0].yaxis.set_minor_formatter(NullFormatter())
    fig.legend(loc="outside lower center", ncols=2, fontsize=8, frameon=False)
    fig.suptitle(f"Scaling study: {len(records)} runs (the fastest of repeated ones)")
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("inputs", nargs="+", help="directories or JSON files of a study")
    ap.add_argument(
        "--out", default=None, help="output directory (default: the first input directory)"
    )
    ap.add_argument("--no-plot", action="store_true", help="only the table and the JSON")
    args = ap.parse_args(argv)
    records = add_efficiency(load(args.inputs))
    first = Path(args.inputs[0])
    out = Path(args.out) if args.out else (first if first.is_dir() else first.parent)
    out.mkdir(parents=True, exist_ok=True)
    agree = digests_agree(records)
    text = table(records)
    (out / "scaling.txt").write_text(text + "\n")
    (out / "scaling.json").write_text(
        json.dumps({"points": records, "digests_agree": agree}, indent=1) + "\n"
    )
    if not args.no_plot:
        plot(records, out / "scaling.png")
    print(text)
    for name, ok in agree.items():
        if not ok:
            print(
                f"warning: strong scaling of {name}: spike digests differ between rank "
                f"counts (they must be equal)",
                file=sys.stderr,
            )
    print(
        f"written: {out / 'scaling.json'}, {out / 'scaling.txt'}"
        + ("" if args.no_plot else f", {out / 'scaling.png'}")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
