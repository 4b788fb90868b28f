"""The observatory of needs, as a town admin and the public read it."""

from __future__ import annotations

import re
from html import unescape

import pytest
from sqlalchemy import select

from app.extensions import db
from app.polls.models import PollQuestion
from app.releases.models import CountRelease
from tests.factories import (
    login_as,
    make_actor,
    make_hashtag,
    make_member,
    make_neighbourhood,
    make_user,
)
from tests.observatory.conftest import csv_rows, page_tables, plant
from tests.support.csrf import csrf_token

ADMIN_PAGES = ["/admin/observatory", "/admin/observatory/mix-neighbourhoods.csv",
               "/admin/observatory/footfall.csv?days=7", "/admin/observatory/readme.txt"]


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_a_merchant_cannot_enter_the_observatory(client, territory, path):
    merchant = make_user(territory)
    make_member(merchant, make_actor(territory, "Boulangerie du Port"))
    login_as(client, merchant)
    assert client.get(path).status_code == 403


def test_a_merchant_cannot_publish_it(client, territory):
    merchant = make_user(territory)
    make_member(merchant, make_actor(territory, "Boulangerie du Port"))
    login_as(client, merchant)
    token = csrf_token(client, "/")
    assert client.post("/admin/observatory/publishing", data={"csrf_token": token, "sections": "mix"}).status_code == 403
    assert client.get("/observatory").status_code == 404


def test_an_anonymous_visitor_is_sent_to_log_in(client, territory):
    response = client.get("/admin/observatory")
    assert response.status_code in (302, 303) and "/login" in response.headers["Location"]


def test_the_admin_of_another_town_gets_403(client, territory):
    from tests.factories import make_territory

    other = make_territory("montgenevre", "Montgenèvre", hosts=("station.localhost",))
    login_as(client, make_user(other, is_admin=True), base_url="http://station.localhost")
    assert client.get("/admin/observatory", base_url="http://localhost").status_code in (302, 303, 403)


def _row(table, label):
    [row] = [row for row in table if row[0] == label]
    return row


def test_a_small_group_is_an_empty_cell_like_nobody(admin_client, territory):
    """15 residents and 4 tourists in the harbour: the tourists' cell reads as the beach's
    (nobody), empty, on the page and in the CSV; the page never says 4."""
    harbour = make_neighbourhood(territory, "Harbour")
    make_neighbourhood(territory, "Beach")
    plant(territory, 15, hood=harbour, population_type="resident")
    plant(territory, 4, hood=harbour, population_type="tourist")
    html = admin_client.get("/admin/observatory").get_data(as_text=True)
    table = page_tables(html)["mix-neighbourhoods"]
    header = table[0]
    harbour_row, beach_row = _row(table, "Harbour"), _row(table, "Beach")
    tourist = header.index("Tourist")
    assert harbour_row[header.index("Permanent resident")] == "20"
    assert harbour_row[tourist] == "" == beach_row[tourist]
    # The same markup: an empty <td></td> for the hidden cell and for nobody.
    rows = re.findall(r"<tr><th scope=\"row\">(Harbour|Beach)</th>(.*?)</tr>", html)
    cells = {label: re.findall(r"<td[^>]*>[^<]*</td>", body) for label, body in rows}
    assert cells["Harbour"][tourist - 1] == cells["Beach"][tourist - 1] == "<td></td>"
    # The harbour's total (19, released 20) minus the residents (20) leaves nothing to find.
    assert harbour_row[-1] == "20"
    csv_table = csv_rows(admin_client.get("/admin/observatory/mix-neighbourhoods.csv"))
    assert _row(csv_table, "Harbour")[tourist] == "" == _row(csv_table, "Beach")[tourist]
    assert not any("4" in cell for row in table + csv_table for cell in row[1:])


def test_a_total_never_reveals_a_hidden_cell(admin_client, territory):
    """24 residents (released 20) and 9 tourists (hidden) in the harbour, 33 in all (released 30):
    30 - 20 would say "about 10 tourists", so the residents' figure is hidden too."""
    harbour = make_neighbourhood(territory, "Harbour")
    plant(territory, 24, hood=harbour, population_type="resident")
    plant(territory, 9, hood=harbour, population_type="tourist")
    table = page_tables(admin_client.get("/admin/observatory").get_data(as_text=True))["mix-neighbourhoods"]
    header, harbour_row = table[0], _row(table, "Harbour")
    assert harbour_row[-1] == "30"
    assert all(cell == "" for cell in harbour_row[1:-1])
    town = _row(table, "Whole town")
    assert town[header.index("Permanent resident")] == "20" and town[header.index("Tourist")] == ""


def test_only_people_who_consented_count(admin_client, territory):
    harbour = make_neighbourhood(territory, "Harbour")
    plant(territory, 30, hood=harbour, population_type="resident", consent=False)
    table = page_tables(admin_client.get("/admin/observatory").get_data(as_text=True))["mix-neighbourhoods"]
    assert set(_row(table, "Harbour")[1:]) == {""}


