"""Fabric topologies: chips, the directed links between them, routes, hop counts, link loads.

Specs (``parse_fabric``):

    mesh:WxH               2D mesh, links E, W, N, S (no wraparound)
    torus:WxH              2D torus: the same links with wraparound
    spinnaker:WxH          SpiNNaker's triangular toroid: 6 links per chip, E, NE, N, W, SW, S
                           (NE = +x+y, SW = -x-y), with wraparound
    boards:BXxBY(INNER)    BX x BY boards, each an INNER fabric (mesh, torus or spinnaker);
    boards:Nx(INNER)       neighbouring boards are joined chip to chip along their edges
                           (N boards in a row)

Chips lie on one global grid of ``width x height``; chip id = y * width + x, and board
(bx, by) holds x in [bx w, (bx + 1) w), y in [by h, (by + 1) h).  Link k goes from chip
``links[k, 0]`` to chip ``links[k, 1]`` in direction ``link_dir[k]``, at ``link_level[k]``
"chip" (within a board) or "board" (between boards).

Routing is dimension-ordered and deterministic:

    mesh        x first, then y
    torus       x first, then y, each the shorter way around (a tie goes +)
    spinnaker   over the shortest toroidal displacement: the diagonal (NE or SW) first, then
                x, then y
    boards      on one board, the board's own route; between boards, x first then y over the
                global grid, crossing boards by their edge links (a board's wrap links are
                used only by routes within that board)

Traffic matrices are chip x chip (``traffic[a, b]`` packets from chip a to chip b, in any
unit per any time); a packet to each destination chip is routed separately (no multicast
trees), so link loads are upper bounds for multicast fabrics.
"""

import re
from functools import cached_property

import numpy as np

from distsim.errors import HardwareError

KINDS = ("mesh", "torus", "spinnaker")
STEPS = {"E": (1, 0), "W": (-1, 0), "N": (0, 1), "S": (0, -1), "NE": (1, 1), "SW": (-1, -1)}
_DIRS = {
    "mesh": ("E", "W", "N", "S"),
    "torus": ("E", "W", "N", "S"),
    "spinnaker": ("E", "NE", "N", "W", "SW", "S"),
}
_GRID = re.compile(r"^(mesh|torus|spinnaker):(\d+)x(\d+)$")
_BOARDS = re.compile(r"^boards:(\d+)x(\d*)\((.+)\)$")
_HELP = (
    "use KIND:WxH with KIND one of mesh, torus, spinnaker (e.g. mesh:4x4, torus:8x8, "
    "spinnaker:8x8) or boards:BXxBY(KIND:WxH) (e.g. boards:2x2(mesh:2x2), "
    "boards:2x(mesh:2x2) for 2 boards in a row)"
)


def parse_fabric(spec):
    """The Fabric described by ``spec`` (see the module docstring); a Fabric passes through."""
    if isinstance(spec, Fabric):
        return spec
    text = str(spec).strip().replace(" ", "")
    boards = _BOARDS.match(text)
    inner = boards.group(3) if boards else text
    grid = _GRID.match(inner)
    if grid is None:
        where = f" (board {inner!r})" if boards else ""
        raise HardwareError(f"fabric {str(spec)!r}{where} is not a fabric spec; {_HELP}")
    kind, w, h = grid.group(1), int(grid.group(2)), int(grid.group(3))
    bx, by = (int(boards.group(1)), int(boards.group(2) or 1)) if boards else (1, 1)
    for name, n in (("width", w), ("height", h), ("boards along x", bx), ("boards along y", by)):
        if n < 1:
            raise HardwareError(f"fabric {str(spec)!r}: {name} is {n}; use >= 1")
    return Fabric(text, kind, w, h, bx, by)


