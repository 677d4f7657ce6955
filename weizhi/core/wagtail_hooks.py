from wagtail import hooks

from .users_admin import BULK_ACTIONS

# Registered after Wagtail's own user bulk actions (order 0), which they replace.
for action_class in BULK_ACTIONS:
    hooks.register("register_bulk_action", action_class, order=1)
