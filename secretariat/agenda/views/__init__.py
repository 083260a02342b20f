"""The agenda blueprint: meeting, agenda item, version, proposal, minutes and calendar pages.

Each module registers its routes on the one blueprint ``agenda``; importing them here is what
registers them. Each view parses the request, calls a service, then renders or redirects.
"""

from secretariat.agenda.views import (  # noqa: F401  (their routes register on bp)
    calendar_pages,
    item_pages,
    meeting_pages,
    minutes_pages,
    proposal_pages,
    version_pages,
)
from secretariat.agenda.views.blueprint import bp

__all__ = ["bp"]
