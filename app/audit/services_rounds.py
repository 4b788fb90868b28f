"""The commerce audit's rounds: the town's steps, its rounds and their scores, the heat map with
its strong and weak links and the change since the previous completed round, the anonymous
comparison with the other towns that opted in, invitations, attachments and the action plan.
Every function takes the territory (or an object of it): another town's rows are not found."""

from __future__ import annotations

import io
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from PIL import Image, UnidentifiedImageError
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from app.accounts.models import User
from app.audit import indicators_rounds as indicators
from app.audit.journey import ANGLES, DEFAULT_STEPS, MATURITY, STRONG, WEAK
from app.audit.models_rounds import (
    ACTION_STATUSES,
    AuditAction,
    AuditAttachment,
    AuditInvitation,
    AuditRound,
    AuditScore,
    AuditSettings,
    AuditStep,
)
from app.extensions import db
from app.mail import send_mail
from app.models_common import utcnow
from app.territories.models import Territory
from app.territories.scoping import belongs, get_in, territory_id_of

# The comparison with other towns is shown only when at least this many OTHER towns (the current
# one not counted) have a completed round and opted in: below, a town's scores could be guessed.
COMPARISON_MIN_TOWNS = 5
MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
ATTACHMENTS_PER_STEP = 10
ANGLE_CODES = tuple(code for code, _name, _hint in ANGLES)
MATURITY_LABELS = dict(MATURITY)


def maturity_label(level: int | None) -> str:
    return str(MATURITY_LABELS[level]) if level is not None else _("Not assessed")


# --- steps ------------------------------------------------------------------------------------------


def steps(territory: Territory, include_retired: bool = True) -> list[AuditStep]:
    """The town's steps in the journey's order, the default ones created on first use."""
    query = select(AuditStep).where(belongs(AuditStep, territory)).order_by(AuditStep.position, AuditStep.id)
    found = list(db.session.scalars(query))
    if not found:
        for position, (code, _name) in enumerate(DEFAULT_STEPS):
            db.session.add(AuditStep(territory_id=territory.id, code=code, name="", position=position))
        db.session.commit()
        found = list(db.session.scalars(query))
    return [step for step in found if include_retired or not step.retired]


def add_step(territory: Territory, name: str) -> AuditStep:
    existing = steps(territory)
    step = AuditStep(territory_id=territory.id, code=f"own_{len(existing) + 1}_{utcnow():%H%M%S%f}"[:40],
                     name=name.strip()[:120], position=max((s.position for s in existing), default=0) + 1)
    db.session.add(step)
    db.session.commit()
    return step


def rename_step(step: AuditStep, name: str) -> None:
    step.name = name.strip()[:120] or step.name
    db.session.commit()


def set_retired(step: AuditStep, retired: bool) -> None:
    step.retired = retired
    db.session.commit()


def move_step(territory: Territory, step: AuditStep, offset: int) -> None:
    """Move ``step`` one place up (-1) or down (+1) in the journey."""
    ordered = steps(territory)
    index = ordered.index(step)
    other = index + offset
    if 0 <= other < len(ordered):
        ordered[index], ordered[other] = ordered[other], ordered[index]
        for position, each in enumerate(ordered):
            each.position = position
        db.session.commit()


# --- rounds -----------------------------------------------------------------------------------------


def rounds(territory: Territory) -> list[AuditRound]:
    return list(db.session.scalars(
        select(AuditRound).where(belongs(AuditRound, territory)).order_by(AuditRound.held_on.desc(), AuditRound.id.desc())
    ))


def create_round(territory: Territory, title: str, held_on: date) -> AuditRound:
    active = steps(territory, include_retired=False)
    audit_round = AuditRound(territory_id=territory.id, title=title.strip()[:120], held_on=held_on, status="draft",
                             step_ids=",".join(str(step.id) for step in active))
    db.session.add(audit_round)
    db.session.commit()
    return audit_round


