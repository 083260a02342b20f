"""Forms of the archive (shape only; rules in the services)."""

from __future__ import annotations

from datetime import UTC

from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import (
    DateField,
    DateTimeLocalField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp

from secretariat.archive.models import Confidentiality, RecordType
from secretariat.archive.search.languages import AUTO

TYPE_CHOICES = [SelectChoice(t.value, t.label) for t in RecordType]
LEVEL_CHOICES = [SelectChoice(c.value, c.label) for c in Confidentiality]
LANGUAGES = [
    ("en", "English"),
    ("fr", "French"),
    ("de", "German"),
    ("es", "Spanish"),
    ("zh", "Chinese"),
    ("ja", "Japanese"),
    ("ko", "Korean"),
    ("ru", "Russian"),
    ("vi", "Vietnamese"),
    ("th", "Thai"),
    ("id", "Indonesian"),
    ("ms", "Malay"),
    ("km", "Khmer"),
    ("lo", "Lao"),
    ("my", "Burmese"),
    ("it", "Italian"),
    ("pt", "Portuguese"),
    ("nl", "Dutch"),
    ("pl", "Polish"),
    ("el", "Greek"),
    ("other", "Other"),
]


class RecordForm(FlaskForm):
    """Meeting and partner choices are filled in by the view."""

    title = StringField("Title", validators=[DataRequired(), Length(max=500)])
    record_type = SelectField("Type", choices=TYPE_CHOICES, validators=[DataRequired()])
    record_date = DateField("Date of the document", validators=[DataRequired()])
    meeting_id = SelectField("Meeting", validators=[Optional()])
    partners = SelectMultipleField("Partners concerned", validators=[Optional()])
    #: detected at filing unless the filer names it (services.filed_language); each file's own is
    #: detected when its text is read, and corrected on the record's page
    language = SelectField(
        "Language",
        choices=[SelectChoice(AUTO, "Detect automatically"), *(SelectChoice(v, label) for v, label in LANGUAGES)],
        default=AUTO,
    )
    description_source = TextAreaField("Description", validators=[Optional(), Length(max=20000)])
    tags = StringField("Tags", validators=[Optional(), Length(max=500)])
    confidentiality = SelectField("Confidentiality", choices=LEVEL_CHOICES, validators=[DataRequired()])
    embargo_until = DateTimeLocalField("Embargo until (UTC)", format="%Y-%m-%dT%H:%M", validators=[Optional()])
    embargo_meeting_id = SelectField("… or until this meeting closes", validators=[Optional()])
    files = MultipleFileField("Files")
    keep_files = SelectMultipleField("Keep these files from the current version", validators=[Optional()])
    change_note = StringField("What changed in this version", validators=[Optional(), Length(max=1000)])
    # read with int(): anything but digits is a tampered form, refused with 400 rather than a 500
    version = HiddenField(validators=[Optional(), Regexp(r"^\d{1,9}$", message="Reload the page and try again.")])

    def record_data(self) -> dict:
        return {
            "title": self.title.data,
            "record_type": self.record_type.data,
            "record_date": self.record_date.data,
            "meeting_id": int(self.meeting_id.data) if self.meeting_id.data else None,
            "partners": self.partners.data or [],
            "language": self.language.data,
            "description_source": self.description_source.data or "",
            "tags": self.tags.data or "",
            "confidentiality": self.confidentiality.data,
            "embargo_until": self.embargo_until.data.replace(tzinfo=UTC) if self.embargo_until.data else None,
            "embargo_meeting_id": int(self.embargo_meeting_id.data) if self.embargo_meeting_id.data else None,
        }


class FileLanguageForm(FlaskForm):
    """A coordinator's correction of the language detected for one file."""

    language = SelectField("Language", choices=[SelectChoice(v, label) for v, label in LANGUAGES])


class WithdrawForm(FlaskForm):
    reason = TextAreaField("Reason (shown to coordinators)", validators=[DataRequired(), Length(max=2000)])


class ImportForm(FlaskForm):
    """A bulk import's upload: a .zip, or manifest.csv with the files it names (bulk_upload.py)."""

    files = MultipleFileField("A .zip file, or manifest.csv and its files")


class FileImportForm(FlaskForm):
    """Filing an upload that was previewed: the upload's token (bulk_upload.keep)."""

    token = HiddenField(validators=[DataRequired(), Regexp(r"^[0-9a-f]{32}$", message="Choose the files again.")])
