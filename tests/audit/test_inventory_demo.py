"""La Ciotat's demo ships with its data inventory filled in: the admin sees its sources under
their steps, beside the platform's own."""

from __future__ import annotations

from sqlalchemy import select

from app.accounts.models import User
from app.audit.forms_inventory import DataSourceForm
from app.audit.models_inventory import AuditDataSource
from app.extensions import db
from app.territories.models import Territory
from tests.factories import login_as


def test_la_ciotat_lists_its_data_sources(runner, client, app):
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    territory = db.session.scalar(select(Territory).where(Territory.slug == "laciotat"))
    sources = list(db.session.scalars(select(AuditDataSource).where(AuditDataSource.territory_id == territory.id)))
    assert 5 <= len(sources) <= 6
    assert {step for s in sources for step in s.steps} >= {"park", "get_there", "find_shop"}
    others = db.session.scalars(select(AuditDataSource).where(AuditDataSource.territory_id != territory.id)).all()
    assert others == []
    # Every demo source is one the form would accept (a legal basis exactly when personal data).
    for source in sources:
        assert (source.legal_basis != "none") == source.personal_data, source.name
    with app.test_request_context():
        for source in sources:
            form = DataSourceForm(obj=source, meta={"csrf": False})
            assert form.validate(), (source.name, form.errors)
    admin = db.session.scalar(select(User).where(User.territory_id == territory.id, User.is_admin.is_(True)))
    login_as(client, admin)
    host = f"http://{territory.hosts[0].hostname}"
    page = client.get("/admin/audit/data?step=park", base_url=host).get_data(as_text=True)
    assert "Capteurs d’occupation des parkings" in page and 'id="platform-footfall"' not in page
    assert 'id="platform-click_and_collect"' in client.get("/admin/audit/data", base_url=host).get_data(as_text=True)
