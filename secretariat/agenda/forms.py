"""Forms for meetings, agenda items, proposals, minutes and action points (shape only; rules in services)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp, ValidationError

from secretariat.agenda.models import ItemType, MeetingFormat, MeetingKind
from secretariat.web.zones import TimeZoneField

KIND_CHOICES = [SelectChoice(k.value, k.label) for k in MeetingKind]
FORMAT_CHOICES = [SelectChoice(f.value, f.label) for f in MeetingFormat]
ITEM_TYPE_CHOICES = [SelectChoice(t.value, t.label) for t in ItemType]
SECTOR_CHOICES = [
    SelectChoice("", "Not a sectoral meeting"),
    *(
        SelectChoice(s, s.title())
        for s in ("economy", "finance", "culture", "education", "labour", "transport", "environment", "other")
    ),
]
MARKDOWN_HINT = "Plain text; **bold**, *italic*, lists with - or 1., and links are formatted."


class MeetingForm(FlaskForm):
    """Create or edit a meeting. Host choices are filled in by the view."""

    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    kind = SelectField("Kind of meeting", choices=KIND_CHOICES, validators=[DataRequired()])
    sector = SelectField("Sector (ministerial meetings)", choices=SECTOR_CHOICES, validators=[Optional()])
    number = IntegerField("Number in its series", validators=[Optional(), NumberRange(min=1, max=999)])
    code = StringField("Short code", validators=[Optional(), Length(max=20)])
    city = StringField("City", validators=[Optional(), Length(max=120)])
    host = SelectField("Host partner", validators=[Optional()])
    time_zone = TimeZoneField("Time zone of the venue", blank="The host partner's time zone", validators=[Optional()])
    start_date = DateField("First day", validators=[DataRequired()])
    end_date = DateField("Last day", validators=[DataRequired()])
    start_time = TimeField("Start time (local)", validators=[Optional()])
    end_time = TimeField("End time on the last day (local)", validators=[Optional()])
    format = SelectField("Format", choices=FORMAT_CHOICES, validators=[DataRequired()])
    chair = StringField("Chair", validators=[Optional(), Length(max=200)])
    theme = StringField("Theme", validators=[Optional(), Length(max=300)])
    description_source = TextAreaField("Description", validators=[Optional(), Length(max=20000)])
    # read with int(): anything but digits is a tampered form, refused with 400 rather than a 500
    version = HiddenField(validators=[Optional(), Regexp(r"^\d{1,9}$", message="Reload the page and try again.")])

    def validate_end_date(self, field):
        if self.start_date.data and field.data and field.data < self.start_date.data:
            raise ValidationError("The last day cannot be before the first day.")


class ItemForm(FlaskForm):
    """Add or edit an agenda item. Partner choices are filled in by the view."""

    title = StringField("Title", validators=[DataRequired(), Length(max=300)])
    item_type = SelectField("Type", choices=ITEM_TYPE_CHOICES, validators=[DataRequired()])
    description_source = TextAreaField("Description", validators=[Optional(), Length(max=20000)])
    lead_partners = SelectMultipleField("Lead partners", validators=[Optional()])
    presenter = StringField("Presenter", validators=[Optional(), Length(max=200)])
    duration_minutes = IntegerField("Planned duration (minutes)", validators=[Optional(), NumberRange(min=0, max=1440)])
    fixed_start = DateTimeLocalField(
        "Fixed start (local date and time)", format="%Y-%m-%dT%H:%M", validators=[Optional()]
    )
    coordinator_notes = TextAreaField("Notes for coordinators only", validators=[Optional(), Length(max=5000)])
    parent_id = HiddenField()
    after_id = HiddenField()
    # read with int(): anything but digits is a tampered form, refused with 400 rather than a 500
    version = HiddenField(validators=[Optional(), Regexp(r"^\d{1,9}$", message="Reload the page and try again.")])

    def item_data(self) -> dict:
        return {
            "title": self.title.data,
            "item_type": self.item_type.data,
            "description_source": self.description_source.data or "",
            "lead_partners": self.lead_partners.data or [],
            "presenter": self.presenter.data or "",
            "duration_minutes": self.duration_minutes.data,
            "fixed_start": self.fixed_start.data,
            "coordinator_notes": self.coordinator_notes.data or "",
        }


class MoveForm(FlaskForm):
    action = HiddenField(validators=[DataRequired()])
    target = StringField("New number", validators=[Optional(), Length(max=20)])


#: how to type several items at once (shown under the box)
BULK_HINT = (
    "One item per line. Sub-items: indent them, or number them 2.1, 2.2 (numbers only give the level; "
    "the agenda numbers itself). At the end of a line: (15 min) or (1 h 30) for the duration, "
    "[decision], [information], [adoption] or [break] for the type (discussion if none)."
)


class BulkItemsForm(FlaskForm):
    """Several items typed one per line; where they go is chosen from the agenda (choices set by the view)."""

    lines = TextAreaField("Items, one per line", validators=[DataRequired(), Length(max=30000)], render_kw={"rows": 14})
    placement = SelectField("Where they go", validators=[DataRequired()], validate_choice=False)


class PlacementForm(FlaskForm):
    """Where an accepted proposal goes (choices set by the view)."""

    placement = SelectField(
        "Where it goes on the agenda", validators=[Optional()], validate_choice=False, default="end"
    )


class TransitionForm(FlaskForm):
    target = HiddenField(validators=[DataRequired()])
    note = StringField("Note for partners (optional)", validators=[Optional(), Length(max=500)])


class ProposalForm(FlaskForm):
    title = StringField("Title of the proposed item", validators=[DataRequired(), Length(max=300)])
    item_type = SelectField("Type", choices=ITEM_TYPE_CHOICES[:-1], validators=[DataRequired()])
    description_source = TextAreaField("Why and what", validators=[Optional(), Length(max=20000)])
    duration_minutes = IntegerField("Time needed (minutes)", validators=[Optional(), NumberRange(min=0, max=600)])


class DeclineForm(FlaskForm):
    reason = TextAreaField("Reason given to the proposer", validators=[InputRequired(), Length(min=3, max=2000)])


class ActionPointForm(FlaskForm):
    text = StringField("Action", validators=[DataRequired(), Length(max=1000)])
    partner = SelectField("Responsible partner", validators=[DataRequired()])
    due_date = DateField("Due date", validators=[Optional()])
    item_id = SelectField("Agenda item", validators=[Optional()])


class AsOfForm(FlaskForm):
    class Meta:
        csrf = False

    date = DateField("Date (UTC)", validators=[DataRequired()])
    time = TimeField("Time (UTC)", validators=[Optional()])
