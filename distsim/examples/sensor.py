"""A DVS-like event camera watching a moving edge, driving a two-layer motion detector.

The scene (``moving_bar``) is generated in code: a dark vertical bar, ``bar_rows`` pixels
tall (default: the whole field), sweeps across a bright ``width`` x ``height`` field,
alternately rightwards and leftwards, at ``speed`` px/s.  Each
pixel emits events as a dynamic vision sensor does (Lichtsteiner, Posch & Delbruck, IEEE
JSSC 43:566, 2008): an OFF event each time its log intensity falls by the contrast
threshold, an ON event each time it rises by it.  A bar edge ramps the log intensity by
ln(contrast) over ``edge_px`` pixels, so a pixel crossed by an edge emits
floor(ln(contrast) / theta) events spread over edge_px / speed; theta varies from pixel to
pixel (mismatch, relative std 0.1), event times jitter (std ``jitter_ms``), and every pixel
fires background noise events at ``noise_hz`` per polarity.  Two ways to ten times fewer
events: a ten times shorter bar (the same local activity on a tenth of the area), or a ten
times higher threshold (the same area, fewer events per edge crossing).

The network (``sensor``), iaf_psc_delta neurons with NEST's default constants:

- ``on``, ``off``: the pixels, spike sources (width x height each);
- ``edge``: one neuron per pixel, driven by the ON and OFF events of its 3 x 3
  neighbourhood (weight ``w_edge`` mV, delay 1 ms, refractory for the time an edge takes to
  cross a pixel): a local contrast detector;
- ``right``, ``left``: direction-selective units (tau_m 2 ms: coincidence detectors), one
  per 4 x 4 block of ``edge`` neurons and direction; the edge neuron in column dx of the
  block reaches the ``right`` unit after 1 ms + (3 - dx) px / speed (the ``left`` unit:
  1 ms + dx px / speed), so an edge moving in the preferred direction makes the block's
  spikes arrive together (Reichardt-style delay lines) and one moving the other way spreads
  them out.

Almost every neuron is silent almost all the time: only those near the moving edge receive
input, and the simulation computes only those (event-driven groups, engine.py), so the cost
follows the events.  ``response_latency`` measures, for every sweep and every unit of the
preferred direction, the time from the first edge event in the unit's receptive field to
the unit's first spike.
"""

from dataclasses import dataclass

import numpy as np

from ..network import Network
from ..rules import FromList

BLOCK = 4  # edge neurons per direction-selective unit, per side


@dataclass(frozen=True)
class Scene:
    """Events of the DVS pixels: per pixel (y * width + x) the ON and OFF event times (ms,
    on the ``dt`` grid), the edge events' times without noise (``signal``: per pixel, both
    polarities), and the sweeps as (start ms, end ms, direction +1 right / -1 left) of the
    bar moving at ``speed`` px/s."""

    width: int
    height: int
    dt: float
    speed: float
    on: list
    off: list
    signal: list
    sweeps: list

    @property
    def n_events(self):
        return sum(t.size for t in self.on) + sum(t.size for t in self.off)


def moving_bar(
    width=64,
    height=64,
    t_sim=1000.0,
    dt=0.1,
    speed=200.0,
    bar_px=8,
    bar_rows=None,
    edge_px=1.0,
    contrast=10.0,
    threshold=0.1,
    jitter_ms=0.2,
    noise_hz=0.1,
    pause_ms=50.0,
    seed=1,
):
    """The DVS events of a dark bar sweeping back and forth for ``t_sim`` ms, with
    ``pause_ms`` of an empty field between sweeps (see module)."""
    rng = np.random.default_rng([seed, 0x5E5])
    x = np.arange(width, dtype=float) + 0.5
    period = (width + bar_px) / speed * 1000.0 + pause_ms
    theta = threshold * np.clip(1.0 + 0.1 * rng.standard_normal(width * height), 0.5, None)
    n_edge_events = np.floor(np.log(contrast) / theta).astype(np.int64)
    rows = height if bar_rows is None else bar_rows
    first_row = (height - rows) // 2
    row = np.arange(width * height) // width
    n_edge_events[(row < first_row) | (row >= first_row + rows)] = 0
    ramp_ms = edge_px / speed * 1000.0
    on = [[] for _ in range(width * height)]
    off = [[] for _ in range(width * height)]
    sweeps = []
    start = 0.0
    k = 0
    while start < t_sim:
        direction = 1 if k % 2 == 0 else -1
        pos = x if direction == 1 else width - x  # distance travelled to reach the pixel
        lead = start + pos / speed * 1000.0  # leading (dark) edge reaches the pixel
        trail = lead + bar_px / speed * 1000.0  # trailing (bright) edge
        sweeps.append((start, min(start + period, t_sim), direction))  # pause included
        for p in range(width * height):
            n = n_edge_events[p]
            frac = np.arange(1, n + 1) / (n + 1)
            off[p].append(lead[p % width] + frac * ramp_ms)
            on[p].append(trail[p % width] + frac * ramp_ms)
        start += period
        k += 1

    def on_grid(t):
        steps = np.unique(np.rint(t / dt).astype(np.int64))
        return steps[(steps >= 1) & (steps * dt <= t_sim)] * dt

    def jittered(chunks):
        t = np.concatenate(chunks)
        return t + jitter_ms * rng.standard_normal(t.size)

    on = [jittered(c) for c in on]
    off = [jittered(c) for c in off]
    signal = [on_grid(np.concatenate((a, b))) for a, b in zip(on, off)]

    def with_noise(t):
        return on_grid(
            np.concatenate((t, rng.uniform(0.0, t_sim, rng.poisson(noise_hz * t_sim / 1000.0))))
        )

    return Scene(
        width,
        height,
        dt,
        speed,
        [with_noise(t) for t in on],
        [with_noise(t) for t in off],
        signal,
        sweeps,
    )


