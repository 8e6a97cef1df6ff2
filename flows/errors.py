"""The command line's user-facing error, shared by the CLI and its helper modules."""

from __future__ import annotations


class CommandError(Exception):
    """A user-facing error: printed as one line without a traceback, exit code 2."""
