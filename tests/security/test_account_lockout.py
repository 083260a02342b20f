"""Nobody can lock another person out (issue 25, item 12), and guessing still gets slower.

Attackers fail from many addresses; the owner signs in from a fresh address, or from a browser
they signed in from before (a device cookie), and gets in. Delays grow per account and address,
a device that fails too often loses its standing, and the answers never tell whether an
account exists.
"""

import json
import re
from datetime import timedelta

import pyotp
import sqlalchemy as sa

from secretariat.audit.models import AuditEntry
from secretariat.auth.devices import COOKIE_NAME
from secretariat.auth.models import LoginAttempt, TrustedDevice, User
from secretariat.extensions import db
from tests.factories import DEFAULT_PASSWORD, make_user, page_text, path_of

WRONG = "a guessed passphrase that is wrong"


def attempt(client, email, password=WRONG, address="203.0.113.1"):
    """One sign-in form sent from ``address``."""
    return client.submit("/login", {"email": email, "password": password}, environ_base={"REMOTE_ADDR": address})


def fail_from_many_addresses(app, email, addresses, per_address=5):
    attacker = app.test_client()
    for n in range(addresses):
        for _ in range(per_address):
            assert attempt(attacker, email, address=f"198.51.100.{n + 1}").status_code in (200, 429)


def code_step(client, user, address):
    db.session.execute(sa.update(User).where(User.id == user.id).values(totp_last_step=None))
    db.session.commit()
    code = pyotp.TOTP(user.totp_secret).now()
    return client.submit("/login/code", {"code": code}, environ_base={"REMOTE_ADDR": address})


def known_device(app, user, address="192.0.2.10"):
    """A browser the owner signed in from once (and signed out of): it holds a device cookie."""
    browser = app.test_client()
    response = attempt(browser, user.email, DEFAULT_PASSWORD, address)
    if path_of(response) == "/login/code":
        response = code_step(browser, user, address)
    assert response.status_code == 302 and path_of(response) == "/"
    assert browser.get_cookie(COOKIE_NAME, path="/login") is not None
    browser.logout()
    return browser


def age_failures(by: timedelta):
    """Let time pass for the recorded failures."""
    for failure in db.session.scalars(sa.select(LoginAttempt)):
        failure.created_at -= by
    db.session.commit()


def audited(action) -> list[dict]:
    """The details of every audit entry of this action, oldest first."""
    entries = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.seq))
    return [json.loads(entry.details) for entry in entries]


def test_fifty_failures_from_ten_addresses_do_not_lock_the_owner_out(app):
    owner = make_user()
    fail_from_many_addresses(app, owner.email, addresses=10)
    response = attempt(app.test_client(), owner.email, DEFAULT_PASSWORD, address="192.0.2.77")
    assert response.status_code == 302 and path_of(response) == "/"


def test_after_a_hundred_failures_only_known_devices_pass(app):
    owner = make_user()
    device = known_device(app, owner)
    fail_from_many_addresses(app, owner.email, addresses=20)  # 100 failures, 5 per address
    stranger = attempt(app.test_client(), owner.email, DEFAULT_PASSWORD, address="192.0.2.78")
    assert stranger.status_code == 429
    assert "device you have used before" in page_text(stranger)
    # The owner's own browser, from yet another address, still gets in.
    response = attempt(device, owner.email, DEFAULT_PASSWORD, address="192.0.2.79")
    assert response.status_code == 302 and path_of(response) == "/"
    assert [e["rule"] for e in audited("auth.throttle_passed_by_device")] == ["account"]
    assert "account" in [e["rule"] for e in audited("auth.login_throttled")]


def test_the_ceiling_answers_the_same_for_an_account_that_does_not_exist(app):
    owner = make_user()
    fail_from_many_addresses(app, owner.email, addresses=20)
    fail_from_many_addresses(app, "nobody@example.org", addresses=20)
    real = attempt(app.test_client(), owner.email, DEFAULT_PASSWORD, address="192.0.2.80")
    ghost = attempt(app.test_client(), "nobody@example.org", DEFAULT_PASSWORD, address="192.0.2.81")
    assert real.status_code == ghost.status_code == 429

    def strip(response, email):
        body = page_text(response).replace(email, "EMAIL")
        return re.sub(r'value="[^"]{20,}"', "", body)

    assert strip(real, owner.email) == strip(ghost, "nobody@example.org")


