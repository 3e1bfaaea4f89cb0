"""The error type for bad input: the CLI prints its one line and exits 2."""


class InputError(Exception):
    """Bad input from a file, key or argument. The message is one line naming where."""
