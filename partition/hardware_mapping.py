"""Hardware-aware mapping: neurons -> cores -> chips on a fabric -> ranks.

1. Cores.  A core holds neurons of one population.  Each population gets the largest number
   of neurons per core n that its expected connectivity allows under the profile's limits:

       neurons_per_core         n <= limit
       synapses_per_neuron      K <= limit            (K: expected in-degree of one neuron)
       synapse_memory_per_core  n K bits_per_synapse <= limit
       fan_in_per_core          sum over source populations Q of |Q| (1 - prod (1 - q)^n)
                                <= limit              (expected distinct presynaptic neurons)

   where q = K_Q / |Q| is the probability that a given neuron of Q projects to a given
   target neuron (the product runs over the projections from Q), as in ``expected_traffic``.
       fan_out_per_neuron       f = sum over target populations T of c_T (1 - (1 - q_T)^m_T)
                                <= limit              (expected target cores of one neuron;
                                                       c_T cores of m_T neurons of T)
       fan_out_per_core         n f <= limit

   Explicit connections (rule ``FromList``) are counted, not expected: a core's listed
   synapses and distinct listed presynaptic neurons (the fullest core of the cut), a
   neuron's listed in-degree (the largest) and listed target cores (the mean).
   Limits the profile does not know are reported as unchecked, never guessed.  When more
   chips are used than the cores fill (one chip per rank at least), populations are cut into
   more, smaller cores so that every chip has work; populations with local explicit
   connections (``_Stats.local``: each listed source reaches at most a chip's share of its
   target population) into a multiple of the chips, so that core boundaries can fall on
   chip boundaries and the lists' locality survive the cut.
2. Chips.  Consecutive cores of a population form units; pymetis cuts the unit graph into
   the chips, balancing the sum of each unit's share of the expected work (``expected_work``)
   and of the spikes it sends, and cutting the least expected spike traffic
   (``expected_traffic``: spikes/s, one packet per spike per destination; exact for
   explicit connections, so spatially structured networks are cut along their space).  A
   repair pass moves units off chips over their cores (or synapse memory) and onto empty
   chips, and a balance pass off the heaviest chip while it exceeds the mean by 2 %.
3. Placement on the fabric: greedy (the most-communicating chip group first, at the
   fabric's centre; each next one where it adds the least hop-weighted traffic), then
   steepest-descent pairwise swaps and moves to free chips.
4. Ranks.  Where the n ranks tile the fabric's W x H chip grid as a gr x gc grid of equal
   rectangular blocks (``rank_grid``: gr divides H, gc divides W, the most square blocks),
   rank i gc + j holds block (i, j), so that ranks next to each other in the rank grid hold
   chips next to each other on the fabric.  Steps 2 and 3 then work per block: pymetis cuts
   the units into n groups of equal weight (one per rank, each packed onto the same number
   of chips, at most a block's), each group is cut into its chips as in 2, the groups are
   placed onto the blocks (traffic x mean hops between blocks), and each group's chips onto
   its own block's chips.  ``hardware["rank_grid"]`` records
   ``{"dims": [gr, gc], "periodic": bool, "chips_per_rank": [bh, bw]}`` (periodic: a torus
   or SpiNNaker toroid on one board).  Otherwise (``rank_grid`` None, the reason in
   ``rank_grid_note``) the chips are cut as in 2, placed on the whole fabric, and the used
   chips, in the fabric's snake order (``Fabric.chip_order``), are cut into contiguous runs
   of equal expected work; a rank holds whole chips, at least one.
5. Routing tables, where the profile limits them (SpiNNaker: router_entries_per_chip),
   after placement: ``router_entries`` counts one entry per source core on every chip where
   its multicast route starts, turns or branches, or ends (straight crossings use default
   routing); a chip over the limit is a HardwareError naming the chip, the entries and the
   limit.  ``hardware["router_entries"]``: max, its chip, mean over the used chips, limit.

``mapping_report`` compares a mapping with round-robin over the same chips: cut traffic,
hop-weighted traffic, mean hops, maximum and mean link load.
"""

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from distsim.errors import HardwareError
from distsim.hardware.fabric import parse_fabric
from distsim.hardware.profiles import Constant, load_profile
from distsim.rules import FromList

from .balancers import DEFAULT_RATE_HZ, _check, expected_indegree, expected_traffic, expected_work
from .decomposition import Decomposition

UNITS_PER_CHIP = 32  # METIS vertices per chip (granularity of the balance)
MAX_UNITS = 2048  # and in all
SPREAD_CORES_PER_CHIP = 8  # cores per chip at least, when populations are spread
_PER_CORE = ("neurons_per_core", "synapse_memory_per_core", "fan_in_per_core", "fan_out_per_core")
_CHECKABLE = (
    "cores_per_chip",
    "neurons_per_core",
    "synapses_per_neuron",
    "synapse_memory_per_core",
    "synapse_memory_per_chip",
    "fan_in_per_core",
    "fan_out_per_core",
    "fan_out_per_neuron",
    "router_entries_per_chip",
)
ROUTE_PROBABILITY = 0.5  # a random projection's chip counts as a destination from here


