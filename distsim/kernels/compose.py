"""The step kernels of one network, composed from only what it uses, and compiled once.

``advance`` (compute a span of steps) and ``deliver`` (put spikes into the ring buffers)
hold the schedule of engine.py; they call each neuron model's ``update`` (in its module under
models/, found through the registry) and the plastic rules of kernels/plasticity.py.  Numba
compiles everything a function calls into it, so one ``advance`` for every model and rule
made every network compile all of them (about 38 s).  Here the source of the two kernels is
written for a ``KernelPlan``, the models and plastic rules of a network, into a module of its
own in the kernel cache (kernel_cache.py), named
by the hash of its text, imported, and compiled there with ``cache=True``; the same plan
gives the same module, and so numba's cache, in every later run.  Leaving a model or rule
out removes its code, not a branch taken: the results are the same bits as with all in.
"""

import hashlib
import os
from dataclasses import dataclass
from string import Template

from .kernel_cache import import_file, kernel_cache_dir, write_once

# ---------------------------------------------------------------------------------------------
# the templates (engine.py documents the schedule of a step and the ring layout)

_HEADER = '''\
"""Step kernels composed by distsim.kernels.compose for: $what."""
import numba as nb
import numpy as np

from distsim.kernels.engine import (C_CYC_DELIVER, C_CYC_FAR, C_CYC_PROC, C_CYC_STIM,
                                    C_CYC_UPDATE, C_EVENTS, C_OUT, C_RECORDED, C_SCHEDULE, C_SPIKES,
                                    count_active, count_active_touched, cycles, stimulate)
from distsim.kernels.fixed import ring_pos, static_positions
from distsim.kernels.threads import share_cycles, unsorted_part
$imports
'''

_ADVANCE = '''

@nb.njit(cache=True$parallel)
def advance(t_from, t_to, h, ns, max_delay, nrn, inp, stim, syn, plast, out, proc, thr):
    """Compute steps t_from+1 .. t_to (kernels/engine.py); return the last step computed,
    earlier when a buffer might not hold a step's spikes (grow it and call again).  The
    processor cycles of each phase add up in the counters C_CYC_*.$threads_doc"""
    n_local = nrn.refr.shape[0]
    counters = out.counters
    spiked, rows, steps = out.spiked, $rows_src
    rec_flag, send_flag, local_row = out.rec_flag, out.send_flag, syn.local_row
    # calls with many arrays cost ~100 ns each (reference counting): skip the empty ones
    has_stimuli = stim.pz_ptr.shape[0] > 1 or stim.dc_ptr.shape[0] > 1
    has_vt = plast.vt_local.shape[0] > 0  # local neurons of volume transmitters (dopamine)
    cur_rows = inp.cur.shape[0]  # ns, or 1 (zeros) without DC input
    no_split = thr.pz_split[:0]
    n_thr = thr.bounds.shape[0] - 1
    n_rows = 0
    w_first, w_last = t_from, t_from  # the threads' window of steps
    t_end = t_to
    for t in range(t_from + 1, t_to + 1):
        if (out.rec_step.shape[0] - counters[C_RECORDED] < n_local
                or out.out_step.shape[0] - counters[C_OUT] < n_local$stop_plastic):
            t_end = t - 1
            break
        slot = t % ns
        c0 = cycles()
$far_drain        ex_line, in_line = inp.ring[slot], inp.ring[slot + ns]
        cur_line = inp.cur[slot % cur_rows]
        nspk = 0
$step        c = counters[C_SCHEDULE]  # spike sources: their scheduled spikes of step t
        while c < stim.ss_step.shape[0] and stim.ss_step[c] <= t:
            if stim.ss_step[c] == t:
                spiked[nspk] = stim.ss_local[c]
                nspk += 1
            c += 1
        counters[C_SCHEDULE] = c
        c2 = cycles()
$rows_reset        n_first = n_rows
        n_proc = 0
        for k in range(nspk):
            i = spiked[k]
$post_spike$hw_spike            if rec_flag[i]:
                r = counters[C_RECORDED]
                out.rec_step[r] = t
                out.rec_gid[r] = out.local_gid[i]
                counters[C_RECORDED] = r + 1
            if send_flag[i]:
                o = counters[C_OUT]
                out.out_step[o] = t
                out.out_local[o] = i
                counters[C_OUT] = o + 1
            if local_row[i] >= 0:
                rows[n_rows] = local_row[i]
                steps[n_rows] = t
                n_rows += 1
$proc_spike        counters[C_SPIKES] += nspk
        if n_rows > n_first:
            events, _ = $deliver_here(rows[n_first:], steps[n_first:], n_rows - n_first, t, ns,
                                      h, inp, syn, plast)
            counters[C_EVENTS] += events
        c3 = cycles()
$proc_deliver        counters[C_CYC_DELIVER] += c3 - c2
$tail    return t_end
'''