def _edge_inputs(width, height):
    """(pixel, edge neuron) pairs of the 3 x 3 neighbourhoods."""
    ys, xs = np.divmod(np.arange(width * height), width)
    src, tgt = [], []
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            ok = (xs + dx >= 0) & (xs + dx < width) & (ys + dy >= 0) & (ys + dy < height)
            src.append(((ys + dy) * width + xs + dx)[ok])
            tgt.append(np.flatnonzero(ok))
    return np.concatenate(src), np.concatenate(tgt)


def _motion_inputs(width, height, direction, speed):
    """(edge neuron, unit, delay ms) of one direction's delay lines."""
    bw = width // BLOCK
    ys, xs = np.divmod(np.arange((height // BLOCK * BLOCK) * width), width)
    keep = xs < bw * BLOCK
    ys, xs = ys[keep], xs[keep]
    unit = (ys // BLOCK) * bw + xs // BLOCK
    dx = xs % BLOCK
    lag = (BLOCK - 1 - dx) if direction == 1 else dx
    return ys * width + xs, unit, 1.0 + lag / speed * 1000.0


def sensor(
    width=64,
    height=64,
    t_sim=1000.0,
    dt=0.1,
    seed=1,
    threshold=0.1,
    speed=200.0,
    bar_rows=None,
    w_edge=3.0,
    w_motion=1.3,
    record=True,
    scene=None,
):
    """The network watching ``moving_bar(width, height, t_sim, dt, speed, bar_rows=...,
    threshold=..., seed=...)``, or the given ``scene`` (whose size, dt and speed then
    apply); all layers' spikes are recorded when ``record``."""
    scene = scene or moving_bar(
        width, height, t_sim, dt, speed, bar_rows=bar_rows, threshold=threshold, seed=seed
    )
    width, height, dt, speed = scene.width, scene.height, scene.dt, scene.speed
    net = Network(dt=dt, seed=seed)
    net.add_population("on", "spike_source", width * height, {"spike_times": scene.on})
    net.add_population("off", "spike_source", width * height, {"spike_times": scene.off})
    net.add_population(
        "edge",
        "iaf_psc_delta",
        width * height,
        {"V_m": -70.0, "t_ref": round(1000.0 / speed / dt) * dt},
    )
    n_units = (width // BLOCK) * (height // BLOCK)
    src, tgt = _edge_inputs(width, height)
    for polarity in ("on", "off"):
        net.connect(polarity, "edge", FromList(src, tgt), weight=w_edge, delay=1.0)
    for name, direction in (("right", 1), ("left", -1)):
        net.add_population(name, "iaf_psc_delta", n_units, {"V_m": -70.0, "tau_m": 2.0})
        s, t, d = _motion_inputs(width, height, direction, speed)
        net.connect("edge", name, FromList(s, t), weight=w_motion, delay=d)
    if record:
        for name in ("edge", "right", "left"):
            net.record_spikes(name)
    return net


def response_latency(net, scene, times, gids):
    """Latency (ms) from the first edge event in a unit's receptive field to the unit's
    first spike, for every sweep and every unit of the sweep's direction that fired in it;
    also the number of units that fired in the preferred and in the null direction."""
    edge_pix = {}
    for proj in net.projections:
        if proj.target == "edge":
            for s, t in zip(proj.rule.sources, proj.rule.targets):
                edge_pix.setdefault(int(t), set()).add(int(s))
    latencies, preferred, null = [], 0, 0
    for name, direction in (("right", 1), ("left", -1)):
        pop = net.populations[name]
        proj = next(p for p in net.projections if p.target == name)
        fields = {}
        for s, u in zip(proj.rule.sources, proj.rule.targets):
            fields.setdefault(int(u), set()).update(edge_pix.get(int(s), ()))
        mine = (gids >= pop.first_gid) & (gids < pop.first_gid + pop.size)
        t_u, u_of = times[mine], gids[mine] - pop.first_gid
        for start, end, sweep_dir in scene.sweeps:
            in_sweep = (t_u >= start) & (t_u < end)
            fired = np.unique(u_of[in_sweep])
            if sweep_dir != direction:
                null += fired.size
                continue
            preferred += fired.size
            for u in fired:
                t_in = min(
                    (_first_in(scene.signal[p], start, end) for p in fields[int(u)]), default=np.inf
                )
                t_out = t_u[in_sweep & (u_of == u) & (t_u >= t_in)]
                if t_out.size:
                    latencies.append(float(t_out.min()) - t_in)
    lat = np.array(latencies)
    return {
        "responses": int(lat.size),
        "preferred_direction_units": preferred,
        "null_direction_units": null,
        "latency_ms_median": float(np.median(lat)) if lat.size else None,
        "latency_ms_min": float(lat.min()) if lat.size else None,
        "latency_ms_max": float(lat.max()) if lat.size else None,
    }


def _first_in(times, start, end):
    """The first of the sorted ``times`` in [start, end) (ms), or inf."""
    k = np.searchsorted(times, start)
    return float(times[k]) if k < times.size and times[k] < end else np.inf


def sensor_report(sim, t_sim):
    """``response_latency`` of a Simulation of the default ``sensor(t_sim=t_sim)`` network
    (its scene regenerated from the seed; the units' spikes gathered to rank 0, which
    returns the dict; other ranks return None; collective)."""
    net = sim.network
    parts = [sim.spikes(name) for name in ("right", "left")]
    parts = sim.context.gather(
        (np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]))
    )
    if sim.context.rank != 0:
        return None
    scene = moving_bar(t_sim=t_sim, dt=net.dt, seed=net.seed)
    return response_latency(
        net, scene, np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
    )
