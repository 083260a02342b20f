"""The audit trail. Areas call ``audit.record(actor, action, obj, **details)`` inside their transaction."""

from secretariat.audit.services import diff, record, verify

__all__ = ["diff", "record", "verify"]
