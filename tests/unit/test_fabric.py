"""Fabric topologies: links, dimension-ordered routes, hop counts and link loads, by hand."""

import numpy as np
import pytest

from distsim.errors import HardwareError
from distsim.hardware.fabric import parse_fabric, tile_hops
from distsim.hardware.profiles import load_profile


def _path(fab, src, dst):
    """(direction, from, to, level) of each link of a route."""
    return [
        (fab.link_dir[k], *map(int, fab.links[k]), fab.link_level[k]) for k in fab.route(src, dst)
    ]


def test_mesh_2x2_by_hand():
    fab = parse_fabric("mesh:2x2")  # chips: 0 (0,0) 1 (1,0) 2 (0,1) 3 (1,1)
    assert fab.n_chips == 4 and fab.n_links == 8
    assert _path(fab, 0, 3) == [("E", 0, 1, "chip"), ("N", 1, 3, "chip")]  # x first
    assert _path(fab, 3, 0) == [("W", 3, 2, "chip"), ("S", 2, 0, "chip")]
    assert fab.route(2, 2) == []
    assert fab.hop_matrix.tolist() == [[0, 1, 1, 2], [1, 0, 2, 1], [1, 2, 0, 1], [2, 1, 1, 0]]
    traffic = np.zeros((4, 4))
    traffic[0, 3], traffic[3, 0], traffic[1, 1] = 5.0, 2.0, 9.0  # the diagonal stays local
    loads = {tuple(map(int, fab.links[k])): v for k, v in enumerate(fab.link_loads(traffic))}
    assert loads == {
        (0, 1): 5.0,
        (1, 3): 5.0,
        (3, 2): 2.0,
        (2, 0): 2.0,
        (1, 0): 0.0,
        (3, 1): 0.0,
        (2, 3): 0.0,
        (0, 2): 0.0,
    }


def test_torus_goes_the_short_way():
    fab = parse_fabric("torus:4x3")
    assert fab.n_links == 12 * 4
    assert [d for d, *_ in _path(fab, 0, 3)] == ["W"]  # wrap: 1 hop, not 3
    assert [d for d, *_ in _path(fab, 0, 2)] == ["E", "E"]  # a tie goes +
    assert [d for d, *_ in _path(fab, fab.chip(0, 0), fab.chip(3, 2))] == ["W", "S"]
    assert fab.hop_matrix.max() == 2 + 1


def test_spinnaker_triangular_toroid():
    fab = parse_fabric("spinnaker:8x8")
    assert fab.n_links == 64 * 6
    assert np.bincount(fab.links[:, 0]).tolist() == [6] * 64
    assert _path(fab, 0, fab.chip(3, 2)) == [
        ("NE", 0, 9, "chip"),
        ("NE", 9, 18, "chip"),
        ("E", 18, 19, "chip"),
    ]  # diagonal first
    assert _path(fab, 0, fab.chip(7, 7)) == [("SW", 0, 63, "chip")]  # across the wrap
    assert fab.hops(0, fab.chip(3, 6)) == 5  # (+3, -2): opposite signs, no diagonal
    assert fab.hops(0, fab.chip(4, 4)) == 4
    hm = fab.hop_matrix
    assert (hm == hm.T).all() and hm.max() == 5


def test_boards_join_edges():
    fab = parse_fabric("boards:2x(mesh:2x2)")  # 2 boards in a row: a 4 x 2 grid
    assert (fab.width, fab.height, fab.n_chips) == (4, 2, 8)
    assert fab.n_links == 2 * 8 + 4  # 2 meshes + 2 rows x 2 directions
    assert _path(fab, fab.chip(0, 0), fab.chip(3, 1)) == [
        ("E", 0, 1, "chip"),
        ("E", 1, 2, "board"),
        ("E", 2, 3, "chip"),
        ("N", 3, 7, "chip"),
    ]
    tori = parse_fabric("boards:2x2(torus:3x3)")
    assert tori.n_chips == 36
    assert [lv for *_, lv in _path(tori, tori.chip(0, 0), tori.chip(2, 0))] == ["chip"]  # wrap
    assert [lv for *_, lv in _path(tori, tori.chip(0, 0), tori.chip(3, 0))] == [
        "chip",
        "chip",
        "board",
    ]


def test_chip_order_is_a_path_of_neighbours():
    for spec in ("mesh:4x3", "boards:2x2(mesh:2x2)"):
        fab = parse_fabric(spec)
        order = fab.chip_order()
        assert sorted(order) == list(range(fab.n_chips))
        assert all(fab.hops(a, b) == 1 for a, b in zip(order[:-1], order[1:]))


def test_spec_errors_say_what_is_allowed():
    with pytest.raises(HardwareError, match=r"'mesh:2y2' is not a fabric spec; use KIND:WxH"):
        parse_fabric("mesh:2y2")
    with pytest.raises(HardwareError, match=r"\(board 'ring:3x3'\) is not a fabric spec"):
        parse_fabric("boards:2x(ring:3x3)")
    with pytest.raises(HardwareError, match=r"'torus:0x3': width is 0; use >= 1"):
        parse_fabric("torus:0x3")
    with pytest.raises(HardwareError, match=r"chip 4 does not exist; chips are 0..3"):
        parse_fabric("mesh:2x2").route(0, 4)
    with pytest.raises(HardwareError, match=r"traffic matrix of shape \(3, 3\)"):
        parse_fabric("mesh:2x2").link_loads(np.zeros((3, 3)))


def test_tile_hops_on_loihi():
    loihi = load_profile("loihi")  # 8 x 4 tiles of 4 cores
    assert tile_hops(loihi, 0, 3) == (0, 0)  # same tile
    assert tile_hops(loihi, 0, 4 * 9) == (1, 1)  # tile 9 = (1, 1)
    assert tile_hops(loihi, 127, 0) == (7, 3)
    with pytest.raises(
        HardwareError,
        match=r"'spinnaker': the on-chip tile layout is "
        r"not_applicable",
    ):
        tile_hops(load_profile("spinnaker"), 0, 1)
