"""Audit entries are append-only: the admin offers no way to change them, and the database
refuses an UPDATE or DELETE from anyone, while what Django and Wagtail legitimately do still
works (clearing a reference to a deleted row, deleting pages, flushing a test database)."""

import pytest
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from wagtail.actions.delete_page import DeletePageAction
from wagtail.log_actions import log
from wagtail.models import ModelLogEntry, PageLogEntry

from tests import factories
from tests.base import superuser
from tests.test_audience_support import PASSWORD, fast_passwords, member, tree, user_in  # noqa: F401
from weizhi.audience import services
from weizhi.audience.models import AuditEntry, Member, RosterLogEntry
from weizhi.core import appendonly
from weizhi.wechat.models import MenuPush

pytestmark = pytest.mark.usefixtures("fast_passwords")

GUARDED = {
    "wagtailcore_modellogentry",
    "wagtailcore_pagelogentry",
    "audience_auditentry",
    "audience_rosterlogentry",
    "wechat_menupush",
}


def refused_by_the_database(change) -> bool:
    try:
        with transaction.atomic():
            change()
    except DatabaseError as exc:
        return "append-only" in str(exc)
    return False


@pytest.fixture
def entry(db):
    t = tree()
    someone = member(t["first"], "1001", name="王芳")
    return services.audit(AuditEntry.Action.MOVE, member=someone, detail={"from": "甲"})


@pytest.mark.django_db
def test_every_audit_table_carries_the_guard():
    assert appendonly.guarded_tables(connection) >= GUARDED


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["superuser", "系统管理员"])
def test_no_one_edits_adds_or_deletes_an_audit_entry_in_the_admin(entry, role):
    user = superuser("root") if role == "superuser" else user_in(role, "sysadmin")
    client = Client()
    client.login(username=user.username, password=PASSWORD)
    home = reverse("wagtailadmin_home")
    assert client.get(reverse("audience_audit:inspect", args=[entry.pk])).status_code == 200
    index = client.get(reverse("audience_audit:index")).content.decode()
    assert reverse("audience_audit:add") not in index
    assert reverse("audience_audit:edit", args=[entry.pk]) not in index
    for url in (
        reverse("audience_audit:add"),
        reverse("audience_audit:edit", args=[entry.pk]),
        reverse("audience_audit:delete", args=[entry.pk]),
    ):
        for response in (client.get(url), client.post(url, {"detail": "{}"})):
            assert response.status_code in (302, 403, 404), url
            assert response.status_code != 302 or response.url == home, url
    entry.refresh_from_db()
    assert entry.detail == {"from": "甲"}


@pytest.mark.django_db
def test_the_database_refuses_to_change_or_delete_an_audit_entry(entry):
    rows = AuditEntry.objects.filter(pk=entry.pk)
    assert refused_by_the_database(lambda: rows.update(detail={"from": "乙"}))
    assert refused_by_the_database(lambda: rows.update(member=None, action="bind"))
    assert refused_by_the_database(lambda: rows.delete())
    entry.refresh_from_db()
    assert entry.detail == {"from": "甲"} and entry.member is not None


@pytest.mark.django_db
def test_the_database_refuses_to_change_or_delete_wagtail_log_entries(home):
    root = superuser("root")
    page = factories.article(title="审计测试")
    entry = log(page, "wagtail.edit", user=root)
    model_entry = log(root, "wagtail.edit", user=root)
    for model, pk in ((PageLogEntry, entry.pk), (ModelLogEntry, model_entry.pk)):
        rows = model.objects.filter(pk=pk)
        assert refused_by_the_database(lambda rows=rows: rows.update(label="改过"))
        assert refused_by_the_database(lambda rows=rows: rows.update(user_id=None))
        assert refused_by_the_database(lambda rows=rows: rows.delete())
        assert refused_by_the_database(lambda rows=rows: rows.update(deleted=False)) is False
        assert rows.get().label != "改过"


@pytest.mark.django_db
def test_a_menu_push_gets_its_result_once_and_nothing_else_changes():
    push = MenuPush.objects.create(buttons=[{"name": "菜单"}])
    rows = MenuPush.objects.filter(pk=push.pk)
    rows.update(status=MenuPush.Status.DONE, message="已生效")
    assert refused_by_the_database(lambda: rows.update(buttons=[]))
    assert refused_by_the_database(lambda: rows.delete())


@pytest.mark.django_db
def test_deleting_a_member_or_user_keeps_their_entries_with_the_reference_cleared(entry):
    sysadmin = user_in("系统管理员", "sysadmin")
    export = services.audit(AuditEntry.Action.EXPORT, user=sysadmin, detail={"rows": 1})
    Member.objects.filter(pk=entry.member_id).delete()
    User.objects.filter(pk=sysadmin.pk).delete()
    entry.refresh_from_db()
    export.refresh_from_db()
    assert entry.member is None and entry.detail == {"from": "甲"}
    assert export.user is None and export.detail == {"rows": 1}


@pytest.mark.django_db
def test_deleting_a_page_still_works_and_keeps_its_history(home):
    root = superuser("root")
    page = factories.article(title="将被删除")
    factories.article(parent=factories.column(), title="旁边的稿件")
    before = PageLogEntry.objects.filter(page_id=page.pk).count()
    DeletePageAction(page, user=root).execute()
    entries = PageLogEntry.objects.filter(page_id=page.pk)
    assert entries.count() == before + 1
    assert entries.filter(action="wagtail.delete", deleted=True).exists()


# serialized_rollback, and no post_migrate after the flush in the test: content types made
# again under new ids would collide with a later test that restores the serialized database.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_flush_still_empties_a_database_with_audit_entries_and_leaves_the_guard_on():
    t = tree()
    someone = member(t["first"], "1001")
    services.audit(AuditEntry.Action.MOVE, member=someone)
    log(someone, "wagtail.edit")
    call_command(
        "flush", interactive=False, verbosity=0, inhibit_post_migrate=True, reset_sequences=False
    )
    assert not AuditEntry.objects.exists() and not RosterLogEntry.objects.exists()
    assert appendonly.guarded_tables(connection) >= GUARDED
    AuditEntry.objects.bulk_create([AuditEntry(action=AuditEntry.Action.EXPORT)])
    assert refused_by_the_database(lambda: AuditEntry.objects.all().delete())


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_guard_migrations_reverse_and_apply_again():
    call_command("migrate", "core", "zero", verbosity=0)
    try:
        assert not appendonly.guarded_tables(connection) & GUARDED
        t = tree()
        entry = services.audit(AuditEntry.Action.MOVE, member=member(t["first"], "1001"))
        AuditEntry.objects.filter(pk=entry.pk).update(detail={"changed": True})
        # An entry Wagtail logged in its own table before roster entries had theirs.
        old = ModelLogEntry.objects.create(
            content_type=ContentType.objects.get_for_model(Member),
            object_id=str(entry.member_id),
            label="张三（1001）",
            action="wagtail.edit",
            timestamp=timezone.now(),
        )
    finally:
        call_command("migrate", verbosity=0)
    assert appendonly.guarded_tables(connection) >= GUARDED
    assert refused_by_the_database(lambda: AuditEntry.objects.filter(pk=entry.pk).delete())
    assert not ModelLogEntry.objects.filter(pk=old.pk).exists()
    moved = RosterLogEntry.objects.get(object_id=str(entry.member_id))
    assert (moved.label, moved.timestamp) == (old.label, old.timestamp)