def hardware(network, n_ranks, rates=None, profile=None, fabric=None, bits_per_synapse=None):
    """Map ``network`` onto chips of ``profile`` on ``fabric`` (a spec such as "mesh:2x2";
    default: the smallest square mesh with enough chips) and the chips onto ``n_ranks``
    ranks.  ``rates`` maps population -> expected Hz; ``bits_per_synapse`` overrides the
    profile's (needed to check synapse memory where the profile does not know it).  A
    named ``profile`` is the chip the network runs on: its neuron models are checked
    (``check_models``); without one (the ``hardware`` balancer as a partitioning method)
    Loihi's limits shape the partition and any model goes."""
    _check(network, n_ranks)
    prof = load_profile(profile or "loihi")
    if profile is not None:
        check_models(network, prof)
    limits, unchecked = _limits(prof, bits_per_synapse)
    stats = _Stats(network, prof, limits)
    n_core, why = stats.core_sizes()
    cpc = limits["cores_per_chip"]
    cores_total = sum(math.ceil(stats.size[p] / n_core[p]) for p in stats.size)
    chips = 1 if cpc is None else math.ceil(cores_total / cpc)
    fab = parse_fabric(fabric if fabric is not None else _square_mesh(max(n_ranks, chips)))
    if n_ranks > fab.n_chips:
        raise HardwareError(
            f"hardware mapping: {n_ranks} ranks but the {fab.spec} fabric has "
            f"{fab.n_chips} chips; a rank holds whole chips, so use at most "
            f"{fab.n_chips} ranks or a larger fabric"
        )
    if n_ranks > network.n_neurons:
        raise HardwareError(
            f"hardware mapping: {n_ranks} ranks but only {network.n_neurons} "
            f"neurons; every rank needs a chip with neurons, use fewer ranks"
        )
    if chips > fab.n_chips:
        raise HardwareError(stats.does_not_fit(n_core, why, fab, cores_total))
    grid, grid_note = rank_grid(fab, n_ranks)
    chips = max(chips, n_ranks)
    per_rank = None
    if grid is not None:  # every rank the same number of chips of its block
        per_rank = math.ceil(chips / n_ranks)
        chips = per_rank * n_ranks
    if chips > 1:
        spread = None
        if cores_total < SPREAD_CORES_PER_CHIP * chips:
            spread = min(
                SPREAD_CORES_PER_CHIP * chips,
                network.n_neurons,
                chips * cpc if cpc is not None else math.inf,
            )
        local = stats.local(chips)
        if spread is not None or local:
            n_spread, why_spread = stats.core_sizes(spread=spread, local=local, at_least=chips)
            if (
                cpc is None
                or sum(math.ceil(stats.size[p] / n_spread[p]) for p in stats.size) <= chips * cpc
            ):
                n_core, why = n_spread, why_spread
    cores = _cut_cores(stats, n_core)
    work = expected_work(network, rates)
    spikes = np.concatenate(
        [
            np.full(p.size, (rates or {}).get(p.name, DEFAULT_RATE_HZ))
            for p in network.populations.values()
        ]
    )
    while True:
        units = _units(cores, chips)
        unit_of_gid = np.repeat(units, cores.sizes)
        traffic = expected_traffic(network, unit_of_gid, units.max() + 1, rates)
        sym = traffic + traffic.T
        np.fill_diagonal(sym, 0.0)
        unit_work = np.bincount(unit_of_gid, weights=work, minlength=units.max() + 1)
        unit_spikes = np.bincount(unit_of_gid, weights=spikes, minlength=units.max() + 1)
        demand, capacity = stats.demand(cores, units), stats.capacity()
        balance = unit_work / unit_work.sum() + unit_spikes / max(unit_spikes.sum(), 1e-300)
        if grid is None:
            part = _split(sym, balance, demand, capacity, chips)
        else:
            part, group_of_part = _split_blocks(sym, balance, demand, capacity, n_ranks, per_rank)
        if part is not None:
            break
        if grid is None:
            chips += 1
        else:
            per_rank += 1
            chips = per_rank * n_ranks
        if chips > fab.n_chips:
            raise HardwareError(stats.does_not_fit(n_core, why, fab, cores_total, packed=True))
    chips = int(part.max()) + 1
    part_of_gid = part[unit_of_gid]
    chip_traffic = expected_traffic(network, part_of_gid, chips, rates)
    np.fill_diagonal(chip_traffic, 0.0)
    if grid is None:
        pos = _place(chip_traffic + chip_traffic.T, fab.hop_matrix)
        chip_work = np.bincount(part, weights=unit_work, minlength=chips)
        place_in_order = np.empty(fab.n_chips, np.int64)
        place_in_order[fab.chip_order()] = np.arange(fab.n_chips)
        order = np.argsort(place_in_order[pos])  # chip groups in the fabric's snake order
        rank_of_part = np.empty(chips, np.int64)
        rank_of_part[order] = _contiguous(chip_work[order], n_ranks)
    else:
        block_of_chip = _blocks(fab, grid)
        # the rank groups onto the blocks (rank = block), then each group's chips in its block
        group_traffic = expected_traffic(network, group_of_part[part_of_gid], n_ranks, rates)
        np.fill_diagonal(group_traffic, 0.0)
        member = np.eye(n_ranks)[block_of_chip]  # chip x block
        block_hops = member.T @ fab.hop_matrix @ member / np.outer(member.sum(0), member.sum(0))
        rank_of_part = _place(group_traffic + group_traffic.T, block_hops)[group_of_part]
        pos = _place(
            chip_traffic + chip_traffic.T,
            fab.hop_matrix,
            allowed=block_of_chip[None, :] == rank_of_part[:, None],
        )
    core_part = part[units]
    core_index = np.zeros(len(cores.sizes), np.int64)  # a core's index within its chip
    for p in range(chips):
        mine = np.flatnonzero(core_part == p)
        core_index[mine] = np.arange(mine.size)
    chip_of, core_of = pos[part_of_gid], np.repeat(core_index, cores.sizes)
    entries = None
    if limits["router_entries_per_chip"] is not None:
        entries = _check_router_entries(
            network, chip_of, core_of, fab, prof, limits["router_entries_per_chip"], rates
        )
    info = {
        "profile": prof.name,
        "fabric": fab.spec,
        "chips": int(chips),
        "cores": int(len(cores.sizes)),
        "neurons_per_core": {p: int(n) for p, n in n_core.items()},
        "cores_per_population": {p: int(c) for p, c in cores.per_population.items()},
        "core_size_limited_by": why,
        "bits_per_synapse": limits["bits_per_synapse"],
        "checked": [k for k in _CHECKABLE if limits[k] is not None and k not in unchecked],
        "unchecked": unchecked,
        "rank_grid": grid,
        "rank_grid_note": grid_note,
    }
    if entries is not None:
        info["router_entries"] = entries
    return Decomposition(
        n_ranks,
        rank_of_part[part_of_gid],
        "hardware",
        chip_of=chip_of,
        core_of=core_of,
        hardware=info,
    )


