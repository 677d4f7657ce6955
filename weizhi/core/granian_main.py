"""granian's command line, with its worker processes bound to it (`python -m` this module,
with granian's arguments).

Granian forks its workers with multiprocessing and, killed with SIGKILL, leaves them running
and holding the port (tried: both workers lived on under init). Here each worker gets SIGTERM,
on which it stops, when its granian dies; granian itself gets SIGTERM when serve dies.
"""

import signal

from granian.cli import entrypoint

from weizhi.core.lifeline import forked_children_die_with_us

if __name__ == "__main__":
    forked_children_die_with_us(signal.SIGTERM)
    entrypoint()
