"""A released answer, once stored, is kept per process: the answers a town's pages store all day
(a new window, another actor's followers) empty nothing kept; an answer deleted or changed in
the database counts at the next request."""

from __future__ import annotations

from sqlalchemy import delete, event, update

from app.actors.services import followers
from app.extensions import db
from app.releases.models import CountRelease
from tests.factories import make_actor, make_territory


def _release_reads(actor) -> tuple[object, list[str]]:  # type: ignore[no-untyped-def]
    statements: list[str] = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        released = followers(actor)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    return released, [s for s in statements if "count_release" in s]


def test_an_answer_stays_kept_while_other_answers_are_stored(app):
    territory = make_territory()
    bakery, garage = make_actor(territory, "Boulangerie"), make_actor(territory, "Garage")
    first, asked = _release_reads(bakery)
    assert len(asked) >= 2  # read, stored, read back

    _release_reads(garage)  # another answer stored (an INSERT into count_release)

    again, asked_again = _release_reads(bakery)
    assert asked_again == []  # kept
    assert again == first


def test_an_answer_changed_or_deleted_in_the_database_is_read_again(app):
    territory = make_territory()
    bakery = make_actor(territory, "Boulangerie")
    _release_reads(bakery)
    db.session.execute(update(CountRelease).values(noisy=CountRelease.noisy + 40))
    db.session.commit()
    changed, asked = _release_reads(bakery)
    assert asked and changed.value is not None and changed.value >= 40

    db.session.execute(delete(CountRelease))
    db.session.commit()
    _released, asked = _release_reads(bakery)
    assert any(s.lstrip().upper().startswith("INSERT") for s in asked)  # stored anew
