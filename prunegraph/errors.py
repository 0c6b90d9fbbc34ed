"""Error types that reach users.

Every error a user can cause is one of these, with a message of one line that names the
input (file, layer, argument) and the fix.  The CLI turns :class:`UsageError` into exit
status 2 and :class:`InputError` into exit status 1; both print one line, no traceback.

Both derive from :class:`ValueError`, so library callers may catch either.
"""

from __future__ import annotations


class PruneGraphError(ValueError):
    """Base class of every error prunegraph raises on purpose."""

    exit_code = 1


class InputError(PruneGraphError):
    """The data is bad: an unreadable or corrupt file, NaN weights, a degenerate sample."""

    exit_code = 1


class UsageError(PruneGraphError):
    """The call is wrong: an unknown option value, a missing argument, a bad combination."""

    exit_code = 2