# one thread: stimuli, then every group's update, in the step
_STEP_SERIAL = """\
        if has_stimuli:
            stimulate(t, ns, inp, stim, 0, n_local, no_split, 0)
        if out.hw_active.shape[0]:  # hardware counters: neuron-steps with synaptic input
            count_active(ex_line, in_line, nrn, out.hw_active, 0, n_local)
            count_active_touched(slot, ex_line, in_line, inp, out.hw_active)
        c1 = cycles()
        counters[C_CYC_STIM] += c1 - c0
$events        for g in range(nrn.model.shape[0]):
            if nrn.lazy[g]:
                continue
            lo, hi, pb, ps = nrn.lo[g], nrn.hi[g], nrn.pbase[g], nrn.pstride[g]
            model = nrn.model[g]
$dispatch
        c2 = cycles()
        counters[C_CYC_UPDATE] += c2 - c1
"""

# T threads (kernels/threads.py): at the first step of a window, thread k delivers the static
# synapses of the last window's spikes onto its neurons, then adds their stimuli and updates
# them step by step; each step then takes its spikes from the threads
_STEP_THREADS = """\
        if out.hw_active.shape[0]:
            count_active_touched(slot, ex_line, in_line, inp, out.hw_active)
$events        c1 = cycles()
        counters[C_CYC_UPDATE] += c1 - c0
        if t > w_last:  # the threads compute the steps of a new window
            n_win = min(thr.window[0], t_to - t + 1,
                        (out.rec_step.shape[0] - counters[C_RECORDED]) // max(n_local, 1),
                        (out.out_step.shape[0] - counters[C_OUT]) // max(n_local, 1))
            for k in nb.prange(n_thr):
                thread_window(k, t, n_win, ns, h, rows, steps, n_rows, has_stimuli, nrn, inp,
                              stim, syn, plast, out, thr)
            n_rows = 0
            w_first, w_last = t, t + n_win - 1
            share_cycles(cycles() - c1, thr.cyc, counters)
        w = t - w_first
        for k in range(n_thr):
            for j in range(thr.spk_end[k, w - 1] if w > 0 else 0, thr.spk_end[k, w]):
                spiked[nspk] = thr.spiked[k, j]
                nspk += 1
"""