def test_a_known_device_is_not_slowed_by_others_at_its_own_address(app):
    """A shared office address: a colleague's (or an attacker's) failures do not stop the owner."""
    owner = make_user()
    device = known_device(app, owner, address="192.0.2.50")
    for _ in range(6):
        attempt(app.test_client(), owner.email, address="192.0.2.50")
    assert attempt(app.test_client(), owner.email, DEFAULT_PASSWORD, address="192.0.2.50").status_code == 429
    response = attempt(device, owner.email, DEFAULT_PASSWORD, address="192.0.2.50")
    assert response.status_code == 302 and path_of(response) == "/"


def test_delays_grow_per_account_and_address_and_are_capped(app, client):
    user = make_user()
    for _ in range(5):
        assert attempt(client, user.email).status_code == 200
    refused = attempt(client, user.email, DEFAULT_PASSWORD)
    assert refused.status_code == 429 and 25 <= int(refused.headers["Retry-After"]) <= 30
    age_failures(timedelta(seconds=31))
    assert attempt(client, user.email).status_code == 200  # the sixth failure: now a minute
    age_failures(timedelta(seconds=31))
    assert attempt(client, user.email, DEFAULT_PASSWORD).status_code == 429
    age_failures(timedelta(seconds=30))
    assert attempt(client, user.email).status_code == 200  # the seventh: two minutes
    age_failures(timedelta(seconds=61))
    assert attempt(client, user.email, DEFAULT_PASSWORD).status_code == 429
    # However many failures, the wait never exceeds the cap.
    db.session.add_all(LoginAttempt(email=user.email, ip_address="203.0.113.1") for _ in range(40))
    db.session.commit()
    refused = attempt(client, user.email, DEFAULT_PASSWORD)
    assert int(refused.headers["Retry-After"]) <= 15 * 60
    age_failures(timedelta(minutes=15, seconds=1))
    assert attempt(client, user.email, DEFAULT_PASSWORD).status_code == 302


def test_a_device_that_keeps_failing_is_locked(app):
    owner = make_user()
    device = known_device(app, owner, address="192.0.2.60")
    for n in range(10):
        # The device's own failures slow it down too; let the delay pass before each guess.
        age_failures(timedelta(minutes=16))
        assert attempt(device, owner.email, address=f"192.0.2.{100 + n}").status_code == 200
    locked = audited("auth.device_locked")
    assert len(locked) == 1 and locked[0]["user_id"] == owner.id
    assert db.session.scalar(sa.select(TrustedDevice.locked_at)) is not None
    # Locked, the cookie counts for nothing: the account's ceiling applies to it like to anyone.
    fail_from_many_addresses(app, owner.email, addresses=18)
    assert attempt(device, owner.email, DEFAULT_PASSWORD, address="192.0.2.61").status_code == 429


def test_a_device_cookie_of_one_account_does_not_help_against_another(app):
    victim = make_user()
    attacker = make_user()
    browser = known_device(app, attacker)
    fail_from_many_addresses(app, victim.email, addresses=20)
    assert attempt(browser, victim.email, DEFAULT_PASSWORD, address="192.0.2.90").status_code == 429


def test_a_forged_or_altered_device_cookie_counts_for_nothing(app):
    owner = make_user()
    browser = known_device(app, owner)
    fail_from_many_addresses(app, owner.email, addresses=20)
    value = browser.get_cookie(COOKIE_NAME, path="/login").value
    for forged in (value[:-2] + ("AA" if not value.endswith("AA") else "BB"), "x" * 40, ""):
        browser.set_cookie(COOKIE_NAME, forged, path="/login")
        assert attempt(browser, owner.email, DEFAULT_PASSWORD, address="192.0.2.91").status_code == 429


def test_the_device_cookie_is_http_only_and_stores_only_a_hash(app):
    owner = make_user()
    browser = app.test_client()
    response = attempt(browser, owner.email, DEFAULT_PASSWORD)
    header = next(v for k, v in response.headers.items() if k == "Set-Cookie" and v.startswith(COOKIE_NAME))
    assert "HttpOnly" in header and "Path=/login" in header and "SameSite=Strict" in header
    value = browser.get_cookie(COOKIE_NAME, path="/login").value
    stored = db.session.scalars(sa.select(TrustedDevice.nonce_hash)).all()
    assert len(stored) == 1 and stored[0] not in value
    # A second sign-in from the same browser keeps the same device.
    browser.logout()
    attempt(browser, owner.email, DEFAULT_PASSWORD)
    assert db.session.scalar(sa.select(sa.func.count(TrustedDevice.id))) == 1


