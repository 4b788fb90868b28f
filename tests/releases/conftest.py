"""The campaign tests' town (a shop, its editor, hashtags, neighbourhoods) serves here too."""

from tests.campaigns.conftest import town  # noqa: F401
