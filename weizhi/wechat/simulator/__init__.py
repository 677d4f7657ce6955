"""公众号模拟器: a phone in the admin that talks to the real callback as a simulated follower, and
the demo.
"""
