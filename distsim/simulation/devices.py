"""Device synapses of one rank (hardware/devices.py): every local synapse of a projection
connected with ``device=`` is programmed into its device pair at the build and its weight
read at an age (drift and read noise), written into the synapse table's weights."""

import numpy as np

from ..connectivity import SEG_WOFS, projection_synapses
from ..errors import ConfigError


class DeviceSynapses:
    """The device states of ``network``'s device projections in ``table`` (whose
    ``syn_weight`` they write); ``age_s``: the age of the last read (None without devices),
    ``reads``: how many reads so far (a checkpoint restores the same next read)."""

    def __init__(self, network, table, local_gid, context):
        from distsim.hardware.devices import DeviceState

        self.table, self.context = table, context
        self.states = []
        for proj in network.projections:
            if proj.device is None:
                continue
            sel, syn_seg, pos, rows = projection_synapses(table, network, proj.name, "Simulation")
            index = table.seg[syn_seg, SEG_WOFS] + pos  # per-synapse weights (Network.connect)
            weights = table.syn_weight[index].astype(np.float64)
            w_max = proj.device.w_max or context.allreduce(
                float(np.abs(weights).max(initial=0.0)), "max"
            )
            if not w_max > 0:
                raise ConfigError(
                    f"Projection '{proj.name}': all weights are 0; a device "
                    f"needs a non-zero weight or w_max"
                )
            self.states.append(
                DeviceState(
                    proj.device,
                    network.seed,
                    proj.name,
                    index,
                    weights,
                    table.row_gid[rows],
                    local_gid[table.local_targets(sel, syn_seg)],
                    w_max,
                )
            )
        self.age_s = None
        self._reference_sums = None
        if self.states:
            self.age(0.0)

    @property
    def reads(self):
        return self.states[0].reads if self.states else 0

    def age(self, age_s):
        """Set every device synapse to a new read at ``age_s`` seconds after programming
        (drift and read noise, hardware/devices.py); collective.  The network's own run time
        is not added: ages are the hours to years over which devices drift."""
        if not self.states:
            raise ConfigError(
                "Simulation.age_devices: the network has no device synapses; "
                "connect with device=distsim.hardware.PCM()"
            )
        sums = []
        for state in self.states:
            w = state.weights_at(float(age_s))
            self.table.syn_weight[state.index] = w
            sums.append(np.abs(w).sum())
        sums = self.context.allreduce(np.array(sums), "sum")
        if self._reference_sums is None:
            self._reference_sums = sums
        for state, s, ref in zip(self.states, sums, self._reference_sums):
            if state.device.drift_compensation and s > 0:
                self.table.syn_weight[state.index] *= np.float32(ref / s)
        self.age_s = float(age_s)

    def restore_read(self, reads, age_s):
        """Read the devices again as the checkpointed run's read number ``reads`` did."""
        for state in self.states:
            state.reads = int(reads) - 1
        self.age(age_s)
