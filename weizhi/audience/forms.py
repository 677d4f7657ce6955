"""Forms of the member pages; every message in Chinese."""

from __future__ import annotations

from django import forms
from django.contrib.auth.hashers import check_password
from django.contrib.auth.password_validation import (
    password_validators_help_texts,
    validate_password,
)

from . import services
from .models import Member

NUMBER = {"autocomplete": "username", "inputmode": "text", "placeholder": "如 100001"}


class ProofForm(forms.Form):
    """Employee number + name + the last four digits of the phone on the roster."""

    employee_number = forms.CharField(label="工号", max_length=20, widget=forms.TextInput(NUMBER))
    name = forms.CharField(label="姓名", max_length=30)
    phone_last4 = forms.RegexField(
        label="手机号后四位",
        regex=r"^\d{4}$",
        error_messages={"invalid": "请输入 4 位数字。"},
        widget=forms.TextInput({"inputmode": "numeric", "maxlength": 4, "autocomplete": "off"}),
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
        data["member"] = member
        return data


class LoginForm(forms.Form):
    employee_number = forms.CharField(label="工号", max_length=20, widget=forms.TextInput(NUMBER))
    password = forms.CharField(
        label="密码", widget=forms.PasswordInput({"autocomplete": "current-password"})
    )

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        member = Member.objects.active().filter(employee_number=data["employee_number"]).first()
        if (
            member is None
            or not member.password
            or not check_password(data["password"], member.password)
        ):
            raise forms.ValidationError("工号或密码不正确。首次登录请先验证身份并设置密码。")
        data["member"] = member
        return data


class SetPasswordForm(forms.Form):
    password1 = forms.CharField(
        label="新密码",
        widget=forms.PasswordInput({"autocomplete": "new-password"}),
        help_text="；".join(password_validators_help_texts()),
    )
    password2 = forms.CharField(
        label="再输入一次", widget=forms.PasswordInput({"autocomplete": "new-password"})
    )

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


class PhoneForm(forms.Form):
    phone = forms.CharField(
        label="手机号",
        max_length=20,
        required=False,
        widget=forms.TextInput({"inputmode": "tel", "autocomplete": "tel"}),
    )

    def clean_phone(self) -> str:
        return services.clean_phone(self.cleaned_data["phone"])


class BindingRequestForm(forms.Form):
    employee_number = forms.CharField(label="工号", max_length=20, widget=forms.TextInput(NUMBER))
    name = forms.CharField(label="姓名", max_length=30)
    note = forms.CharField(
        label="说明（选填）",
        max_length=200,
        required=False,
        widget=forms.Textarea({"rows": 2, "placeholder": "如：手机号已更换"}),
    )