# thread k's part of a window of steps (a function of its own: the parallel loop's body stays
# one call, so numba's parallel transforms see no scalar of the body they could hoist or share)
_THREAD_WINDOW = '''

@nb.njit(cache=True)
def thread_window(k, t_first, n_steps, ns, h, rows, steps, n_rows, has_stimuli, nrn, inp, stim,
                  syn, plast, out, thr):
    """Thread k in the steps t_first .. t_first + n_steps - 1: deliver the static synapses of
    the last window's spikes (rows[:n_rows]) onto its neurons, then, step by step, add their
    stimuli and update them; the spikes of the window's step w are thr.spiked[k] up to
    thr.spk_end[k, w].  (No static delay is shorter than the window: kernels/threads.py.)"""
    thread_deliver(rows, steps, n_rows, ns, k, inp, syn, plast, thr)
    lo_k, hi_k = thr.bounds[k], thr.bounds[k + 1]
    spiked = thr.spiked[k]
    nspk = 0
    for w in range(n_steps):
        t = t_first + w
        slot = t % ns
        ex_line, in_line = inp.ring[slot], inp.ring[slot + ns]
        cur_line = inp.cur[slot % inp.cur.shape[0]]
        c1 = cycles()
        if has_stimuli:
            stimulate(t, ns, inp, stim, lo_k, hi_k, thr.pz_split, k)
        if out.hw_active.shape[0]:
            count_active(ex_line, in_line, nrn, out.hw_active, lo_k, hi_k)
        c2 = cycles()
        for g in range(nrn.model.shape[0]):
            lo, hi = max(nrn.lo[g], lo_k), min(nrn.hi[g], hi_k)
            if nrn.lazy[g] or lo >= hi:
                continue
            pb, ps = nrn.pbase[g] + (lo - nrn.lo[g]) * nrn.pstride[g], nrn.pstride[g]
            model = nrn.model[g]
$dispatch
        thr.spk_end[k, w] = nspk
        thr.cyc[k, 0] += c2 - c1
        thr.cyc[k, 1] += cycles() - c2
'''

# after the last step: its spikes' static synapses, by the threads
_TAIL_THREADS = """\
    if n_rows:
        c1 = cycles()
        for k in nb.prange(n_thr):
            thread_deliver(rows, steps, n_rows, ns, k, inp, syn, plast, thr)
        share_cycles(cycles() - c1, thr.cyc, counters)
    for k in range(n_thr):
        counters[C_EVENTS] += thr.events[k]
        thr.events[k] = 0
"""

_THREADS_DOC = """
    Threads: thread k computes the neurons thr.bounds[k] .. thr.bounds[k + 1] - 1 in windows
    of up to thr.window[0] steps (kernels/threads.py); the static synapses of a window's spikes
    are delivered by the threads at the start of the next window (and after the last), the
    rest (plastic, onto event-driven groups) at once, step by step."""

_DELIVER = '''

@nb.njit(cache=True)
def $name(rows, steps, n, now, ns, h, inp, syn, plast):
    """Add the weights of the $which synapses of source rows ``rows[:n]`` (spikes emitted in
    steps ``steps[:n]``) to the slots step + d of their targets (kernels/engine.py).  Returns
    (synaptic events, late synapses): a synapse is late when step + d <= ``now``, the last
    step computed, which the exchange must never allow."""
    events = 0
    late = 0
    ring, touch, n_touch, listed = inp.ring, inp.touch, inp.n_touch, inp.listed
    # fields read once: a NamedTuple's array read in a loop is a reference-count pair each time
    seg, seg_ptr, seg_lazy, syn_target = syn.seg, syn.seg_ptr, syn.seg_lazy, syn.syn_target
    syn_weight, syn_delay, seg_plastic = syn.syn_weight, syn.syn_delay, plast.seg_plastic
    flat = ring.reshape(-1)
    n_cols = ring.shape[1]
    ibuf = np.empty(0, np.int64)  # a segment's ring positions and weights, then the adds in
    qbuf = np.empty(0, np.int64)  # a loop of their own (many cache misses in flight); grown
    #                               only when a per-synapse segment comes (not for Brunel's)
    for k in range(n):
        row = rows[k]
        t = steps[k]
        for sg in range(seg_ptr[row], seg_ptr[row + 1]):
            a = seg[sg, 0]
            b = seg[sg + 1, 0]
            wq = seg[sg, 1]
            d = seg[sg, 2]
            wofs = seg[sg, 3]
            base = seg[sg, 4]
            plastic = $plastic_test
            lazy = seg_lazy[sg] != 0
$skip_static            events += b - a
            if wofs < 0 and d > 0 and not (plastic or lazy):  # one weight, one delay
                if t + d <= now:
                    late += b - a
                # unsigned positions: no check for negative indices (10 % of this loop)
                first = np.uint64(ring_pos(wq, (t + d) % ns, ns, n_cols, base))
                for m in range(a, b):
                    flat[first + syn_target[m]] += wq
                continue
            if b - a > ibuf.shape[0]:
                ibuf = np.empty(2 * (b - a), np.int64)
                qbuf = np.empty(2 * (b - a), np.int64)
            n_out = b - a
            if plastic:  # new weights and their ring positions (merged for multapses)
$plastic_call
            else:
                late += static_positions(t, a, b, a, wq, d, wofs, now, ns, n_cols, base,
                                         syn_target, syn_weight, syn_delay, ibuf, qbuf)
            if lazy:  # list the targets for their slots (event-driven groups)
                for m in range(n_out):
                    slot = ibuf[m] // n_cols % ns
                    i = ibuf[m] % n_cols
                    if not listed[slot, i]:
                        listed[slot, i] = 1
                        touch[slot, n_touch[slot]] = i
                        n_touch[slot] += 1
            for m in range(n_out):
                flat[ibuf[m]] += qbuf[m]
    return events, late
'''

