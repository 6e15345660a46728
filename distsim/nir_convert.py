r"""NIR graphs (Neuromorphic Intermediate Representation, Pedersen et al., Nat. Commun. 15,
8122, 2024) to distsim Networks and back: ``import_nir``, ``export_nir``, ``write_nir``,
``convert``.

Conventions.  NIR stores numbers and leaves their units to the frameworks; these are fixed:

- time: NIR time constants and delays are in ``time_unit`` ("s", NIR's usual convention and
  the default; "ms"; "us"); distsim's are in ms: tau [ms] = k tau_NIR with k = 1000, 1 or
  0.001 ms per unit.  ``dt`` and input spike times are in ms.  ``export_nir`` records its
  time unit and dt in the graph's metadata (``time_unit``, ``distsim_dt_ms``), which
  ``import_nir`` uses when not given them.
- voltage: one NIR voltage unit is 1 mV (v_leak, v_threshold, v_reset).
- resistance and current: ``r`` is read in GOhm = mV/pA, so a current of 1 is 1 pA (an Affine
  bias b becomes I_e = b pA).
- spikes: an input spike is a Dirac pulse of unit area in ``time_unit``, S(t) = sum_k
  delta(t - t_k); through a weight w, tau dv/dt = ... + r w S makes v jump by r w / tau_NIR.
- initial state: every neuron starts at rest, v(0) = v_leak (0 for IF and I), I(0) = 0.
- threshold: NIR fires at v > v_threshold, distsim (NEST) at V >= V_th; V_th is the next
  double above v_threshold, so the two agree exactly.
- delays: distsim's smallest delay is one step, so an edge without a Delay node takes dt; a
  Delay node of tau takes k tau ms, which must be 0, or >= dt and a multiple of dt.

Nodes (w_ij: the composed weight from source neuron j to target neuron i, b_i: the composed
bias; every neuron has t_ref = 0):

- Input: a ``spike_source`` population; spike times (ms) per neuron in flat C order from the
  ``spike_times`` argument, else from the node's metadata ``spike_neuron`` / ``spike_time_ms``
  (which ``export_nir`` writes), else none.
- LIF, tau dv/dt = (v_leak - v) + r I: ``iaf_psc_delta`` with tau_m = k tau, C_m = tau_m / r,
  E_L = V_m = v_leak, V_th, V_reset = v_reset, I_e = b and weights J_ij = r_i w_ij / tau_i mV.
  Then tau_m dV/dt = -(V - E_L) + (tau_m / C_m) I_e = (v_leak - V) + r b, and each spike
  raises V by r w / tau.
- IF, dv/dt = r I: ``iaf_psc_delta`` with tau_m = inf (no leak), C_m = k / r, E_L = V_m = 0,
  J = r w (dV/dt = I_e / C_m = r b per time unit).
- LI and I: as LIF and IF with V_th = inf; they never fire and an Output records V_m.
- CubaLIF, tau_syn dI/dt = -I + w_in S, tau_mem dv/dt = (v_leak - v) + r I: ``iaf_psc_exp``
  with tau_m = k tau_mem, tau_syn_ex = tau_syn_in = k tau_syn, C_m = tau_m / r (so I_syn = I),
  J = w_in w / tau_syn pA (the jump of I), I_e = w_in b and I_syn_ex(0) = -w_in b: a bias
  drives I to w_in b as w_in b (1 - exp(-t / tau_syn)), which I_e + I_syn(t) reproduces.
  One spike at t = 0 gives v - v_leak = r I_0 tau_syn / (tau_syn - tau_mem)
  (exp(-t / tau_syn) - exp(-t / tau_mem)), I_0 = w_in w / tau_syn.
- CubaLI: as CubaLIF with V_th = inf.
- Threshold, z = H(x - theta): x is the sum of the weights of the spikes that arrive in a
  step (plus the bias); a memoryless ``iaf_psc_delta`` (tau_m = dt / 1000 ms, so
  exp(-dt / tau_m) = 0), V_th = next double above theta - b, J = w.  A Threshold reading the
  potential of LI or I (fire without reset) cannot be represented: distsim neurons reset.
- Affine, Linear, Scale, Conv1d, Conv2d, SumPool2d, AvgPool2d (kernel mean, zero padding
  counted), Flatten (C order) and Delay: linear maps, composed into one sparse matrix per
  (source node, target node), split by total delay; they become ``from_list`` projections.
  A bias is a constant current from t = 0, also behind a Delay node.
- Output: records the spikes of a spiking node (Input, LIF, IF, CubaLIF, Threshold) or V_m of
  LI, I, CubaLI every step.  LI, I and CubaLI may feed only Output nodes (they emit no spikes).

NIR parameters are one value per neuron: a node becomes one population NODE, its parameters
one number where the neurons agree and one value per neuron where they differ.
``export_nir`` also merges back the consecutive populations NODE.0, NODE.1, ... into which
earlier versions split a node whose neurons differ.

Export is the inverse, for networks of ``spike_source``, ``iaf_psc_delta`` and
``iaf_psc_exp`` populations with constant parameters, t_ref = 0, V_m = E_L (and I_syn_ex +
I_syn_in = -I_e), no Poisson or DC stimuli: each (source node, target node, delay) pair
becomes a dense Linear node (an Affine node carrying the target's I_e), followed by a Delay
node when the delay exceeds one step.
"""

from pathlib import Path

import numpy as np

from .errors import DistsimError, ModelFileError, NIRError
from .network import Network
from .rules import FromList

