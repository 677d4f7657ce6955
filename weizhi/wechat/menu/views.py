"""The custom-menu editor: a grid shaped like the phone's menu bar (three columns of one top
button and five sub-buttons), a preview, and pushing to WeChat as a task."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from weizhi.wechat.account import current_account
from weizhi.wechat.api.errors import WeChatAPIError
from weizhi.wechat.models import CustomMenu, MenuPush

from . import pickers
from . import rules as menu
from . import services as menu_services

PERMISSION = "wechat.change_custommenu"
TYPE_CHOICES = [("", "—"), *menu.TYPES.items()]
FIELDS = ("name", "pick", "type", "value", "appid", "pagepath")


def _prefix(top: int, sub: int | None = None) -> str:
    return f"t{top}" if sub is None else f"t{top}s{sub}"


class MenuForm(forms.Form):
    """3 × (1 + 5) rows of name, type, value (key or address), appid, pagepath."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        picks = pickers.choices()
        for top in range(menu.MAX_TOP):
            for sub in (None, *range(menu.MAX_SUB)):
                p = _prefix(top, sub)
                self.fields[f"{p}_name"] = forms.CharField(required=False, max_length=30)
                self.fields[f"{p}_pick"] = forms.ChoiceField(
                    required=False,
                    choices=picks,
                    error_messages={"invalid_choice": "所选的页面或回复已不存在，请重新选择。"},
                )
                self.fields[f"{p}_type"] = forms.ChoiceField(required=False, choices=TYPE_CHOICES)
                self.fields[f"{p}_value"] = forms.CharField(required=False, max_length=1024)
                self.fields[f"{p}_appid"] = forms.CharField(required=False, max_length=64)
                self.fields[f"{p}_pagepath"] = forms.CharField(required=False, max_length=200)

    @classmethod
    def initial_from(cls, buttons: list[menu.Button]) -> dict[str, str]:
        initial: dict[str, str] = {}
        for top, button in enumerate(buttons[: menu.MAX_TOP]):
            _fill(initial, _prefix(top), button)
            for sub, child in enumerate((button.get("sub_button") or [])[: menu.MAX_SUB]):
                _fill(initial, _prefix(top, sub), child)
        known = _values(pickers.choices())
        for key in [k for k in initial if k.endswith("_type")]:
            p = key.removesuffix("_type")
            initial[f"{p}_pick"] = pickers.pick_for(initial[key], initial[f"{p}_value"], known)
        return initial

    def _button(self, prefix: str) -> menu.Button | None:
        data = {f: self.cleaned_data[f"{prefix}_{f}"].strip() for f in FIELDS}
        if not data["name"]:
            return None
        if data["pick"]:  # a page or rule picked from the list wins over what was typed
            data["type"], data["value"] = pickers.split(data["pick"])
        button = {"name": data["name"], "type": data["type"]}
        if data["type"] == "click":
            button["key"] = data["value"]
        elif data["type"]:
            button["url"] = data["value"]
        if data["type"] == "miniprogram":
            button["appid"], button["pagepath"] = data["appid"], data["pagepath"]
        return button

    def buttons(self) -> list[menu.Button]:
        result = []
        for top in range(menu.MAX_TOP):
            button = self._button(_prefix(top))
            subs = [self._button(_prefix(top, s)) for s in range(menu.MAX_SUB)]
            subs = [s for s in subs if s]
            if button is None and subs:
                button = {"name": "", "type": ""}
            if button is None:
                continue
            if subs:
                button = {"name": button["name"], "sub_button": subs}
            result.append(button)
        return result

    def clean(self) -> dict:
        cleaned = super().clean()
        if not self.errors:
            for error in menu.validate(self.buttons()):
                self.add_error(None, error)
        return cleaned

    def grid(self) -> list[dict]:
        """The bound fields arranged as the template draws them."""
        columns = []
        for top in range(menu.MAX_TOP):
            rows = [self._row(_prefix(top))]
            rows += [self._row(_prefix(top, s)) for s in range(menu.MAX_SUB)]
            columns.append({"number": top + 1, "top": rows[0], "subs": rows[1:]})
        return columns

    def _row(self, prefix: str) -> dict:
        row = {f: self[f"{prefix}_{f}"] for f in FIELDS}
        chosen = row["pick"].value() or ""
        groups = []
        for value, label in row["pick"].field.choices:
            items = label if isinstance(label, list) else [(value, label)]
            name = value if isinstance(label, list) else ""
            groups.append({"name": name, "options": [(v, t, v == chosen) for v, t in items]})
        row["pick_groups"] = groups
        return row


def _values(choices: list) -> set[str]:
    found: set[str] = set()
    for value, label in choices:
        if isinstance(label, list):
            found.update(v for v, _ in label)
        elif value:
            found.add(value)
    return found


def _fill(initial: dict[str, str], prefix: str, button: menu.Button) -> None:
    initial[f"{prefix}_name"] = button.get("name", "")
    initial[f"{prefix}_type"] = "" if button.get("sub_button") else button.get("type", "")
    initial[f"{prefix}_value"] = button.get("key") or button.get("url", "")
    initial[f"{prefix}_appid"] = button.get("appid", "")
    initial[f"{prefix}_pagepath"] = button.get("pagepath", "")


@permission_required(PERMISSION, raise_exception=True)
def edit(request: HttpRequest) -> HttpResponse:
    saved = CustomMenu.load()
    if request.method == "POST":
        form = MenuForm(request.POST)
        if form.is_valid():
            saved = menu_services.save_menu(form.buttons(), by=request.user)
            if "push" in request.POST:
                return _push(request, saved)
            messages.success(request, "菜单已保存。点“保存并推送”后才会在公众号生效。")
            return redirect("wechat_menu")
    else:
        form = MenuForm(initial=MenuForm.initial_from(saved.buttons))
    context = {
        "form": form,
        "saved": saved,
        "preview": saved.buttons,
        "pushes": MenuPush.objects.select_related("pushed_by")[:10],
        "account": current_account(),
        "limits": menu,
    }
    return render(request, "wechat/menu_edit.html", context)


def _push(request: HttpRequest, saved: CustomMenu) -> HttpResponse:
    menu_services.push_saved_menu(saved, by=request.user)
    messages.success(request, "菜单已保存，正在推送到公众号，结果见下方推送记录。")
    return redirect("wechat_menu")


@require_POST
@permission_required(PERMISSION, raise_exception=True)
def pull(request: HttpRequest) -> HttpResponse:
    """Replace the draft with the menu live in WeChat now (for accounts that had one)."""
    try:
        menu_services.pull_live_menu(by=request.user)
    except WeChatAPIError as exc:
        messages.error(request, f"读取公众号菜单失败：{exc.operator_message}")
        return redirect("wechat_menu")
    messages.success(request, "已读取公众号当前的菜单。")
    return redirect("wechat_menu")