_PLASTIC_CALL = """\
                p = seg_plastic[sg]
                n_late, n_out = plastic_segment(p, t, a, b, d, base, now, ns, n_cols, h, syn,
                                                plast, ibuf, qbuf)
                late += n_late
                if plast.pl_meta[p, 2]:  # receptor 1 of a parrot: nothing arrives
                    continue"""

_THREAD_DELIVER = '''

@nb.njit(cache=True)
def thread_deliver(rows, steps, n, ns, k, inp, syn, plast, thr):
    """Thread k's share of ``deliver`` for the spikes of the last computed step: the static
    synapses (not plastic, not onto event-driven groups) of rows[:n] onto its neurons
    thr.bounds[k] .. thr.bounds[k + 1] - 1, which are, in segment s, its synapses
    thr.seg_split[s, k] .. thr.seg_split[s, k + 1] - 1 (or, where -1, those of the segment's
    synapses with a target in range).  No delay is 0, so none is late.  Adds the synaptic
    events and the cycles spent to thr.events[k] and thr.cyc[k, 2]."""
    c0 = cycles()
    ring, split = inp.ring, thr.seg_split
    seg, seg_ptr, seg_lazy, syn_target = syn.seg, syn.seg_ptr, syn.seg_lazy, syn.syn_target
    syn_weight, syn_delay, seg_plastic = syn.syn_weight, syn.syn_delay, plast.seg_plastic
    lo_k, hi_k = thr.bounds[k], thr.bounds[k + 1]
    flat = ring.reshape(-1)
    n_cols = ring.shape[1]
    ibuf = np.empty(0, np.int64)
    qbuf = np.empty(0, np.int64)
    events = 0
    for j in range(n):
        row = rows[j]
        t = steps[j]
        for sg in range(seg_ptr[row], seg_ptr[row + 1]):
            if $plastic_test or seg_lazy[sg] != 0:
                continue
            a0 = seg[sg, 0]
            wq = seg[sg, 1]
            d = seg[sg, 2]
            wofs = seg[sg, 3]
            base = seg[sg, 4]
            a, b = split[sg, k], split[sg, k + 1]
            if a < 0:  # targets not sorted: those of this thread, one by one
                events += unsorted_part(t, a0, seg[sg + 1, 0], wq, d, wofs, ns, lo_k, hi_k,
                                        flat, n_cols, base, syn_target, syn_weight, syn_delay)
                continue
            if a == b:  # none onto this thread's neurons
                continue
            events += b - a
            if wofs < 0 and d > 0:  # one weight, one delay
                # unsigned positions: no check for negative indices (10 % of this loop)
                first = np.uint64(ring_pos(wq, (t + d) % ns, ns, n_cols, base))
                for m in range(a, b):
                    flat[first + syn_target[m]] += wq
                continue
            if b - a > ibuf.shape[0]:
                ibuf = np.empty(2 * (b - a), np.int64)
                qbuf = np.empty(2 * (b - a), np.int64)
            static_positions(t, a, b, a0, wq, d, wofs, -1, ns, n_cols, base, syn_target,
                             syn_weight, syn_delay, ibuf, qbuf)
            for m in range(b - a):
                flat[ibuf[m]] += qbuf[m]
    thr.events[k] += events
    thr.cyc[k, 2] += cycles() - c0
'''

