"""Ranks as rectangular blocks of the fabric's chip grid (``rank_grid``): the tiling, whole
blocks per rank, neighbouring ranks on neighbouring blocks, work balanced per rank, and the
snake order where no tiling exists."""

import json

import numpy as np
import pytest

from distsim import FixedIndegree, Network
from distsim.examples import brunel
from distsim.hardware.fabric import parse_fabric
from distsim.partition import hardware
from distsim.partition.balancers import expected_work
from distsim.partition.hardware_mapping import rank_grid


@pytest.mark.parametrize(
    "fabric, n, dims, periodic, block",
    [
        ("mesh:2x2", 4, [2, 2], False, [1, 1]),  # one chip per rank
        ("mesh:4x4", 4, [2, 2], False, [2, 2]),
        ("mesh:4x4", 16, [4, 4], False, [1, 1]),
        ("torus:4x2", 2, [1, 2], True, [2, 2]),  # square blocks, not 1 x 4
        ("mesh:6x4", 6, [2, 3], False, [2, 2]),
        ("spinnaker:2x2", 4, [2, 2], True, [1, 1]),
        ("boards:2x2(torus:2x2)", 4, [2, 2], False, [2, 2]),  # boards do not wrap around
        ("boards:1x1(spinnaker:2x2)", 2, [1, 2], True, [2, 1]),
        ("mesh:3x3", 1, [1, 1], False, [3, 3]),
    ],
)
def test_rank_grid_tiles(fabric, n, dims, periodic, block):
    grid, note = rank_grid(fabric, n)
    assert grid == {"dims": dims, "periodic": periodic, "chips_per_rank": block}
    assert note is None


@pytest.mark.parametrize("fabric, n", [("mesh:2x2", 3), ("mesh:3x3", 2), ("torus:5x1", 2)])
def test_no_tiling_has_a_reason(fabric, n):
    grid, note = rank_grid(fabric, n)
    assert grid is None and f"{n} ranks do not tile" in note and "snake" in note


def _block_of(fab, grid):
    (_, gc), (bh, bw) = grid["dims"], grid["chips_per_rank"]
    x, y = fab.coords[:, 0], fab.coords[:, 1]
    return (y // bh) * gc + x // bw


def _adjacent(fab, chips_a, chips_b):
    links = {(int(a), int(b)) for a, b in fab.links}
    return any((a, b) in links for a in chips_a for b in chips_b)


@pytest.mark.parametrize(
    "fabric, n",
    [
        ("mesh:2x2", 4),
        ("mesh:4x4", 4),
        ("torus:4x4", 8),
        ("spinnaker:4x2", 2),
        ("boards:2x1(mesh:2x2)", 4),
    ],
)
def test_ranks_hold_their_blocks(fabric, n):
    net = brunel(order=500)
    dec = hardware(net, n, profile="loihi", fabric=fabric)
    grid = dec.hardware["rank_grid"]
    assert grid is not None and dec.hardware["rank_grid_note"] is None
    assert json.loads(json.dumps(dec.hardware)) == dec.hardware
    fab = parse_fabric(fabric)
    block = _block_of(fab, grid)
    gr, gc = grid["dims"]
    for r in range(n):
        assert dec.chips_of_rank(r).size > 0
        assert (block[dec.chips_of_rank(r)] == r).all()  # every chip of a rank in its block
    # every chip used by a block belongs to that block's rank
    assert (dec.rank_of == block[dec.chip_of]).all()
    # ranks next to each other in the rank grid hold blocks next to each other on the fabric
    for r in range(n):
        i, j = divmod(r, gc)
        for di, dj in ((0, 1), (1, 0)):
            ni, nj = i + di, j + dj
            if grid["periodic"]:
                ni, nj = ni % gr, nj % gc
            if ni < gr and nj < gc and (ni, nj) != (i, j):
                other = ni * gc + nj
                assert _adjacent(fab, np.flatnonzero(block == r), np.flatnonzero(block == other))
    # work balanced per rank (Brunel's neurons all cost the same)
    work = np.bincount(dec.rank_of, weights=expected_work(net), minlength=n)
    assert work.max() <= 1.1 * work.mean()


def test_one_chip_per_rank_is_chip_r():
    net = brunel(order=200)
    dec = hardware(net, 4, profile="loihi", fabric="mesh:2x2")
    assert [dec.chips_of_rank(r).tolist() for r in range(4)] == [[0], [1], [2], [3]]
    assert dec.hardware["rank_grid"] == {
        "dims": [2, 2],
        "periodic": False,
        "chips_per_rank": [1, 1],
    }


def test_several_chips_per_rank_stay_in_the_block():
    net = Network()
    net.add_population("X", "iaf_psc_exp", 30_000)
    net.connect("X", "X", FixedIndegree(10))
    # 118 SpiNNaker cores of 256 neurons: 7 chips of 17, 2 per rank in blocks of 2 x 2
    dec = hardware(net, 4, profile="spinnaker", fabric="spinnaker:4x4")
    fab = parse_fabric("spinnaker:4x4")
    block = _block_of(fab, dec.hardware["rank_grid"])
    assert dec.hardware["chips"] == 8
    for r in range(4):
        chips = dec.chips_of_rank(r)
        assert chips.size == 2 and (block[chips] == r).all()
    per_chip = np.bincount(np.unique(dec.chip_of * 1000 + dec.core_of) // 1000)
    assert per_chip.max() <= 17
    counts = dec.counts()
    assert counts.max() <= 1.1 * counts.mean()


def test_snake_where_no_tiling():
    net = brunel(order=500)
    dec = hardware(net, 3, profile="loihi", fabric="mesh:2x2")
    assert dec.hardware["rank_grid"] is None
    assert dec.hardware["rank_grid_note"].startswith("3 ranks do not tile the 2 x 2 chip grid")
    order = parse_fabric("mesh:2x2").chip_order().tolist()
    ranks = [int(dec.rank_of[dec.chip_of == c][0]) for c in order if (dec.chip_of == c).any()]
    assert ranks == sorted(ranks)  # contiguous runs in snake order
