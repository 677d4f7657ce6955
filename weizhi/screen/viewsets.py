"""Admin screens for the lexicon: lexicons, categories, terms, allowed phrases, and the import."""

from __future__ import annotations

from django.urls import reverse_lazy
from wagtail.admin.menu import MenuItem as AdminMenuItem
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet

from weizhi.core.adminmenu import PermissionMenuItem

from .models import AllowedPhrase, Category, Lexicon, Term


class LexiconViewSet(ModelViewSet):
    model = Lexicon
    name = "screen_lexicon"
    icon = "folder-open-inverse"
    menu_label = "敏感词库"
    list_display = ["name", "active", "note", "created_at"]
    form_fields = ["name", "active", "note"]
    search_fields = ["name"]
    search_backend_name = None
    copy_view_enabled = False


class CategoryViewSet(ModelViewSet):
    model = Category
    name = "screen_category"
    icon = "tag"
    menu_label = "敏感词类别"
    list_display = ["name", "screened", "note"]
    form_fields = ["name", "screened", "note"]
    copy_view_enabled = False


class TermViewSet(ModelViewSet):
    model = Term
    name = "screen_term"
    icon = "warning"
    menu_label = "敏感词"
    list_display = ["text", "category", "lexicon"]
    list_filter = ["lexicon", "category"]
    form_fields = ["lexicon", "text", "category"]
    search_fields = ["text"]
    search_backend_name = None
    copy_view_enabled = False
    list_per_page = 50


class AllowedPhraseViewSet(ModelViewSet):
    model = AllowedPhrase
    name = "screen_allowed"
    icon = "success"
    menu_label = "白名单短语"
    list_display = ["text", "note"]
    form_fields = ["text", "note"]
    search_fields = ["text"]
    search_backend_name = None
    copy_view_enabled = False


class ScreenGroup(ViewSetGroup):
    menu_label = "敏感词"
    menu_icon = "warning"
    menu_order = 270
    items = (LexiconViewSet, TermViewSet, CategoryViewSet, AllowedPhraseViewSet)

    def get_submenu_items(self) -> list[AdminMenuItem]:
        extra = [
            PermissionMenuItem(
                "导入敏感词",
                reverse_lazy("screen_import"),
                icon_name="upload",
                order=90,
                permission="screen.import_terms",
            ),
            PermissionMenuItem(
                "试一试",
                reverse_lazy("screen_try"),
                icon_name="search",
                order=91,
                permission="screen.view_term",
            ),
        ]
        return [*super().get_submenu_items(), *extra]
