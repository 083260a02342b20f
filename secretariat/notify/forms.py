"""The notification preferences on the account page."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from secretariat.notify import preferences
from secretariat.notify.models import Delivery, NotificationPreference

DELIVERY_CHOICES = [SelectChoice(d.value, d.label) for d in Delivery]


class PreferencesForm(FlaskForm):
    """One choice per category that may be changed (fields named after the categories), and the hour."""

    digest_hour = SelectField(
        "Hour of the daily digest",
        choices=[SelectChoice(hour, f"{hour:02d}:00") for hour in range(24)],
        coerce=int,
        validators=[InputRequired()],
    )

    def chosen(self) -> dict[preferences.Category, Delivery]:
        return {category: Delivery(self[category.value].data) for category in preferences.CHOOSABLE}

    def category_fields(self):
        return [self[category.value] for category in preferences.CHOOSABLE]


for _category in preferences.CHOOSABLE:
    setattr(
        PreferencesForm,
        _category.value,
        SelectField(_category.label, choices=DELIVERY_CHOICES, validators=[InputRequired()]),
    )


def preferences_form(preference: NotificationPreference | None, **kwargs) -> PreferencesForm:
    """The form filled with the person's current choices (the defaults where they chose nothing)."""
    data = {category.value: preferences.delivery(preference, category).value for category in preferences.CHOOSABLE}
    return PreferencesForm(data={**data, "digest_hour": preferences.digest_hour(preference)}, **kwargs)