class Fabric:
    """Chips on a grid joined by directed links; build it with ``parse_fabric``."""

    def __init__(self, spec, kind, board_width, board_height, boards_x=1, boards_y=1):
        self.spec, self.kind = spec, kind
        self.board_shape = (board_width, board_height)
        self.boards = (boards_x, boards_y)
        self.hierarchical = spec.startswith("boards:")
        self.width, self.height = board_width * boards_x, board_height * boards_y
        self.n_chips = self.width * self.height
        ids = np.arange(self.n_chips)
        self.coords = np.stack([ids % self.width, ids // self.width], axis=1)
        links = [
            (chip, dst, d, level)
            for chip in range(self.n_chips)
            for d in _DIRS[kind]
            for dst, level in (
                (self._inner_step(chip, d), "chip"),
                (self._board_step(chip, d), "board"),
            )
            if dst is not None
        ]
        self.links = np.array([l[:2] for l in links], dtype=np.int64).reshape(-1, 2)
        self.link_dir = np.array([l[2] for l in links], dtype=object)
        self.link_level = np.array([l[3] for l in links], dtype=object)
        self._link_id = {(src, d, level): k for k, (src, _, d, level) in enumerate(links)}
        self._routes = {}
        self._entries = {}

    def __repr__(self):
        return f"Fabric({self.spec!r}: {self.n_chips} chips, {len(self.links)} links)"

    @property
    def n_links(self):
        return int(len(self.links))

    def chip(self, x, y):
        return int(y) * self.width + int(x)

    def _split(self, chip):
        """(board x, board y, local x, local y) of a chip."""
        x, y = int(chip) % self.width, int(chip) // self.width
        w, h = self.board_shape
        return x // w, y // h, x % w, y % h

    def _inner_step(self, chip, d):
        """The chip one step ``d`` away on the same board (wrapping for torus and
        spinnaker), or None where a mesh ends or the step would return to ``chip``."""
        bx, by, x, y = self._split(chip)
        (w, h), (dx, dy) = self.board_shape, STEPS[d]
        nx, ny = x + dx, y + dy
        if self.kind == "mesh":
            if not (0 <= nx < w and 0 <= ny < h):
                return None
        else:
            nx, ny = nx % w, ny % h
        dst = self.chip(bx * w + nx, by * h + ny)
        return None if dst == chip else dst

    def _board_step(self, chip, d):
        """The chip across the board edge in direction ``d`` (E, W, N, S only), or None."""
        if d not in ("E", "W", "N", "S"):
            return None
        bx, by, x, y = self._split(chip)
        (w, h), (dx, dy) = self.board_shape, STEPS[d]
        if not (0 <= x + dx < w) and 0 <= bx + dx < self.boards[0]:
            return self.chip((bx + dx) * w + (x + dx) % w, by * h + y)
        if not (0 <= y + dy < h) and 0 <= by + dy < self.boards[1]:
            return self.chip(bx * w + x, (by + dy) * h + (y + dy) % h)
        return None

    def route(self, src, dst):
        """Link ids from chip ``src`` to chip ``dst`` in order ([] if src == dst)."""
        key = (int(src), int(dst))
        for chip in key:
            if not 0 <= chip < self.n_chips:
                raise HardwareError(
                    f"fabric {self.spec!r}: chip {chip} does not exist; chips "
                    f"are 0..{self.n_chips - 1}"
                )
        if key not in self._routes:
            self._routes[key] = self._walk(*key)
        return list(self._routes[key])

    def _walk(self, src, dst):
        sbx, sby, sx, sy = self._split(src)
        dbx, dby, dx_, dy_ = self._split(dst)
        if (sbx, sby) == (dbx, dby):
            moves = [(d, "chip") for d in self._board_moves(sx, sy, dx_, dy_)]
        else:
            (x0, y0), (x1, y1) = self.coords[src], self.coords[dst]
            w, h = self.board_shape
            moves = []
            for a, b, size, pos, neg in ((x0, x1, w, "E", "W"), (y0, y1, h, "N", "S")):
                step = 1 if b > a else -1
                for c in range(a, b, step):
                    crosses = (c // size) != ((c + step) // size)
                    moves.append((pos if step > 0 else neg, "board" if crosses else "chip"))
        path, chip = [], src
        for d, level in moves:
            k = self._link_id[(chip, d, level)]
            path.append(k)
            chip = int(self.links[k, 1])
        if chip != dst:  # pragma: no cover - a routing bug, not a user error
            raise RuntimeError(f"fabric {self.spec!r}: route {src}->{dst} ends at {chip}")
        return tuple(path)

    def _board_moves(self, x0, y0, x1, y1):
        """Directions of the dimension-ordered route within one board."""
        w, h = self.board_shape
        if self.kind == "mesh":
            dx, dy = x1 - x0, y1 - y0
        elif self.kind == "torus":
            dx, dy = _shorter((x1 - x0) % w, w), _shorter((y1 - y0) % h, h)
        else:
            best = None
            for cx in _candidates((x1 - x0) % w, w):
                for cy in _candidates((y1 - y0) % h, h):
                    hops = max(abs(cx), abs(cy)) if cx * cy > 0 else abs(cx) + abs(cy)
                    if best is None or hops < best[0]:
                        best = (hops, cx, cy)
            _, dx, dy = best
            diag = min(abs(dx), abs(dy)) if dx * dy > 0 else 0
            sign = 1 if dx > 0 else -1
            dx, dy = dx - sign * diag, dy - sign * diag
            moves = ["NE" if sign > 0 else "SW"] * diag
            return moves + _line(dx, "E", "W") + _line(dy, "N", "S")
        return _line(dx, "E", "W") + _line(dy, "N", "S")

    def hops(self, src, dst):
        return len(self.route(src, dst))

    def multicast_entries(self, src, dsts):
        """Sorted ids of the chips that need a routing-table entry for one multicast key
        sent from chip ``src`` to the chips ``dsts`` along the union of their routes: the
        source (the packets originate there), every destination (they terminate there) and
        every chip where they turn or branch.  A chip they only cross straight (out on the
        link of the direction they came in, nothing delivered) routes them by default and
        needs no entry.  None at all for no destinations."""
        key = (int(src), tuple(sorted({int(d) for d in dsts})))
        cache = self._entries
        if key not in cache:
            src, dsts = key
            need = {src, *dsts} if dsts else set()
            came, goes = {}, {}
            for dst in dsts:
                for k in self.route(src, dst):
                    a, b = map(int, self.links[k])
                    goes.setdefault(a, set()).add(self.link_dir[k])
                    came.setdefault(b, set()).add(self.link_dir[k])
            for chip, out in goes.items():
                if len(out) > 1 or came.get(chip, set()) != out:
                    need.add(chip)
            cache[key] = np.array(sorted(need), np.int64)
        return cache[key].copy()

    @cached_property
    def hop_matrix(self):
        """``hop_matrix[a, b]`` links on the route from chip a to chip b (O(n_chips^2))."""
        n = self.n_chips
        return np.array([[self.hops(a, b) for b in range(n)] for a in range(n)], np.int64)

    def link_loads(self, traffic):
        """Load of each link (``traffic`` units) when every chip pair's traffic follows its
        route."""
        traffic = np.asarray(traffic, dtype=float)
        if traffic.shape != (self.n_chips, self.n_chips):
            raise HardwareError(
                f"fabric {self.spec!r}: traffic matrix of shape "
                f"{traffic.shape} does not match {self.n_chips} x "
                f"{self.n_chips} chips"
            )
        loads = np.zeros(self.n_links)
        for a, b in zip(*np.nonzero(traffic)):
            if a != b:
                loads[self.route(a, b)] += traffic[a, b]
        return loads

    def chip_order(self):
        """Chips row by row over the global grid, alternating direction, so that neighbours
        in the order are neighbours on the fabric (for grouping chips into ranks)."""
        return np.array(
            [
                self.chip(x if y % 2 == 0 else self.width - 1 - x, y)
                for y in range(self.height)
                for x in range(self.width)
            ],
            np.int64,
        )

    def to_dict(self):
        return {
            "spec": self.spec,
            "kind": self.kind,
            "chips": self.n_chips,
            "links": self.n_links,
            "width": self.width,
            "height": self.height,
            "boards": list(self.boards),
            "board_shape": list(self.board_shape),
        }


def _shorter(d, size):
    """Signed shortest displacement for a forward distance ``d`` on a ring (a tie goes +)."""
    return d if d <= size - d else d - size


def _candidates(d, size):
    return (0,) if d == 0 else (d, d - size)


def _line(n, pos, neg):
    return [pos] * n if n > 0 else [neg] * (-n)


def tile_hops(profile, core_a, core_b):
    """On-chip (x, y) tile hops between two cores of one chip, from the profile's layout
    (cores numbered tile by tile, tiles row by row); ``core_a`` and ``core_b`` may be
    integer arrays (then two arrays)."""
    lay = profile.layout
    if not all(c.known for c in lay.values()):
        raise HardwareError(
            f"hardware profile {profile.name!r}: the on-chip tile layout is "
            f"{lay['tiles_x'].status} ({lay['tiles_x'].note}); on-chip hops "
            f"cannot be counted"
        )
    per_tile, tiles_x = int(lay["cores_per_tile"].value), int(lay["tiles_x"].value)
    if np.ndim(core_a) or np.ndim(core_b):
        ta = np.asarray(core_a, np.int64) // per_tile
        tb = np.asarray(core_b, np.int64) // per_tile
        return np.abs(ta % tiles_x - tb % tiles_x), np.abs(ta // tiles_x - tb // tiles_x)
    ta, tb = int(core_a) // per_tile, int(core_b) // per_tile
    return abs(ta % tiles_x - tb % tiles_x), abs(ta // tiles_x - tb // tiles_x)
