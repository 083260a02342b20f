"""CSV cells that spreadsheets cannot mistake for formulas (CSV injection)."""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value) -> str:
    """The value as text, with a leading apostrophe where a spreadsheet would run it as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in FORMULA_STARTS else text


def uncell(text: str) -> str:
    """Undo ``cell`` when reading our own exports back."""
    return text[1:] if text[:1] == "'" and text[1:2] in FORMULA_STARTS else text
