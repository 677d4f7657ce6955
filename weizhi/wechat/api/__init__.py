"""WeChat's HTTP API, as weizhi calls it: the client, the shared token, one module per API
family. Imports nothing above wechat/account.py.
"""