def round_steps(audit_round: AuditRound) -> list[AuditStep]:
    """The steps the round assesses, in its order (a step retired since stays)."""
    ids = audit_round.step_id_list
    found = {step.id: step for step in db.session.scalars(
        select(AuditStep).where(belongs(AuditStep, audit_round), AuditStep.id.in_(ids)))}
    return [found[i] for i in ids if i in found]


def round_step(audit_round: AuditRound, step_id: int) -> AuditStep | None:
    if step_id not in audit_round.step_id_list:
        return None
    return get_in(AuditStep, step_id, audit_round.territory_id)


def scores(audit_round: AuditRound) -> dict[tuple[int, str], AuditScore]:
    return {(score.step_id, score.angle): score for score in db.session.scalars(
        select(AuditScore).where(belongs(AuditScore, audit_round), AuditScore.round_id == audit_round.id))}


@dataclass(frozen=True)
class Assessment:
    maturity: int | None
    evidence: str = ""
    notes: str = ""


def save_step(audit_round: AuditRound, step: AuditStep, assessments: dict[str, Assessment]) -> None:
    """Save the five angles of one step (a round is saved a step at a time, and resumed)."""
    if audit_round.status == "completed":
        raise ValueError("a completed round is read only")
    existing = scores(audit_round)
    for angle, assessment in assessments.items():
        if angle not in ANGLE_CODES:
            continue
        score = existing.get((step.id, angle))
        if score is None:
            score = AuditScore(territory_id=audit_round.territory_id, round_id=audit_round.id, step_id=step.id, angle=angle)
            db.session.add(score)
        score.maturity = assessment.maturity if assessment.maturity in MATURITY_LABELS else None
        score.evidence = assessment.evidence.strip()[:4000]
        score.notes = assessment.notes.strip()[:4000]
    if audit_round.status == "draft":
        audit_round.status = "in_progress"
    db.session.commit()


def step_is_assessed(step: AuditStep, found: dict[tuple[int, str], AuditScore]) -> bool:
    return all(found.get((step.id, angle)) is not None and found[(step.id, angle)].maturity is not None
               for angle in ANGLE_CODES)


def progress(audit_round: AuditRound) -> tuple[int, int]:
    """(steps with all five angles assessed, steps of the round)."""
    found = scores(audit_round)
    all_steps = round_steps(audit_round)
    return sum(step_is_assessed(step, found) for step in all_steps), len(all_steps)


def missing(audit_round: AuditRound) -> list[tuple[AuditStep, list[str]]]:
    """Each step with angles not assessed yet, and those angles' names."""
    found = scores(audit_round)
    names = {code: str(name) for code, name, _hint in ANGLES}
    result = []
    for step in round_steps(audit_round):
        angles = [names[a] for a in ANGLE_CODES if found.get((step.id, a)) is None or found[(step.id, a)].maturity is None]
        if angles:
            result.append((step, angles))
    return result


def complete(audit_round: AuditRound) -> list[tuple[AuditStep, list[str]]]:
    """Complete the round when every cell is assessed; otherwise what is missing (nothing done)."""
    gaps = missing(audit_round)
    if not gaps:
        audit_round.status = "completed"
        audit_round.completed_at = utcnow()
        db.session.commit()
    return gaps


def reopen(audit_round: AuditRound) -> None:
    audit_round.status = "in_progress"
    audit_round.completed_at = None
    db.session.commit()


def previous_completed(audit_round: AuditRound) -> AuditRound | None:
    """The town's latest completed round held before this one."""
    return db.session.scalars(
        select(AuditRound).where(
            belongs(AuditRound, audit_round), AuditRound.status == "completed", AuditRound.id != audit_round.id,
            (AuditRound.held_on < audit_round.held_on)
            | ((AuditRound.held_on == audit_round.held_on) & (AuditRound.id < audit_round.id)),
        ).order_by(AuditRound.held_on.desc(), AuditRound.id.desc()).limit(1)
    ).first()


