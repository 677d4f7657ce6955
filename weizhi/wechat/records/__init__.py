"""The models (tables wechat_outbound_*) of sends, uploads, tokens and article comments."""
