"""Forms of the work programme (shape only; rules live in the services)."""

from __future__ import annotations

from zoneinfo import ZoneInfo, available_timezones

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired, MultipleFileField
from wtforms import (
    DateField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp, ValidationError

from secretariat.programme.models import InitiativeStatus, Pillar
from secretariat.timeutil import utcnow
from secretariat.web.zones import TimeZoneField

PILLAR_CHOICES = [SelectChoice(p.value, p.label) for p in Pillar]
STATUS_CHOICES = [SelectChoice(s.value, s.label) for s in InitiativeStatus]


class InitiativeForm(FlaskForm):
    """Choices for partners, meetings, programmes and contacts are filled in by the view."""

    code = StringField("Reference code", validators=[DataRequired(), Length(max=40)])
    title = StringField("Title", validators=[DataRequired(), Length(max=300)])
    pillar = SelectField("Pillar", choices=PILLAR_CHOICES, validators=[DataRequired()])
    lead_partner = SelectField("Lead partner", validators=[DataRequired()])
    co_sponsors = SelectMultipleField("Co-sponsoring partners", validators=[Optional()])
    programme_id = SelectField("Work programme", validators=[Optional()])
    start_date = DateField("Start", validators=[Optional()])
    end_date = DateField("End", validators=[Optional()])
    mandate_meeting_id = SelectField("Mandated or endorsed at", validators=[Optional()])
    mandate_reference = StringField("Where in its record", validators=[Optional(), Length(max=300)])
    mandate_record_id = IntegerField("Archive record of the mandate (its number)", validators=[Optional()])
    contacts = SelectMultipleField("Contact officials", validators=[Optional()])
    summary_source = TextAreaField("Summary", validators=[Optional(), Length(max=20000)])
    # read with int(): anything but digits is a tampered form, refused with 400 rather than a 500
    version = HiddenField(validators=[Optional(), Regexp(r"^\d{1,9}$", message="Reload the page and try again.")])

    def initiative_data(self) -> dict:
        return {
            "code": self.code.data,
            "title": self.title.data,
            "pillar": self.pillar.data,
            "lead_partner": self.lead_partner.data,
            "co_sponsors": self.co_sponsors.data or [],
            "programme_id": int(self.programme_id.data) if self.programme_id.data else None,
            "start_date": self.start_date.data,
            "end_date": self.end_date.data,
            "mandate_meeting_id": int(self.mandate_meeting_id.data) if self.mandate_meeting_id.data else None,
            "mandate_reference": self.mandate_reference.data or "",
            "mandate_record_id": self.mandate_record_id.data,
            "contacts": self.contacts.data or [],
            "summary_source": self.summary_source.data or "",
        }

    # The checks that need nothing but the form run with the others, so that one try shows every
    # mistake; the services check again (they are the rule), and report what needs the database.
    def validate_end_date(self, field):
        if self.start_date.data and field.data and field.data < self.start_date.data:
            raise ValidationError("The end date cannot be before the start date.")


class StatusForm(FlaskForm):
    status = SelectField("New status", choices=STATUS_CHOICES, validators=[DataRequired()])
    effective_date = DateField("Date of the change", validators=[DataRequired()])
    meeting_id = SelectField("At the meeting", validators=[Optional()])
    note = StringField("Note", validators=[Optional(), Length(max=500)])


class MilestoneForm(FlaskForm):
    title = StringField("Milestone or deliverable", validators=[DataRequired(), Length(max=300)])
    kind = SelectField(
        "Kind", choices=[SelectChoice("milestone", "Milestone"), SelectChoice("deliverable", "Deliverable")]
    )
    due_date = DateField("Due date", validators=[Optional()])


class ReportForm(FlaskForm):
    period_start = DateField("Period from", validators=[DataRequired()])
    period_end = DateField("Period to", validators=[DataRequired()])
    text = TextAreaField("Progress", validators=[DataRequired(), Length(max=50000)])
    milestones_done = SelectMultipleField("Milestones done", validators=[Optional()])
    attachments = MultipleFileField("Attachments")

    def validate_period_end(self, field):
        if self.period_start.data and field.data and field.data < self.period_start.data:
            raise ValidationError("The period must end after it starts.")


class CommentForm(FlaskForm):
    text = TextAreaField("Comment", validators=[DataRequired(), Length(max=10000)])
    report_id = HiddenField()


class ProgrammeForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    start_year = IntegerField("First year", validators=[DataRequired(), NumberRange(min=1996, max=2100)])
    end_year = IntegerField("Last year", validators=[DataRequired(), NumberRange(min=1996, max=2100)])

    def validate_end_year(self, field):
        if self.start_year.data and field.data and field.data < self.start_year.data:
            raise ValidationError("The period must end after it starts.")


class ImportForm(FlaskForm):
    file = FileField("CSV file", validators=[FileRequired()])


class SilenceForm(FlaskForm):
    subject = StringField("Subject", validators=[DataRequired(), Length(max=300)])
    text = TextAreaField("Text under silence procedure", validators=[DataRequired(), Length(max=50000)])
    deadline = DateTimeLocalField("Deadline (local time)", format="%Y-%m-%dT%H:%M", validators=[DataRequired()])
    zone = TimeZoneField("Time zone of the deadline", default="Europe/Brussels", validators=[DataRequired()])
    initiative_id = SelectField("Initiative concerned", validators=[Optional()])
    proposed_status = SelectField("Status the initiative takes if adopted", validators=[Optional()])

    def validate_deadline(self, field):
        zone = self.zone.data
        if field.data and zone in available_timezones() and field.data.replace(tzinfo=ZoneInfo(zone)) <= utcnow():
            raise ValidationError("The deadline must be in the future.")

    def validate_proposed_status(self, field):
        if field.data and not self.initiative_id.data:
            raise ValidationError("A status change needs an initiative: choose one above, or no status change.")


class PositionForm(FlaskForm):
    position = HiddenField(validators=[DataRequired()])
    reason = TextAreaField("Reason (required to break silence)", validators=[Optional(), Length(max=5000)])