def test_the_device_cookie_is_secure_in_production(app):
    app.config["SESSION_COOKIE_SECURE"] = True
    try:
        owner = make_user()
        response = attempt(app.test_client(), owner.email, DEFAULT_PASSWORD)
    finally:
        app.config["SESSION_COOKIE_SECURE"] = False
    header = next(v for k, v in response.headers.items() if k == "Set-Cookie" and v.startswith(COOKIE_NAME))
    assert "Secure" in header


def test_a_password_change_ends_the_devices_standing(app):
    owner = make_user()
    device = known_device(app, owner)
    admin = app.test_client()
    admin.login(make_user("admin").email)
    page = admin.submit(f"/admin/users/{owner.id}/password-link", page=f"/admin/users/{owner.id}")
    link = re.search(r'value="http://localhost(/password/set/[^"]+)"', page_text(page)).group(1)
    new = "another long and perfectly fine passphrase"
    app.test_client().submit(link, {"password": new, "confirm": new})
    fail_from_many_addresses(app, owner.email, addresses=20)
    assert attempt(device, owner.email, new, address="192.0.2.92").status_code == 429


def test_one_address_spraying_many_accounts_is_still_throttled_for_unknown_devices(app):
    owner = make_user()
    device = known_device(app, owner, address="192.0.2.40")
    sprayer = app.test_client()
    for n in range(20):
        attempt(sprayer, f"sprayed{n}@example.org", address="192.0.2.40")
    assert attempt(app.test_client(), owner.email, DEFAULT_PASSWORD, address="192.0.2.40").status_code == 429
    assert "address" in [e["rule"] for e in audited("auth.login_throttled")]
    assert attempt(device, owner.email, DEFAULT_PASSWORD, address="192.0.2.40").status_code == 302


def test_the_second_factor_is_throttled_per_account_and_spares_known_devices(app):
    """Someone who has the password guesses codes from many addresses: the owner's browser still gets in."""
    owner = make_user("coordinator")
    device = known_device(app, owner)
    for n in range(5):
        thief = app.test_client()
        address = f"198.51.100.{n + 1}"
        attempt(thief, owner.email, DEFAULT_PASSWORD, address=address)
        for _ in range(4):
            assert thief.submit("/login/code", {"code": "000000"}, environ_base={"REMOTE_ADDR": address}).status_code
    # 20 wrong codes: from a browser the owner never used, even the right code is refused now.
    stranger = app.test_client()
    attempt(stranger, owner.email, DEFAULT_PASSWORD, address="192.0.2.20")
    refused = code_step(stranger, owner, "192.0.2.20")
    assert refused.status_code == 429 and "Too many wrong codes" in page_text(refused)
    assert "account" in [e["rule"] for e in audited("mfa.throttled")]
    attempt(device, owner.email, DEFAULT_PASSWORD, address="192.0.2.21")
    response = code_step(device, owner, "192.0.2.21")
    assert response.status_code == 302 and path_of(response) == "/"
    assert [e["rule"] for e in audited("mfa.throttle_passed_by_device")] == ["account"]


def test_an_ipv6_network_counts_as_one_address(app):
    """Every host of a /64 belongs to one subscriber: changing the last bits does not reset the count."""
    owner = make_user()
    for n in range(5):
        attempt(app.test_client(), owner.email, address=f"2001:db8:1:2::{n + 1:x}")
    refused = attempt(app.test_client(), owner.email, DEFAULT_PASSWORD, address="2001:db8:1:2:ffff::9")
    assert refused.status_code == 429
    elsewhere = attempt(app.test_client(), owner.email, DEFAULT_PASSWORD, address="2001:db8:1:3::1")
    assert elsewhere.status_code == 302


def test_a_copied_device_cookie_stops_working_once_the_owner_signs_in_again(app):
    owner = make_user()
    device = known_device(app, owner)
    copy = device.get_cookie(COOKIE_NAME, path="/login").value
    assert attempt(device, owner.email, DEFAULT_PASSWORD).status_code == 302  # a new nonce each time
    assert device.get_cookie(COOKIE_NAME, path="/login").value != copy
    fail_from_many_addresses(app, owner.email, addresses=20)
    thief = app.test_client()
    thief.set_cookie(COOKIE_NAME, copy, path="/login")
    assert attempt(thief, owner.email, DEFAULT_PASSWORD, address="192.0.2.93").status_code == 429
