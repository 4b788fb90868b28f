"""The shopping journey the commerce audit walks (Smart Commerce, Wallonia 2021): its default
steps, the five angles each step is looked at from, and the maturity scale of an assessment.

A town edits its own list of steps (app.audit's rounds); these are the ones it starts with, and
the codes other parts (the data inventory, the action plan's indicators) refer to."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

# (code, name): in the order of the journey.
DEFAULT_STEPS = (
    ("find_online", _l("Find the product or the shop online")),
    ("plan_trip", _l("Plan the trip")),
    ("get_there", _l("Get there (public transport, routes)")),
    ("park", _l("Park")),
    ("find_shop", _l("Find the shop")),
    ("buy", _l("Buy")),
    ("collect", _l("Collect an order (pick-up points)")),
    ("delivery", _l("Delivery")),
    ("after_sale", _l("After-sale and loyalty")),
)

# (code, name, what to look at): each step is assessed from these five angles.
ANGLES = (
    ("people", _l("People to mobilise"), _l("Who must act: the town, shopkeepers, associations, partners.")),
    ("technology", _l("Technology"), _l("What exists and what is needed: sites, apps, Wi-Fi, sensors, payment.")),
    ("gdpr", _l("GDPR compliance"), _l("Legal basis, information given, retention, processors.")),
    ("data_use", _l("Use of the data collected"), _l("What the data tells and what is done with it.")),
    ("cost_benefit", _l("Cost and benefit"), _l("What it costs, what it brings, for whom.")),
)

# Maturity of a step under an angle: 0 (nothing) to 4 (exemplary); None = not assessed yet.
MATURITY = (
    (0, _l("Absent")),
    (1, _l("Emerging")),
    (2, _l("Developing")),
    (3, _l("Established")),
    (4, _l("Exemplary")),
)
# A step×angle scored at or below this is a weak link; at or above STRONG, a strong one.
WEAK = 1
STRONG = 3
