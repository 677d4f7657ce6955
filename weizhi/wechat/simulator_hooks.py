"""Admin URLs and the menu item of the 公众号模拟器 (registered with Wagtail's hooks)."""
