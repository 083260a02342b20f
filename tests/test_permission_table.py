"""The access table: for every endpoint, the permission it must declare, checked against every role.

A new endpoint without a row here fails the suite, so adding a page means deciding who may use it.
"""

import pytest

from secretariat.auth.models import Role
from secretariat.auth.permissions import Permission, access_of, role_has
from tests.factories import make_user
from tests.routes import routes

PUBLIC = "public"

#: endpoint → the permission it requires (or PUBLIC)
EXPECTED = {
    "auth.login": PUBLIC,
    "auth.set_password": PUBLIC,
    "core.healthz": PUBLIC,
    "core.readyz": PUBLIC,
    "agenda.calendar_feed": PUBLIC,  # the secret token in the URL is the credential
    "core.home": "signed_in",
    "core.mark_news_read": "signed_in",
    "auth.logout": "signed_in",
    "auth.account": "signed_in",
    "auth.change_password": "signed_in",
    "notify.save_preferences": "signed_in",
    "notify.follow_meeting": "read",
    "auth.mfa_code": "signed_in",
    "auth.mfa_setup": "signed_in",
    "auth.mfa_manage": "signed_in",
    "auth.mfa_cancel": "signed_in",
    "admin.reset_mfa": "manage_users",
    "admin.settings": "manage_users",
    "admin.mail_queue": "manage_users",
    "admin.users": "manage_users",
    "admin.create_user": "manage_users",
    "admin.edit_user": "manage_users",
    "admin.password_link": "manage_users",
    "admin.reset_sessions": "manage_users",
    "admin.audit_trail": "view_audit",
    "admin.verify_audit_trail": "view_audit",
    "agenda.meetings": "read",
    "agenda.export_csv": "read",
    "agenda.meeting": "read",
    "agenda.versions": "read",
    "agenda.version": "read",
    "agenda.compare_versions": "read",
    "agenda.as_of": "read",
    "agenda.print_agenda": "read",
    "agenda.print_minutes": "read",
    "agenda.meeting_ics": "read",
    "agenda.calendar_settings": "read",
    "agenda.propose": "contribute",
    "agenda.action_point_done": "contribute",
    "agenda.create_meeting": "coordinate",
    "agenda.edit_meeting": "coordinate",
    "agenda.change_status": "coordinate",
    "agenda.add_item": "coordinate",
    "agenda.add_items": "coordinate",
    "agenda.edit_item": "coordinate",
    "agenda.delete_item": "coordinate",
    "agenda.move_item": "coordinate",
    "agenda.accept_proposal": "coordinate",
    "agenda.decline_proposal": "coordinate",
    "agenda.edit_minutes": "coordinate",
    "agenda.adopt_minutes": "coordinate",
    "agenda.add_action_point": "coordinate",
    "programme.initiatives": "read",
    "programme.export_csv": "read",
    "programme.partner_view": "read",
    "programme.initiative": "read",
    "programme.som_summary": "read",
    "programme.silence_list": "read",
    "programme.silence_detail": "read",
    "programme.submit_report": "contribute",  # and the partner must sponsor the initiative
    "programme.comment": "contribute",
    "programme.silence_position": "contribute",
    "programme.import_csv": "coordinate",
    "programme.create_initiative": "coordinate",
    "programme.edit_initiative": "coordinate",
    "programme.change_status": "coordinate",
    "programme.add_milestone": "coordinate",
    "programme.toggle_milestone": "coordinate",
    "programme.review_report": "coordinate",
    "programme.create_programme": "coordinate",
    "programme.start_silence": "coordinate",
    "archive.search": "read",
    "archive.record": "read",  # and the record's confidentiality, embargo and withdrawal
    "archive.version": "read",
    "archive.download": "read",
    "archive.download_searchable_copy": "read",  # and the same record, version and file checks
    "archive.create": "coordinate",
    "archive.bulk_import": "coordinate",
    "archive.file_import": "coordinate",
    "archive.revise": "coordinate",
    "archive.withdraw": "coordinate",
    "archive.file_language": "coordinate",
    "archive.reindex": "coordinate",
    "audit.checkpoint": "signed_in",  # the chain's head, for partners to keep outside the database
}


def test_every_endpoint_has_a_row_and_declares_it(app):
    endpoints = {e for e in app.view_functions if e != "static"}
    assert endpoints == set(EXPECTED), {
        "missing rows": endpoints - set(EXPECTED),
        "stale rows": set(EXPECTED) - endpoints,
    }
    for endpoint, expected in EXPECTED.items():
        rule = access_of(app.view_functions[endpoint])
        declared = PUBLIC if rule.public else rule.permission.value
        assert declared == expected, endpoint


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_roles_without_the_permission_are_refused_everywhere(app, client, role):
    client.login(make_user(role).email)
    token = client.csrf_token("/")
    for method in ("GET", "POST"):
        for endpoint, url in routes(app, method):
            needed = EXPECTED[endpoint]
            if needed == PUBLIC or role_has(role, Permission(needed)):
                continue
            response = client.open(url, method=method, data={"csrf_token": token} if method == "POST" else None)
            assert response.status_code == 403, (role, method, url, response.status_code)
