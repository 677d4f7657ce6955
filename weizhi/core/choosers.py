"""Snippet choosers that open only for users who may see the model.

Wagtail's chooser modals list every row to anyone who can sign in to the admin; ours ask for
the same permissions as the model's own listing (add, change, delete or view).
"""

from django.core.exceptions import PermissionDenied
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.snippets.views import chooser

LISTING = ("add", "change", "delete", "view")


class ListingPermissionRequired:
    def dispatch(self, request, *args, **kwargs):
        policy = ModelPermissionPolicy(self.model_class)
        if not policy.user_has_any_permission(request.user, LISTING):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class ChooseView(ListingPermissionRequired, chooser.ChooseView):
    pass


class ChooseResultsView(ListingPermissionRequired, chooser.ChooseResultsView):
    pass


class ChosenView(ListingPermissionRequired, chooser.SnippetChosenView):
    pass


class ChosenMultipleView(ListingPermissionRequired, chooser.SnippetChosenMultipleView):
    pass


class CreateView(ListingPermissionRequired, chooser.SnippetCreateView):
    pass


class SnippetChooserViewSet(chooser.SnippetChooserViewSet):
    choose_view_class = ChooseView
    choose_results_view_class = ChooseResultsView
    chosen_view_class = ChosenView
    chosen_multiple_view_class = ChosenMultipleView
    create_view_class = CreateView