def test_shares_come_from_released_counts(admin_client, territory):
    ski, market = make_hashtag(territory, "ski"), make_hashtag(territory, "marche")
    plant(territory, 26, population_type="tourist", hashtags=[ski])  # released 30
    plant(territory, 14, population_type="tourist", hashtags=[market])  # released 11
    table = page_tables(admin_client.get("/admin/observatory").get_data(as_text=True))["hashtags"]
    header = table[0]
    tourist = header.index("Tourist")
    # 40 tourists (released 40): #ski 30/40, #marche 11/40 (exact counts would say 65 % and 35 %).
    assert _row(table, "#ski")[tourist] == "75%"
    assert _row(table, "#marche")[tourist] == "28%"
    assert _row(table, "People counted (the base of the shares)")[tourist] == "40"


@pytest.mark.parametrize("table_id", ["mix-neighbourhoods", "mix-months", "hashtags", "footfall"])
def test_each_csv_is_the_table_on_the_page(admin_client, territory, table_id):
    from tests.observatory.test_footfall import plant_footfall

    harbour = make_neighbourhood(territory, "Harbour")
    tag = make_hashtag(territory, "ski")
    plant(territory, 40, hood=harbour, population_type="resident", hashtags=[tag])
    plant(territory, 5, hood=harbour, population_type="tourist", hashtags=[tag])
    plant_footfall(territory, harbour)
    html = admin_client.get("/admin/observatory?days=7").get_data(as_text=True)
    page = page_tables(html)
    # The page's own download link, the period included.
    [link] = re.findall(rf'href="(/admin/observatory/{table_id}\.csv[^"]*)"', html)
    response = admin_client.get(unescape(link))
    assert response.mimetype == "text/csv"
    assert csv_rows(response) == page[table_id]
    assert any(cell for row in page[table_id][1:] for cell in row[1:])  # not an empty table


def test_the_public_page_shows_only_the_chosen_parts(client, admin_client, territory):
    from tests.observatory.test_footfall import plant_footfall

    harbour = make_neighbourhood(territory, "Harbour")
    plant(territory, 40, hood=harbour, population_type="resident")
    plant_footfall(territory, harbour)
    assert client.get("/observatory").status_code == 404
    assert "/observatory" not in re.sub(r'href="/admin[^"]*"', "", client.get("/legal/terms").get_data(as_text=True))

    token = csrf_token(admin_client, "/admin/observatory")
    response = admin_client.post("/admin/observatory/publishing", data={"csrf_token": token, "sections": ["footfall"]})
    assert response.status_code == 303 and response.headers["Location"].endswith("/admin/observatory#publishing")
    public = admin_client.application.test_client()
    html = public.get("/observatory").get_data(as_text=True)
    assert 'id="obs-footfall"' in html and page_tables(html)["footfall"][11][1] == "80"  # 10:00, the town
    assert 'id="obs-mix"' not in html and 'id="obs-hashtags"' not in html
    assert public.get("/observatory/footfall.csv").status_code == 200
    assert public.get("/observatory/mix-neighbourhoods.csv").status_code == 404
    assert public.get("/observatory/hashtags.csv").status_code == 404
    assert public.get("/observatory/readme.txt").status_code == 200
    # The footer links the published observatory; its figures are the public's releases.
    assert 'href="/observatory"' in public.get("/legal/terms").get_data(as_text=True)
    assert "public" in set(db.session.scalars(select(CountRelease.asker_kind)))


def test_the_readme_describes_every_table(admin_client, territory):
    text = admin_client.get("/admin/observatory/readme.txt").get_data(as_text=True)
    for table_id in ("mix-neighbourhoods", "mix-months", "hashtags", "footfall"):
        assert f"observatory-{table_id}.csv" in text


def test_consultations_over_time_show_each_polls_answers_by_week(client, admin_client, territory):
    import os
    from datetime import timedelta

    from app.models_common import utcnow
    from app.polls.answers import submit
    from tests.polls.conftest import make_poll

    association = make_actor(territory, "Friends of the market", kind="association")
    live = make_poll(association, kinds=("single",), opens_in=timedelta(days=-10))
    hidden_until_closed = make_poll(association, kinds=("single",), poll_results="closed")
    hidden_until_closed.title = "Closed-results poll"
    db.session.commit()
    question = db.session.scalars(select(PollQuestion).where(PollQuestion.publication_id == live.id)).one()
    for person in plant(territory, 30):
        with admin_client.application.test_request_context():
            submit(live, territory, person, os.urandom(32), {str(question.id): [question.options[0].id]}, shared=False)
    page = admin_client.get("/admin/observatory").get_data(as_text=True)
    assert 'id="obs-consultations"' in page and "Closed-results poll" in page
    section = page.split('id="obs-consultations"', 1)[1]
    assert "People who answered: 30" in re.sub(r"<[^>]+>", "", section)
    week = utcnow().isocalendar()
    assert f"{week.year}-W{week.week:02d}" in section

    token = csrf_token(admin_client, "/admin/observatory")
    admin_client.post("/admin/observatory/publishing", data={"csrf_token": token, "sections": ["consultations"]})
    public = admin_client.application.test_client().get("/observatory").get_data(as_text=True)
    assert 'id="obs-consultations"' in public and "The market square" in public
    assert "Closed-results poll" not in public  # its results are not public before it closes