# --- the heat map -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    step: AuditStep
    angle: str
    maturity: int | None
    delta: int | None = None  # since the previous completed round; None: not comparable

    @property
    def label(self) -> str:
        return maturity_label(self.maturity)

    @property
    def weak(self) -> bool:
        return self.maturity is not None and self.maturity <= WEAK

    @property
    def strong(self) -> bool:
        return self.maturity is not None and self.maturity >= STRONG


@dataclass(frozen=True)
class HeatMap:
    round: AuditRound
    steps: list[AuditStep]
    angles: list[tuple[str, str]]  # (code, name)
    cells: dict[tuple[int, str], Cell]
    step_averages: dict[int, float | None]
    angle_averages: dict[str, float | None]
    previous: AuditRound | None
    weak: list[Cell] = field(default_factory=list)
    strong: list[Cell] = field(default_factory=list)

    def row(self, step: AuditStep) -> list[Cell]:
        return [self.cells[(step.id, code)] for code, _name in self.angles]

    @property
    def average(self) -> float | None:
        return _mean(c.maturity for c in self.cells.values())


def _mean(values: Iterable[int | None]) -> float | None:
    known = [v for v in values if v is not None]
    return round(sum(known) / len(known), 1) if known else None


def heat_map(audit_round: AuditRound) -> HeatMap:
    found = scores(audit_round)
    previous = previous_completed(audit_round)
    before = scores(previous) if previous else {}
    all_steps = round_steps(audit_round)
    cells = {}
    for step in all_steps:
        for angle in ANGLE_CODES:
            score = found.get((step.id, angle))
            level = score.maturity if score else None
            old = before.get((step.id, angle))
            delta = level - old.maturity if (level is not None and old is not None and old.maturity is not None) else None
            cells[(step.id, angle)] = Cell(step, angle, level, delta)
    ordered = list(cells.values())
    return HeatMap(
        round=audit_round, steps=all_steps, angles=[(code, str(name)) for code, name, _hint in ANGLES], cells=cells,
        step_averages={step.id: _mean(cells[(step.id, a)].maturity for a in ANGLE_CODES) for step in all_steps},
        angle_averages={a: _mean(cells[(s.id, a)].maturity for s in all_steps) for a in ANGLE_CODES},
        previous=previous,
        weak=sorted((c for c in ordered if c.weak), key=lambda c: c.maturity or 0),
        strong=sorted((c for c in ordered if c.strong), key=lambda c: -(c.maturity or 0)),
    )


# --- the comparison with other towns ----------------------------------------------------------------


def compares(territory: Territory) -> bool:
    settings = db.session.get(AuditSettings, territory.id)
    return bool(settings and settings.compare_opt_in)


def set_compares(territory: Territory, opt_in: bool) -> None:
    settings = db.session.get(AuditSettings, territory.id)
    if settings is None:
        settings = AuditSettings(territory_id=territory.id)
        db.session.add(settings)
    settings.compare_opt_in = opt_in
    db.session.commit()


@dataclass(frozen=True)
class Comparison:
    """The other opted-in towns' median per (step code, angle); ``shown`` False when fewer than
    COMPARISON_MIN_TOWNS contribute (then no figure at all is given)."""

    towns: int
    shown: bool
    medians: dict[tuple[str, str], float] = field(default_factory=dict)

    @property
    def minimum(self) -> int:
        return COMPARISON_MIN_TOWNS


