"""Pieces of error messages: a value shown on one short line, a suggestion for a misspelt
name, a list of names that stays readable when it is long."""

import difflib


def shown(value, limit=60):
    """``repr(value)`` on one line (whitespace runs collapsed), cut to ``limit`` characters."""
    text = " ".join(repr(value).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def did_you_mean(name, choices):
    """``"; did you mean 'X'?"`` for the choice closest to ``name`` (difflib), else ``""``."""
    close = difflib.get_close_matches(str(name), [str(c) for c in choices], n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def listing(names, limit=20):
    """The names, comma-separated; beyond ``limit`` the first ones and how many more."""
    names = [str(n) for n in names]
    if len(names) <= limit:
        return ", ".join(names) or "(none)"
    return f"{', '.join(names[:limit])} and {len(names) - limit} more"
