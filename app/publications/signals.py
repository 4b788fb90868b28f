"""What happens to publications, for the domains above that act on it (webhooks) without this
domain knowing them."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()
# Sent with the Publication as sender when it is published for the first time, before the
# commit that publishes it: a listener's rows join the same transaction.
publication_published = _signals.signal("publication-published")