def check_models(network, profile):
    """Every population's neuron model runs on the chip of ``profile`` (its neuron_models,
    with their source), or a HardwareError names the first that does not."""
    for pop in network.populations.values():
        if profile.runs(pop.model.name) is False:
            nm = profile.neuron_models
            raise HardwareError(
                f"hardware mapping: population '{pop.name}' is {pop.model.name}, which the "
                f"chips of profile '{profile.name}' ({profile.title}) cannot run "
                f"({nm['note']}; {nm['source']}); they run {', '.join(nm['models'])}; use one "
                f"of those models, or a profile whose chips run {pop.model.name}"
            )


def router_entries(network, chip_of, core_of, fabric, rates=None):
    """Multicast routing-table entries each chip of ``fabric`` needs for the mapping
    ``chip_of`` / ``core_of`` (per gid): one per source core (one key and mask per core)
    whose multicast route originates at, turns or branches at, or terminates on the chip
    (``Fabric.multicast_entries``; a chip the packets only cross straight needs none).

    A core's destination chips are those of its neurons' listed targets (``FromList``,
    exact) and those its random projections reach with probability >= ROUTE_PROBABILITY,
    1 - prod (1 - q)^(n m) over the projections (n neurons in the core, m neurons of the
    target population on the chip, q as in ``expected_traffic``).  A core without targets
    needs no entry.  ``rates`` is accepted for symmetry and not used."""
    fab = parse_fabric(fabric)
    chip_of, core_of = np.asarray(chip_of, np.int64), np.asarray(core_of, np.int64)
    stride = int(core_of.max(initial=0)) + 1
    keys, core_id = np.unique(chip_of * stride + core_of, return_inverse=True)
    n_cores, core_chip = keys.size, keys // stride
    pops = list(network.populations.values())
    index = {p.name: i for i, p in enumerate(pops)}
    pop_of_gid = np.repeat(np.arange(len(pops)), [p.size for p in pops])
    core_pop = np.zeros(n_cores, np.int64)
    core_pop[core_id] = pop_of_gid
    core_size = np.bincount(core_id, minlength=n_cores)
    counts = np.array(
        [
            np.bincount(chip_of[p.first_gid : p.first_gid + p.size], minlength=fab.n_chips)
            for p in pops
        ],
        dtype=float,
    )
    reach = np.zeros((n_cores, fab.n_chips), bool)
    log_miss = np.zeros((n_cores, fab.n_chips))
    for proj in network.projections:
        s, t = index[proj.source], index[proj.target]
        if isinstance(proj.rule, FromList):
            reach[
                core_id[pops[s].first_gid + proj.rule.sources],
                chip_of[pops[t].first_gid + proj.rule.targets],
            ] = True
            continue
        q = min(expected_indegree(network, proj) / max(pops[s].size, 1), 1.0)
        mine = core_pop == s
        with np.errstate(divide="ignore", invalid="ignore"):  # q = 1: log 0
            log_miss[mine] += np.where(
                counts[t] > 0, core_size[mine, None] * counts[t] * np.log1p(-q), 0.0
            )
    reach |= -np.expm1(log_miss) >= ROUTE_PROBABILITY
    entries = np.zeros(fab.n_chips, np.int64)
    for c in np.flatnonzero(reach.any(axis=1)):
        entries[fab.multicast_entries(core_chip[c], np.flatnonzero(reach[c]))] += 1
    return entries


def _check_router_entries(network, chip_of, core_of, fab, profile, limit, rates):
    """The router entries of the mapping (max, its chip, mean over used chips, limit), or
    a HardwareError naming the chip, the entries it needs, the limit and the fix."""
    entries = router_entries(network, chip_of, core_of, fab, rates)
    worst = int(np.argmax(entries))
    if entries[worst] > limit:
        x, y = fab.coords[worst]
        sources = np.unique(core_of[chip_of == worst]).size
        raise HardwareError(
            f"chip {worst} (x {x}, y {y}) of the {fab.spec} fabric needs {entries[worst]:,} "
            f"multicast routing-table entries (one per source core whose spikes start, turn "
            f"or end there; {sources} cores on the chip itself), but {profile.title} has "
            f"{limit:,.0f} per chip (limits.router_entries_per_chip); reduce the cores whose "
            f"spikes reach the chip: larger cores (up to neurons_per_core), connections to "
            f"fewer chips, a smaller or less spread network, or a chip with more entries "
            f"(spinnaker2: 16,384); merging cores with equal routes under one key and mask "
            f"is not modelled"
        )
    used = np.unique(chip_of)
    return {
        "max": int(entries[worst]),
        "chip": worst,
        "mean": float(entries[used].mean()),
        "limit": int(limit),
    }


def profile_link_ms(profile):
    """The profile's chip-to-chip link latency (``latency.link_hop``) in ms at real time;
    0 where it is unknown (every shipped profile, hardware.md section 3)."""
    link_s = load_profile(profile).value("latency", "link_hop")
    return 0.0 if link_s is None else link_s * 1e3


