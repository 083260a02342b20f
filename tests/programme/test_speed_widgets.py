"""The fast select widget and the one-url_for links print exactly what WTForms and url_for print."""

from __future__ import annotations

import pytest
from wtforms import Form, SelectField, SelectMultipleField
from wtforms.fields.choices import SelectChoice

from secretariat.agenda.links import UrlPattern
from secretariat.programme.forms import PlainOptionsSelect

CHOICES = [
    SelectChoice("", "No meeting"),
    SelectChoice("1", "Quotes \" and ' <b>tags</b> & ampersands"),
    SelectChoice("2", ""),  # an empty label shows the value, as WTForms does
    SelectChoice('3"><script>', "Value to escape"),
    SelectChoice("4", "Ünïcode — dash"),
]


class Both(Form):
    plain = SelectField("A", validators=[], widget=PlainOptionsSelect())
    wtforms = SelectField("A", validators=[])
    many_plain = SelectMultipleField("B", widget=PlainOptionsSelect(multiple=True))
    many_wtforms = SelectMultipleField("B")


@pytest.mark.parametrize("selected", ["", "1", "2", '3"><script>', "none of them"])
def test_plain_options_select_prints_what_wtforms_prints(selected):
    form = Both(
        data={"plain": selected, "wtforms": selected, "many_plain": [selected, "4"], "many_wtforms": [selected, "4"]}
    )
    for name in ("plain", "wtforms", "many_plain", "many_wtforms"):
        form[name].choices = CHOICES
    attrs = {"class_": "field__input", "required": False, "aria-describedby": "x-hint"}
    assert str(form.plain(**attrs)).replace('name="plain"', "") == str(form.wtforms(**attrs)).replace(
        'name="wtforms"', ""
    ).replace('id="wtforms"', 'id="plain"')
    assert str(form.many_plain(**attrs)).replace("many_plain", "X") == str(form.many_wtforms(**attrs)).replace(
        "many_wtforms", "X"
    )


def test_options_with_attributes_still_go_through_wtforms():
    form = Both()
    form.plain.choices = [SelectChoice("1", "One", render_kw={"disabled": True})]
    form.wtforms.choices = form.plain.choices
    assert str(form.plain()).replace("plain", "X") == str(form.wtforms()).replace("wtforms", "X")


def test_programme_links_from_one_pattern_are_url_fors_urls(app):
    with app.test_request_context("/"):
        from flask import url_for

        for object_id in (1, 7, 98765432, 987654321):
            assert UrlPattern("programme.initiative", "initiative_id")(object_id) == url_for(
                "programme.initiative", initiative_id=object_id
            )
            assert UrlPattern("programme.review_report", "report_id", initiative_id=object_id)(3) == url_for(
                "programme.review_report", initiative_id=object_id, report_id=3
            )
