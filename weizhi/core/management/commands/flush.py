"""Django's flush, with the append-only guard open for it: emptying the whole database
(as tests do between transactional tests) is not editing the audit log."""

from django.core.management.commands import flush
from django.db import connections

from weizhi.core import appendonly


class Command(flush.Command):
    def handle(self, **options) -> None:
        with appendonly.writable(connections[options["database"]]):
            super().handle(**options)
