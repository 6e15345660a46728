"""The network of a run store or checkpoint: its description as JSON in the root's
``network`` attribute, its large arrays (spike sources' times, explicit connection lists,
per-synapse weights and delays; ``Network.to_dict(arrays=...)``) as zarr arrays
``network/KEY`` beside it, so a store of millions of input spikes keeps them as 8 B
values, not as JSON text."""

import json

from distsim.network import Network


def network_attr(group, net, written=None):
    """Write ``net``'s arrays under ``group/network/`` and return its JSON description; with
    ``written`` (a dict), put each array there under its path."""
    arrays = {}
    desc = json.dumps(net.to_dict(arrays=arrays))
    for key, a in arrays.items():
        group.create_array(f"network/{key}", data=a, overwrite=True)
        if written is not None:
            written[f"network/{key}"] = a
    return desc


def read_network(group, attrs, read=None):
    """The Network of a store or checkpoint root ``group`` with attributes ``attrs``;
    ``read(name)`` reads an array (default: as it is)."""
    read = read or (lambda name: group[name][:])
    try:
        desc = json.loads(attrs["network"])
    except (KeyError, TypeError, ValueError) as exc:
        from distsim.errors import StoreError

        raise StoreError(
            f"{group.store}: the network description cannot be read ({exc}); the store is damaged"
        ) from None
    return Network.from_dict(desc, arrays=lambda key: read(f"network/{key}"))
