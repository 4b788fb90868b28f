"""The agenda: upcoming events by local day, a hashtag filter, a start date, load more."""

from datetime import UTC, datetime, timedelta

from tests.factories import make_actor, make_hashtag, make_publication
from tests.feed.conftest import day_sections


def _event(actor, title, starts_at, **fields):
    return make_publication(
        actor,
        title,
        kind="event",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=2),
        **fields,
    )


def test_agenda_groups_events_by_local_day_across_utc_midnight(client, territory):
    club = make_actor(territory, "Club de jazz", kind="culture")
    # 21:30 UTC is 23:30 in Paris (summer): still the 14th; 22:30 UTC is 00:30 on the 15th.
    _event(club, "Concert de fin de soiree", datetime(2030, 6, 14, 21, 30, tzinfo=UTC))
    _event(club, "Bal apres minuit", datetime(2030, 6, 14, 22, 30, tzinfo=UTC))
    _event(club, "Matinee du 15", datetime(2030, 6, 15, 8, 0, tzinfo=UTC))

    html = client.get("/agenda?from=2030-06-14", headers={"Accept-Language": "en"}).get_data(
        as_text=True
    )
    sections = day_sections(html)

    assert list(sections) == ["2030-06-14", "2030-06-15"]
    assert "Concert de fin de soiree" in sections["2030-06-14"]
    assert "Bal apres minuit" not in sections["2030-06-14"]
    assert (
        "Bal apres minuit" in sections["2030-06-15"] and "Matinee du 15" in sections["2030-06-15"]
    )
    assert "Friday, June 14, 2030" in sections["2030-06-14"]
    assert "23:30" in sections["2030-06-14"] or "11:30" in sections["2030-06-14"]


def test_agenda_day_headings_follow_the_users_language(client, territory):
    club = make_actor(territory, "Club de jazz", kind="culture")
    _event(club, "Concert", datetime(2030, 6, 14, 18, 0, tzinfo=UTC))
    french = client.get("/agenda?from=2030-06-14", headers={"Accept-Language": "fr"}).get_data(
        as_text=True
    )
    assert "vendredi 14 juin 2030" in french


def test_agenda_lists_only_upcoming_events_from_today(client, territory):
    club = make_actor(territory, "Club de voile", kind="sports_club")
    now = datetime.now(UTC)
    _event(club, "Regate passee", now - timedelta(days=3))
    _event(club, "Regate a venir", now + timedelta(days=3))
    make_publication(club, "Une simple breve")
    html = client.get("/agenda").get_data(as_text=True)
    assert "Regate a venir" in html
    assert "Regate passee" not in html and "Une simple breve" not in html


def test_agenda_filters_by_hashtag(client, territory):
    jazz = make_hashtag(territory, "jazz")
    theatre = make_hashtag(territory, "theatre")
    club = make_actor(territory, "Salle des fetes", kind="culture")
    start = datetime(2030, 6, 14, 18, 0, tzinfo=UTC)
    _event(club, "Soiree jazz", start, hashtags=[jazz])
    _event(club, "Piece de theatre", start + timedelta(hours=1), hashtags=[theatre])

    html = client.get("/agenda?from=2030-06-14&tag=jazz").get_data(as_text=True)
    assert "Soiree jazz" in html and "Piece de theatre" not in html
    assert "Soiree jazz" in client.get("/agenda?from=2030-06-14&tag=%23JAZZ").get_data(as_text=True)


def test_agenda_starts_from_the_chosen_date(client, territory):
    club = make_actor(territory, "Salle des fetes", kind="culture")
    _event(club, "Avant", datetime(2030, 6, 10, 18, 0, tzinfo=UTC))
    _event(club, "Apres", datetime(2030, 6, 20, 18, 0, tzinfo=UTC))
    html = client.get("/agenda?from=2030-06-15").get_data(as_text=True)
    assert "Apres" in html and "Avant" not in html
    assert client.get("/agenda?from=not-a-date").status_code == 200


def test_agenda_load_more_brings_the_following_whole_days(client, territory, monkeypatch):
    from app.feed import services

    monkeypatch.setattr(services, "AGENDA_PAGE_EVENTS", 2)
    club = make_actor(territory, "Salle des fetes", kind="culture")
    for day in (14, 15, 16):
        for hour in (10, 18):
            _event(
                club, f"Rendez-vous du {day} a {hour}h", datetime(2030, 6, day, hour, 0, tzinfo=UTC)
            )

    first = client.get("/agenda?from=2030-06-14").get_data(as_text=True)
    assert list(day_sections(first)) == ["2030-06-14"]
    assert 'href="/agenda?from=2030-06-15"' in first

    fragment = client.get("/agenda?from=2030-06-15", headers={"HX-Request": "true"})
    html = fragment.get_data(as_text=True)
    assert "HX-Request" in fragment.headers["Vary"] and "<html" not in html
    assert list(day_sections(html)) == ["2030-06-15"]
    assert "Rendez-vous du 15 a 10h" in html and "Rendez-vous du 15 a 18h" in html
    last = client.get("/agenda?from=2030-06-16").get_data(as_text=True)
    assert "Rendez-vous du 16 a 18h" in last and "load-more" not in last
