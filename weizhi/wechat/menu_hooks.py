"""Admin URLs and the menu item of the custom-menu editor (registered with Wagtail's hooks)."""
