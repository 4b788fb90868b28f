"""No answer can be joined to the person who gave it: the schema has no column, key or order
that leads from the answers to a person, and the rows hold none either."""

from __future__ import annotations

import os

import pytest
from cryptography.exceptions import InvalidTag
from flask import Flask
from sqlalchemy import DateTime, ForeignKey, inspect, select, text

from app.extensions import Base, db
from app.polls import keys
from app.polls.answers import reorder_stored_rows, submit
from app.polls.models import PollRespondent, PollSheet, PollTally, PollText
from tests.polls.conftest import PollTown, citizen, option, question

ANSWER_TABLES = ("poll_tally", "poll_text")
ANSWERS_APART = ("poll_tally", "poll_text", "poll_sheet")


def _foreign_tables(table) -> set[str]:  # type: ignore[no-untyped-def]
    return {fk.column.table.name for fk in table.foreign_keys}


def test_no_answer_table_has_a_column_that_leads_to_a_person() -> None:
    tables = Base.metadata.tables
    person_tables = {"user_account", "auth_session", "consent", "poll_respondent"}
    for name in ANSWERS_APART:
        table = tables[name]
        assert not _foreign_tables(table) & person_tables, f"{name} points at a person"
        for column in table.columns:
            assert "user" not in column.name and "person" not in column.name and "email" not in column.name
            # no time at all: nothing to line up with when someone answered
            assert not isinstance(column.type, DateTime), f"{name}.{column.name} is a time"
    # Who answered: the poll and the person, nothing that could point at an answer.
    respondent = tables["poll_respondent"]
    assert {c.name for c in respondent.columns} == {"publication_id", "user_id"}
    assert not any(isinstance(c.type, DateTime) for c in respondent.columns)
    # The only column the answers and the respondents share is the poll's.
    for name in ANSWERS_APART:
        shared = {c.name for c in tables[name].columns} & {c.name for c in respondent.columns}
        assert shared == {"publication_id"}, name
    # No foreign key from the respondents to any answer table, nor back.
    assert not _foreign_tables(respondent) & set(ANSWERS_APART)
    assert all(not isinstance(fk, ForeignKey) or fk.column.table.name != "poll_respondent"
               for name in ANSWERS_APART for fk in tables[name].foreign_keys)


def test_stored_in_the_order_of_a_random_or_natural_key_not_of_arrival(app: Flask, town: PollTown) -> None:
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only (WITHOUT ROWID); PostgreSQL: reorder_stored_rows, tested below")
    for name in ("poll_respondent", "poll_sheet", "poll_tally", "poll_text"):
        with pytest.raises(Exception, match="rowid"):
            db.session.execute(text(f"SELECT rowid FROM {name}"))
        db.session.rollback()
    sql = db.session.scalar(text("SELECT sql FROM sqlite_master WHERE name = 'poll_sheet'"))
    assert "WITHOUT ROWID" in sql.upper()


def test_the_rows_of_thirty_answers_cannot_be_joined_to_their_people(app: Flask, town: PollTown) -> None:
    poll = town.poll
    single, text_question = question(poll, "single"), question(poll, "text")
    people, ballot_keys = [], []
    for i in range(30):
        person = citizen(town.territory, population_type="resident" if i % 2 else "tourist")
        key = os.urandom(32)
        with app.test_request_context():
            submit(poll, town.territory, person, key,
                   {str(single.id): [option(poll, "single", ("Square", "Harbour", "Park")[i % 3])],
                    str(text_question.id): f"idea {i}"}, shared=True)
        people.append(person)
        ballot_keys.append(key)
    reorder_stored_rows()  # PostgreSQL: the worker's hourly rewrite in the order of the keys
    respondents = list(db.session.scalars(select(PollRespondent.user_id)))  # stored order
    sheets = list(db.session.scalars(select(PollSheet.key_hash)))
    texts = list(db.session.scalars(select(PollText.id)))
    # Stored by their own keys: the person's id for respondents, random names for the rest.
    assert respondents == sorted(respondents)
    assert sheets == sorted(sheets) and texts == sorted(texts)
    # The order of arrival is lost: sheets and texts in stored order are not the people's order.
    arrival_sheets = [keys.sheet_name(keys.poll_secret(k, poll.id, p.id)) for k, p in zip(ballot_keys, people, strict=True)]
    assert sheets != arrival_sheets and sorted(sheets) == sorted(arrival_sheets)
    stored_texts = [t for t in db.session.scalars(select(PollText.text))]
    assert stored_texts != [f"idea {i}" for i in range(30)]
    # The counts are counts: the smallest group of the answers is not one person per row.
    assert all(row.count >= 1 for row in db.session.scalars(select(PollTally)))
    assert db.session.scalar(select(PollTally.count).where(PollTally.question_id == single.id,
                                                           PollTally.dim == "all", PollTally.value == 0,
                                                           PollTally.option_id == option(poll, "single", "Park"))) == 10
    # No row of the answers holds anything of a person: id, e-mail, ballot key, secret.
    dump = " ".join(str(value) for name in ANSWERS_APART
                    for row in db.session.execute(text(f"SELECT * FROM {name}")) for value in row)
    for person, key in zip(people, ballot_keys, strict=True):
        assert person.email not in dump
        assert key.hex() not in dump
        assert keys.poll_secret(key, poll.id, person.id).hex() not in dump
    # A sheet opens only with its own secret: someone else's key (or the server alone) gets nothing.
    sheet = db.session.get(PollSheet, arrival_sheets[0])
    assert keys.unseal(keys.poll_secret(ballot_keys[0], poll.id, people[0].id), poll.id, sheet.sealed)["answer"]
    with pytest.raises(InvalidTag):
        keys.unseal(keys.poll_secret(ballot_keys[1], poll.id, people[0].id), poll.id, sheet.sealed)
    with pytest.raises(InvalidTag):
        keys.unseal(keys.poll_secret(ballot_keys[0], poll.id, people[1].id), poll.id, sheet.sealed)


def test_the_database_schema_in_postgresql_and_sqlite_is_the_one_checked(app: Flask) -> None:
    """The migrations made the tables the models describe (the checks above read the models)."""
    inspector = inspect(db.engine)
    for name in ("poll_respondent", "poll_sheet", "poll_tally", "poll_text"):
        columns = {c["name"] for c in inspector.get_columns(name)}
        assert columns == {c.name for c in Base.metadata.tables[name].columns}, name
        foreign = {fk["referred_table"] for fk in inspector.get_foreign_keys(name)}
        assert "user_account" not in foreign or name == "poll_respondent"
