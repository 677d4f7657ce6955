"""Who the reader of an H5 page is: the follower they proved to be (a one-time link from
the chat, or OAuth), kept in their session."""

from django.http import HttpRequest

from .models import Follower

SESSION_FOLLOWER_KEY = "audience.follower_id"


def login_follower(request: HttpRequest, follower: Follower) -> None:
    # A new session key, so a session fixed by someone else never carries the identity.
    request.session.cycle_key()
    request.session[SESSION_FOLLOWER_KEY] = follower.pk


def current_follower(request: HttpRequest) -> Follower | None:
    follower_id = request.session.get(SESSION_FOLLOWER_KEY)
    if follower_id is None:
        return None
    return Follower.objects.filter(pk=follower_id).first()


def logout_follower(request: HttpRequest) -> None:
    request.session.pop(SESSION_FOLLOWER_KEY, None)