MS_PER_UNIT = {"s": 1000.0, "ms": 1.0, "us": 1e-3}
EXAMPLE = Path(__file__).parent / "examples" / "data" / "conv_snn.nir"  # make_nir_example.py
MAX_DENSE = 20_000_000  # entries of one exported Linear weight matrix (160 MB as float64)
_SPIKING = ("LIF", "IF", "CubaLIF", "Threshold")
_MEMBRANE = ("LI", "I", "CubaLI")  # non-spiking: their output is v
_NEURONS = _SPIKING + _MEMBRANE
_LINEAR = (
    "Affine",
    "Linear",
    "Scale",
    "Conv1d",
    "Conv2d",
    "SumPool2d",
    "AvgPool2d",
    "Flatten",
    "Delay",
)
SUPPORTED = ("Input", "Output") + _NEURONS + _LINEAR
_FIELDS = {
    "LIF": ("tau", "r", "v_leak", "v_threshold", "v_reset"),
    "LI": ("tau", "r", "v_leak"),
    "IF": ("r", "v_threshold", "v_reset"),
    "I": ("r",),
    "CubaLIF": ("tau_syn", "tau_mem", "r", "v_leak", "v_threshold", "v_reset", "w_in"),
    "CubaLI": ("tau_syn", "tau_mem", "r", "v_leak", "w_in"),
    "Threshold": ("threshold",),
}


def _ms_per_unit(time_unit):
    if time_unit not in MS_PER_UNIT:
        raise NIRError(
            f"NIR time_unit {time_unit!r} is not known; use one of "
            f"{', '.join(MS_PER_UNIT)} (the unit of the graph's time constants)"
        )
    return MS_PER_UNIT[time_unit]


def _above(x):
    """Next double above x: V >= above(theta) is exactly V > theta."""
    return np.nextafter(x, np.inf)


def _below(x):
    return np.nextafter(x, -np.inf)


def read_nir(path):
    """The NIRGraph in the file ``path``; NIRError if it cannot be read."""
    import nir

    try:
        return nir.read(path, type_check=False)  # shapes are checked by the importer
    except Exception as exc:  # h5py and nir raise many kinds; all mean "not a NIR graph"
        raise NIRError(
            f"{path}: not a readable NIR file ({type(exc).__name__}: {exc}); give "
            f"a graph written by nir.write"
        ) from None


def import_nir(graph, dt=None, time_unit=None, spike_times=None, seed=1):
    """The Network of the NIR graph ``graph`` (an ``nir.NIRGraph`` or a .nir file path).

    ``dt`` in ms (default: the graph's metadata ``distsim_dt_ms``, else 0.1); ``time_unit`` of
    the graph's time constants and delays (default: its metadata ``time_unit``, else "s");
    ``spike_times`` maps Input node names to one list of spike times (ms) per input neuron
    (flat C order); ``seed`` of the Network.  The populations are named after the nodes;
    conventions in the module docstring."""
    if isinstance(graph, (str, Path)):
        graph = read_nir(graph)
    meta = getattr(graph, "metadata", None) or {}
    if time_unit is None:
        time_unit = str(np.asarray(meta.get("time_unit", "s")).astype(str))
    k = _ms_per_unit(time_unit)
    if dt is None:
        dt = float(np.asarray(meta.get("distsim_dt_ms", 0.1)))
    return _Importer(graph, k, time_unit, Network(dt=dt, seed=seed)).build(spike_times or {})


