"""Calling a compiled kernel from Python without typing its arguments at every call.

numba's dispatcher finds the compiled version of a function by typing every argument at each
call; for the step kernels, which take their state as named tuples of arrays (kernels/state.py,
about 100 arrays), that costs about 12 us a call -- with one exchange window per step (the
microcircuit's 0.1 ms minimum delay) more than 1 % of a run.  ``DirectCall`` types the
arguments once, through the dispatcher, and then calls the compiled entry point directly while
each argument matches that call: the same object (a named tuple: immutable, so a part that
grows a buffer makes a new one), a number of the same Python type, or an array of the same
dtype, dimensions, layout and writability.
"""

import numpy as np

_NUMBERS = (int, float, bool)
_SAME_OBJECT, _NUMBER, _ARRAY = 0, 1, 2


def _key(a):
    """What must match for an argument to have the type it had (see the module)."""
    kind = type(a)
    if kind is np.ndarray:
        f = a.flags
        return _ARRAY, (a.dtype, a.ndim, f.c_contiguous, f.f_contiguous, f.writeable, f.aligned)
    if kind in _NUMBERS:
        return _NUMBER, kind
    return _SAME_OBJECT, a


class DirectCall:
    """``kernel(*args)``, through the dispatcher only when an argument no longer matches the
    one of the last typing (the module says what matches)."""

    def __init__(self, dispatcher):
        self.dispatcher = dispatcher
        self.n_args = -1
        self.objects = ()  # (position, object) of the arguments that must stay the same object
        self.others = ()  # (position, key) of the numbers and arrays
        self.entry = None

    def __call__(self, *args):
        if self.entry is not None and self._match(args):
            return self.entry(*args)
        result = self.dispatcher(*args)  # compiles or loads the version for these types
        compiled = self.dispatcher.overloads.get(
            tuple(self.dispatcher.typeof_pyval(a) for a in args)
        )
        self.entry = None if compiled is None else compiled.entry_point
        keys = [(k, _key(a)) for k, a in enumerate(args)]
        self.n_args = len(args)
        self.objects = tuple((k, key[1]) for k, key in keys if key[0] == _SAME_OBJECT)
        self.others = tuple((k, key) for k, key in keys if key[0] != _SAME_OBJECT)
        return result

    def _match(self, args):
        if len(args) != self.n_args:
            return False
        for k, obj in self.objects:
            if args[k] is not obj:
                return False
        for k, key in self.others:
            if _key(args[k]) != key:
                return False
        return True