def comparison(territory: Territory) -> Comparison | None:
    """None when the town did not opt in. Towns are matched by step code (the default steps'
    codes; a town's own steps have codes nobody else has). "Similar" is every town of the
    platform: territories have no population band to narrow it."""
    if not compares(territory):
        return None
    latest = (
        select(AuditRound.territory_id, func.max(AuditRound.id).label("round_id"))
        .join(AuditSettings, AuditSettings.territory_id == AuditRound.territory_id)
        .where(AuditRound.status == "completed", AuditSettings.compare_opt_in.is_(True),
               AuditRound.territory_id != territory.id)
        .group_by(AuditRound.territory_id)
        .subquery()
    )
    round_ids = [row.round_id for row in db.session.execute(select(latest.c.round_id))]
    if len(round_ids) < COMPARISON_MIN_TOWNS:
        return Comparison(towns=len(round_ids), shown=False)
    values: dict[tuple[str, str], list[int]] = {}
    for code, angle, maturity in db.session.execute(
        select(AuditStep.code, AuditScore.angle, AuditScore.maturity)
        .join(AuditStep, AuditStep.id == AuditScore.step_id)
        .where(AuditScore.round_id.in_(round_ids), AuditScore.maturity.is_not(None))
    ):
        values.setdefault((code, angle), []).append(int(maturity))
    # A cell a handful of towns answered is left out too.
    medians = {key: float(statistics.median(v)) for key, v in values.items() if len(v) >= COMPARISON_MIN_TOWNS}
    return Comparison(towns=len(round_ids), shown=True, medians=medians)


# --- who takes part ---------------------------------------------------------------------------------


def invitations(territory: Territory) -> list[tuple[AuditInvitation, User]]:
    return [(invitation, user) for invitation, user in db.session.execute(
        select(AuditInvitation, User).join(User, User.id == AuditInvitation.user_id)
        .where(belongs(AuditInvitation, territory)).order_by(AuditInvitation.created_at)
    )]


class InvitationError(ValueError):
    pass


def invite(territory: Territory, email: str, link: str = "") -> AuditInvitation:
    """Invite the account of this territory with this address, and tell them by e-mail (in
    their language) with ``link`` to the audit."""
    user = db.session.scalar(select(User).where(belongs(User, territory),
                                                func.lower(User.email) == email.strip().lower()))
    if user is None:
        raise InvitationError(_l("No account of this town has this address: ask the person to create one first."))
    existing = db.session.scalar(select(AuditInvitation).where(belongs(AuditInvitation, territory),
                                                               AuditInvitation.user_id == user.id))
    if existing is not None:
        return existing
    invitation = AuditInvitation(territory_id=territory.id, user_id=user.id)
    db.session.add(invitation)
    db.session.commit()
    with force_locale(user.language or territory.default_language):
        send_mail(user.email, _("%(territory)s invites you to its commerce audit", territory=territory.name),
                  _mail_text(territory, link))
    return invitation


def _mail_text(territory: Territory, link: str) -> str:
    """The invitation's text, rendered without the page shell's context (no request needed)."""
    template = current_app.jinja_env.get_template("audit/rounds_invitation_mail.txt")
    return template.render(territory=territory, link=link)


def revoke(invitation: AuditInvitation) -> None:
    db.session.delete(invitation)
    db.session.commit()


# --- attachments ------------------------------------------------------------------------------------


class AttachmentError(ValueError):
    pass


def attachments(audit_round: AuditRound, step: AuditStep | None = None) -> list[AuditAttachment]:
    query = select(AuditAttachment).where(belongs(AuditAttachment, audit_round), AuditAttachment.round_id == audit_round.id)
    if step is not None:
        query = query.where(AuditAttachment.step_id == step.id)
    return list(db.session.scalars(query.order_by(AuditAttachment.id)))


