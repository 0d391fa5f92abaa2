"""notification_service.util.auth: grants, principals and the derived try tokens."""

from __future__ import annotations

import hashlib

import pytest
from pydantic import ValidationError

from notification_service.util.auth import (
    ANYONE,
    TASK_RUNTIME,
    Authenticator,
    PermissionDenied,
    TokenGrant,
    Unauthenticated,
    auth_metadata,
    bearer_token,
    is_loopback,
    metadata_token,
    open_warning,
)

ADMIN = TokenGrant(name="admin", token="admin-secret-1")
WRITER = TokenGrant(name="writer", token="writer-secret-1", write=["a"])
READER = TokenGrant(name="reader", token="reader-secret-1", read=["a", "b"])
HASHED = TokenGrant(
    name="hashed", token_sha256=hashlib.sha256(b"hashed-secret-1").hexdigest().upper()
)


@pytest.fixture
def auth() -> Authenticator:
    return Authenticator([ADMIN, WRITER, READER, HASHED])


def test_without_grants_auth_is_off_and_everyone_may_do_everything() -> None:
    for grants in (None, []):
        auth = Authenticator(grants)
        assert not auth.enabled
        assert auth.authenticate(None) is ANYONE
        assert auth.try_token(7) is None
    assert ANYONE.can(None, write=True) and ANYONE.can("x", write=False)


def test_a_token_is_found_with_or_without_the_bearer_prefix(auth: Authenticator) -> None:
    assert auth.authenticate("Bearer admin-secret-1").name == "admin"
    assert auth.authenticate("bearer  writer-secret-1 ").name == "writer"
    assert auth.authenticate("reader-secret-1").name == "reader"


@pytest.mark.parametrize("value", [None, "", "   "])
def test_no_token_is_unauthenticated_with_a_hint(auth: Authenticator, value: str | None) -> None:
    with pytest.raises(Unauthenticated, match="NOTIFICATION_TOKEN") as info:
        auth.authenticate(value)
    assert "\n" not in str(info.value)


def test_an_unknown_token_is_unauthenticated(auth: Authenticator) -> None:
    with pytest.raises(Unauthenticated, match="^the token is not valid for this server$"):
        auth.authenticate("Bearer admin-secret-2")


def test_a_sha256_entry_accepts_the_token_it_hashes(auth: Authenticator) -> None:
    principal = auth.authenticate("Bearer hashed-secret-1")
    assert principal.name == "hashed"
    assert principal.can(None, write=True)  # neither read nor write: everything
    with pytest.raises(Unauthenticated):
        auth.authenticate(f"Bearer {HASHED.token_sha256}")  # the digest is no token


def test_a_grant_needs_exactly_one_secret_and_no_unknown_keys() -> None:
    with pytest.raises(ValidationError, match="exactly one of 'token' or 'token_sha256'"):
        TokenGrant(name="none")
    with pytest.raises(ValidationError, match="exactly one"):
        TokenGrant(token="long-enough-1", token_sha256="0" * 64)
    with pytest.raises(ValidationError):
        TokenGrant(token="short")
    with pytest.raises(ValidationError):
        TokenGrant(token_sha256="not-hex")
    with pytest.raises(ValidationError):
        TokenGrant(token="long-enough-1", namespaces=["a"])  # type: ignore[call-arg]


def test_write_implies_read_and_scopes_stop_at_their_namespaces(auth: Authenticator) -> None:
    writer = auth.authenticate("Bearer writer-secret-1")
    assert writer.can("a", write=True) and writer.can("a", write=False)
    assert not writer.can("b", write=True) and not writer.can("b", write=False)
    assert not writer.can(None, write=False)  # every namespace
    reader = auth.authenticate("Bearer reader-secret-1")
    assert reader.can("a", write=False) and reader.can("b", write=False)
    assert not reader.can("a", write=True)
    assert reader.readable_namespaces() == {"a", "b"}
    assert writer.readable_namespaces() == {"a"}
    assert auth.authenticate("Bearer admin-secret-1").readable_namespaces() is None


def test_star_stands_for_every_namespace() -> None:
    auth = Authenticator([TokenGrant(name="r", token="reads-all-1", read=["*"], write=["a"])])
    principal = auth.authenticate("Bearer reads-all-1")
    assert principal.can(None, write=False) and principal.can("zzz", write=False)
    assert principal.can("a", write=True) and not principal.can("zzz", write=True)
    assert not principal.can(None, write=True)
    assert principal.readable_namespaces() is None


def test_require_says_in_one_line_who_may_not_do_what(auth: Authenticator) -> None:
    writer = auth.authenticate("Bearer writer-secret-1")
    writer.require("a", write=True)
    with pytest.raises(PermissionDenied, match="^token 'writer' may not write namespace 'b'$"):
        writer.require("b", write=True)
    with pytest.raises(PermissionDenied, match="^token 'writer' may not read every namespace$"):
        writer.require(None, write=False)
    unnamed = Authenticator([TokenGrant(token="unnamed-one", read=["x"])])
    with pytest.raises(PermissionDenied, match="token 'token #1' may not read"):
        unnamed.authenticate("unnamed-one").require("y", write=False)


def test_a_try_token_is_good_for_its_try_only(auth: Authenticator) -> None:
    token = auth.try_token(42)
    assert token is not None and token.startswith("try.42.")
    principal = auth.authenticate(f"Bearer {token}")
    assert (principal.name, principal.task_execution_id) == (TASK_RUNTIME, 42)
    assert not principal.can("a", write=False)  # namespaces are not its business
    forged = token.replace("try.42.", "try.43.")
    with pytest.raises(Unauthenticated):
        auth.authenticate(f"Bearer {forged}")
    with pytest.raises(Unauthenticated):
        auth.authenticate("Bearer try.x.abc")


def test_servers_with_one_config_agree_on_try_tokens(auth: Authenticator) -> None:
    same = Authenticator([HASHED, READER, WRITER, ADMIN])  # order does not matter
    token = auth.try_token(5)
    assert same.try_token(5) == token
    assert same.authenticate(token).task_execution_id == 5
    changed = Authenticator([ADMIN, WRITER])  # a revoked token changes every try token
    assert changed.try_token(5) != token
    with pytest.raises(Unauthenticated):
        changed.authenticate(token)


def test_metadata_round_trip() -> None:
    assert auth_metadata(None) == () and auth_metadata("") == ()
    metadata = auth_metadata("t-1")
    assert metadata == (("authorization", "Bearer t-1"),)
    assert bearer_token(metadata_token(metadata)) == "t-1"
    assert metadata_token([("x-other", "1"), ("authorization", b"Bearer t-2")]) == "Bearer t-2"
    assert metadata_token(None) is None and metadata_token([("x", "y")]) is None


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("localhost", True),
        ("::1", True),
        ("[::1]", True),
        ("127.0.0.2", True),
        ("0.0.0.0", False),
        ("::", False),
        ("10.1.2.3", False),
        ("myhost.example", False),
    ],
)
def test_open_warning_only_off_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback
    warning = open_warning(host, "/etc/ns/notification_server.yaml")
    if loopback:
        assert warning is None
    else:
        assert warning is not None and host in warning
        assert "auth_tokens" in warning and "/etc/ns/notification_server.yaml" in warning
