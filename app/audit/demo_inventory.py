"""The demo's data inventory: what La Ciotat holds about its shopping journey (plausible sources,
written as a town would write them, in French)."""

from __future__ import annotations

from datetime import timedelta

from app.audit.models_inventory import AuditDataSource
from app.extensions import db
from app.models_common import utcnow
from app.territories.models import Territory

# (name, owner, measures, format, freshness, days since the last update, legal basis, legal note,
#  personal data, open data URL or "", steps, notes)
LA_CIOTAT_SOURCES = (
    ("Capteurs d’occupation des parkings", "Service stationnement", "Places libres et occupées des parkings "
     "du Vieux-Port et de la gare, minute par minute", "sensor", "real_time", 0, "none", "", False,
     "https://data.laciotat.example/parkings", ("park",), "Boucles magnétiques, 640 places équipées."),
    ("Fréquentation des lignes de bus", "Métropole Aix-Marseille-Provence (autorité organisatrice)",
     "Validations par ligne, arrêt et heure", "csv", "monthly", 20, "public_task",
     "Données agrégées par la Métropole avant envoi", True, "", ("get_there", "plan_trip"),
     "Fichier envoyé sur demande, une ligne par arrêt et par heure."),
    ("Wi-Fi public du centre-ville", "Direction du numérique", "Nombre d’appareils connectés par borne et "
     "par heure", "api", "daily", 1, "consent", "Conditions d’utilisation acceptées à la connexion; "
     "adresses MAC hachées, conservées 13 mois", True, "", ("find_shop", "find_online"),
     "12 bornes entre le port et la place Sadi-Carnot."),
    ("Registre des commerçants du marché", "Service des marchés et foires", "Emplacements, abonnés et "
     "passagers, jours de présence et produits vendus", "spreadsheet", "weekly", 5, "legal_obligation",
     "Registre tenu au titre du règlement des marchés", True, "", ("find_shop", "buy"), ""),
    ("Enquête clientèle du centre-ville", "Office de commerce (partenaire)", "Provenance, mode de venue, "
     "dépenses et attentes de 400 clients interrogés", "paper", "one_off", 200, "none",
     "Questionnaire anonyme: aucune donnée personnelle", False, "",
     ("plan_trip", "get_there", "park", "after_sale"), "Saisie dans un tableur par l’office."),
    ("Occupation du domaine public (terrasses, étals)", "Service urbanisme commercial", "Autorisations "
     "d’occupation et surfaces par commerce", "database", "yearly", 90, "none", "", False,
     "https://data.laciotat.example/terrasses", ("find_shop",), ""),
)


def load_inventory_demo(territory: Territory) -> None:
    """La Ciotat's data sources (the other demo towns have none: their inventory starts empty)."""
    if territory.slug != "laciotat":
        return
    today = utcnow().date()
    for (name, owner, measures, fmt, freshness, days, basis, note, personal, url, steps,
         notes) in LA_CIOTAT_SOURCES:
        source = AuditDataSource(
            territory_id=territory.id, name=name, owner=owner, measures=measures, format=fmt,
            freshness=freshness, last_updated=today - timedelta(days=days), legal_basis=basis, legal_note=note,
            personal_data=personal, open_data=bool(url), open_data_url=url, notes=notes)
        source.steps = list(steps)
        db.session.add(source)
    db.session.commit()
