"""FastInsert against the real database (SQLite and PostgreSQL in CI)."""

from datetime import UTC, datetime

from weizhi.audience.models import Follower
from weizhi.core.fastinsert import MAX_ROWS, FastInsert
from weizhi.wechat.models import InboundMessage

MESSAGES = FastInsert(InboundMessage, conflict=["dedup_key"], returning=["id", "dedup_key"])
FOLLOWS = FastInsert(Follower, conflict=["openid"], update=["subscribed", "subscribed_at"])
SENT = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)


def message(key: str, **fields) -> dict:
    return {"dedup_key": key, "openid": "o1", "msg_type": "text", "sent_at": SENT,
            "raw_xml": "<xml/>", **fields}  # fmt: skip


def test_it_fills_defaults_and_auto_times_and_encodes_json(db):
    ((pk, key),) = MESSAGES.execute([message("k1", reply={"type": "text", "content": "您好"})])
    row = InboundMessage.objects.get(pk=pk)
    assert key == "k1"
    assert row.status == InboundMessage.Status.RECEIVED and row.duplicates == 0
    assert row.received_at is not None and row.sent_at == SENT
    assert row.reply == {"type": "text", "content": "您好"}
    assert row.late_reply is None and row.rule_id is None


def test_on_conflict_it_returns_only_the_new_rows(db):
    MESSAGES.execute([message("k1", content="first")])
    written = MESSAGES.execute([message("k1", content="second"), message("k2")])
    assert [key for _, key in written] == ["k2"]
    assert InboundMessage.objects.get(dedup_key="k1").content == "first"


def test_an_upsert_changes_only_the_fields_it_names(db):
    Follower.objects.create(openid="o-up", remark="老王", subscribed=False)
    FOLLOWS.execute([{"openid": "o-up", "subscribed": True, "subscribed_at": SENT}])
    follower = Follower.objects.get(openid="o-up")
    assert follower.subscribed and follower.subscribed_at == SENT
    assert follower.remark == "老王"  # not named, not touched


def test_a_large_batch_is_split_into_statements_and_all_rows_come_back(db):
    rows = [message(f"k{n}") for n in range(MAX_ROWS * 2 + 3)]
    written = MESSAGES.execute(rows)
    assert len(written) == len(rows) == InboundMessage.objects.count()


def test_it_refuses_fields_the_model_does_not_have():
    import pytest

    with pytest.raises(ValueError, match="no fields"):
        FastInsert(Follower, conflict=["open_id"])
