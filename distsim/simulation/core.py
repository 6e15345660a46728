"""Simulation(network, context, decomposition, backend): build the local part, run, collect.

The Simulation orchestrates parts with one job each (after Arbor's simulation, cell groups
and communicator):

    neurons.NeuronGroups          the rank's neurons, their parameters and states
    synaptic_input.SynapticInput  the ring buffers of input waiting for its step
    stimuli.build_stimuli         Poisson and DC stimuli, spike-source schedules
    connectivity (SynapseTable)   the rank's incoming synapses, source-indexed
    procedural.ProceduralSynapses the procedural projections, regenerated at every spike
    plasticity.PlasticSynapses    plastic weights, traces, spike histories, dopamine
    devices.DeviceSynapses        PCM/RRAM device synapses
    recording.Recorders           recorded spikes, outgoing spikes, counters, samplers
    remote.RemoteSpikes           spikes of other ranks waiting for their slots
    comm.exchange                 the exchange backend that drives ``compute``

Each part owns its arrays as a named tuple (kernels/state.py); the step kernels
(kernels/compose.py: only the models and rules the network uses) take them by name.
``run(t_ms)`` may be called repeatedly and continues exactly where it stopped.
"""

import hashlib
import logging
import math
import time

import numpy as np

from .. import arrays
from ..compile_clock import compile_seconds
from ..connectivity import SEG_WOFS, SEG_WQ, build_synapse_table, projection_synapses
from ..errors import CommunicationError, ConfigError, failure_reason
from ..kernels import procedural as kp
from ..kernels.compose import KernelPlan, kernels
from ..kernels.direct_call import DirectCall
from ..kernels.engine import (
    C_CYC_DELIVER,
    C_CYC_FAR,
    C_CYC_PROC,
    C_CYC_STIM,
    C_CYC_UPDATE,
    C_DA_LATE,
    C_EVENTS,
    C_RECORDED,
    C_SCHEDULE,
    C_SPIKES,
    read_cycles,
)
from ..kernels.fixed import FIXED_BITS
from ..kernels.plasticity import C_HIST_FULL
from ..kernels.state import Synapses
from .devices import DeviceSynapses
from .digest import packed_spikes, spike_digest
from .neurons import NeuronGroups, kernel_models
from .plasticity import PlasticSynapses
from .procedural import ProceduralSynapses
from .recording import Recorders
from .remote import RemoteSpikes
from .stimuli import build_stimuli
from .synaptic_input import DENSE_RING_BYTES, NEAR_RING_SLOTS, SynapticInput
from .threads import BALANCE_STEPS, RankThreads

log = logging.getLogger(__name__)

_DIGEST_CHUNK_SPIKES = 1 << 22  # spikes per gather when digesting across ranks
PHASES = ("stimuli", "update", "deliver", "procedural", "far_queue", "remote", "exchange")


