"""Who the reader of an H5 page is: the follower they proved to be (a one-time link from
the chat, or OAuth), and the roster member they signed in as, kept in their session."""

from collections.abc import Callable

from django.contrib import auth
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.utils.crypto import constant_time_compare, salted_hmac

from weizhi.core.onerow import OneRow

from .models import Follower, Member

SESSION_FOLLOWER_KEY = "audience.follower_id"
LINK_SALT = "audience.login-link"
LOGIN_LINK_DAYS = 3


def login_follower(request: HttpRequest, follower: Follower) -> None:
    # A new session key, so a session fixed by someone else never carries the identity.
    request.session.cycle_key()
    request.session[SESSION_FOLLOWER_KEY] = follower.pk


def current_follower(request: HttpRequest) -> Follower | None:
    follower_id = request.session.get(SESSION_FOLLOWER_KEY)
    if follower_id is None:
        return None
    return Follower.objects.filter(pk=follower_id).first()


# A channel that can tell who the reader is without a password (WeChat's web OAuth) adds a
# route here: given the request and the path to come back to, the redirect that starts its
# sign-in, or None where it cannot (another browser, an account without OAuth).
SignInRoute = Callable[[HttpRequest, str], HttpResponse | None]
_sign_in_routes: list[SignInRoute] = []


def add_sign_in_route(route: SignInRoute) -> None:
    if route not in _sign_in_routes:
        _sign_in_routes.append(route)


def sign_in_elsewhere(request: HttpRequest, next_path: str) -> HttpResponse | None:
    """The redirect of the first route that can sign this reader in, or None.

    Only while the reader's follower is unknown: one who has proved it and is still not a
    member (not bound yet, or bound to someone who left the roster) would only come back.
    """
    if request.method != "GET" or current_follower(request) is not None:
        return None
    for route in _sign_in_routes:
        response = route(request, next_path)
        if response is not None:
            return response
    return None


# A member who signed in on the H5 pages with employee number and password (or a one-time
# link). The session also keeps a digest of the password hash, so that changing the password
# signs out every other session, as Django does for staff.
SESSION_MEMBER_KEY = "audience.member_id"
SESSION_MEMBER_HASH = "audience.member_hash"
# A member who has proved who they are but has not chosen a password yet, and the digest of
# the password hash at that moment: a proof made before a password was set cannot replace it.
SESSION_PROVED_KEY = "audience.proved_member_id"
SESSION_PROVED_HASH = "audience.proved_member_hash"


def _password_digest(member: Member) -> str:
    return salted_hmac("audience.member-session", member.password).hexdigest()


def login_member(request: HttpRequest, member: Member) -> None:
    request.session.cycle_key()
    request.session.pop(SESSION_PROVED_KEY, None)
    request.session.pop(SESSION_PROVED_HASH, None)
    request.session[SESSION_MEMBER_KEY] = member.pk
    request.session[SESSION_MEMBER_HASH] = _password_digest(member)


def sign_out(request: HttpRequest) -> None:
    """End every identity this session holds: the member, the WeChat follower (through whom
    a bound member is recognised too), a pending proof and a staff login, by flushing it."""
    auth.logout(request)


# Read on every member page: compiled once (see weizhi/core/onerow.py).
_ACTIVE_MEMBERS = OneRow(lambda: Member.objects.active().select_related("branch"))


def signed_in_member(request: HttpRequest) -> Member | None:
    member_id = request.session.get(SESSION_MEMBER_KEY)
    if member_id is None:
        return None
    member = _ACTIVE_MEMBERS.get(member_id)
    digest = request.session.get(SESSION_MEMBER_HASH, "")
    if member is None or not constant_time_compare(digest, _password_digest(member)):
        return None
    return member


def current_member(request: HttpRequest) -> Member | None:
    """The member on the roster this reader is: signed in, or through their bound follower."""
    member = signed_in_member(request)
    if member is not None:
        return member
    follower = current_follower(request)
    if follower is not None and follower.member_id is not None:
        return (
            Member.objects.active().select_related("branch").filter(pk=follower.member_id).first()
        )
    return None


def remember_proof(request: HttpRequest, member: Member) -> None:
    request.session.cycle_key()
    request.session[SESSION_PROVED_KEY] = member.pk
    request.session[SESSION_PROVED_HASH] = _password_digest(member)


def proved_member(request: HttpRequest) -> Member | None:
    member_id = request.session.get(SESSION_PROVED_KEY)
    if member_id is None:
        return None
    member = Member.objects.active().filter(pk=member_id).first()
    digest = request.session.get(SESSION_PROVED_HASH, "")
    if member is None or not constant_time_compare(digest, _password_digest(member)):
        return None
    return member


def login_link_token(member: Member) -> str:
    """A signed token for a one-time sign-in link. It dies when the member sets a password
    (the digest of the hash changes) or after LOGIN_LINK_DAYS."""
    return signing.dumps([member.pk, _password_digest(member)[:16]], salt=LINK_SALT)


def member_from_link(token: str) -> Member | None:
    try:
        pk, digest = signing.loads(token, salt=LINK_SALT, max_age=LOGIN_LINK_DAYS * 86400)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    member = Member.objects.active().filter(pk=pk).first()
    if member is None or not constant_time_compare(digest, _password_digest(member)[:16]):
        return None
    return member
