from django import forms

from .models import Satisfaction

MAX_MESSAGE = 1000


class MessageForm(forms.Form):
    text = forms.CharField(
        label="留言内容",
        max_length=MAX_MESSAGE,
        widget=forms.Textarea(
            attrs={"rows": 6, "placeholder": "想咨询、建议或反映的事，写在这里。"}
        ),
        error_messages={
            "required": "请写下留言内容。",
            "max_length": f"留言不能超过 {MAX_MESSAGE} 字，可以分几条发。",
        },
    )

    def refuse(self, message: str) -> None:
        self.add_error(None, message)


class RatingForm(forms.Form):
    value = forms.ChoiceField(
        choices=Satisfaction.choices,
        error_messages={"required": "请选择一项。", "invalid_choice": "请选择一项。"},
    )
