"""The demo's commerce audit (app.demo.load): La Ciotat ships with one completed round, its
evidence and notes, and an action plan tied to its weak links, so that a newcomer sees the tool
filled in. Other demo towns start empty."""

from __future__ import annotations

from datetime import timedelta

from app.audit import services_rounds as services
from app.audit.journey import ANGLES
from app.models_common import utcnow
from app.territories.models import Territory

DEMO_TOWN = "laciotat"

# Per step (in DEFAULT_STEPS' order): the five angles' maturity (people, technology, GDPR, use of
# the data, cost and benefit), and the evidence the commerce manager wrote.
SCORES = {
    "find_online": ((2, 1, 2, 1, 2), "Annuaire des commerces sur la plateforme ; 60 % des boutiques ont une page à jour."),
    "plan_trip": ((2, 2, 3, 2, 2), "Horaires d’ouverture publiés ; agenda des marchés en ligne."),
    "get_there": ((3, 3, 3, 2, 3), "Navette du port toutes les 20 minutes ; itinéraires vélo balisés."),
    "park": ((1, 0, 2, 1, 2), "Aucune information en temps réel sur les parkings du centre ; jalonnement ancien."),
    "find_shop": ((3, 2, 4, 2, 3), "Plan des commerces à l’office de tourisme ; signalétique piétonne refaite en 2025."),
    "buy": ((3, 3, 3, 2, 3), "Paiement sans contact dans presque toutes les boutiques ; marché hebdomadaire animé."),
    "collect": ((1, 1, 2, 1, 1), "Pas de point de retrait partagé ; quelques commerçants proposent le retrait en boutique."),
    "delivery": ((1, 2, 2, 1, 1), "Livraison assurée par deux commerces seulement ; pas de tournée mutualisée."),
    "after_sale": ((2, 1, 3, 0, 2), "Cartes de fidélité papier, chacune chez soi ; aucune donnée partagée."),
}
NOTES = {
    ("park", "technology"): "Capteurs de places envisagés avec la métropole.",
    ("collect", "cost_benefit"): "Un casier au port coûterait environ 8 000 € par an.",
    ("after_sale", "data_use"): "L’association des commerçants souhaite une carte commune.",
}
# (step, angle, title, description, owner, budget, due in days, status, indicator)
ACTIONS = (
    ("park", "technology", "Afficher les places libres des parkings du centre",
     "Panneaux dynamiques aux entrées de ville et information sur la plateforme.", "Service mobilité", 45000, 240,
     "planned", "footfall"),
    ("collect", "people", "Ouvrir un point de retrait partagé au port",
     "Un casier de retrait pour les commandes des commerçants du centre, géré avec l’association.",
     "Association des commerçants", 8000, 150, "in_progress", "shops_collect"),
    ("delivery", "cost_benefit", "Tournée de livraison mutualisée à vélo cargo",
     "Test de six mois avec Vélos Ciotadens, deux tournées par jour.", "Manager du commerce", 12000, 180,
     "planned", "shops_collect"),
    ("find_online", "technology", "Aider chaque boutique à compléter sa page",
     "Permanences au service commerce : horaires, photos, retrait et livraison.", "Manager du commerce", 1500, 60,
     "in_progress", "shops_hours"),
    ("after_sale", "data_use", "Carte de fidélité commune du centre-ville",
     "Étudier une carte commune respectueuse du RGPD, sans profilage.", "Association des commerçants", 5000, 300,
     "planned", "campaign_reach"),
)


def load_demo_round(territory: Territory) -> None:
    """La Ciotat's completed round and plan; nothing for another town."""
    if territory.slug != DEMO_TOWN:
        return
    held_on = (utcnow() - timedelta(days=30)).date()
    audit_round = services.create_round(territory, "Audit du parcours d’achat 2026", held_on)
    steps = {step.code: step for step in services.round_steps(audit_round)}
    for code, (levels, evidence) in SCORES.items():
        services.save_step(audit_round, steps[code], {
            angle: services.Assessment(level, evidence if i == 0 else "", NOTES.get((code, angle), ""))
            for i, ((angle, _name, _hint), level) in enumerate(zip(ANGLES, levels, strict=True))
        })
    assert services.complete(audit_round) == []
    for step, angle, title, description, owner, budget, due_in, status, indicator in ACTIONS:
        services.add_action(audit_round, services.ActionFields(
            steps[step].id, angle, title, description, owner, budget, held_on + timedelta(days=due_in), status, indicator))
