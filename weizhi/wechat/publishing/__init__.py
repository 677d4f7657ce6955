"""发布到公众号: a page as a WeChat article (draft, publish or mass send) and what
WeChat reports back.
"""
