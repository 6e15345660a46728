"""The network of a run store or checkpoint: its description as JSON in the root's
``network`` attribute, its large arrays (spike sources' times, explicit connection lists,
per-synapse weights and delays; ``Network.to_dict(arrays=...)``) as zarr arrays
``network/KEY`` beside it, so a store of millions of input spikes keeps them as 8 B
values, not as JSON text."""
import json

from distsim.network import Network


def network_attr(group, net):
    """Write ``net``'s arrays under ``group/network/`` and return its JSON description."""
    arrays = {}
    desc = json.dumps(net.to_dict(arrays=arrays))
    for key, a in arrays.items():
        group.create_array(f"network/{key}", data=a, overwrite=True)
    return desc


def read_network(group, attrs):
    """The Network of a store or checkpoint root ``group`` with attributes ``attrs``."""
    return Network.from_dict(json.loads(attrs["network"]),
                             arrays=lambda key: group[f"network/{key}"][:])
