"""Small pieces for the plain SQL of hot paths: only placeholders go into the SQL text, every
value is a parameter."""


def placeholders(count: int) -> str:
    """``%s, %s, …`` for ``count`` parameters (an IN list or one row of VALUES)."""
    return ", ".join(["%s"] * count)
