"""文章留言: readers' comments on published articles, pulled from WeChat and moderated
in the admin.
"""
