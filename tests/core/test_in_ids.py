"""``in_ids``: a list of ids bound as one parameter (a JSON array on SQLite, an array on
PostgreSQL) selects exactly the rows ``IN`` would, whatever the count, and is compiled once."""

from __future__ import annotations

from sqlalchemy import bindparam, delete, insert, select, update

from app.extensions import db
from app.models_common import IdList, in_ids
from app.territories.models import Territory


def _territories(count: int) -> list[int]:
    db.session.execute(
        insert(Territory),
        [
            {
                "slug": f"t{i}",
                "name": f"Town {i}",
                "timezone": "UTC",
                "center_lat": 0.0,
                "center_lon": 0.0,
            }
            for i in range(count)
        ],
    )
    db.session.commit()
    return list(db.session.scalars(select(Territory.id).order_by(Territory.id)))


def test_in_ids_selects_the_rows_of_the_listed_ids_only(app):
    ids = _territories(1200)
    wanted = ids[3:1103:2]  # 550 ids, more than a batch of bound parameters would hold
    found = db.session.scalars(
        select(Territory.id).where(in_ids(Territory.id, wanted)).order_by(Territory.id)
    )
    assert list(found) == wanted
    assert list(db.session.scalars(select(Territory.id).where(in_ids(Territory.id, [])))) == []
    assert list(
        db.session.scalars(select(Territory.id).where(in_ids(Territory.id, [ids[0], 10**9])))
    ) == [ids[0]]


def test_in_ids_updates_and_deletes_and_takes_a_named_parameter(app):
    ids = _territories(20)
    db.session.execute(
        update(Territory).where(in_ids(Territory.id, ids[:5])).values(name="renamed")
    )
    named = (
        select(Territory.id)
        .where(in_ids(Territory.id, bindparam("ids", type_=IdList())))
        .order_by(Territory.id)
    )
    assert list(db.session.scalars(named, {"ids": ids[2:7]})) == ids[2:7]
    db.session.execute(delete(Territory).where(in_ids(Territory.id, ids[::2])))
    db.session.commit()
    renamed = db.session.scalars(
        select(Territory.id).where(Territory.name == "renamed").order_by(Territory.id)
    )
    assert list(renamed) == [ids[1], ids[3]]
    assert db.session.scalar(select(Territory.id).where(in_ids(Territory.id, [ids[0]]))) is None


def test_one_statement_whatever_the_number_of_ids(app):
    """The statement's text and cache key do not depend on how many ids it is given (an expanded
    ``IN`` is a new statement for each count)."""
    one = select(Territory.id).where(in_ids(Territory.id, [1]))
    many = select(Territory.id).where(in_ids(Territory.id, list(range(500))))
    dialect = db.engine.dialect
    assert str(one.compile(dialect=dialect)) == str(many.compile(dialect=dialect))
    assert one._generate_cache_key() == many._generate_cache_key()
    assert (
        select(Territory.id).where(in_ids(Territory.slug, [1]))._generate_cache_key()
        != one._generate_cache_key()
    )
