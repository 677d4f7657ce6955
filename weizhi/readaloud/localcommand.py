"""A configured local program run once, for a recogniser or a speech synthesiser. No Django.

The setting is a command line split as a shell would split it (``shlex``) but run without a
shell: each placeholder (``{file}``, ``{format}``, ``{out}``, ``{text}``, ``{textfile}``) is
replaced inside the argument that holds it, so a passage or a file name stays one argument
and never becomes a second command. The program runs in its own process group, which is
killed whole when it outlives its timeout (a wrapper script's children included).
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess

MAX_OUTPUT = 1024 * 1024
PLACEHOLDER = re.compile(r"\{(file|format|out|text|textfile)\}")


class CommandError(RuntimeError):
    """The command could not run, failed, or timed out; the message is for the log."""


def arguments(template: str, values: dict[str, str]) -> list[str]:
    try:
        parts = shlex.split(template)
    except ValueError as error:
        raise CommandError(f"cannot split the command line: {error}") from None
    if not parts:
        raise CommandError("the command line is empty")
    out = []
    for part in parts:
        # One pass: a value holding "{textfile}" stays as written, not replaced in its turn.
        filled = PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), part)
        if filled.startswith("-") and not part.startswith("-"):
            # A passage (or any value) opening an argument with "-" would reach the program
            # as an option ("-w/some/file"): refused, not run.
            raise CommandError(f"a value would start an argument with '-': {filled[:40]!r}")
        out.append(filled)
    return out


def run(template: str, values: dict[str, str], *, timeout: float) -> str:
    """The program's standard output (UTF-8); CommandError when it fails or times out."""
    args = arguments(template, values)
    try:
        proc = subprocess.Popen(  # noqa: S603 — the administrator's own setting, no shell
            args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    except OSError as error:
        raise CommandError(f"{args[0]}: {error}") from None
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        try:  # a child that left the group may still hold the pipes: do not wait for ever
            proc.communicate(timeout=5)
        except subprocess.TimeoutExpired:
            for pipe in (proc.stdout, proc.stderr):
                pipe.close()
            proc.wait(timeout=5)
        raise CommandError(f"{args[0]} timed out after {timeout:g} s") from None
    if proc.returncode != 0:
        tail = err.decode("utf-8", "replace").strip()[-300:]
        raise CommandError(f"{args[0]} exited with {proc.returncode}: {tail}")
    return out[:MAX_OUTPUT].decode("utf-8", "replace")