class Simulation:
    """Simulate ``network`` on this rank of ``context`` (default: MPI when started by an MPI
    launcher, else one process) with ``decomposition`` (a Decomposition or a balancer name;
    default "block") and the spike exchange ``backend`` ("collective", "async" or "routed").

    With ``store`` (a path), recorded spikes and samples go to a zarr run store
    (distsim/store/LAYOUT.md), flushed every ``flush_steps`` steps or when the buffered spikes
    exceed ``flush_mb`` MB, and at the end of every ``run``; the path must be new, an empty
    folder, or (with ``overwrite``) an earlier run store, whose files are replaced
    (store/ownership.py: nothing distsim did not write is ever removed).  ``resume_store``
    (with ``restore``) appends to the store of the run the checkpoint came from.
    ``event_driven=False`` computes every neuron in every step (neurons.py).
    ``rank_grid`` (comm.routing.RankGrid) places the ranks on a fabric for the ``routed``
    backend.  ``hardware_counters`` counts, per local neuron, the steps with synaptic input and the
    spikes, and per source row the spikes delivered (``hardware_counts``; distsim.hardware
    turns them into per-chip and per-link counts).  ``ring_slots`` sets the slots of the ring
    buffer where procedural delays are longer (the rest waits in the far queue; default: all
    while the ring stays under 256 MB, else 40).  ``threads`` splits the rank's neurons among
    that many threads (kernels/threads.py): the same spikes, bit for bit, for any number.

    Under MPI every rank must construct the Simulation and call ``run``, ``summary`` and
    ``digest`` (they are collective); ``spikes`` and ``states`` return this rank's part.
    """

    def __init__(
        self,
        network,
        context=None,
        decomposition=None,
        backend="collective",
        store=None,
        flush_steps=10000,
        flush_mb=64.0,
        resume_store=False,
        event_driven=True,
        hardware_counters=False,
        rank_grid=None,
        overwrite=False,
        ring_slots=None,
        threads=1,
    ):
        from distsim.comm import default_context
        from distsim.comm.exchange import make_exchange
        from distsim.comm.routing import build_routing, row_delay_bounds
        from distsim.partition import Decomposition, get_balancer

        t0, compiled0 = time.perf_counter(), compile_seconds()
        self._clock0 = (t0, read_cycles())  # (seconds, cycles): to convert cycles
        self.network = network
        self.context = context or default_context()
        size = self.context.size
        if decomposition is None or isinstance(decomposition, str):
            decomposition = get_balancer(decomposition or "block")(network, size)
        if not isinstance(decomposition, Decomposition):
            raise ConfigError(
                f"Simulation: decomposition {decomposition!r} is neither a Decomposition nor a "
                f"balancer name"
            )
        if decomposition.n_ranks != size or decomposition.n_gids != network.n_neurons:
            raise ConfigError(
                f"Simulation: decomposition is for {decomposition.n_ranks} ranks and "
                f"{decomposition.n_gids} gids but the context has {size} ranks and the network "
                f"{network.n_neurons} neurons; compute the decomposition for this network and "
                f"{size} ranks"
            )
        if not (isinstance(flush_steps, int) and flush_steps >= 1 and flush_mb > 0):
            raise ConfigError(
                f"Simulation: flush_steps {flush_steps!r} and flush_mb {flush_mb!r} must be a "
                f"positive number of steps and of megabytes"
            )
        self.decomposition = decomposition
        self.dt = network.dt
        self.step = self._first_step = self._last_flush = 0
        self.neurons = NeuronGroups(network, decomposition.local_gids(self.context.rank))
        self.local_gid, self.n_local = self.neurons.local_gid, self.neurons.n_local
        self.table = build_synapse_table(network, self.neurons.local_by_pop)
        arrays.release_freed_memory()
        self.procedural = ProceduralSynapses(network, self.neurons)
        self.procedural.check_input_range()
        self.stimuli, longest = build_stimuli(network, self.neurons)
        self.threads = RankThreads(threads, self.n_local, self.table, self.stimuli, network)
        self.ns, far_steps = self._ring_slots(max(self.table.max_delay, longest) + 1, ring_slots)
        lazy_local = self.neurons.make_event_driven(event_driven)
        self.input = SynapticInput(
            self.ns,
            self.n_local,
            lazy_local,
            far_steps,
            dc=self.stimuli.dc_ptr.size > 1,
            procedural=self.procedural.any,
        )
        self.recorders = Recorders(
            network, self.neurons, self.table.row_gid.size, hardware_counters
        )
        self.devices = DeviceSynapses(network, self.table, self.local_gid, self.context)
        row_min_delay, row_max_delay = row_delay_bounds(self.table)
        self.plasticity = PlasticSynapses(
            network, self.table, self.neurons, self.context, decomposition, row_min_delay
        )
        if network.weight_recorders:  # (the plastic state costs tens of bytes per synapse)
            self.recorders.add_weight_samplers(network, self.plasticity.state())
        self.routing = build_routing(
            self.context,
            decomposition,
            *_sources(self.table.row_gid, row_min_delay, *self.procedural.sources()),
            self.local_gid,
        )
        if self.plasticity.vt_live_anywhere:  # every rank builds this routing (a collective)
            self.routing = self.plasticity.with_vt_routing(self.routing, build_routing)
        self.recorders.set_send_flag(self.routing.send_flag)
        self.remote = RemoteSpikes(
            self.table.row_gid,
            row_min_delay,
            row_max_delay,
            self.plasticity,
            self._deliver_rows,
            self.context.rank,
            self.procedural,
            self._deliver_procedural,
        )
        self.syn = Synapses(
            self.table.seg_ptr,
            self.table.seg,
            self.table.syn_target,
            self.table.syn_weight,
            self.table.syn_delay,
            _segments_onto_lazy(network, self.table, self.neurons),
            _local_rows(self.table, self.local_gid),
        )
        self.input.reset_event_lists(self.step, self.neurons.arrays.last)
        self.kernels = self._compiled_kernels()
        step_by_step = (  # what the threads leave to one thread, in every step
            self.plasticity.kernel_rules() or self.procedural.any or self.neurons.arrays.lazy.any()
        )
        if not step_by_step:
            self.threads.set_window(self.table.min_delay)
        self._advance = DirectCall(self.kernels.advance)
        self._deliver = DirectCall(self.kernels.deliver)
        self._deliver_procedural_kernel = DirectCall(kp.deliver_procedural)
        self.rank_grid = rank_grid
        self.exchange = make_exchange(backend, self)
        self.flush_steps, self.flush_bytes = flush_steps, int(flush_mb * 1e6)
        self.writer = None
        self._store, self._resume_store = store, resume_store
        if store is not None and not resume_store:
            from distsim.store import RunWriter

            self.writer = RunWriter(store, self, overwrite=overwrite)
        self.compile_seconds = compile_seconds() - compiled0
        self.build_seconds = time.perf_counter() - t0 - self.compile_seconds
        self.run_seconds = 0.0  # advancing the network (compilation and store writes apart)
        self.store_seconds = 0.0  # writing spikes and samples to the store
        self.checkpoint_seconds = 0.0
        self.remote_seconds = 0.0  # delivering other ranks' spikes

    def _ring_slots(self, needed, ring_slots):
        """(slots of the ring, longest procedural delay when the far queue takes what lies
        beyond the ring, else 0): ``needed`` covers the stored synapses and stimuli; the
        procedural delays too while the ring stays under DENSE_RING_BYTES, else
        NEAR_RING_SLOTS do (``ring_slots``: that many)."""
        longest = self.procedural.longest_delay_steps()
        dense = max(needed, longest + 1)
        if ring_slots is not None:
            if not isinstance(ring_slots, int) or ring_slots < 2:
                raise ConfigError(
                    f"Simulation: ring_slots {ring_slots!r} is not a whole number >= 2; give "
                    f"one, or leave it out"
                )
            ns = min(max(needed, ring_slots), dense)
        elif 16 * dense * self.n_local <= DENSE_RING_BYTES:
            ns = dense
        else:
            ns = max(needed, min(dense, NEAR_RING_SLOTS))
        return ns, (longest if longest >= ns else 0)

    def kernel_plan(self):
        """The models and rules this network's step kernels need (compose.py)."""
        return KernelPlan(
            models=kernel_models(self.network),
            rules=self.plasticity.kernel_rules(),
            procedural=self.procedural.any,
            threads=self.threads.n > 1,
        )

    def _compiled_kernels(self):
        """The step kernels, compiled now (collective): with several ranks rank 0 compiles
        first and the others then load them from the kernel cache instead of compiling the
        same code at once."""
        from ..precompile import compile_plan

        plan = self.kernel_plan()
        types = (self.table.syn_target.dtype, self.table.syn_delay.dtype)
        if self.context.rank == 0:
            compile_plan(plan, *types)
        self.context.allreduce(0)
        if self.context.rank != 0:
            compile_plan(plan, *types)
        return kernels(plan)

    @property
    def counters(self):
        return self.recorders.counters

    # ------------------------------------------------------------------ run
    def run(self, t_ms, complete=True):
        """Advance the simulation by ``t_ms`` ms (a multiple of dt).  With a store, the run
        is ``complete`` at the end (flushed and marked so); ``complete=False`` runs a part of
        a longer run (the CLI's chunks): the store stays "running" and is flushed at its
        interval only, until ``end_run``."""
        # Schedule: one process computes the whole span (compute); several ranks alternate
        # computing and exchanging spikes as the backend prescribes (comm/exchange.py):
        #   collective: windows of W = min delay between ranks, an Alltoallv after each;
        #   async:      chunks up to each rank's horizon from its incoming link clocks;
        #   routed:     hop by hop over a grid of ranks, link clocks in fabric time.
        # compute(upto), on each rank:
        #   until upto:
        #     stop = next sampling step, next flush, or upto
        #     advance(step -> stop) in one numba call; per step t it
        #       1. adds the Poisson counts and DC currents that arrive in step t,
        #       2. updates every neuron group (its model's update), reading and clearing
        #          ring slot t -- event-driven groups only the neurons listed for slot t --
        #          and collects threshold crossings and scheduled source spikes,
        #       3. records the spikes of recorded neurons, queues those with targets on
        #          other ranks, and delivers every spike through the source-indexed CSR
        #          into the slots t + d of its local targets;
        #     if a buffer might overflow, advance stops before the step: grow it (a spike
        #       history, the dopamine arrivals, or the spike buffers, after a flush) and
        #       resume (nothing is ever dropped);
        #     at a sampling step, copy the recorded state variables and weights.
        n = t_ms / self.dt
        if not (t_ms >= 0 and abs(n - round(n)) <= 1e-9 * max(1.0, n)):
            raise ConfigError(
                f"Simulation.run: duration {t_ms} ms is not a non-negative multiple of dt = "
                f"{self.dt} ms; use a multiple of dt"
            )
        if not self.context.can_run:
            raise ConfigError(
                f"Simulation.run: a {self.context.name} context only pretends to be rank "
                f"{self.context.rank} of {self.context.size}; run under mpiexec with an "
                f"MPIContext, or with one LocalContext"
            )
        end = self.step + int(round(n))
        self.threads.use()
        t0, compiled0, stored0 = time.perf_counter(), compile_seconds(), self.store_seconds
        if self.writer is not None and not self.writer.running:
            self.writer.begin(self)
        try:
            if self.context.size == 1:
                self.compute(end)
            else:
                self.exchange.run(end)
        except BaseException as exc:
            self.fail(exc)
            raise
        finally:
            compiled = compile_seconds() - compiled0
            self.compile_seconds += compiled
            self.run_seconds += time.perf_counter() - t0 - compiled - (self.store_seconds - stored0)
        if complete:
            self.end_run("complete")

    def compute(self, upto):
        """Compute the steps up to ``upto`` on this rank (the exchange calls it between its
        messages; spikes for other ranks queue up in the outgoing buffer)."""
        counters, plasticity, recorders = self.counters, self.plasticity, self.recorders
        threads = self.threads
        if threads.balance_at is None:
            threads.balance_at = self.step + BALANCE_STEPS
        while self.step < upto:
            stop = upto
            if threads.balance_at > self.step:
                stop = min(stop, threads.balance_at)
            nxt = recorders.next_sample(self.step)
            if nxt is not None:
                stop = min(stop, nxt)
            if self.writer is not None:
                stop = min(stop, self._last_flush + self.flush_steps)
            reached = self._advance(
                self.step,
                stop,
                self.dt,
                self.ns,
                self.table.max_delay,
                self.neurons.arrays,
                self.input.arrays,
                self.stimuli,
                self.syn,
                plasticity.arrays,
                recorders.arrays,
                self.procedural.arrays,
                self.threads.arrays,
            )
            self.step = reached
            if counters[C_DA_LATE]:
                raise CommunicationError(
                    f"rank {self.context.rank}: {counters[C_DA_LATE]} dopamine spikes of "
                    f"local neurons arrive in or before a step whose presynaptic spikes were "
                    f"processed without them (before step {reached}); a remote presynaptic "
                    f"spike was processed too early"
                )
            if reached < stop and counters[C_HIST_FULL]:
                plasticity.grow_history()
                counters[C_HIST_FULL] = 0
            elif reached < stop and plasticity.da_live and not plasticity.dopamine_room():
                plasticity.grow_dopamine()
            elif reached < stop and not self._flush_if_full():
                recorders.grow()
            if reached == stop:
                recorders.sample(self.step, self.neurons, plasticity.arrays.syn_pw)
            if reached == threads.balance_at:
                threads.balance()
            if self.writer is not None and self.step >= self._last_flush + self.flush_steps:
                self.flush()

    def _flush_if_full(self):
        """Flush instead of growing the record buffer once it holds ``flush_mb``."""
        if self.writer is None or self.recorders.buffered_bytes() < self.flush_bytes:
            return False
        self.flush()
        return self.recorders.room_for(self.n_local)

    def end_run(self, status, reason=None):
        """Flush, and mark the store ``status`` (collective): "complete" when the whole
        requested run has finished, "stopped" after a checkpoint, "interrupted" by a signal
        (with the ``reason``).  A no-op without a store."""
        if self.writer is None:
            return
        try:
            self.flush()
        except Exception as exc:
            self.fail(exc)
            raise
        self.context.allreduce(0)  # every rank has flushed before the store says so
        self.writer.close(self, status, self.rank_counters(), reason)

    def fail(self, exc):
        """A run ends with ``exc`` on this rank: keep what was recorded, and mark this rank's
        part of the store (on rank 0 the store) "interrupted" (Ctrl-C) or "failed", with the
        reason, as far as the disk still takes it."""
        if self.writer is None:
            return
        status = "interrupted" if isinstance(exc, KeyboardInterrupt) else "failed"
        reason = failure_reason(exc, self.context.rank)
        try:
            self.flush()
        except Exception as flush_exc:  # e.g. the disk is full: say so, mark what we can
            reason += (
                f"; the last {int(self.counters[C_RECORDED])} recorded spikes could "
                f"not be written ({failure_reason(flush_exc, self.context.rank)})"
            )
        try:
            self.writer.mark(status, reason)
        except Exception as mark_exc:
            log.error("run store %s could not be marked %s: %s", self.writer.path, status, mark_exc)

    def flush(self):
        """Write this rank's buffered spikes and samples to the store (a no-op without)."""
        if self.writer is None:
            return
        t0 = time.perf_counter()
        self.recorders.flush(self.writer, self.step)
        self._last_flush = self.step
        self.store_seconds += time.perf_counter() - t0

    # ------------------------------------------------------------------ exchange
    def deliver_remote(self, packed, base):
        """Take packed spikes of other ranks' neurons (comm/wire.py), emitted after step
        ``base`` (remote.py)."""
        t0 = time.perf_counter()
        self.remote.take(packed, base, self.step, self.ns)
        self.remote_seconds += time.perf_counter() - t0

    def deliver_pending(self):
        """Deliver the waiting remote spikes whose arrival steps now all fit in the ring."""
        t0 = time.perf_counter()
        self.remote.deliver_due(self.step, self.ns)
        self.remote_seconds += time.perf_counter() - t0

    def pending_horizon(self):
        """Last step that may be computed before a waiting remote spike must be delivered."""
        return self.remote.horizon()

    def outgoing(self):
        """The spikes computed since the last call for other ranks: (steps, local indices)."""
        return self.recorders.outgoing()

    def _deliver_rows(self, rows, steps, n):
        events, late = self._deliver(
            rows,
            steps,
            n,
            self.step,
            self.ns,
            self.dt,
            self.input.arrays,
            self.syn,
            self.plasticity.arrays,
        )
        hw_row_spikes = self.recorders.arrays.hw_row_spikes
        if hw_row_spikes.size:
            np.add.at(hw_row_spikes, rows[:n], 1)
        if late:
            raise CommunicationError(
                f"rank {self.context.rank}: {late} synaptic events arrived after their step "
                f"(now step {self.step}); the exchange let a rank miss a spike"
            )
        self.counters[C_EVENTS] += events

    def _deliver_procedural(self, gids, steps):
        """Regenerate the procedural synapses onto this rank of remote spikes of ``gids``
        emitted in ``steps`` (kernels/procedural.py)."""
        events, late = self._deliver_procedural_kernel(
            gids, steps, gids.size, self.step, self.ns, self.input.arrays, self.procedural.arrays
        )
        if late:
            raise CommunicationError(
                f"rank {self.context.rank}: {late} procedural synaptic events arrived after "
                f"their step (now step {self.step}); the exchange let a rank miss a spike"
            )
        self.counters[C_EVENTS] += events

    # ------------------------------------------------------------------ checkpoints
    def checkpoint(self, path, overwrite=False):
        """Write the state at the current step to the zarr checkpoint ``path`` (collective):
        a new path or empty folder, or with ``overwrite`` an earlier checkpoint.
        ``Simulation.restore`` continues from it on any number of ranks."""
        from distsim.store.checkpoint import write_checkpoint

        t0 = time.perf_counter()
        self.flush()
        self.neurons.catch_up(self.step)
        write_checkpoint(self, path, overwrite)
        self.checkpoint_seconds += time.perf_counter() - t0

    @classmethod
    def restore(cls, path, context=None, decomposition=None, backend="collective", **options):
        """A Simulation at the step of checkpoint ``path``, built anew for this context and
        decomposition (any rank count, any balancer); ``options`` as for the constructor."""
        from distsim.store.checkpoint import load_checkpoint, read_checkpoint_attrs, read_verified
        from distsim.store.network_io import read_network

        root, attrs = read_checkpoint_attrs(path)
        network = read_network(root, attrs, lambda name: read_verified(root, attrs, name))
        sim = cls(network, context, decomposition, backend, **options)
        load_checkpoint(sim, root, attrs)
        return sim

    def load_plastic_state(self, parts):
        """Take the plastic state of a checkpoint's ranks (PlasticSynapses.state of each)
        that belongs to this rank's synapses and neurons."""
        self.plasticity.load(parts)
        self.counters[C_HIST_FULL] = 0

    def set_step(self, step):
        """Position a freshly built simulation at ``step`` (used by restore); a store given
        with ``resume_store`` is opened now, to continue from that step."""
        from distsim.comm.exchange import make_exchange

        self.step = self._last_flush = self._first_step = int(step)
        self.plasticity.known_up_to(step)  # every dopamine arrival up to the step is in
        self.counters[C_SCHEDULE] = np.searchsorted(self.stimuli.ss_step, step, side="right")
        self.input.reset_event_lists(step, self.neurons.arrays.last)
        self.exchange = make_exchange(self.exchange.name, self)
        if self._store is not None and self._resume_store:
            from distsim.store import RunWriter

            self.writer = RunWriter(self._store, self, resume=True)
        elif self.writer is not None:
            self.writer.begin(self)

    def age_devices(self, age_s):
        """Read every device synapse at ``age_s`` seconds after programming (devices.py);
        collective."""
        self.devices.age(age_s)

    @property
    def device_age_s(self):
        return self.devices.age_s

    # ------------------------------------------------------------------ results
    @property
    def t(self):
        """Model time reached (ms)."""
        return self.step * self.dt

    def spikes(self, population=None):
        """This rank's recorded spikes (in the store and in memory) as (times_ms, gids),
        sorted by (step, gid); optionally of one population only."""
        steps, gids = self.spike_steps()
        if population is not None:
            pop = self.network.population(population, "Simulation.spikes")
            keep = (gids >= pop.first_gid) & (gids < pop.first_gid + pop.size)
            steps, gids = steps[keep], gids[keep]
        order = np.lexsort((gids, steps))
        return steps[order] * self.dt, gids[order]

    def spike_steps(self):
        """This rank's recorded spikes as (steps, gids), in the store and in memory."""
        steps, gids = self.recorders.recorded()
        if self.writer is not None and self.writer.flushed_spikes:
            k = self.writer.flushed_spikes
            steps = np.concatenate((self.writer.group["spike_step"][:k], steps))
            gids = np.concatenate((self.writer.group["spike_gid"][:k], gids))
        return steps, gids

    def states(self, index=0):
        """Samples of state recorder ``index`` on this rank: dict with 'times' (ms), 'gids'
        and one (n_samples, n_neurons) array per variable (from the store and memory)."""
        steps, values = self.recorders.buffered_samples(index)
        if self.writer is not None and self.writer.flushed_samples[index]:
            k = self.writer.flushed_samples[index]
            g = self.writer.group[f"state/{index}"]
            steps = np.concatenate((g["step"][:k], steps))
            values = {
                var: np.concatenate((g[var][:k].astype(np.float64), v)) for var, v in values.items()
            }
        return {"times": steps * self.dt, "gids": self.recorders.samplers[index]["gids"], **values}

    def synapses_of(self, projection, where="Simulation"):
        """(synapse indices in the table, their segments, positions within the segment,
        source rows) of the local synapses of one projection (by name) or all (None)."""
        return projection_synapses(self.table, self.network, projection, where)

    def connections(self, projection=None):
        """The local synapses (of one projection, by name, or all) as a dict of arrays
        ``source``, ``target`` (gids), ``weight`` and ``delay`` (ms) and ``projection``
        (index), like NEST's GetConnections; weights are those the kernels use (float32 when
        drawn; procedural ones in fixed point, regenerated: the same on every call)."""
        stored = self._stored_connections(projection)
        names = [p.name for p in self.network.projections]
        proc = [projection] if projection in self.procedural.index else []
        if projection is None:
            proc = list(self.procedural.index)
        parts = [stored]
        for name in proc:
            part = self.procedural.connections(name, self.local_gid)
            part["projection"] = np.full(part["source"].size, names.index(name), np.int64)
            parts.append(part)
        if len(parts) == 1:
            return stored
        return {
            key: np.concatenate(
                [np.asarray(p[key], np.float64 if key == "weight" else None) for p in parts]
            )
            for key in stored
        }

    def _stored_connections(self, projection):
        """``connections`` of the synapse table."""
        tb = self.table
        sel, syn_seg, pos, rows = self.synapses_of(projection, "Simulation.connections")
        wofs = tb.seg[syn_seg, SEG_WOFS]
        weight = np.where(
            wofs < 0,
            tb.seg[syn_seg, SEG_WQ] * 2.0**-FIXED_BITS,
            tb.syn_weight[np.where(wofs < 0, 0, wofs + pos)] if tb.syn_weight.size else 0.0,
        )
        plast = self.plasticity.arrays
        plastic = plast.seg_plastic[syn_seg] >= 0
        if plastic.any():  # current weights of plastic synapses
            p = plast.seg_plastic[syn_seg[plastic]]
            weight = weight.astype(np.float64)
            weight[plastic] = plast.syn_pw[plast.pl_meta[p, 0] + pos[plastic]]
        dofs = tb.seg_dofs[syn_seg]
        delay = np.where(
            tb.seg_delay[syn_seg] > 0,
            tb.seg_delay[syn_seg],
            tb.syn_delay[np.where(dofs < 0, 0, dofs + pos)] if tb.syn_delay.size else 0,
        )
        return {
            "source": tb.row_gid[rows],
            "target": self.local_gid[tb.local_targets(sel, syn_seg)],
            "weight": weight,
            "delay": delay * self.dt,
            "projection": tb.seg_proj[syn_seg],
        }

    def digest(self):
        """Spike digest of all ranks' recorded spikes (collective).  With several ranks the
        spikes reach rank 0 in chunks of steps (sorted by step first, the SHA-256 is fed chunk
        by chunk), so memory stays bounded; the result is broadcast to every rank."""
        steps, gids = self.spike_steps()
        ctx = self.context
        if ctx.size == 1:
            return spike_digest(steps, gids)
        total = ctx.allreduce(int(steps.size), "sum")
        n_chunks = max(1, -(-total // _DIGEST_CHUNK_SPIKES))
        bounds = np.linspace(0, self.step + 1, n_chunks + 1).round().astype(np.int64)
        sha = hashlib.sha256()
        for lo, hi in zip(bounds[:-1], bounds[1:]):
            keep = (steps >= lo) & (steps < hi)
            parts = ctx.gather((steps[keep], gids[keep]))
            if ctx.rank == 0:
                sha.update(
                    packed_spikes(
                        np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
                    )
                )
        return ctx.bcast(sha.hexdigest() if ctx.rank == 0 else None)

    def hardware_counts(self):
        """This rank's hardware counters since the build (``hardware_counters=True``): steps
        computed, and per local neuron (gid, steps with synaptic input, spikes) and per
        source row (gid, spikes delivered through its local synapses)."""
        out = self.recorders.arrays
        if not out.hw_spikes.size and self.n_local:
            raise ConfigError(
                "Simulation.hardware_counts: the simulation was built without "
                "hardware_counters=True; build it with them"
            )
        return {
            "steps": int(self.step - self._first_step),
            "gid": self.local_gid,
            "active_steps": out.hw_active,
            "spikes": out.hw_spikes,
            "row_gid": self.table.row_gid,
            "row_spikes": out.hw_row_spikes,
        }

    def phase_seconds(self):
        """This rank's simulation time by phase (PHASES): stimuli, neuron updates, stored
        and procedural synapses of local spikes, emptying the far queue (from the kernels'
        cycle counters), remote spikes, and the rest (the exchange: packing, sending,
        waiting)."""
        t0, c0 = self._clock0
        per_cycle = (time.perf_counter() - t0) / max(read_cycles() - c0, 1)
        c = self.counters
        kernel = np.array(
            [c[C_CYC_STIM], c[C_CYC_UPDATE], c[C_CYC_DELIVER], c[C_CYC_PROC], c[C_CYC_FAR]]
        )
        kernel = kernel * per_cycle
        rest = max(self.run_seconds - kernel.sum() - self.remote_seconds, 0.0)
        return np.r_[kernel, self.remote_seconds, rest]

    def rank_counters(self):
        """This rank's counters: neurons, stored synapses, spikes, synaptic events, the
        process's peak resident memory, procedural input waiting in the far queue (entries
        now, capacity), and the exchange's counters (comm/exchange.py: spikes, messages and
        bytes sent and received, windows and steps, seconds computing, delivering remote
        spikes, waiting and in bookkeeping)."""
        import resource

        return {
            "rank": self.context.rank,
            "neurons": int(self.n_local),
            "synapses": self.table.n_synapses,
            "spikes": int(self.counters[C_SPIKES]),
            "synaptic_events": int(self.counters[C_EVENTS]),
            "run_s": self.run_seconds,
            "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
            "far_queue": list(self.input.far_nodes),
            **self.exchange.counters,
        }

    def summary(self, digest=True):
        """Figures of the run so far over all ranks (collective): counts, and the wall time in
        building, compiling, simulating (``simulate_s``, which the real-time factor ``rtf`` is
        per model second of), writing the store and checkpoints (each the slowest rank's), and
        their sum ``wall_s``, all of this process (a restored run: since the restore);
        ``ranks`` lists every rank's counters (gathered to rank 0 only, None elsewhere;
        nothing else is gathered); ``digest=False`` skips the spike digest (a collective
        gather) when it comes from elsewhere."""
        ctx = self.context
        n_neurons = sum(
            p.size for p in self.network.populations.values() if not p.model.is_source_only
        )
        n_recorded = self.counters[C_RECORDED] + (self.writer.flushed_spikes if self.writer else 0)
        totals = ctx.allreduce(
            np.array(
                [
                    self.table.n_synapses,
                    self.counters[C_SPIKES],
                    n_recorded,
                    int(self.recorders.arrays.rec_flag.sum()),
                    self.counters[C_EVENTS],
                ],
                dtype=np.int64,
            ),
            "sum",
        )
        synapses, spikes, n_rec, recorded_neurons, events = (int(x) for x in totals)
        times = ctx.allreduce(
            np.array(
                [
                    self.build_seconds,
                    self.compile_seconds,
                    self.run_seconds,
                    self.store_seconds,
                    self.checkpoint_seconds,
                ]
            ),
            "max",
        )
        build, compiled, simulate, store, checkpoint = (float(x) for x in times)
        phases = ctx.allreduce(self.phase_seconds(), "sum") / ctx.size
        ranks = ctx.gather(self.rank_counters())
        t_s = self.t / 1000.0
        simulated_s = (self.step - self._first_step) * self.dt / 1000.0
        return {
            "neurons": int(n_neurons),
            "synapses": synapses + self.procedural.total(),
            "procedural_synapses": self.procedural.total(),
            "spikes": spikes,
            "recorded_spikes": n_rec,
            "mean_rate_hz": (n_rec / recorded_neurons / t_s) if recorded_neurons and t_s else 0.0,
            "synaptic_events": events,
            "t_model_ms": self.t,
            "build_s": build,
            "compile_s": compiled,
            "simulate_s": simulate,
            "store_s": store,
            "checkpoint_s": checkpoint,
            "wall_s": build + compiled + simulate + store + checkpoint,
            "phases_s": dict(zip(PHASES, (float(x) for x in phases))),
            "rtf": simulate / simulated_s if simulated_s else math.nan,
            "ranks_total": ctx.size,
            "backend": self.exchange.name,
            "exchange": self.exchange.describe(),
            "decomposition": self.decomposition.name,
            "digest": self.digest() if digest else None,
            "ranks": ranks if ctx.rank == 0 else None,
        }


def _segments_onto_lazy(network, table, neurons):
    """uint8 per segment of ``table``: its projection's target group is event-driven."""
    lazy = neurons.arrays.lazy
    names = list(network.populations)
    lazy_proj = np.array([lazy[names.index(p.target)] for p in network.projections], np.uint8)
    seg_lazy = arrays.zeros(table.seg.shape[0], np.uint8)
    n_seg = table.seg_proj.size
    if n_seg:
        seg_lazy[:n_seg] = lazy_proj[table.seg_proj]
    return seg_lazy


def _local_rows(table, local_gid):
    """int64 per local neuron: the table row of its spikes' local synapses (-1: none)."""
    local_row = arrays.full(local_gid.size, -1, np.int64)
    pos = np.searchsorted(table.row_gid, local_gid)
    ok = pos < table.row_gid.size
    found = np.zeros(local_gid.size, np.bool_)
    found[ok] = table.row_gid[pos[ok]] == local_gid[ok]
    local_row[found] = pos[found]
    return local_row


def _sources(row_gid, row_min_delay, proc_gid, proc_min_delay):
    """(gids, shortest delay in steps) of every source whose spikes this rank needs: the
    rows of its synapse table and the sources of procedural projections onto it."""
    if not proc_gid.size:
        return row_gid, row_min_delay  # (sorted, unique)
    gid = np.concatenate((row_gid, proc_gid))
    delay = np.concatenate((row_min_delay, proc_min_delay))
    order = np.lexsort((delay, gid))
    gid, delay = gid[order], delay[order]
    first = np.r_[True, gid[1:] != gid[:-1]]
    return gid[first], delay[first]