def add_attachment(audit_round: AuditRound, step: AuditStep, upload: FileStorage) -> AuditAttachment:
    """An image (checked and re-encoded, so no metadata survives) or a PDF (checked by its
    signature), 5 MB at most."""
    if len(attachments(audit_round, step)) >= ATTACHMENTS_PER_STEP:
        raise AttachmentError(_l("This step has as many attachments as it may have."))
    data = upload.read(MAX_ATTACHMENT_BYTES + 1)
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise AttachmentError(_l("The file is too large (5 MB at most)."))
    if not data:
        raise AttachmentError(_l("The file is empty."))
    name = (upload.filename or "attachment").rsplit("/", 1)[-1].rsplit("\\", 1)[-1][:100]
    if data.startswith(b"%PDF-"):
        content_type = "application/pdf"
    else:
        try:
            with Image.open(io.BytesIO(data)) as probe:
                probe.verify()
            image = Image.open(io.BytesIO(data))
            if image.format not in {"JPEG", "PNG", "WEBP", "GIF"}:
                raise AttachmentError(_l("Please send an image (JPEG, PNG, WebP) or a PDF."))
            image.thumbnail((2000, 2000))
            output = io.BytesIO()
            image.convert("RGB").save(output, format="WEBP", quality=82)
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
            if isinstance(error, AttachmentError):
                raise
            raise AttachmentError(_l("Please send an image (JPEG, PNG, WebP) or a PDF.")) from error
        data, content_type = output.getvalue(), "image/webp"
        name = name.rsplit(".", 1)[0] + ".webp"
    attachment = AuditAttachment(territory_id=audit_round.territory_id, round_id=audit_round.id, step_id=step.id,
                                 filename=name, content_type=content_type, data=data)
    db.session.add(attachment)
    db.session.commit()
    return attachment


def attachment_of(audit_round: AuditRound, attachment_id: int) -> AuditAttachment | None:
    found = get_in(AuditAttachment, attachment_id, audit_round.territory_id)
    return found if found is not None and found.round_id == audit_round.id else None


# --- the action plan --------------------------------------------------------------------------------


def actions(audit_round: AuditRound) -> list[AuditAction]:
    return list(db.session.scalars(
        select(AuditAction).where(belongs(AuditAction, audit_round), AuditAction.round_id == audit_round.id)
        .order_by(AuditAction.due_on.is_(None), AuditAction.due_on, AuditAction.id)))


@dataclass(frozen=True)
class ActionFields:
    step_id: int
    angle: str
    title: str
    description: str = ""
    owner: str = ""
    budget_eur: float | None = None
    due_on: date | None = None
    status: str = "planned"
    indicator: str = ""


def add_action(audit_round: AuditRound, fields: ActionFields) -> AuditAction:
    """An action of the plan; its indicator's value now is kept as its baseline."""
    if round_step(audit_round, fields.step_id) is None or fields.angle not in ANGLE_CODES:
        raise ValueError("a step and an angle of this round")
    territory = db.session.get(Territory, territory_id_of(audit_round))
    assert territory is not None
    action = AuditAction(territory_id=audit_round.territory_id, round_id=audit_round.id)
    _set(action, fields)
    if action.indicator:
        reading = indicators.read(territory, action.indicator)
        action.baseline, action.baseline_text = reading.value, reading.text
    db.session.add(action)
    db.session.commit()
    return action


def update_action(action: AuditAction, fields: ActionFields) -> None:
    indicator = action.indicator
    _set(action, fields)
    if action.indicator != indicator:
        territory = db.session.get(Territory, action.territory_id)
        assert territory is not None
        reading = indicators.read(territory, action.indicator) if action.indicator else indicators.Reading(None, "")
        action.baseline, action.baseline_text = reading.value, reading.text
    db.session.commit()


def _set(action: AuditAction, fields: ActionFields) -> None:
    action.step_id = fields.step_id
    action.angle = fields.angle
    action.title = fields.title.strip()[:160]
    action.description = fields.description.strip()[:4000]
    action.owner = fields.owner.strip()[:120]
    action.budget_eur = fields.budget_eur
    action.due_on = fields.due_on
    action.status = fields.status if fields.status in ACTION_STATUSES else "planned"
    action.indicator = fields.indicator if fields.indicator in indicators.INDICATORS else ""


def delete_action(action: AuditAction) -> None:
    db.session.delete(action)
    db.session.commit()
