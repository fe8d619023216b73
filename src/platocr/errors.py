"""The one exception type for bad input: the CLI prints its message on one line and exits 2."""


class PlatocrError(Exception):
    """A usage or data error a user can fix (say what and where in the message)."""