def check_link_latency(network, decomposition, link_ms):
    """Every synapse between chips must outlast its route: hops(chip of source, chip of
    target) x ``link_ms`` <= its delay (ms).  Explicit (``FromList``) synapses are checked
    one by one; for the other rules, the smallest possible delay against the farthest pair
    of a source chip and a target chip.  Likewise the spikes of a volume transmitter of
    simulated neurons (stdp_dopamine_synapse) must reach every chip holding the projection's
    synapses (its targets) within ``vt_delay``.  Raises HardwareError naming the projection."""
    if not link_ms:
        return
    hops = parse_fabric(decomposition.hardware["fabric"]).hop_matrix
    chip_of = decomposition.chip_of
    for p in network.projections:
        src, tgt = network.populations[p.source], network.populations[p.target]
        if isinstance(p.rule, FromList):
            h = hops[
                chip_of[src.first_gid + p.rule.sources], chip_of[tgt.first_gid + p.rule.targets]
            ]
            d = np.broadcast_to(np.asarray(p.delay, float), h.shape)
        else:
            a, b = np.unique(chip_of[src.gids]), np.unique(chip_of[tgt.gids])
            h = hops[np.ix_(a, b)].max(keepdims=True)
            d = np.array([p.delay.bounds[0] if hasattr(p.delay, "bounds") else np.min(p.delay)])
        bad = h * link_ms > d + 1e-9
        if bad.any():
            k = int(np.argmax(np.where(bad, h * link_ms - d, -np.inf)))
            raise HardwareError(
                f"projection {p.name!r}: synapses cross {int(h.flat[k])} chip links of "
                f"{link_ms:g} ms ({h.flat[k] * link_ms:g} ms) but have delays down to "
                f"{d.flat[k]:g} ms on {decomposition.hardware['fabric']}; lengthen those delays, "
                f"lower the link latency or use a fabric with fewer hops"
            )
        vt = getattr(p.synapse, "vt", None)
        if vt and not network.populations[vt].model.is_source_only:
            a = np.unique(chip_of[network.populations[vt].gids])
            h = int(hops[np.ix_(a, np.unique(chip_of[tgt.gids]))].max())
            if h * link_ms > p.synapse.vt_delay + 1e-9:
                raise HardwareError(
                    f"projection {p.name!r}: the spikes of its volume transmitter {vt!r} cross "
                    f"{h} chip links of {link_ms:g} ms ({h * link_ms:g} ms) to the chips of its "
                    f"synapses but vt_delay is {p.synapse.vt_delay:g} ms on "
                    f"{decomposition.hardware['fabric']}; lengthen vt_delay, lower the link "
                    f"latency or use a fabric with fewer hops"
                )


