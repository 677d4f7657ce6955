"""Any change to the lexicon bumps the generation, so every process rebuilds its automaton."""

from django.db.models.signals import post_delete, post_save

from . import services
from .models import AllowedPhrase, Category, Lexicon, Term


def _changed(sender, **kwargs) -> None:
    services.lexicon_changed()


for _model in (AllowedPhrase, Category, Lexicon, Term):
    post_save.connect(_changed, sender=_model, dispatch_uid=f"screen-{_model.__name__}-save")
    post_delete.connect(_changed, sender=_model, dispatch_uid=f"screen-{_model.__name__}-delete")
