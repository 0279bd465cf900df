"""Cases (incidents): opened from an alert, a track or by hand; what they link, their notes and files,
their status and outcome, a timeline of every change, and the evidence pack (`cases/evidence.py`).

For the federation (chat): `releasable_to(case, partner)` says whether a partner may see a case, and
`service_for(store).subscribe(callback)` follows every change (`store.case_changes(after_id)` catches up).
"""

from seawatch.cases.model import LINK_KINDS, OUTCOMES, STATUSES, releasable_to
from seawatch.cases.service import CaseService, service_for

__all__ = ["LINK_KINDS", "OUTCOMES", "STATUSES", "CaseService", "releasable_to", "service_for"]