def rank_grid(fabric, n_ranks):
    """``(grid, note)``: the ranks as a gr x gc grid of equal rectangular blocks of the
    fabric's chip grid, ``{"dims": [gr, gc], "periodic": bool, "chips_per_rank": [bh, bw]}``
    with gr dividing the height and gc the width (the most square blocks; ties: the most
    square rank grid, then fewer rows), and note None; or ``(None, why not)``.  Rank r =
    i gc + j (row-major) holds the chips with i bh <= y < (i + 1) bh, j bw <= x < (j + 1) bw,
    so ranks next to each other in the grid hold chips next to each other on the fabric;
    periodic when the fabric wraps around (a torus or SpiNNaker toroid on one board)."""
    fab = parse_fabric(fabric)
    w, h = fab.width, fab.height
    options = [
        (gr, n_ranks // gr)
        for gr in range(1, n_ranks + 1)
        if n_ranks % gr == 0 and h % gr == 0 and w % (n_ranks // gr) == 0
    ]
    if not options:
        return None, (
            f"{n_ranks} ranks do not tile the {w} x {h} chip grid of {fab.spec} into "
            f"equal rectangular blocks (gr x gc = {n_ranks} ranks with gr dividing "
            f"{h} and gc dividing {w}); ranks hold contiguous runs of chips in the "
            f"fabric's snake order"
        )

    def squareness(option):
        gr, gc = option
        return abs(math.log((h // gr) / (w // gc))), abs(math.log(gr / gc)), gr

    gr, gc = min(options, key=squareness)
    periodic = fab.kind in ("torus", "spinnaker") and fab.boards == (1, 1)
    return {
        "dims": [gr, gc],
        "periodic": bool(periodic),
        "chips_per_rank": [h // gr, w // gc],
    }, None


def _blocks(fab, grid):
    """Rank (block, row-major in the rank grid) of every chip of the fabric."""
    (_, gc), (bh, bw) = grid["dims"], grid["chips_per_rank"]
    x, y = fab.coords[:, 0], fab.coords[:, 1]
    return (y // bh) * gc + x // bw


def with_bits_per_synapse(profile, bits):
    """``profile`` (a name, a .json path or a Profile) with ``bits`` per synapse, the user's
    number (``distsim run --bits-per-synapse``), so that the mapping checks synapse memory
    where the profile does not know the synaptic word (Loihi, SpiNNaker)."""
    prof = load_profile(profile)
    _check_bits(bits)
    limits = dict(prof.limits)
    limits["bits_per_synapse"] = Constant(
        "bits_per_synapse",
        float(bits),
        "bits",
        "known",
        "per_term",
        source="given by the user (--bits-per-synapse)",
        note=f"profile's own: {prof.limits['bits_per_synapse'].status}",
    )
    return dataclasses.replace(prof, limits=limits)


def _check_bits(bits):
    if isinstance(bits, bool) or not isinstance(bits, (int, float)) or not bits > 0:
        raise HardwareError(
            f"hardware mapping: bits_per_synapse {bits!r} is not a positive "
            f"number; give the bits one synapse takes, e.g. 16"
        )


def _limits(profile, bits_per_synapse):
    """SI value of each limit (None: not limited or not known) and the unchecked ones."""
    limits = {k: c.si for k, c in profile.limits.items()}
    unchecked = {k: c.note for k, c in profile.limits.items() if c.status == "unknown"}
    if bits_per_synapse is not None:
        _check_bits(bits_per_synapse)
        limits["bits_per_synapse"] = float(bits_per_synapse)
        unchecked.pop("bits_per_synapse", None)
    for key in ("synapse_memory_per_core", "synapse_memory_per_chip"):
        if limits[key] is not None and limits["bits_per_synapse"] is None:
            unchecked[key] = (
                f"needs bits_per_synapse, unknown for {profile.title}; pass "
                f"bits_per_synapse to check it"
            )
    return limits, unchecked


class _Stats:
    """Expected connectivity per population and the per-core limits it implies."""

    def __init__(self, network, profile, limits):
        self.profile, self.limits = profile, limits
        self.size = {p.name: p.size for p in network.populations.values()}
        self.indegree = dict.fromkeys(self.size, 0.0)  # all rules, the mean
        self.random_indegree = dict.fromkeys(self.size, 0.0)
        self.sources = {p: {} for p in self.size}  # target -> source -> [q] (random rules)
        self.targets = {p: {} for p in self.size}  # source -> target -> [q]
        # explicit lists (FromList): target -> [(source, sources, targets)], source -> [...]
        self.listed_in = {p: [] for p in self.size}
        self.listed_out = {p: [] for p in self.size}
        self.lists = []  # (source, target, distinct targets per listed source)
        self._per_core = {}
        for proj in network.projections:
            k = expected_indegree(network, proj)
            self.indegree[proj.target] += k
            if isinstance(proj.rule, FromList):
                src, tgt = proj.rule.sources, proj.rule.targets
                self.listed_in[proj.target].append((proj.source, src, tgt))
                self.listed_out[proj.source].append((proj.target, src, tgt))
                if src.size:
                    pairs = np.unique(src * self.size[proj.target] + tgt)
                    per_source = pairs.size / np.unique(pairs // self.size[proj.target]).size
                    self.lists.append((proj.source, proj.target, per_source))
                continue
            q = min(k / max(self.size[proj.source], 1), 1.0)
            self.random_indegree[proj.target] += k
            self.sources[proj.target].setdefault(proj.source, []).append(q)
            self.targets[proj.source].setdefault(proj.target, []).append(q)
        self.syn_bits = limits["bits_per_synapse"]
        per_neuron = limits["synapses_per_neuron"]
        for p, k in self.indegree.items():
            if self.listed_in[p]:  # the most synapses of one neuron
                k = self.random_indegree[p] + np.bincount(
                    np.concatenate([t for _, _, t in self.listed_in[p]]), minlength=self.size[p]
                ).max(initial=0)
            if per_neuron is not None and k > per_neuron:
                raise HardwareError(
                    f"Population {p!r}: each neuron has {k:,.0f} expected incoming synapses, "
                    f"but {profile.title} allows {per_neuron:,.0f} per neuron "
                    f"(limits.synapses_per_neuron); reduce the in-degree"
                )

    def _listed(self, p, n):
        """Over the cores of ``n`` neurons of ``p`` (cut as ``_cut_cores`` does): the most
        listed synapses and the most distinct listed presynaptic neurons of one core."""
        key = (p, n)
        if key not in self._per_core:
            size = self.size[p]
            c = math.ceil(size / n)
            bounds = (np.arange(c + 1) * size) // c
            syn, pre, by_source = np.zeros(c), np.zeros(c), {}
            for src, s, t in self.listed_in[p]:
                core = np.searchsorted(bounds, t, "right") - 1
                syn += np.bincount(core, minlength=c)
                by_source.setdefault(src, []).append(core * self.size[src] + s)
            for src, keys in by_source.items():
                keys = np.concatenate(keys)
                if c * self.size[src] <= 1 << 24:  # distinct (core, source): a mask
                    seen = np.zeros(c * self.size[src], bool)
                    seen[keys] = True
                    pre += seen.reshape(c, self.size[src]).sum(axis=1)
                else:
                    pre += np.bincount(np.unique(keys) // self.size[src], minlength=c)
            self._per_core[key] = (float(syn.max(initial=0)), float(pre.max(initial=0)))
        return self._per_core[key]

    def fan_in(self, p, n):
        """Distinct presynaptic neurons of a core of ``n`` neurons of ``p``: expected for
        the random rules, counted for the lists (the core with the most)."""
        return self._listed(p, n)[1] + sum(
            self.size[src] * (1.0 - math.prod((1.0 - q) ** n for q in qs))
            for src, qs in self.sources[p].items()
        )

    def fan_out(self, p, cores):
        """Target cores of one neuron of ``p`` when population T has cores[T]: expected for
        the random rules, the mean over ``p``'s neurons for the lists."""
        by_target = {}
        for t, s, tt in self.listed_out[p]:
            c = cores[t]
            core = np.searchsorted((np.arange(c + 1) * self.size[t]) // c, tt, "right") - 1
            by_target.setdefault(t, []).append(s * c + core)
        listed = sum(np.unique(np.concatenate(k)).size for k in by_target.values())
        return listed / max(self.size[p], 1) + sum(
            cores[t] * (1.0 - math.prod((1.0 - q) ** (self.size[t] / cores[t]) for q in qs))
            for t, qs in self.targets[p].items()
        )

    def _breaks(self, p, n, fan_out):
        """The first per-core limit a core of ``n`` neurons of ``p`` breaks, as text, or None."""
        lim, title = self.limits, self.profile.title
        if lim["neurons_per_core"] is not None and n > lim["neurons_per_core"]:
            return f"neurons_per_core: {title} holds {lim['neurons_per_core']:,.0f} per core"
        mem = lim["synapse_memory_per_core"]
        if mem is not None and self.syn_bits is not None:
            syn = n * self.random_indegree[p] + self._listed(p, n)[0]
            need = syn * self.syn_bits / 8
            if need > mem:
                what = (
                    f"{n:,} neurons x {self.indegree[p]:,.0f} synapses"
                    if not self.listed_in[p]
                    else f"{n:,} neurons with {syn:,.0f} synapses (lists: the fullest core)"
                )
                return (
                    f"synapse_memory_per_core: {what} x {self.syn_bits:g} bits = "
                    f"{need:,.0f} bytes > {mem:,.0f}"
                )
        if lim["fan_in_per_core"] is not None:
            fan_in = self.fan_in(p, n)
            if fan_in > lim["fan_in_per_core"]:
                return (
                    f"fan_in_per_core: {n:,} neurons receive {fan_in:,.0f} distinct "
                    f"presynaptic neurons (expected) > {lim['fan_in_per_core']:,.0f}"
                )
        if lim["fan_out_per_core"] is not None and n * fan_out > lim["fan_out_per_core"]:
            return (
                f"fan_out_per_core: {n:,} neurons x {fan_out:,.1f} target cores each = "
                f"{n * fan_out:,.0f} edges > {lim['fan_out_per_core']:,.0f}"
            )
        return None

    def local(self, chips):
        """Populations whose explicit connections (``FromList``) can stay on a chip: source
        or target of a list whose sources reach at most a chip's share of the target
        population each, and target of no list that reaches more (those would only send
        every spike to more chips if cut)."""
        sparse = {(s, t) for s, t, k in self.lists if k * chips <= self.size[t]}
        dense = {t for s, t, k in self.lists if k * chips > self.size[t]}
        return {p for pair in sparse for p in pair} - dense

    def core_sizes(self, spread=None, local=(), at_least=1):
        """Neurons per core of each population and what stops one more; ``spread``: cut the
        network into about this many cores at least, and each population of ``local``
        (explicit local connections, see ``local``) into ``at_least`` cores at least."""
        total = sum(self.size.values())
        n, why = {}, {}
        cores = dict.fromkeys(self.size, 1)
        for _ in range(100):
            changed = False
            for p, size in self.size.items():
                fan_out = self.fan_out(p, cores)
                cap = self.limits["fan_out_per_neuron"]
                if cap is not None and fan_out > cap:
                    raise HardwareError(
                        f"Population {p!r}: each neuron reaches {fan_out:,.1f} cores (expected, "
                        f"targets in {', '.join(self.targets[p])}), but "
                        f"{self.profile.title} allows {cap:g} target core(s) per neuron "
                        f"(limits.fan_out_per_neuron); reduce the out-degree or add relay "
                        f"neurons"
                    )
                hi = min(size, n.get(p, size))
                least = 1
                if spread is not None:
                    least = round(size * spread / total)
                if p in local:  # a multiple of the chips: core boundaries at chip ones
                    least = -(-max(least, at_least) // at_least) * at_least
                hi = min(hi, math.ceil(size / max(1, least)))
                reason = self._breaks(p, 1, fan_out)
                if reason:
                    raise HardwareError(
                        f"Population {p!r}: even one neuron per core breaks {reason}; "
                        f"{self.profile.title} cannot hold this network, reduce its degrees"
                        + (
                            " or the bits per synapse"
                            if reason.startswith("synapse_memory")
                            else ""
                        )
                    )
                lo = 1  # largest n in [lo, hi] that breaks nothing (limits grow with n)
                while lo < hi:
                    mid = (lo + hi + 1) // 2
                    lo, hi = (mid, hi) if self._breaks(p, mid, fan_out) is None else (lo, mid - 1)
                if n.get(p) != lo:
                    n[p], changed = lo, True
                    why[p] = (self._breaks(p, lo + 1, fan_out) if lo < size else None) or (
                        "spread over the chips"
                        if least > 1 and lo < size
                        else "the population fits one core"
                    )
                cores[p] = math.ceil(size / n[p])
            if not changed:
                break
        return n, why

    def demand(self, cores, units):
        """Per unit: cores and synapse bytes (columns); the chip-level resources."""
        per_core = np.stack(
            [np.ones(len(cores.sizes)), cores.sizes * cores.indegree * (self.syn_bits or 0.0) / 8],
            axis=1,
        )
        out = np.zeros((units.max() + 1, 2))
        np.add.at(out, units, per_core)
        return out

    def capacity(self):
        lim = self.limits
        chip_mem = (
            lim["synapse_memory_per_chip"]
            if lim["synapse_memory_per_chip"] is not None and self.syn_bits
            else None
        )
        return np.array([lim["cores_per_chip"] or np.inf, chip_mem or np.inf])

    def does_not_fit(self, n_core, why, fab, cores_total, packed=False):
        """The error text: the population with the most cores, its limit, the numbers."""
        cpc = self.limits["cores_per_chip"]
        worst = max(self.size, key=lambda p: math.ceil(self.size[p] / n_core[p]))
        c = math.ceil(self.size[worst] / n_core[worst])
        chips = max(math.ceil(cores_total / cpc) if cpc else 1, fab.n_chips) + packed
        has = (
            f"{fab.n_chips} chips x {cpc:,.0f} cores = {fab.n_chips * cpc:,.0f}"
            if cpc
            else f"{fab.n_chips} chips"
        )
        return (
            f"Population {worst!r}: {self.size[worst]:,} neurons need {c:,} "
            f"{self.profile.title} cores of at most {n_core[worst]:,} neurons "
            f"({why[worst]}); all {len(self.size)} populations need {cores_total:,} cores"
            + (
                ", which do not pack onto the chips (synapse memory per chip, whole units)"
                if packed
                else ""
            )
            + f", but the {fab.spec} fabric has {has}; use a larger fabric (e.g. "
            f"{_square_mesh(chips)}) or a smaller network"
        )


@dataclass(frozen=True)
class _Cores:
    """All cores in gid order (each a contiguous gid range of one population): neurons,
    expected in-degree per neuron and population index of each core."""

    sizes: np.ndarray
    indegree: np.ndarray
    pop_index: np.ndarray
    per_population: dict


def _cut_cores(stats, n_core):
    """Each population cut into ceil(size / n) cores whose sizes differ by at most one."""
    counts = [math.ceil(size / n_core[p]) for p, size in stats.size.items()]
    sizes = np.concatenate(
        [np.diff((np.arange(c + 1) * size) // c) for c, size in zip(counts, stats.size.values())]
    )
    return _Cores(
        sizes,
        np.repeat(list(stats.indegree.values()), counts),
        np.repeat(np.arange(len(counts)), counts),
        dict(zip(stats.size, counts)),
    )


def _units(cores, chips):
    """Unit of each core: runs of ``u`` consecutive cores of one population."""
    u = max(1, math.ceil(len(cores.sizes) / min(MAX_UNITS, UNITS_PER_CHIP * chips)))
    first = np.flatnonzero(np.r_[True, cores.pop_index[1:] != cores.pop_index[:-1]])
    rank_in_pop = np.arange(len(cores.sizes)) - np.repeat(
        first, np.diff(np.r_[first, len(cores.sizes)])
    )
    new = (rank_in_pop % u) == 0
    return np.cumsum(new) - 1


def _metis(sym, work, k):
    """Part (0..k-1) of each unit: pymetis k-way, balancing ``work``, cutting ``sym``."""
    n = len(work)
    if k == 1:
        return np.zeros(n, np.int64)
    import pymetis

    scale = 1e6 / sym.max() if sym.max() > 0 else 0.0
    weights = np.where(sym > 0, np.maximum(1, np.rint(sym * scale)), 0).astype(np.int64)
    rows, cols = np.nonzero(weights)
    xadj = np.concatenate(([0], np.cumsum(np.bincount(rows, minlength=n))))
    vweights = np.maximum(1, np.rint(work / max(work.max(), 1e-300) * 1e4)).astype(np.int64)
    result = pymetis.part_graph(
        k,
        pymetis.CSRAdjacency(xadj.tolist(), cols.tolist()),
        vweights=vweights.tolist(),
        eweights=weights[rows, cols].tolist(),
        recursive=False,
        options=pymetis.Options(seed=1, ufactor=10),
    )
    return np.asarray(result.vertex_part, np.int64)


def _split(sym, balance, demand, capacity, k):
    """Part (0..k-1) of each unit: pymetis, then the capacity repair and the balance pass;
    None if the units cannot be packed onto k parts of ``capacity``."""
    part = _repair(_metis(sym, balance, k), sym, demand, capacity, k)
    return None if part is None else _rebalance(part, sym, balance, demand, capacity, k)


def _split_blocks(sym, balance, demand, capacity, n_groups, per_group):
    """Units cut into ``n_groups`` groups (ranks) of equal weight, each packed onto at most
    ``per_group`` chips of ``capacity``: (chip part of each unit, group of each part), or
    (None, None) if they do not pack."""
    groups = _split(sym, balance, demand, capacity * per_group, n_groups)
    if groups is None:
        return None, None
    part = np.empty(len(balance), np.int64)
    group_of_part = []
    for g in range(n_groups):
        mine = np.flatnonzero(groups == g)
        k = min(per_group, mine.size)
        sub = _split(sym[np.ix_(mine, mine)], balance[mine], demand[mine], capacity, k)
        if sub is None:
            return None, None
        part[mine] = len(group_of_part) + sub
        group_of_part += [g] * k
    return part, np.asarray(group_of_part, np.int64)


def _repair(part, sym, demand, capacity, k):
    """Move units off chips over ``capacity`` and onto empty chips, losing the least
    traffic; None if the units cannot be packed onto k chips."""
    part = part.copy()
    conn = sym @ np.eye(k)[part]  # conn[u, c]: traffic of unit u with chip c
    load = np.zeros((k, demand.shape[1]))
    np.add.at(load, part, demand)

    def move(u, to):
        conn[:, part[u]] -= sym[:, u]
        conn[:, to] += sym[:, u]
        load[part[u]] -= demand[u]
        load[to] += demand[u]
        part[u] = to

    for _ in range(len(part) * k + k):
        over = np.flatnonzero((load > capacity * (1 + 1e-9)).any(axis=1))
        counts = np.bincount(part, minlength=k)
        empty = np.flatnonzero(counts == 0)
        if over.size:
            mine = np.flatnonzero(part == over[0])
        elif empty.size:
            mine = np.flatnonzero(counts[part] > 1)
        else:
            return part
        fits = ((load[None, :, :] + demand[mine, None, :]) <= capacity * (1 + 1e-9)).all(axis=2)
        fits[np.arange(mine.size), part[mine]] = False
        if empty.size and not over.size:
            fits &= np.isin(np.arange(k), empty)[None, :]
        if not fits.any():
            return None
        loss = conn[mine, part[mine]][:, None] - conn[mine]
        loss = np.where(fits, loss, np.inf)
        i, to = np.unravel_index(np.argmin(loss), loss.shape)
        move(mine[i], to)
    return None


def _rebalance(part, sym, weight, demand, capacity, k, tolerance=0.02):
    """Move units from the heaviest chip to lighter ones while that lowers the heaviest
    chip's weight below (1 + tolerance) x the mean, each move losing the least traffic."""
    part = part.copy()
    load = np.bincount(part, weights=weight, minlength=k)
    used = np.zeros((k, demand.shape[1]))
    np.add.at(used, part, demand)
    conn = sym @ np.eye(k)[part]
    for _ in range(len(part)):
        top = int(np.argmax(load))
        if load[top] <= (1 + tolerance) * load.mean():
            break
        mine = np.flatnonzero(part == top)
        new_load = load[None, :] + weight[mine, None]
        fits = ((used[None, :, :] + demand[mine, None, :]) <= capacity * (1 + 1e-9)).all(axis=2)
        fits &= new_load < load[top] - 1e-12  # the heaviest chip gets lighter
        fits[:, top] = False
        fits &= np.bincount(part, minlength=k)[top] > 1
        if not fits.any():
            break
        loss = np.where(fits, conn[mine, top][:, None] - conn[mine], np.inf)
        i, to = np.unravel_index(np.argmin(loss), loss.shape)
        u = mine[i]
        conn[:, top] -= sym[:, u]
        conn[:, to] += sym[:, u]
        load[top] -= weight[u]
        load[to] += weight[u]
        used[top] -= demand[u]
        used[to] += demand[u]
        part[u] = to
    return part


def _place(traffic, hops, allowed=None):
    """Fabric chip of each chip group: greedy, then best swaps/moves until none helps;
    ``allowed[p, f]``: group p may sit on fabric chip f (default: anywhere)."""
    k, n = len(traffic), len(hops)
    allowed = np.ones((k, n), bool) if allowed is None else np.asarray(allowed, bool)
    pos = np.full(k, -1, np.int64)
    free = np.ones(n, bool)
    centrality = hops.sum(axis=1)
    for p in np.argsort(-traffic.sum(axis=1), kind="stable"):
        placed = pos >= 0
        cost = hops[:, pos[placed]] @ traffic[p, placed] if placed.any() else np.zeros(n)
        cost = np.where(free & allowed[p], cost * (n * centrality.max() + 1) + centrality, np.inf)
        pos[p] = int(np.argmin(cost))
        free[pos[p]] = False
    for _ in range(50 * k):
        cost = traffic @ hops[pos].astype(float)  # cost[p, f]: p's traffic-hops at f
        at = cost[np.arange(k), pos]
        swap = (
            cost[:, pos]
            - at[:, None]
            + cost[:, pos].T
            - at[None, :]
            + 2 * traffic * hops[np.ix_(pos, pos)]
        )
        swap = np.where(allowed[:, pos] & allowed[:, pos].T, swap, np.inf)
        move = np.where(free[None, :] & allowed, cost - at[:, None], np.inf)
        best_swap, best_move = swap.min(initial=0.0), move.min(initial=0.0)
        if min(best_swap, best_move) > -1e-9 * max(traffic.max(), 1e-300):
            break
        if best_swap <= best_move:
            p, q = np.unravel_index(np.argmin(swap), swap.shape)
            pos[p], pos[q] = pos[q], pos[p]
        else:
            p, f = np.unravel_index(np.argmin(move), move.shape)
            free[pos[p]], free[f] = True, False
            pos[p] = f
    return pos


def _contiguous(work, n):
    """Rank of each of len(work) items in order: contiguous runs of about equal work, every
    rank at least one item."""
    k = len(work)
    cum = np.cumsum(work)
    mid = cum - 0.5 * np.asarray(work)
    want = np.minimum((mid / max(cum[-1], 1e-300) * n).astype(np.int64), n - 1)
    rank = np.zeros(k, np.int64)
    for i in range(1, k):
        rank[i] = min(max(want[i], rank[i - 1], n - (k - i)), rank[i - 1] + 1)
    return rank


def _square_mesh(chips):
    side = math.ceil(math.sqrt(chips))
    return f"mesh:{side}x{side}"


def mapping_report(network, decomposition, rates=None):
    """A JSON-able comparison of a hardware mapping with round-robin over the same chips:
    expected cut traffic (spikes/s between chips), hop-weighted traffic, mean hops per
    inter-chip packet, maximum and mean link load (packets/s)."""
    info = decomposition.hardware
    if info is None:
        raise HardwareError(
            f"mapping report: decomposition {decomposition.name!r} is not a "
            f"hardware mapping; make one with balancer 'hardware'"
        )
    fab = parse_fabric(info["fabric"])
    used = np.unique(decomposition.chip_of)
    rr = used[np.arange(network.n_neurons) % used.size]
    out = {
        "profile": info["profile"],
        "fabric": fab.spec,
        "ranks": decomposition.n_ranks,
        "neurons": network.n_neurons,
        "chips_used": int(used.size),
        "cores_used": info["cores"],
        "neurons_per_core": info["neurons_per_core"],
        "core_size_limited_by": info["core_size_limited_by"],
        "limits_checked": info["checked"],
        "limits_unchecked": info["unchecked"],
        "rank_grid": info.get("rank_grid"),
        "rank_grid_note": info.get("rank_grid_note"),
        "router_entries": info.get("router_entries"),
        "units": "expected spikes/s; one packet per spike per destination chip",
        "mapping": _fabric_metrics(network, decomposition.chip_of, fab, rates),
        "round_robin": _fabric_metrics(network, rr, fab, rates),
    }
    out["improvement_vs_round_robin"] = {
        k: (out["round_robin"][k] / out["mapping"][k] if out["mapping"][k] else None)
        for k in ("cut_traffic", "hop_traffic", "max_link_load")
    }
    return out


def _fabric_metrics(network, chip_of, fab, rates):
    traffic = expected_traffic(network, chip_of, fab.n_chips, rates)
    total = float(traffic.sum())
    np.fill_diagonal(traffic, 0.0)
    cut = float(traffic.sum())
    hop = float((traffic * fab.hop_matrix).sum())
    loads = fab.link_loads(traffic)
    return {
        "total_traffic": total,
        "cut_traffic": cut,
        "cut_fraction": cut / total if total else 0.0,
        "hop_traffic": hop,
        "mean_hops": hop / cut if cut else 0.0,
        "max_link_load": float(loads.max(initial=0.0)),
        "mean_link_load": float(loads.mean()) if loads.size else 0.0,
    }
