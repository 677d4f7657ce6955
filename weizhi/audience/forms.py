"""Forms of the member pages; every message in Chinese."""

from __future__ import annotations

from django import forms
from django.contrib.auth.hashers import check_password
from django.contrib.auth.password_validation import (
    password_validators_help_texts,
    validate_password,
)
from django.forms.utils import ErrorDict
from django.utils.crypto import constant_time_compare

from . import services
from .models import Member

NUMBER = {"autocomplete": "username", "inputmode": "text", "placeholder": "如 100001"}
LAST4 = {"inputmode": "numeric", "maxlength": 4, "autocomplete": "off"}
# Proof (number, name, four digits) is a weak secret: once a member has chosen a password it no
# longer signs anyone in; a forgotten password is reset by an administrator (admin_views).
PROOF_CLOSED = "已设置密码，请用密码登录；忘记密码请联系支部书记。"


class RefusableForm(forms.Form):
    """A form that checks nothing once its attempt is refused: a refused attempt that still
    said whether its secret (password, proof) was right would only slow the guessing."""

    refusal = ""

    def refuse(self, message: str) -> None:
        self.refusal = message
        self._errors = None

    def full_clean(self) -> None:
        if not self.refusal:
            return super().full_clean()
        self._errors, self.cleaned_data = ErrorDict(), {}
        self.add_error(None, self.refusal)


class ProofForm(RefusableForm):
    """Employee number + name + the last four digits of the phone on the roster."""

    employee_number = forms.CharField(label="工号", max_length=20, widget=forms.TextInput(NUMBER))
    name = forms.CharField(label="姓名", max_length=30)
    phone_last4 = forms.RegexField(
        label="手机号后四位",
        regex=r"^\d{4}$",
        error_messages={"invalid": "请输入 4 位数字。"},
        widget=forms.TextInput(LAST4),
    )

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        member = services.verify_identity(
            data["employee_number"], data["name"], data["phone_last4"]
        )
        if member is None:
            # One message for every mismatch, so the form cannot be used to probe the roster.
            raise forms.ValidationError("信息与名册不符，请核对工号、姓名和手机号后四位。")
        if member.password:
            # Said only after a correct proof, so it tells a stranger nothing.
            raise forms.ValidationError(PROOF_CLOSED)
        data["member"] = member
        return data


class LoginForm(RefusableForm):
    employee_number = forms.CharField(label="工号", max_length=20, widget=forms.TextInput(NUMBER))
    password = forms.CharField(
        label="密码", widget=forms.PasswordInput({"autocomplete": "current-password"})
    )

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        member = services.authenticate_member(data["employee_number"], data["password"])
        if member is None:
            raise forms.ValidationError("工号或密码不正确。首次登录请先验证身份并设置密码。")
        data["member"] = member
        return data


def current_password_field() -> forms.CharField:
    return forms.CharField(
        label="当前密码",
        error_messages={"required": "请输入当前密码。"},
        widget=forms.PasswordInput({"autocomplete": "current-password"}),
    )


def check_current_password(member: Member, raw: str) -> str:
    if not check_password(raw, member.password):
        raise forms.ValidationError("当前密码不正确。")
    return raw


class SetPasswordForm(RefusableForm):
    """A new password; a member changing one they already have also gives the current one
    (``member`` is None after a fresh proof or an administrator's link)."""

    current_password = current_password_field()
    password1 = forms.CharField(
        label="新密码",
        widget=forms.PasswordInput({"autocomplete": "new-password"}),
        help_text="；".join(password_validators_help_texts()),
    )
    password2 = forms.CharField(
        label="再输入一次", widget=forms.PasswordInput({"autocomplete": "new-password"})
    )

    def __init__(self, *args, member: Member | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.member = member
        if member is None:
            del self.fields["current_password"]

    def clean_current_password(self) -> str:
        return check_current_password(self.member, self.cleaned_data["current_password"])

    def clean(self):
        data = super().clean()
        if not self.errors and data["password1"] != data["password2"]:
            raise forms.ValidationError("两次输入的密码不一致。")
        if not self.errors:
            try:
                validate_password(data["password1"])
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data


class PhoneForm(RefusableForm):
    """A new phone number, confirmed by the current password or, for a member who has none
    yet, by the last four digits of the phone on the roster: the phone is what first-login
    proof checks, so a session alone (a borrowed WeChat) must not be enough to change it."""

    phone = forms.CharField(
        label="新手机号",
        max_length=20,
        required=False,
        widget=forms.TextInput({"inputmode": "tel", "autocomplete": "tel"}),
    )
    current_password = current_password_field()
    phone_last4 = forms.CharField(
        label="原手机号后四位",
        max_length=4,
        error_messages={"required": "请输入名册中原手机号的后四位。"},
        widget=forms.TextInput(LAST4),
    )

    def __init__(self, *args, member: Member, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.member = member
        del self.fields["phone_last4" if member.password else "current_password"]

    def clean_phone(self) -> str:
        return services.clean_phone(self.cleaned_data["phone"])

    def clean_current_password(self) -> str:
        return check_current_password(self.member, self.cleaned_data["current_password"])

    def clean_phone_last4(self) -> str:
        last4 = self.cleaned_data["phone_last4"].strip()
        if len(self.member.phone) != 11:
            raise forms.ValidationError("名册中没有你的手机号，无法核对身份，请联系支部书记更正。")
        if not constant_time_compare(last4, self.member.phone[-4:]):
            raise forms.ValidationError("原手机号后四位不正确。")
        return last4


class BindingRequestForm(forms.Form):
    employee_number = forms.CharField(label="工号", max_length=20, widget=forms.TextInput(NUMBER))
    name = forms.CharField(label="姓名", max_length=30)
    note = forms.CharField(
        label="说明（选填）",
        max_length=200,
        required=False,
        widget=forms.Textarea({"rows": 2, "placeholder": "如：手机号已更换"}),
    )
