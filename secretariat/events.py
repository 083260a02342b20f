"""Signals between areas, so that one area reacts to another without importing it.

Receivers run inside the sender's transaction (they flush, never commit).
"""

from blinker import Namespace

_signals = Namespace()

#: sender: the Meeting; kwargs: status (new value), version (AgendaVersion frozen, or None), actor
meeting_status_changed = _signals.signal("meeting-status-changed")
#: sender: the Meeting; kwargs: minutes (adopted Minutes), actor
minutes_adopted = _signals.signal("minutes-adopted")
#: sender: the Initiative; kwargs: report (ProgressReport), actor
report_submitted = _signals.signal("report-submitted")
#: sender: the Initiative (created, edited or changed status)
initiative_changed = _signals.signal("initiative-changed")
#: sender: the Meeting; kwargs: changes (audit.diff of its fields), actor
meeting_changed = _signals.signal("meeting-changed")
