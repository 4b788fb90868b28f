"""The demo's shops in the commerce audit (``flask demo load``): La Ciotat's merchants declare
click-and-collect and delivery on their pages, and twelve answered the self-assessment, five of
them sharing their answers with the town and seven keeping them private (one, the tea room, waits
for the town's verification and is not counted yet; six private are enough for the town's list of
consenting shops to be shown: app.audit.services_shops)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.actors.models import Actor
from app.audit.models_shops import ShopAnswer
from app.extensions import db
from app.models_common import utcnow
from app.territories.models import Territory

# name: (click-and-collect note or None, delivery note or None)
DECLARATIONS = {
    "Primeur Bio du Port": ("Commandez la veille par téléphone, panier prêt dès 9 h.",
                            "Livraison à vélo dans le centre le mardi et le vendredi."),
    "Boulangerie des Matelots": ("Réservez votre pain avant 18 h pour le lendemain.", None),
    "Poissonnerie du Vieux-Port": ("Commande par SMS, retrait au comptoir dès 10 h.", None),
    "Librairie La Marge": ("Commandez sur notre site, retrait sous 48 h.", "Envoi postal partout en France."),
    "Fromagerie Saint-Jean": (None, "Plateaux livrés le samedi dans La Ciotat (dès 40 €)."),
    "Cave des Calanques": ("Commande en ligne, retrait en boutique le jour même.",
                           "Livraison gratuite en ville dès 6 bouteilles."),
    "Bistrot du Port": ("Plats à emporter : commandez par téléphone.", None),
}

# name: (listed online, hours up to date, click-and-collect, delivery, payment, loyalty, comment,
#        the town may see)
ANSWERS = {
    "Primeur Bio du Port": ("own_site,social", "yes", "yes", "yes", "cash,card,contactless", "card",
                            "Les paniers du mardi marchent bien ; il manque un point de retrait près de la gare.", True),
    "Boulangerie des Matelots": ("social", "sometimes", "yes", "no", "cash,card,contactless", "card", "", False),
    "Poissonnerie du Vieux-Port": ("none", "no", "yes", "no", "cash,card", "none",
                                   "Le stationnement sur le port décourage les clients du matin.", True),
    "Librairie La Marge": ("own_site,marketplace,social", "yes", "yes", "yes",
                           "cash,card,contactless,mobile", "app", "", True),
    "Fromagerie Saint-Jean": ("social", "yes", "planned", "yes", "card,contactless", "card", "", False),
    "Cave des Calanques": ("own_site,social", "yes", "yes", "yes", "card,contactless,instant_transfer", "card",
                           "Prêts à rejoindre une plateforme commune de retrait.", True),
    "Vélos Ciotadens": ("own_site", "sometimes", "planned", "no", "cash,card,contactless", "other", "", False),
    "Artisans du Golfe": ("marketplace,social", "no", "no", "planned", "cash,card", "none", "", False),
    "Bistrot du Port": ("social", "yes", "yes", "no", "cash,card,contactless,mobile", "none", "", False),
    "Jardinerie de Fontsainte": ("own_site", "yes", "planned", "yes", "cash,card,contactless", "card",
                                 "Nous livrons déjà les gros sacs de terreau ; la commande en ligne arrive.", True),
    "Boutique Planète Animaux": ("none", "no", "no", "no", "cash,card", "card", "", False),
    "Salon de thé Les Lumières": ("social", "sometimes", "no", "no", "cash,card,contactless", "none", "", False),
}


def load_demo_shops(territory: Territory) -> None:
    """La Ciotat's shops' declarations and answers (other towns get none)."""
    if territory.slug != "laciotat":
        return
    now = utcnow()
    actors = {a.name: a for a in db.session.scalars(select(Actor).where(Actor.territory_id == territory.id))}
    for name, (collect, delivery) in DECLARATIONS.items():
        actor = actors[name]
        actor.click_and_collect, actor.click_and_collect_note = collect is not None, collect or ""
        actor.delivers, actor.delivery_note = delivery is not None, delivery or ""
    for days, (name, answer) in enumerate(ANSWERS.items()):
        listed, hours, collect, delivers, payment, loyalty, comment, may_see = answer
        db.session.add(ShopAnswer(
            territory_id=territory.id, actor_id=actors[name].id, listed_online=listed, hours_up_to_date=hours,
            click_and_collect=collect, delivery=delivers, payment=payment, loyalty=loyalty, comment=comment,
            town_may_see=may_see, answered_at=now - timedelta(days=3 + 2 * days),
        ))
    db.session.commit()
