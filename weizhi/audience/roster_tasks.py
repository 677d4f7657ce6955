"""Roster imports run as tasks, never in a web request: a large or hostile file holds a task
worker for as long as the limits in core.xlsx allow, and the admin's status page shows the
outcome that each task leaves beside the upload (roster_import.save_job_state).

A module of its own, as services imports tasks and roster_import imports services."""

import logging

from django.contrib.auth import get_user_model

from weizhi.core.taskqueue import task

from . import roster_import
from .roster import Parsed, validate
from .roster_plan import KEEP
from .scope import sees_full_phone

log = logging.getLogger(__name__)


@task()
def check_roster_upload(user_id: int, token: str) -> None:
    """Check every row of an uploaded roster file and keep the preview."""
    path = roster_import.upload_path(user_id, token)
    if path is None:
        return
    user = get_user_model().objects.filter(pk=user_id).first()
    try:
        parsed = validate(path, user=user)
        state = roster_import.preview_state(
            parsed, user=user, full_phone=user is not None and sees_full_phone(user)
        )
    except Exception:
        log.exception("roster check failed for user %s", user_id)
        roster_import.save_job_state(user_id, token, "check", done=True, failed=True)
        path.unlink(missing_ok=True)
        raise
    roster_import.save_job_state(user_id, token, "check", done=True, **state)
    if not parsed.ok:
        path.unlink(missing_ok=True)


@task()
def import_roster_upload(
    user_id: int, token: str, missing: str = KEEP, expect: str | None = None
) -> None:
    """Write a confirmed roster file (checked again, all or nothing); ``expect`` is the
    fingerprint of the preview the office confirmed."""
    path = roster_import.claimed_path(user_id, token)
    if path is None:
        return
    user = get_user_model().objects.filter(pk=user_id).first()
    try:
        applied = roster_import.import_roster(path, by=user, missing=missing, expect=expect)
    except roster_import.RosterRejected as rejected:
        state = roster_import.preview_state(Parsed(errors=rejected.errors))
        roster_import.save_job_state(user_id, token, "import", done=True, **state)
        return
    except Exception:
        log.exception("roster import failed for user %s", user_id)
        roster_import.save_job_state(user_id, token, "import", done=True, failed=True)
        raise
    finally:
        path.unlink(missing_ok=True)
    roster_import.save_job_state(
        user_id,
        token,
        "import",
        done=True,
        ok=True,
        count=applied.created,
        created=applied.created,
        updated=applied.updated,
        retired=applied.retired,
    )
