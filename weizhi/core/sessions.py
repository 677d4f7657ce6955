"""Django's database session store, with its one-row read compiled once.

Every member page reads its session first. Building and compiling that lookup cost the ORM
more CPU than the database spent on it (see weizhi/core/onerow.py); the rows, their expiry
and everything else are Django's own.
"""

from django.contrib.sessions.backends import db
from django.utils import timezone

from weizhi.core.onerow import OneRow


class SessionStore(db.SessionStore):
    _by_key = OneRow(lambda: db.SessionStore.get_model_class().objects.all())

    def _get_session_from_db(self):
        session = self._by_key.get(self.session_key) if self.session_key else None
        if session is None or session.expire_date <= timezone.now():
            self._session_key = None
            return None
        return session
