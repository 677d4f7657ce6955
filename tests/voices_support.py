"""Shared by the voices tests: signing a member or a follower in on the test client."""

from weizhi.audience import identity


def sign_in_member(client, member) -> None:
    session = client.session
    session[identity.SESSION_MEMBER_KEY] = member.pk
    session[identity.SESSION_MEMBER_HASH] = identity._password_digest(member)
    session.save()


def sign_in_follower(client, follower) -> None:
    session = client.session
    session[identity.SESSION_FOLLOWER_KEY] = follower.pk
    session.save()