_PLASTIC_SEGMENT = '''

@nb.njit(cache=True)
def plastic_segment(p, t, a, b, d_seg, base, now, ns, n_cols, h, syn, plast, ibuf, qbuf):
    """The plastic segment p (synapses a..b, targets base + syn_target) at a spike of its
    source in step t: its rule (kernels/plasticity.py) updates the weights and writes their
    ring positions and fixed-point weights into ibuf/qbuf.  Returns (late synapses, entries)."""
    r = plast.pl_meta[p, 1]
    kind = np.int64(plast.rule_par[r, 0])
    pairing = np.int64(plast.rule_par[r, C_PAIRING])
$branches
    raise RuntimeError("plastic rule not compiled into this network's kernels")
'''

_DOPAMINE = """\
    if kind == STDP_DOPAMINE:
        return dopamine_segment(p, t, a, b, d_seg, now, ns, n_cols, base, syn.syn_target,
                                syn.syn_delay, h, plast, ibuf, qbuf)"""

_VIEW = """\
    if d_seg > 0 and pairing == PAIR_ALL and kind == $kind:
        return stdp_view_segment($kind, p, t, a, b, d_seg, now, ns, n_cols, base,
                                 syn.syn_target, h, plast.pl_state, plast.pl_meta,
                                 plast.rule_par, plast.syn_pw, plast.post_par, plast.hist,
                                 plast.spike_view, plast.exp_tab, ibuf, qbuf)"""

_PAIRED = """\
    if kind == $kind and pairing == $pairing:
        return stdp_segment($kind, $pairing, p, t, a, b, d_seg, now, ns, n_cols, base,
                            syn.syn_target, syn.syn_delay, h, plast.pl_state, plast.pl_meta,
                            plast.rule_par, plast.syn_pw, plast.post_par, plast.hist,
                            plast.syn_dopa, plast.exp_tab, ibuf, qbuf)"""

_SHORT_TERM = """\
    if kind == $kind:
        return stp_segment($kind, p, t, a, b, d_seg, now, ns, n_cols, base, syn.syn_target,
                           syn.syn_delay, h, plast.pl_state, plast.pl_meta, plast.rule_par,
                           plast.syn_pw, ibuf, qbuf)"""

_FAR_DRAIN = """\
        far_drain(t, ns, inp)
        c_far = cycles()
        counters[C_CYC_FAR] += c_far - c0
        c0 = c_far
"""

_PROC_SPIKE = """\
            if proc.src_flag[i]:  # a source of procedural synapses onto this rank
                proc.gids[n_proc] = out.local_gid[i]
                proc.steps[n_proc] = t
                n_proc += 1
"""

_PROC_DELIVER = """\
        if n_proc:
            events, _ = deliver_procedural(proc.gids, proc.steps, n_proc, t, ns, inp, proc)
            counters[C_EVENTS] += events
        c4 = cycles()
        counters[C_CYC_PROC] += c4 - c3
"""

_EVENTS = """\
        if inp.n_touch[slot]:
            nspk = update_events(t, inp.touch[slot], inp.n_touch[slot], inp.listed[slot],
                                 nrn.lazy_col, nrn.par, nrn.st, nrn.refr, nrn.last, ex_line,
                                 in_line, spiked, nspk)
            inp.n_touch[slot] = 0
"""

