"""What happens to street reports, for the domains above that act on it (webhooks) without this
domain knowing them."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()
# Sent with the Report as sender and ``status=`` its new status by ``change_status``, before the
# commit that changes it: a listener's rows join the same transaction.
report_status_changed = _signals.signal("report-status-changed")
