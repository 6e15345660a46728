"""The routed exchange's grid, routes and fabric-latency check (the hop-by-hop transport
itself is compared spike for spike with the other backends in tests/mpi)."""

import pytest

from distsim import FixedIndegree, Network, Simulation
from distsim.comm import DryRunContext
from distsim.comm.routing import RankGrid, grid_neighbours, grid_route, rank_grid
from distsim.errors import ConfigError


def test_grid_routes_are_dimension_ordered():
    assert rank_grid(4) == (2, 2) and rank_grid(6) == (2, 3) and rank_grid(7) == (1, 7)
    assert grid_neighbours(0, (2, 2), False) == [-1, 2, -1, 1]
    assert grid_neighbours(0, (3, 3), True) == [6, 3, 2, 1]
    # x (columns) first, then y (rows); on a torus the shorter way round
    assert grid_route(0, 8, (3, 3), False) == [1, 2, 5, 8]
    assert grid_route(0, 8, (3, 3), True) == [2, 8]
    assert grid_route(5, 5, (3, 3), False) == []


def _net(delay):
    net = Network(dt=0.1, seed=1)
    net.add_population("A", "iaf_psc_delta", 40)
    net.connect("A", "A", FixedIndegree(10), weight=1.0, delay=delay)
    return net


def test_connections_must_outlast_the_fabric_latency():
    grid = RankGrid((2, 2), hop_ms=0.6)  # rank 3 is two hops from rank 0
    with pytest.raises(
        ConfigError,
        match=r"from rank 0 to rank 3 have delays down to 1 ms "
        r"but cross 2 fabric hops of 0.6 ms",
    ):
        Simulation(_net(1.0), DryRunContext(4, 3), backend="routed", rank_grid=grid)
    Simulation(_net(1.2), DryRunContext(4, 3), backend="routed", rank_grid=grid)
    with pytest.raises(ConfigError, match="2x3 rank grid needs 6 ranks, not 4"):
        Simulation(_net(1.2), DryRunContext(4, 0), backend="routed", rank_grid=RankGrid((2, 3)))
