"""Followers and their tags between WeChat and the audience app's roster."""
