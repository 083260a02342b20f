"""Forms for managing users and filtering the audit trail."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, EmailField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional

from secretariat.audit.labels import OBJECTS
from secretariat.auth.models import Role

#: least privilege first: the list reads from "only reads" to "manages users"
ROLE_CHOICES = [SelectChoice(role.value, role.label) for role in reversed(Role)]


class EditUserForm(FlaskForm):
    """Edit a user (the email address is the account's identity and stays). Partner choices come from the view."""

    display_name = StringField("Full name", validators=[DataRequired(), Length(max=120)])
    partner = SelectField("Partner", validators=[DataRequired()])
    role = SelectField("Role", choices=ROLE_CHOICES, validators=[DataRequired()])
    active = BooleanField("Account active (may sign in)")


class UserForm(EditUserForm):
    """Create a user; new accounts are always active."""

    email = EmailField("Email address", validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)])
    #: a new account starts with the least role; administrator is never preselected
    role = SelectField("Role", choices=ROLE_CHOICES, default=Role.OBSERVER.value, validators=[DataRequired()])
    active = None


class AuditFilterForm(FlaskForm):
    """A GET form: no CSRF token needed since it changes nothing."""

    class Meta:
        csrf = False

    action = StringField("Action starts with", validators=[Optional(), Length(max=80)])
    actor = StringField("Actor email contains", validators=[Optional(), Length(max=254)])
    object_type = SelectField(
        "About",
        choices=[SelectChoice("", "Anything")]
        + [SelectChoice(kind, label) for kind, label in sorted(OBJECTS.items(), key=lambda pair: pair[1])],
        validate_choice=False,
        validators=[Optional(), Length(max=40)],
    )
    object_id = StringField("Its number", validators=[Optional(), Length(max=64)])
    date_from = DateField("From (UTC date)", validators=[Optional()])
    date_to = DateField("To (UTC date)", validators=[Optional()])
