"""The custom-menu editor: WeChat's limits, saving, and pushing to the fake WeChat API."""

import pytest

from tests.base import superuser, user_in
from weizhi.wechat.menu import rules as menu
from weizhi.wechat.models import CustomMenu, MenuPush

URL = "/admin/wechat/menu/"


def test_a_good_menu_has_no_errors_and_keeps_only_what_each_type_takes():
    buttons = [
        {"name": "今日头条", "type": "click", "key": "LATEST", "url": "ignored"},
        {
            "name": "学习",
            "sub_button": [
                {"name": "一分钟自测", "type": "view", "url": "https://example.org/quiz"},
                {
                    "name": "小程序",
                    "type": "miniprogram",
                    "url": "https://example.org/",
                    "appid": "wxapp",
                    "pagepath": "pages/index",
                },
            ],
        },
    ]
    assert menu.validate(buttons) == []
    wire = menu.to_wechat(buttons)
    assert wire[0] == {"type": "click", "name": "今日头条", "key": "LATEST"}
    assert wire[1]["sub_button"][1]["pagepath"] == "pages/index"
    assert menu.click_keys(buttons) == [("LATEST", "今日头条")]


@pytest.mark.parametrize(
    ("buttons", "fragment"),
    [
        ([], "至少要有一个"),
        ([{"name": f"按钮{i}", "type": "click", "key": "K"} for i in range(4)], "最多 3 个"),
        ([{"name": "一二三四五六", "type": "click", "key": "K"}], "太长"),
        ([{"name": "学习", "type": "click", "key": ""}], "菜单 key"),
        ([{"name": "学习", "type": "view", "url": "javascript:alert(1)"}], "http"),
        ([{"name": "学习", "type": "miniprogram", "url": "https://a.b/"}], "小程序 AppID"),
        ([{"name": "学习", "type": ""}], "请选择类型"),
        ([{"name": "", "type": "click", "key": "K"}], "请填写菜单名称"),
        (
            [
                {
                    "name": "学习",
                    "sub_button": [
                        {"name": f"子{i}", "type": "click", "key": "K"} for i in range(6)
                    ],
                }
            ],
            "子菜单最多 5 个",
        ),
        (
            [{"name": "学习", "sub_button": [{"name": "长" * 21, "type": "click", "key": "K"}]}],
            "太长",
        ),
    ],
)
def test_wechat_limits_are_explained_in_chinese(buttons, fragment):
    errors = menu.validate(buttons)
    assert errors
    assert any(fragment in e for e in errors), errors


def form_data(**fields: str) -> dict[str, str]:
    return {k: v for k, v in fields.items()}


@pytest.mark.django_db
def test_saving_the_grid_stores_the_menu_and_shows_it_in_the_preview(client):
    client.force_login(superuser())
    data = form_data(
        t0_name="头条",
        t0_type="click",
        t0_value="LATEST",
        t1_name="学习",
        t1s0_name="一分钟自测",
        t1s0_type="view",
        t1s0_value="https://example.org/quiz",
        save="1",
    )
    response = client.post(URL, data)
    assert response.status_code == 302
    saved = CustomMenu.load().buttons
    assert saved[0] == {"name": "头条", "type": "click", "key": "LATEST"}
    assert saved[1]["sub_button"][0]["url"] == "https://example.org/quiz"
    page = client.get(URL).content.decode()
    assert "一分钟自测" in page and 'value="LATEST"' in page
    assert not MenuPush.objects.exists()


@pytest.mark.django_db
def test_a_menu_wechat_would_refuse_is_not_saved_and_the_reason_is_shown(client):
    client.force_login(superuser())
    response = client.post(URL, form_data(t0_name="学习", t0_type="view", t0_value="ftp://x"))
    assert response.status_code == 200
    assert "网页地址需以 http:// 或 https:// 开头" in response.content.decode()
    assert CustomMenu.load().buttons == []


@pytest.mark.django_db
def test_editors_without_the_permission_cannot_open_or_post_the_editor(client):
    client.force_login(user_in("编辑"))
    # Wagtail turns a refusal inside the admin into a redirect to the dashboard.
    refused = client.get(URL)
    assert (refused.status_code, refused["Location"]) == (302, "/admin/")
    posted = client.post(URL, form_data(t0_name="x", t0_type="click", t0_value="K"))
    assert (posted.status_code, posted["Location"]) == (302, "/admin/")
    assert CustomMenu.load().buttons == []


