"""Moving rows into and out of a pipeline: change files cut into steps (changefiles), a pipeline fed
those steps (session), the printed forms of changes and answers (formats), and live sources followed
step by step (sources/)."""


class InputError(Exception):
    """A mistake in an input (a file, a row, a statement or a command's arguments), as text ready to
    print: ``path:line[:col]: error: message`` where a position is known."""