class _Importer:
    """One import: shapes, composed linear maps and neuron lowering of one graph."""

    def __init__(self, graph, k, time_unit, net):
        self.k, self.unit, self.net, self.dt = k, time_unit, net, net.dt
        self.nodes = dict(graph.nodes)
        self.preds = {name: [] for name in self.nodes}
        for edge in graph.edges:
            src, dst = edge
            for end in (src, dst):
                if end not in self.nodes:
                    raise NIRError(
                        f"NIR edge ({src!r}, {dst!r}): node {end!r} does not exist (nodes: "
                        f"{', '.join(self.nodes)}); subgraph ports 'G.x' are not supported, "
                        f"give a flat graph"
                    )
            self.preds[dst].append(src)
        for name in self.nodes:
            if self.kind(name) not in SUPPORTED:
                raise NIRError(
                    f"{self.where(name)}: node type {self.kind(name)} has no distsim equivalent; "
                    f"supported: {', '.join(SUPPORTED)}; replace the node (flatten subgraphs)"
                )
        self._shapes, self._signals, self._convs = {}, {}, {}
        self._busy = {"shape": set(), "signal": set()}  # nodes being computed: cycles
        self.scale = {}  # neuron node -> factor from NIR weight to distsim weight, per neuron

    def kind(self, name):
        return type(self.nodes[name]).__name__

    def where(self, name):
        return f"NIR node '{name}' ({self.kind(name)})"

    # ------------------------------------------------------------------ shapes
    def shape(self, name):
        """Output shape of node ``name``."""
        if name not in self._shapes:
            self._enter(name, "shape")
            node, kind = self.nodes[name], self.kind(name)
            if kind == "Input":
                shape = tuple(np.atleast_1d(node.input_type["input"]).astype(int))
            elif kind in _NEURONS:
                shape = np.shape(getattr(node, _FIELDS[kind][0]))
            elif kind in ("Affine", "Linear"):
                shape = (self._weight(name).shape[0],)
            elif kind in ("Scale", "Delay"):
                shape = np.shape(node.scale if kind == "Scale" else node.delay)
            elif kind == "Flatten":
                shape = (int(np.prod(self.in_shape(name))),)
            elif kind == "Output":
                shape = self.in_shape(name)
            else:  # convolutions and pools
                shape = self._conv(name)[3]
            self._shapes[name] = tuple(int(x) for x in shape)
            self._busy["shape"].discard(name)
        return self._shapes[name]

    def size(self, name):
        return int(np.prod(self.shape(name)))

    def _enter(self, name, what):
        if name in self._busy[what]:
            raise NIRError(
                f"{self.where(name)}: its input depends on its own output through linear nodes "
                f"only (a cycle without a neuron node); a loop must pass through a neuron node"
            )
        self._busy[what].add(name)

    def _declared_input(self, name):
        """Element count the node takes, when the node itself fixes it (else None)."""
        node, kind = self.nodes[name], self.kind(name)
        if kind in ("Affine", "Linear"):
            return self._weight(name).shape[1]
        if kind in ("Scale", "Delay") or kind in _NEURONS:
            return self.size(name)
        if kind in ("Conv1d", "Conv2d") and node.input_shape is not None:
            return int(np.asarray(node.weight).shape[1] * node.groups * np.prod(node.input_shape))
        declared = getattr(node, "input_type", {}) or {}
        if kind in ("Flatten", "Output") and declared.get("input") is not None:
            return int(np.prod(declared["input"]))
        return None

    def in_shape(self, name):
        """Input shape of node ``name``: that of its predecessors, which must all match it."""
        preds = self.preds[name]
        if not preds:
            raise NIRError(f"{self.where(name)}: has no incoming edge; connect it or remove it")
        shapes = [self.shape(p) for p in preds]
        want = self._declared_input(name)
        want = int(np.prod(shapes[0])) if want is None else want
        for p, s in zip(preds, shapes):
            if int(np.prod(s)) != want:
                raise NIRError(
                    f"NIR edge ('{p}', '{name}'): '{p}' delivers {int(np.prod(s))} values (shape "
                    f"{s}) but {self.where(name)} takes {want}; both ends of an edge must have "
                    f"the same size; fix the node shapes"
                )
        return shapes[0]

    def _weight(self, name):
        w = np.asarray(self.nodes[name].weight, dtype=float)
        if w.ndim != 2:
            raise NIRError(
                f"{self.where(name)}: weight of shape {w.shape} is not a matrix "
                f"(out, in); give a 2-d weight"
            )
        return w

    # ------------------------------------------------------------------ linear maps
    def _conv(self, name):
        """(rows, cols, values, output shape, bias per output) of a convolution or pool."""
        if name not in self._convs:
            self._convs[name] = self._lower_conv(name)
        return self._convs[name]

    def _lower_conv(self, name):
        node, kind = self.nodes[name], self.kind(name)
        pool = kind in ("SumPool2d", "AvgPool2d")
        ndim = 1 if kind == "Conv1d" else 2
        shape_in = self.in_shape(name)
        if pool or node.input_shape is None:
            if len(shape_in) != ndim + 1:
                raise NIRError(
                    f"{self.where(name)}: input of shape {shape_in} is not (channels, "
                    f"{'length' if ndim == 1 else 'height, width'}); give input_shape or feed "
                    f"it an unflattened input"
                )
            channels, spatial = shape_in[0], np.array(shape_in[1:])
        else:
            spatial = np.atleast_1d(np.asarray(node.input_shape, dtype=int))
            channels = int(np.prod(shape_in)) // int(np.prod(spatial))

        def per_dim(value, what):
            v = np.atleast_1d(np.asarray(value)).astype(int)
            if v.size == 1:
                v = np.repeat(v, ndim)
            if v.size != ndim or np.any(v < (0 if what == "padding" else 1)):
                raise NIRError(
                    f"{self.where(name)}: {what} {value!r} is not {ndim} "
                    f"{'non-negative' if what == 'padding' else 'positive'} integers"
                )
            return v

        if pool:
            kernel = per_dim(node.kernel_size, "kernel_size")
            groups, dilation = channels, np.ones(ndim, int)
            w = np.full(
                (channels, 1, *kernel), 1.0 if kind == "SumPool2d" else 1.0 / float(np.prod(kernel))
            )
            bias = np.zeros(channels)
        else:
            w = np.asarray(node.weight, dtype=float)
            groups, dilation = int(node.groups), per_dim(node.dilation, "dilation")
            kernel = np.array(w.shape[2:])
            bias = np.ravel(np.asarray(0.0 if node.bias is None else node.bias, dtype=float))
            if bias.size == 1:
                bias = np.repeat(bias, w.shape[0])
            if bias.size != w.shape[0]:
                raise NIRError(
                    f"{self.where(name)}: bias of {bias.size} values for "
                    f"{w.shape[0]} output channels; give one bias per channel"
                )
            if (
                w.ndim != ndim + 2
                or channels % groups
                or w.shape[0] % groups
                or w.shape[1] * groups != channels
            ):
                raise NIRError(
                    f"{self.where(name)}: weight of shape {w.shape} with groups = {groups} does "
                    f"not fit an input of {channels} channels; weight must be (C_out, C_in / "
                    f"groups, {'k' if ndim == 1 else 'kh, kw'})"
                )
        stride = per_dim(node.stride, "stride")
        padding = node.padding
        if isinstance(padding, str):
            if padding == "valid":
                pad = np.zeros(ndim, int)
            elif np.any(stride != 1):
                raise NIRError(f"{self.where(name)}: padding 'same' needs stride 1, got {stride}")
            else:
                pad = dilation * (kernel - 1) // 2
        else:
            pad = per_dim(padding, "padding")
        if isinstance(padding, str) and padding == "same":
            out = spatial.copy()
        else:
            out = (spatial + 2 * pad - dilation * (kernel - 1) - 1) // stride + 1
        if np.any(out < 1):
            raise NIRError(
                f"{self.where(name)}: input {tuple(spatial)} is smaller than the "
                f"kernel {tuple(kernel)} (padding {tuple(pad)}); use a larger input"
            )
        c_out, c_in_group = w.shape[0], w.shape[1]
        n_pos, n_pos_in = int(np.prod(out)), int(np.prod(spatial))
        pos = np.indices(out).reshape(ndim, -1)
        co = np.arange(c_out)
        rows, cols, vals = [], [], []
        for j in range(c_in_group):
            ci = (co // (c_out // groups)) * c_in_group + j
            for offset in np.ndindex(*kernel):
                at = pos * stride[:, None] - pad[:, None] + (np.array(offset) * dilation)[:, None]
                ok = np.all((at >= 0) & (at < spatial[:, None]), axis=0)
                p_in = np.ravel_multi_index(tuple(at[:, ok]), tuple(spatial))
                p_out = np.flatnonzero(ok)
                wk = w[(co, j) + tuple(offset)]
                live = wk != 0
                rows.append((co[live, None] * n_pos + p_out[None, :]).ravel())
                cols.append((ci[live, None] * n_pos_in + p_in[None, :]).ravel())
                vals.append(np.repeat(wk[live], p_out.size))
        return (
            np.concatenate(rows),
            np.concatenate(cols),
            np.concatenate(vals),
            (c_out, *out),
            np.repeat(bias, n_pos),
        )

    def _matrix(self, name):
        """(rows, cols, values, bias or None) of a linear node other than Delay."""
        node, kind = self.nodes[name], self.kind(name)
        n = self.size(name)
        if kind in ("Affine", "Linear"):
            w = self._weight(name)
            rows, cols = np.nonzero(w)
            bias = None
            if kind == "Affine":
                bias = np.ravel(np.asarray(node.bias, dtype=float))
                bias = np.repeat(bias, n) if bias.size == 1 else bias
                if bias.size != n:
                    raise NIRError(
                        f"{self.where(name)}: bias of {bias.size} values for "
                        f"{n} outputs; give one bias per output"
                    )
            return rows, cols, w[rows, cols], bias
        if kind == "Flatten":
            return np.arange(n), np.arange(n), np.ones(n), None
        if kind == "Scale":
            return np.arange(n), np.arange(n), np.ravel(np.asarray(node.scale, float)), None
        rows, cols, vals, _, bias = self._conv(name)
        return rows, cols, vals, bias

    def signal(self, name):
        """Output of node ``name`` as a linear function of the spikes of the source nodes:
        ({(source node, delay): (rows, cols, weights)}, bias per output)."""
        if name in self._signals:
            return self._signals[name]
        kind = self.kind(name)
        n = self.size(name)
        if kind == "Input" or kind in _SPIKING:
            idx = np.arange(n)
            result = ({(name, 0.0): (idx, idx, np.ones(n))}, np.zeros(n))
        elif kind in _MEMBRANE:
            raise NIRError(
                f"{self.where(name)}: its output is a membrane potential, not spikes, and "
                f"distsim passes only spikes between populations; connect {kind} nodes to "
                f"Output nodes only (use LIF, IF or CubaLIF to pass spikes on)"
            )
        elif kind == "Output":
            raise NIRError(f"{self.where(name)}: has outgoing edges; an Output ends the graph")
        else:
            self._enter(name, "signal")
            terms, bias = self.input_signal(name)
            if kind == "Delay":
                terms = self._delayed(name, terms)
            else:
                rows, cols, vals, own = self._matrix(name)
                terms = {
                    key: _compose((rows, cols, vals), t, self.size(key[0]))
                    for key, t in terms.items()
                }
                bias = np.bincount(rows, weights=vals * bias[cols], minlength=n)
                if own is not None:
                    bias = bias + own
            self._busy["signal"].discard(name)
            result = (terms, bias)
        self._signals[name] = result
        return result

    def input_signal(self, name):
        """Sum of the signals of the predecessors of ``name``."""
        terms, bias = {}, np.zeros(int(np.prod(self.in_shape(name))))  # checks edge sizes
        for p in self.preds[name]:
            p_terms, p_bias = self.signal(p)
            bias = bias + p_bias
            for key, (r, c, v) in p_terms.items():
                if key in terms:
                    r0, c0, v0 = terms[key]
                    r, c, v = _sum_duplicates(
                        np.concatenate((r0, r)),
                        np.concatenate((c0, c)),
                        np.concatenate((v0, v)),
                        self.size(key[0]),
                    )
                terms[key] = (r, c, v)
        return terms, bias

    def _delayed(self, name, terms):
        d = np.ravel(np.asarray(self.nodes[name].delay, dtype=float))
        ms = d * self.k
        steps = ms / self.dt
        bad = ~np.isfinite(d) | (d < 0) | ((d > 0) & (steps < 1 - 1e-9))
        if np.any(bad):
            i = int(np.flatnonzero(bad)[0])
            raise NIRError(
                f"{self.where(name)}: delay[{i}] = {float(d[i])!r} {self.unit} ({ms[i]:g} ms) is "
                f"{'negative' if d[i] < 0 else 'shorter than one step'} (dt = {self.dt} ms); "
                f"use delays of 0 or >= {self.dt} ms, or a smaller dt"
            )
        off = np.abs(steps - np.rint(steps)) > 1e-6 * np.maximum(steps, 1.0)
        if np.any(off):
            i = int(np.flatnonzero(off)[0])
            raise NIRError(
                f"{self.where(name)}: delay[{i}] = {ms[i]:g} ms is not a multiple of dt = "
                f"{self.dt} ms; use a dt that divides every delay"
            )
        out = {}
        for (src, total), (r, c, v) in terms.items():
            for value in np.unique(d[r]):
                sel = d[r] == value
                key = (src, total + float(value))
                if key in out:  # two paths with the same delay
                    r0, c0, v0 = out[key]
                    out[key] = _sum_duplicates(
                        np.concatenate((r0, r[sel])),
                        np.concatenate((c0, c[sel])),
                        np.concatenate((v0, v[sel])),
                        self.size(src),
                    )
                else:
                    out[key] = (r[sel], c[sel], v[sel])
        return out

    # ------------------------------------------------------------------ neurons
    def _params(self, name):
        node, kind = self.nodes[name], self.kind(name)
        n = self.size(name)
        p = {}
        for f in _FIELDS[kind]:
            value = getattr(node, f)
            a = np.ravel(np.asarray(0.0 if value is None else value, dtype=float))
            if a.size == 1:
                a = np.repeat(a, n)
            if a.size != n:
                raise NIRError(
                    f"{self.where(name)}: {f} has {a.size} values for {n} neurons; "
                    f"give one value per neuron"
                )
            finite = f != "v_threshold" and f != "threshold"
            positive = f in ("tau", "tau_mem", "tau_syn", "r")
            bad = np.isnan(a) | (~np.isfinite(a) if finite else False)
            bad |= (a <= 0) if positive else False
            if np.any(bad):
                i = int(np.flatnonzero(bad)[0])
                rule = f"{f} > 0 and finite" if positive else f"{f} finite"
                fix = (
                    "use IF or I for a neuron without leak"
                    if f.startswith("tau") and np.isinf(a[i])
                    else f"give {'positive ' if positive else ''}finite values"
                )
                raise NIRError(
                    f"{self.where(name)}: {f}[{i}] = {float(a[i])!r} violates {rule}; {fix}"
                )
            p[f] = a
        return p

    def lower(self, name, bias):
        """(model, per-neuron NEST parameters, weight factor per neuron) of a neuron node."""
        kind, k, n = self.kind(name), self.k, self.size(name)
        p = self._params(name)
        spiking = kind in _SPIKING
        if kind == "Threshold":
            v_th = _above(p["threshold"] - bias)
            return (
                "iaf_psc_delta",
                {
                    "tau_m": np.full(n, self.dt / 1000.0),
                    "C_m": np.ones(n),
                    "E_L": np.zeros(n),
                    "V_m": np.zeros(n),
                    "V_th": v_th,
                    "V_reset": _below(v_th),
                    "t_ref": np.zeros(n),
                    "I_e": np.zeros(n),
                },
                np.ones(n),
            )
        if kind in ("IF", "I"):
            zero = np.zeros(n)
            params = {"tau_m": np.full(n, np.inf), "C_m": k / p["r"], "E_L": zero, "V_m": zero}
            scale = p["r"]
            model = "iaf_psc_delta"
        else:
            tau = p["tau"] if "tau" in p else p["tau_mem"]
            params = {
                "tau_m": k * tau,
                "C_m": k * tau / p["r"],
                "E_L": p["v_leak"],
                "V_m": p["v_leak"],
            }
            scale = p["r"] / tau
            model = "iaf_psc_delta"
        params.update(
            t_ref=np.zeros(n),
            V_th=_above(p["v_threshold"]) if spiking else np.full(n, np.inf),
            V_reset=p["v_reset"] if spiking else params["E_L"],
            I_e=bias,
        )
        if kind in ("CubaLIF", "CubaLI"):
            model = "iaf_psc_exp"
            params.update(
                tau_syn_ex=k * p["tau_syn"],
                tau_syn_in=k * p["tau_syn"],
                I_e=p["w_in"] * bias,
                I_syn_ex=0.0 - p["w_in"] * bias,
            )
            scale = p["w_in"] / p["tau_syn"]
        return model, params, scale

    # ------------------------------------------------------------------ network
    def _call(self, name, fn, *args):
        try:
            return fn(*args)
        except DistsimError as exc:
            raise NIRError(f"{self.where(name)}: {exc}") from None

    def build(self, spike_times):
        net = self.net
        unknown = sorted(set(spike_times) - {m for m in self.nodes if self.kind(m) == "Input"})
        if unknown:
            raise NIRError(
                f"import_nir: spike_times for {unknown[0]!r}, which is not an Input "
                f"node; Input nodes: "
                f"{', '.join(m for m in self.nodes if self.kind(m) == 'Input')}"
            )
        inputs = {}  # neuron node -> its input signal
        for name in self.nodes:
            kind = self.kind(name)
            if kind == "Input" and self.preds[name]:
                raise NIRError(f"{self.where(name)}: has incoming edges; an Input starts the graph")
            if kind == "Output":
                self.in_shape(name)
            elif kind in _NEURONS and self.preds[name]:
                inputs[name] = self.input_signal(name)
        for name in self.nodes:
            kind = self.kind(name)
            if kind == "Input":
                n = self.size(name)
                times = self._spike_times(name, spike_times.get(name))
                self._call(
                    name, net.add_population, name, "spike_source", n, {"spike_times": times}
                )
            elif kind in _NEURONS:
                bias = inputs[name][1] if name in inputs else np.zeros(self.size(name))
                model, params, self.scale[name] = self.lower(name, bias)
                self._add_population(name, model, params)
        for name in self.nodes:
            if self.kind(name) in _NEURONS and name in inputs:
                self._connect(name, inputs[name][0])
        recorded = set()
        for name in self.nodes:
            if self.kind(name) == "Output":
                for p in self.preds[name]:
                    self._record(name, p, recorded)
        return net

    def _spike_times(self, name, given):
        n = self.size(name)
        if given is None:
            meta = getattr(self.nodes[name], "metadata", None) or {}
            neuron = np.asarray(meta.get("spike_neuron", []), dtype=np.int64).ravel()
            t = np.asarray(meta.get("spike_time_ms", []), dtype=float).ravel()
            if neuron.size != t.size or np.any((neuron < 0) | (neuron >= n)):
                raise NIRError(
                    f"{self.where(name)}: metadata spike_neuron / spike_time_ms do "
                    f"not pair up with neurons 0..{n - 1}; give spike_times instead"
                )
            per_neuron = np.split(
                t[np.argsort(neuron, kind="stable")],
                np.cumsum(np.bincount(neuron, minlength=n))[:-1],
            )
            return [x.tolist() for x in per_neuron]
        given = list(given)
        if len(given) != n:
            raise NIRError(
                f"{self.where(name)}: spike_times has {len(given)} lists for {n} "
                f"input neurons; give one list of times (ms) per neuron, flat C order"
            )
        return [list(np.atleast_1d(np.asarray(ts, dtype=float))) for ts in given]

    def _add_population(self, name, model, params):
        """The node's population (named as the node), each parameter one number or one value
        per neuron (where the neurons differ)."""
        n = self.size(name)
        values = {}
        for p, value in params.items():
            a = np.broadcast_to(np.asarray(value, dtype=float), (n,))
            values[p] = float(a[0]) if np.all(a == a[0]) else a.copy()
        self._call(name, self.net.add_population, name, model, n, values)

    def _connect(self, name, terms):
        """from_list projections into node ``name``, one per source node."""
        scale = self.scale[name]
        by_source = {}
        for (src, delay), (r, c, v) in terms.items():
            ms = self.dt if delay == 0 else delay * self.k
            by_source.setdefault(src, []).append((r, c, v * scale[r], np.full(r.size, ms)))
        for src, parts in by_source.items():
            r, c, w, d = (np.concatenate(x) for x in zip(*parts))
            if r.size == 0:  # every weight cancelled
                continue
            self._call(
                name,
                self.net.connect,
                src,
                name,
                FromList(c, r),
                float(w[0]) if np.all(w == w[0]) else w,
                float(d[0]) if np.all(d == d[0]) else d,
            )

    def _record(self, output, source, recorded):
        kind = self.kind(source)
        if kind in _MEMBRANE:
            what = "state"
        elif kind == "Input" or kind in _SPIKING:
            what = "spikes"
        else:
            raise NIRError(
                f"{self.where(output)}: reads {self.where(source)}, a weighted sum; distsim "
                f"records spikes and membrane potentials of populations; connect the Output to "
                f"a neuron node (an LI node integrates a readout)"
            )
        if (source, what) not in recorded:
            recorded.add((source, what))
            if what == "spikes":
                self.net.record_spikes(source)
            else:
                self.net.record_state(source, ["V_m"], interval=self.dt)


def _sum_duplicates(rows, cols, vals, n_cols):
    """COO entries with equal (row, col) summed, sorted by (row, col), zeros dropped."""
    key = rows.astype(np.int64) * n_cols + cols
    uniq, inverse = np.unique(key, return_inverse=True)
    summed = np.bincount(inverse, weights=vals, minlength=uniq.size)
    live = summed != 0
    return uniq[live] // n_cols, uniq[live] % n_cols, summed[live]


def _compose(a, b, n_cols):
    """Sparse product a @ b of COO matrices (rows, cols, values); b has n_cols columns."""
    ar, ac, av = a
    br, bc, bv = b
    order = np.argsort(br, kind="stable")
    br, bc, bv = br[order], bc[order], bv[order]
    lo = np.searchsorted(br, ac, "left")
    count = np.searchsorted(br, ac, "right") - lo
    first = np.repeat(np.cumsum(count) - count, count)
    pick = np.repeat(lo, count) + np.arange(int(count.sum())) - first
    take = np.repeat(np.arange(ac.size), count)
    return _sum_duplicates(ar[take], bc[pick], av[take] * bv[pick], n_cols)


# ---------------------------------------------------------------------- export
def export_nir(network, time_unit="s", max_dense=MAX_DENSE):
    """The NIR graph of ``network`` (the inverse of ``import_nir``; module docstring).

    Raises NIRError for what NIR cannot express: other models (conductance-based, adaptive,
    Hodgkin-Huxley...), plastic and short-term synapses, drawn parameters, refractoriness,
    Poisson and DC stimuli, projections from neurons that never fire, and a
    (source, target) node pair whose dense weight matrix would exceed ``max_dense`` entries."""
    import nir

    from distsim.comm import LocalContext

    from .simulation import Simulation

    net = network
    k = _ms_per_unit(time_unit)
    if net.poisson_inputs or net.dc_inputs:
        raise NIRError(
            f"Network: {len(net.poisson_inputs)} Poisson and {len(net.dc_inputs)} DC inputs: "
            f"NIR has no stochastic or time-windowed stimuli; drive the network through "
            f"spike_source populations (Input nodes) and constant currents through I_e"
        )
    plastic = [p for p in net.projections if p.synapse is not None]
    if plastic:
        raise NIRError(
            f"Projection '{plastic[0].name}': its {plastic[0].synapse.name} changes what its "
            f"spikes send (plastic or short-term synapses); NIR's Linear and Conv edges "
            f"have fixed weights, so export it with static synapses"
        )
    groups = _node_groups(net)
    node_of, nodes, scale, bias, first, sizes = {}, {}, {}, {}, {}, {}
    for name, pops in groups:
        if "/" in name:
            raise NIRError(
                f"Population '{name}': '/' cannot appear in a NIR node name (an "
                f"HDF5 path); rename the population"
            )
        node_of.update((p.name, name) for p in pops)
        first[name], sizes[name] = pops[0].first_gid, sum(p.size for p in pops)
        nodes[name], scale[name], bias[name] = _export_node(name, pops, net, k)
    membrane = (nir.LI, nir.I, nir.CubaLI)
    pairs = sorted({(node_of[p.source], node_of[p.target]) for p in net.projections})
    for s, t in pairs:
        if isinstance(nodes[s], membrane):
            raise NIRError(
                f"Projections '{s}' -> '{t}': '{s}' never fires (V_th = inf) and its NIR node "
                f"({type(nodes[s]).__name__}) would pass its potential instead; remove them"
            )
        if sizes[s] * sizes[t] > max_dense:
            raise NIRError(
                f"Projections '{s}' -> '{t}': NIR's Linear weight matrix is dense, "
                f"{sizes[t]} x {sizes[s]} = {sizes[t] * sizes[s]:,} entries, beyond max_dense = "
                f"{max_dense:,}; export a smaller network or raise max_dense"
            )
    linear = {}  # (source node, target node, delay steps) -> dense NIR weights
    if net.projections:
        c = Simulation(net, LocalContext()).connections()
        node_index = np.repeat(np.arange(len(groups)), [sizes[name] for name, _ in groups])
        index = {name: i for i, (name, _) in enumerate(groups)}
        steps = np.rint(c["delay"] / net.dt).astype(np.int64)
        for s, t in pairs:
            sel = (node_index[c["source"]] == index[s]) & (node_index[c["target"]] == index[t])
            for d in np.unique(steps[sel]):
                m = sel & (steps == d)
                ti, si = c["target"][m] - first[t], c["source"][m] - first[s]
                w = np.zeros((sizes[t], sizes[s]))
                np.add.at(w, (ti, si), c["weight"][m] / scale[t][ti])
                linear[(s, t, int(d))] = w
    biases = {}  # linear key -> bias of its target (an Affine node)
    for t in nodes:
        if bias[t] is not None and np.any(bias[t] != 0):
            direct = [key for key in linear if key[1] == t and key[2] == 1]
            if not direct:
                direct = [(_bias_source(t, linear, nodes), t, 1)]
                linear[direct[0]] = np.zeros((sizes[t], sizes[direct[0][0]]))
            biases[direct[0]] = bias[t]
    graph_nodes, edges = dict(nodes), []
    for (s, t, d), w in linear.items():
        label = f"{s}->{t}" + (f"@{d}" if d > 1 else "")
        graph_nodes[label] = (
            nir.Affine(weight=w, bias=biases[(s, t, d)])
            if (s, t, d) in biases
            else nir.Linear(weight=w)
        )
        edges.append((s, label))
        if d > 1:
            graph_nodes[f"delay {label}"] = nir.Delay(delay=np.full(sizes[t], d * net.dt / k))
            edges += [(label, f"delay {label}"), (f"delay {label}", t)]
        else:
            edges.append((label, t))
    outputs = _outputs(net, node_of, nodes)
    for name in outputs:
        label = "output" if len(outputs) == 1 else f"output {name}"
        graph_nodes[label] = nir.Output(output_type={"output": np.array([sizes[name]])})
        edges.append((name, label))
    return nir.NIRGraph(
        nodes=graph_nodes,
        edges=edges,
        type_check=False,
        metadata={"distsim_dt_ms": net.dt, "time_unit": time_unit},
    )


def _node_groups(net):
    """[(node name, [populations])]: populations NAME.0, NAME.1, ... of one model in a row
    form node NAME (the populations import_nir makes of a heterogeneous node)."""
    pops = list(net.populations.values())
    out, i = [], 0
    while i < len(pops):
        base, dot, idx = pops[i].name.rpartition(".")
        j = i + 1
        if dot and idx == "0" and base not in net.populations:
            while (
                j < len(pops)
                and pops[j].name == f"{base}.{j - i}"
                and pops[j].model.name == pops[i].model.name
            ):
                j += 1
        if j - i >= 2:
            out.append((base, pops[i:j]))
        else:
            out.append((pops[i].name, [pops[i]]))
            j = i + 1
        i = j
    return out


def _values(pops, names):
    """Per-neuron arrays of the parameters ``names`` over the populations; NIRError if one is
    a distribution (export does not draw)."""
    out = {}
    for name in names:
        parts = []
        for p in pops:
            value = getattr(p.model, name)
            if not isinstance(value, (float, np.ndarray)):
                raise NIRError(
                    f"Population '{p.name}': parameter {name} is a distribution "
                    f"({value}); NIR stores numbers; give a constant {name} or "
                    f"one value per neuron"
                )
            parts.append(np.broadcast_to(value, (p.size,)))
        out[name] = np.concatenate(parts)
    return out


def _export_node(name, pops, net, k):
    """(NIR node, weight factor J / w per neuron, bias per neuron) of one node's populations."""
    import nir

    from .models.base import refractory_steps

    model = pops[0].model.name
    where = f"Population '{pops[0].name}'"
    n = sum(p.size for p in pops)
    if model == "spike_source":
        neuron, times = [], []
        for i, ts in enumerate(t for p in pops for t in p.model.spike_times):
            neuron += [i] * len(ts)
            times += list(ts)
        return (
            nir.Input(
                input_type={"input": np.array([n])},
                metadata={
                    "spike_neuron": np.array(neuron, np.int64),
                    "spike_time_ms": np.array(times, float),
                },
            ),
            None,
            None,
        )
    if model not in ("iaf_psc_delta", "iaf_psc_exp"):
        raise NIRError(
            f"{where}: model '{model}' has no NIR node; export iaf_psc_delta (LIF, "
            f"IF, LI, I, Threshold), iaf_psc_exp (CubaLIF, CubaLI) and spike_source "
            f"(Input) populations"
        )
    names = ["tau_m", "C_m", "E_L", "V_m", "V_th", "V_reset", "I_e", "t_ref"]
    names += (
        ["V_min"]
        if model == "iaf_psc_delta"
        else ["tau_syn_ex", "tau_syn_in", "I_syn_ex", "I_syn_in"]
    )
    v = _values(pops, names)
    rules = [
        (
            np.any(refractory_steps(v["t_ref"], net.dt) != 0),
            "t_ref",
            "t_ref = 0 (NIR has no refractory period)",
        ),
        (np.any(v["V_m"] != v["E_L"]), "V_m", "V_m = E_L (NIR neurons start at rest)"),
    ]
    if model == "iaf_psc_delta":
        rules.append((np.any(v["V_min"] != -np.inf), "V_min", "V_min = -inf (NIR has no floor)"))
    else:
        rules += [
            (
                np.any(v["tau_syn_ex"] != v["tau_syn_in"]),
                "tau_syn_in",
                "tau_syn_in = tau_syn_ex (CubaLIF has one synaptic time constant)",
            ),
            (
                np.any(v["I_syn_ex"] + v["I_syn_in"] != -v["I_e"]),
                "I_syn_ex",
                "I_syn_ex + I_syn_in = -I_e (a CubaLIF bias rises through the synapse)",
            ),
            (np.any(np.isinf(v["tau_m"])), "tau_m", "finite tau_m (CubaLIF has a leak)"),
        ]
    for bad, param, rule in rules:
        if bad:
            raise NIRError(f"{where}: parameter {param} cannot be exported to NIR; it needs {rule}")
    spiking = np.any(np.isfinite(v["V_th"]))
    leak = np.isfinite(v["tau_m"])
    if np.any(leak) and not np.all(leak):
        raise NIRError(
            f"{where}: node '{name}' mixes finite and infinite tau_m; NIR nodes "
            f"either leak (LIF, LI) or not (IF, I); split the populations"
        )
    ones = np.ones(n)
    if model == "iaf_psc_exp":
        tau_syn, tau_mem = v["tau_syn_ex"] / k, v["tau_m"] / k
        common = dict(
            tau_syn=tau_syn, tau_mem=tau_mem, r=v["tau_m"] / v["C_m"], v_leak=v["E_L"], w_in=ones
        )
        node = (
            nir.CubaLIF(v_threshold=_below(v["V_th"]), v_reset=v["V_reset"], **common)
            if spiking
            else nir.CubaLI(**common)
        )
        return node, 1.0 / tau_syn, v["I_e"]
    if np.all(np.exp(-net.dt / v["tau_m"]) == 0) and np.all(v["I_e"] == 0):
        return nir.Threshold(threshold=_below(v["V_th"] - v["E_L"])), ones, None
    if np.all(leak):
        tau, r = v["tau_m"] / k, v["tau_m"] / v["C_m"]
        node = (
            nir.LIF(
                tau=tau, r=r, v_leak=v["E_L"], v_threshold=_below(v["V_th"]), v_reset=v["V_reset"]
            )
            if spiking
            else nir.LI(tau=tau, r=r, v_leak=v["E_L"])
        )
        return node, r / tau, v["I_e"]
    r = k / v["C_m"]  # no leak: v = V - E_L
    node = (
        nir.IF(r=r, v_threshold=_below(v["V_th"] - v["E_L"]), v_reset=v["V_reset"] - v["E_L"])
        if spiking
        else nir.I(r=r)
    )
    return node, r, v["I_e"]


def _bias_source(target, linear, nodes):
    """A node to feed a zero-weight Affine that carries ``target``'s bias."""
    import nir

    feeding = [key[0] for key in linear if key[1] == target]
    spiking = [
        m
        for m, node in nodes.items()
        if isinstance(node, (nir.Input, nir.LIF, nir.IF, nir.CubaLIF, nir.Threshold))
    ]
    if feeding or spiking:
        return (feeding + spiking)[0]
    raise NIRError(
        f"Population '{target}': I_e needs an Affine node to carry it and the "
        f"network has no spiking node to feed one; add a spike_source population"
    )


def _outputs(net, node_of, nodes):
    """Nodes with an Output: spiking nodes with a spike recorder, non-spiking ones with V_m
    recorded (a recorder's neuron subset and interval have no NIR equivalent)."""
    import nir

    membrane = (nir.LI, nir.I, nir.CubaLI)
    out = []
    for rec in net.spike_recorders:
        name = node_of[rec.population]
        if not isinstance(nodes[name], membrane) and name not in out:
            out.append(name)
    for rec in net.state_recorders:
        name = node_of[rec.population]
        if isinstance(nodes[name], membrane) and "V_m" in rec.variables and name not in out:
            out.append(name)
    return out


def write_nir(network, path, time_unit="s", max_dense=MAX_DENSE):
    """Write ``export_nir(network)`` to the .nir file ``path``."""
    import nir

    nir.write(path, export_nir(network, time_unit, max_dense))


def convert(source, target, dt=None, time_unit=None):
    """Convert between NIR files (.nir) and model files (.toml, .yaml, .yml), by suffix;
    returns the Network in between.  ``time_unit``: of the NIR file read (default: its
    metadata, else "s") or written (default "s")."""
    from .modelfile import load_model_file, write_model_file

    model_files = (".toml", ".yaml", ".yml")
    for path in (source, target):
        if Path(path).suffix not in (".nir", *model_files):
            raise NIRError(
                f"distsim convert: {path}: unknown file type "
                f"'{Path(path).suffix}'; use .nir, .toml, .yaml or .yml"
            )
    if Path(source).suffix == ".nir":
        net = import_nir(source, dt=dt, time_unit=time_unit)
    else:
        net = load_model_file(source)
        if dt is not None and dt != net.dt:
            raise ModelFileError(
                f"distsim convert: --dt {dt} differs from {source}'s dt = "
                f"{net.dt} ms; set dt in the file's [network] table"
            )
    if Path(target).suffix == ".nir":
        write_nir(net, target, time_unit or "s")
    else:
        write_model_file(net, target)
    return net


__all__ = ["import_nir", "export_nir", "write_nir", "read_nir", "convert", "MS_PER_UNIT", "EXAMPLE"]
