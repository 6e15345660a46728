"""DirectCall: a kernel called past numba's dispatcher gives what the dispatcher gives, and
goes back through it when an argument's type may have changed."""

from collections import namedtuple

import numba as nb
import numpy as np

from distsim.kernels.direct_call import DirectCall

Pair = namedtuple("Pair", ["a", "b"])


@nb.njit
def _weighted_sum(scale, pair, extra):
    return scale * (pair.a.sum() + pair.b.sum()) + extra.sum()


def test_direct_call_matches_the_dispatcher_and_skips_it_while_arguments_match():
    call = DirectCall(_weighted_sum)
    pair = Pair(np.arange(3, dtype=np.int64), np.ones(2))
    assert call(2.0, pair, np.ones(4)) == 2.0 * 5 + 4
    entry = call.entry
    assert entry is not None
    pair.a[0] = 10  # same objects, new values: the direct call reads them
    assert call(3.0, pair, np.zeros(5)) == 3.0 * 15 == _weighted_sum(3.0, pair, np.zeros(5))
    assert call.entry is entry


def test_a_new_argument_type_goes_through_the_dispatcher():
    call = DirectCall(_weighted_sum)
    ints = Pair(np.arange(3, dtype=np.int64), np.ones(2))
    assert call(1.0, ints, np.ones(1)) == 5.0 + 1
    floats = Pair(np.full(3, 0.5), np.ones(2, np.float32))  # another named tuple, other dtypes
    assert call(1.0, floats, np.ones(1)) == 1.5 + 2 + 1
    assert call(1, floats, np.ones(1, np.int32)) == 1.5 + 2 + 1  # int scale, int32 array
    assert call(2, floats, np.ones(3, np.int32)[::2]) == 2 * 3.5 + 2  # not contiguous
    assert len(_weighted_sum.signatures) == 4
