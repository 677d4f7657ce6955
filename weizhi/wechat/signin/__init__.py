"""Signing followers in: OAuth, sign-in links sent in chat, the JS-SDK config and the share card."""
