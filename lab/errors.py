"""Errors a user can cause and fix: the CLI prints them on one line, with no traceback."""

__all__ = ["LabError", "UsageError", "InputError"]


class LabError(Exception):
    """Base of every error lab reports to a user."""


class UsageError(LabError):
    """A name or option that does not exist (unknown tier, axis, strategy...)."""


class InputError(LabError):
    """An input that cannot be read: missing file, empty file, missing column."""
