"""The WeChat side of the inbox (留言): followers' messages in, the office's answers out."""
