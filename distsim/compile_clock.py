"""The wall time numba spends compiling, so that summaries report it apart from building and
simulating (loading a kernel from numba's cache is not compiling).

``compile_seconds()`` is the total of this process so far; nested compilations (a kernel's
callees) count once, inside the outermost.
"""

import time

from numba.core import event


class _CompileClock(event.Listener):
    def __init__(self):
        self.depth = 0
        self.total = 0.0
        self.started = 0.0
        self.watchers = []

    def on_start(self, ev):
        if self.depth == 0:
            self.started = time.perf_counter()
            for watcher in list(self.watchers):
                watcher()
        self.depth += 1

    def on_end(self, ev):
        self.depth -= 1
        if self.depth == 0:
            self.total += time.perf_counter() - self.started


_CLOCK = _CompileClock()
event.register("numba:compile", _CLOCK)


def compile_seconds():
    """Seconds this process has spent compiling numba kernels (including a compilation in
    progress)."""
    ongoing = time.perf_counter() - _CLOCK.started if _CLOCK.depth else 0.0
    return _CLOCK.total + ongoing


def watch(callback):
    """Call ``callback()`` whenever numba starts compiling (outermost kernels only);
    returns a function that stops watching."""
    _CLOCK.watchers.append(callback)

    def stop():
        if callback in _CLOCK.watchers:
            _CLOCK.watchers.remove(callback)

    return stop
