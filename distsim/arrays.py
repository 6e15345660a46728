"""Allocation of arrays that kernels read.

``numpy.zeros`` maps fresh memory lazily onto the kernel's shared zero page; an array that a
kernel then only reads (a refractory counter that stays 0, an unused state row) keeps that
mapping, and loads from it next to stores into other arrays ran 25x slower on this project's
machines (measured: a 12,500-neuron update loop, 2.6 ms vs 65 ms per 500 steps).  Writing
the zeros explicitly backs every page with its own memory.
"""

import mmap

import numpy as np

HUGE_PAGE = 2 << 20  # bytes of a transparent huge page (x86-64, most arm64 kernels)


def zeros(shape, dtype=np.float64):
    """A zero-filled array whose pages are all written (never the shared zero page)."""
    a = np.empty(shape, dtype)
    a.fill(0)
    return a


def zeros_huge(shape, dtype=np.float64):
    """``zeros`` in transparent huge pages (madvise) where the array spans several: arrays
    read at random places (the ring buffers) then miss the TLB far less often (a 2 MB page
    covers what 512 small ones do).  Plain ``zeros`` where the system offers no huge pages."""
    dtype = np.dtype(dtype)
    count = int(np.prod(shape))
    nbytes = count * dtype.itemsize
    advise = getattr(mmap, "MADV_HUGEPAGE", None)
    if nbytes < 2 * HUGE_PAGE or advise is None:
        return zeros(shape, dtype)
    buf = mmap.mmap(-1, nbytes + HUGE_PAGE, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    address = np.frombuffer(buf, np.uint8, 1).__array_interface__["data"][0]
    offset = -address % HUGE_PAGE  # the array starts on a huge page
    try:
        buf.madvise(advise)
    except OSError:
        pass
    a = np.frombuffer(buf, dtype, count, offset).reshape(shape)
    a.fill(0)
    return a


def full(shape, value, dtype=np.float64):
    a = np.empty(shape, dtype)
    a.fill(value)
    return a


def release_freed_memory():
    """Return memory freed by the build to the operating system (glibc keeps it otherwise:
    measured 1.45 GB resident instead of 0.55 GB after a microcircuit build); a no-op where
    malloc_trim does not exist."""
    import ctypes
    import ctypes.util

    try:
        ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass
