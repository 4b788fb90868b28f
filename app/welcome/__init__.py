"""Welcome offers (no pages of their own: an offer is made welcome on its form)."""
