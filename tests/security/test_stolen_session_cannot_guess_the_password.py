"""A copied session cookie is no password oracle: the pages that ask for the current password
count wrong answers, and the fifth ends the session wherever the guesses come from."""

import pytest
import sqlalchemy as sa

from secretariat.audit.models import AuditEntry
from secretariat.auth.models import LoginAttempt
from secretariat.extensions import db
from tests.factories import DEFAULT_PASSWORD, make_user, path_of


def change_password(client, current, address):
    new = "an entirely new passphrase here"
    data = {"current_password": current, "password": new, "confirm": new}
    return client.submit("/account/password", data, page="/account", environ_base={"REMOTE_ADDR": address})


def remove_second_factor(client, current, address):
    return client.submit(
        "/account/two-factor/remove", {"password": current}, page="/account", environ_base={"REMOTE_ADDR": address}
    )


@pytest.mark.parametrize("guess", [change_password, remove_second_factor])
def test_five_wrong_current_passwords_end_the_session(client, guess):
    user = make_user("official", mfa=True)
    client.login(user.email)
    for n in range(4):
        response = guess(client, f"guess number {n} of the password", f"198.51.100.{n + 1}")
        assert client.get("/account").status_code == 200, response.status_code
    response = guess(client, "guess number 5 of the password", "198.51.100.9")
    assert path_of(response) == "/login"
    assert path_of(client.get("/account")).startswith("/login")
    # Even the right password is of no use in that session any more.
    assert path_of(guess(client, DEFAULT_PASSWORD, "198.51.100.10")).startswith("/login")
    actions = db.session.scalars(sa.select(AuditEntry.action)).all()
    assert "auth.session_ended_after_wrong_passwords" in actions
    # The guesses count with the sign-in failures of the account.
    assert db.session.scalar(sa.select(sa.func.count(LoginAttempt.id))) == 5


def test_the_owner_typing_the_right_password_is_not_affected(client):
    user = make_user("official", mfa=True)
    client.login(user.email)
    change_password(client, "one typo in the password", "192.0.2.1")
    response = remove_second_factor(client, DEFAULT_PASSWORD, "192.0.2.1")
    assert path_of(response) == "/account"
    assert client.get("/account").status_code == 200
