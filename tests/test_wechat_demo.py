import pytest
from django.core.management import call_command

from tests import wechat_sender as wx
from weizhi.wechat.menu import rules as menu
from weizhi.wechat.models import CustomMenu, ReplyRule
from weizhi.wechat.simulator.demo import RULES, load_demo_wechat

pytestmark = pytest.mark.django_db


def test_the_demo_rules_and_menu_are_valid_and_loaded_once(home):
    assert load_demo_wechat() == len(RULES)
    assert load_demo_wechat() == 0
    for rule in ReplyRule.objects.all():
        rule.full_clean()
    buttons = CustomMenu.load().buttons
    assert menu.validate(buttons) == []
    keys = {key for key, _ in menu.click_keys(buttons)}
    click_rules = ReplyRule.objects.filter(trigger="click")
    assert keys <= {k for rule in click_rules for k in rule.keyword_list()}


def test_the_demo_answers_a_new_follower_and_a_menu_click(client, home):
    call_command("load_demo_wechat", stdout=None)
    _, welcome = wx.post(client, wx.event("o-demo", "subscribe"))
    assert "回复“最新”" in welcome["Content"]
    _, contact = wx.post(client, wx.event("o-demo", "CLICK", EventKey="CONTACT"))
    assert "党委办公室" in contact["Content"]


def test_an_edited_menu_is_not_replaced_by_the_demo(home):
    saved = CustomMenu.load()
    saved.buttons = [{"name": "自己的", "type": "click", "key": "MINE"}]
    saved.save()
    load_demo_wechat()
    assert CustomMenu.load().buttons[0]["name"] == "自己的"
