"""Work programme pages: initiatives, reports and comments, the SOM summary, silence procedures."""

from secretariat.programme.views import initiatives, reports, silence  # noqa: F401 (each adds its routes to bp)
from secretariat.programme.views.blueprint import bp

__all__ = ["bp"]