@pytest.mark.django_db
def test_the_admin_group_may_edit_the_menu(client):
    client.force_login(user_in("管理员"))
    assert client.get(URL).status_code == 200


@pytest.mark.django_db
def test_pushing_sends_the_menu_to_wechat_and_records_who_did_it(
    client, account_on_fake, django_capture_on_commit_callbacks
):
    user = superuser()
    client.force_login(user)
    data = form_data(t0_name="头条", t0_type="click", t0_value="LATEST", push="1")
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(URL, data).status_code == 302
    push = MenuPush.objects.get()
    assert push.status == MenuPush.Status.DONE
    assert push.pushed_by == user
    from weizhi.wechat.api.menu import get_menu

    assert get_menu() == [{"type": "click", "name": "头条", "key": "LATEST", "sub_button": []}]


@pytest.mark.django_db
def test_a_refused_push_is_recorded_with_wechats_reason_in_chinese(
    client, account_on_fake, django_capture_on_commit_callbacks
):
    account_on_fake.fail_next("/cgi-bin/menu/create", 48001)
    client.force_login(superuser())
    data = form_data(t0_name="头条", t0_type="click", t0_value="LATEST", push="1")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(URL, data)
    push = MenuPush.objects.get()
    assert push.status == MenuPush.Status.FAILED
    assert "没有该接口的权限" in push.message
    page = client.get(URL).content.decode()
    assert "没有该接口的权限" in page


@pytest.mark.django_db
def test_buttons_are_picked_from_pages_columns_articles_and_click_rules(client, home, settings):
    from tests import factories
    from weizhi.wechat.models import ReplyRule

    settings.SITE_URL = "http://127.0.0.1:9000"
    column = factories.column()
    story = factories.article(title="抗洪抢险纪实")
    ReplyRule.objects.create(
        name="联系我们", trigger="click", keywords="CONTACT", text="电话 010-00000000"
    )
    client.force_login(superuser())
    page = client.get(URL).content.decode()
    for label in (
        "我的（党员之家）",
        "每日答题",
        column.title,
        "抗洪抢险纪实",
        "联系我们（CONTACT）",
    ):
        assert label in page
    site = "http://127.0.0.1:9000"
    data = form_data(
        t0_name="我的",
        t0_pick=f"view:{site}/me/",
        t0_value="typed and overridden",
        t1_name="学习",
        t1s0_name="栏目",
        t1s0_pick=f"view:{site}{column.url}",
        t1s1_name="文章",
        t1s1_pick=f"view:{site}{story.url}",
        t2_name="联系",
        t2_pick="click:CONTACT",
        save="1",
    )
    response = client.post(URL, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    saved = CustomMenu.load().buttons
    assert saved[0] == {"name": "我的", "type": "view", "url": f"{site}/me/"}
    assert [b["url"] for b in saved[1]["sub_button"]] == [site + column.url, site + story.url]
    assert saved[2] == {"name": "联系", "type": "click", "key": "CONTACT"}
    again = client.get(URL).content.decode()
    assert '<option value="click:CONTACT" selected>' in again


@pytest.mark.django_db
def test_a_pick_that_no_longer_exists_is_refused_in_chinese(client, home):
    client.force_login(superuser())
    data = form_data(t0_name="旧", t0_pick="click:GONE", save="1")
    response = client.post(URL, data)
    assert response.status_code == 200
    assert "所选的页面或回复已不存在" in response.content.decode()
    assert CustomMenu.load().buttons == []


@pytest.mark.django_db
def test_the_demo_menu_follows_site_url_unless_someone_edited_it(home, settings):
    from weizhi.wechat.simulator.demo import load_demo_wechat

    settings.SITE_URL = "http://127.0.0.1:8000"
    load_demo_wechat()
    settings.SITE_URL = "http://127.0.0.1:9000"
    load_demo_wechat()
    urls = [
        b.get("url", "") for top in CustomMenu.load().buttons for b in top.get("sub_button", [])
    ]
    assert [u for u in urls if u] and all(u.startswith("http://127.0.0.1:9000/") for u in urls if u)
    saved = CustomMenu.load()
    saved.buttons = [{"name": "自己的", "type": "view", "url": "http://127.0.0.1:9000/"}]
    saved.save()
    settings.SITE_URL = "http://127.0.0.1:9100"
    load_demo_wechat()
    assert CustomMenu.load().buttons[0]["name"] == "自己的"
