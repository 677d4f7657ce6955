"""The custom menu (自定义菜单): edited in the admin, checked against WeChat's limits, pushed and
pulled.
"""