_POST_SPIKE = """\
            if plast.n_in.shape[0]:
                post_spike(i, t, h, plast.n_in, max_delay, plast.post_state, plast.post_par,
                           plast.hist, plast.spike_view, counters)
"""

_VT_SPIKE = """\
            if has_vt and plast.vt_local[i] >= 0:  # a dopamine neuron: arrivals at t + delay
                counters[C_DA_LATE] += vt_spike(plast.da_ptr, plast.da_time, plast.da_mult,
                                                plast.vt_ptr, plast.vt_rule, plast.vt_local[i],
                                                t, h)[0]
"""

_HW_SPIKE = """\
            if out.hw_spikes.shape[0]:
                out.hw_spikes[i] += 1
                if syn.local_row[i] >= 0:
                    out.hw_row_spikes[syn.local_row[i]] += 1
"""


@dataclass(frozen=True)
class KernelPlan:
    """What a network's kernels need: ``models``, the (registry id, module) of every neuron
    model with an update kernel, in id order; ``rules``, the (kind, pairing) of every plastic
    rule (kernels/plasticity.py), sorted.  A model's module with ``update_events`` brings the
    event-driven path, the dopamine rule the volume transmitters' code; stimuli and hardware
    counters are checked at run time (their code is small); ``procedural`` brings the
    regeneration of procedural synapses and the far queue (kernels/procedural.py); ``threads``
    the parallel step of kernels/threads.py (numba's ``parallel=True``, compiled only then)."""

    models: tuple
    rules: tuple = ()
    procedural: bool = False
    threads: bool = False

    @property
    def event_module(self):
        """The module of the model with an event-driven update (None: none)."""
        import importlib

        found = [m for _, m in self.models if hasattr(importlib.import_module(m), "update_events")]
        return found[0] if found else None

    @property
    def dopamine(self):
        from .plasticity import STDP_DOPAMINE

        return any(kind == STDP_DOPAMINE for kind, _ in self.rules)

    def source(self):
        """The text of the kernels' module."""
        from .plasticity import PAIR_ALL, SHORT_TERM, STDP, STDP_DOPAMINE, STDP_PL_HOM

        imports = [f"from {module} import update as update_{mid}" for mid, module in self.models]
        if self.event_module:
            imports.append(f"from {self.event_module} import update_events")
        plastic = []
        if self.rules:
            plastic += [
                "C_HIST_FULL",
                "C_PAIRING",
                "PAIR_ALL",
                "STDP_DOPAMINE",
                "dopamine_segment",
                "post_spike",
                "stdp_segment",
                "stdp_view_segment",
            ]
        if any(kind in SHORT_TERM for kind, _ in self.rules):
            imports.append("from distsim.kernels.short_term import stp_segment")
        if self.dopamine:
            plastic += ["dopamine_room", "vt_spike"]
            imports.append("from distsim.kernels.engine import C_DA_LATE")
        if self.procedural:
            imports.append("from distsim.kernels.procedural import deliver_procedural, far_drain")
        if plastic:
            imports.append(
                f"from distsim.kernels.plasticity import ({', '.join(plastic)})  # noqa: F401"
            )

        def dispatch(indent, spiked, nspk):
            return (
                "\n".join(
                    f"{indent}{'if' if k == 0 else 'elif'} model == {mid}:\n"
                    f"{indent}    {nspk} = update_{mid}(lo, hi, pb, ps, nrn.par, nrn.st, nrn.refr,"
                    f" h, ex_line, in_line, cur_line, {spiked}, {nspk})"
                    for k, (mid, _) in enumerate(self.models)
                )
                or f"{indent}pass"
            )

        events = _EVENTS if self.event_module else ""
        if self.threads:
            step = Template(_STEP_THREADS).substitute(events=events)
        else:
            step = Template(_STEP_SERIAL).substitute(
                events=events, dispatch=dispatch(" " * 12, "spiked", "nspk")
            )
        plastic_test = "seg_plastic[sg] >= 0" if self.rules else "False"
        advance = Template(_ADVANCE).substitute(
            parallel=", parallel=True" if self.threads else "",
            threads_doc=_THREADS_DOC if self.threads else "",
            stop_plastic=(" or counters[C_HIST_FULL]" if self.rules else "")
            + (" or (has_vt and not dopamine_room(plast.da_ptr))" if self.dopamine else ""),
            far_drain=_FAR_DRAIN if self.procedural else "",
            step=step,
            post_spike=(_POST_SPIKE if self.rules else "") + (_VT_SPIKE if self.dopamine else ""),
            hw_spike=_HW_SPIKE,
            proc_spike=_PROC_SPIKE if self.procedural else "",
            deliver_here="deliver_rest" if self.threads else "deliver",
            rows_src="thr.rows, thr.steps" if self.threads else "out.rows, out.steps",
            rows_reset="" if self.threads else "        n_rows = 0\n",
            proc_deliver=_PROC_DELIVER if self.procedural else "",
            tail=_TAIL_THREADS if self.threads else "",
        )
        deliver = Template(_DELIVER).substitute(
            name="deliver",
            which="",
            skip_static="",
            plastic_test=plastic_test,
            plastic_call=_PLASTIC_CALL if self.rules else "                pass",
        )
        if self.threads:
            deliver += Template(_DELIVER).substitute(
                name="deliver_rest",
                which="plastic and event-driven",
                skip_static="            if not (plastic or lazy):  # the threads deliver it\n"
                "                continue\n",
                plastic_test=plastic_test,
                plastic_call=_PLASTIC_CALL if self.rules else "                pass",
            )
            deliver += Template(_THREAD_DELIVER).substitute(plastic_test=plastic_test)
            deliver += Template(_THREAD_WINDOW).substitute(
                dispatch=dispatch(" " * 12, "spiked", "nspk")
            )
        text = Template(_HEADER).substitute(what=self.describe(), imports="\n".join(imports))
        text += advance + deliver
        if self.rules:
            branches = [_DOPAMINE] if self.dopamine else []
            for kind in (STDP_PL_HOM, STDP):  # one delay, all-to-all: from the views
                if (kind, PAIR_ALL) in self.rules:
                    branches.append(Template(_VIEW).substitute(kind=kind))
            for kind, pairing in self.rules:
                if kind in SHORT_TERM:
                    branches.append(Template(_SHORT_TERM).substitute(kind=kind))
                elif kind != STDP_DOPAMINE:
                    branches.append(Template(_PAIRED).substitute(kind=kind, pairing=pairing))
            text += Template(_PLASTIC_SEGMENT).substitute(branches="\n".join(branches))
        return text

    def describe(self):
        parts = [", ".join(module.rsplit(".", 1)[-1] for _, module in self.models) or "no model"]
        parts += [f"rule {kind}/{pairing}" for kind, pairing in self.rules]
        parts += ["procedural synapses"] if self.procedural else []
        return "; ".join(parts + (["threads"] if self.threads else []))


_LOADED = {}


def kernels(plan):
    """The module of ``plan``'s kernels (``advance``, ``deliver``): written into the kernel
    cache the first time, then imported (numba compiles it at the first call, or loads it
    from its cache)."""
    text = plan.source()
    key = hashlib.sha256(text.encode()).hexdigest()[:20]
    if key in _LOADED:
        return _LOADED[key]
    folder = os.path.join(kernel_cache_dir(), "composed")
    os.makedirs(folder, exist_ok=True)
    name = f"distsim_kernels_{key}"
    path = os.path.join(folder, f"{name}.py")
    write_once(path, text)
    module = import_file(name, path)
    _LOADED[key] = module
    return module
