"""Messages WeChat sends to weizhi: answered in the WSGI layer, routed by reply rules, stored
once before they are answered.
"""
