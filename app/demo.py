"""Two demo territories with realistic French content: a coastal town (La Ciotat) and a ski
resort (Montgenèvre). ``flask demo load`` runs ``load_demo``; it is idempotent (an existing
demo territory is kept unless ``reset``) and deterministic (``random.Random(42)``).

Demo accounts, in each territory, password ``territoire-demo-2026``:
citoyen@, commercant@, president@ and admin@demo.territory."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select

from app.accounts.models import Consent, User, UserHashtag
from app.accounts.passwords import hash_password
from app.actors.models import Actor, Follow, Membership
from app.extensions import db
from app.models_common import utcnow
from app.publications.models import Publication
from app.territories.models import Hashtag, Neighbourhood, Territory, TerritoryHost
from app.territories.services import DEFAULT_HASHTAGS, ensure_hashtags
from app.text import slugify

DEMO_PASSWORD = "territoire-demo-2026"
DEMO_DOMAIN = "demo.territory"
CITIZENS_PER_TERRITORY = 200
PUBLICATIONS_PER_TERRITORY = 80

HOURS = {
    "shop": {d: [["09:00", "12:30"], ["14:30", "19:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat")},
    "bakery": {d: [["06:30", "13:00"], ["15:30", "19:30"]] for d in ("tue", "wed", "thu", "fri", "sat", "sun")},
    "office": {d: [["08:30", "12:00"], ["13:30", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
    "culture": {d: [["10:00", "18:00"]] for d in ("wed", "thu", "fri", "sat", "sun")},
    "cinema": {d: [["14:00", "23:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
    "club": {**{d: [["17:00", "21:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}, "sat": [["09:00", "18:00"]]},
    "school": {d: [["08:20", "11:45"], ["13:30", "16:30"]] for d in ("mon", "tue", "thu", "fri")},
    "restaurant": {d: [["12:00", "14:00"], ["19:00", "22:30"]] for d in ("tue", "wed", "thu", "fri", "sat", "sun")},
    "resort": {d: [["08:30", "18:30"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
    "market": {"tue": [["07:30", "13:00"]], "thu": [["07:30", "13:00"]], "sun": [["07:30", "13:30"]]},
    "none": {},
}


@dataclass
class ActorSpec:
    name: str
    kind: str
    hood: str
    tags: str
    summary: str
    address: str
    hours: str = "shop"
    # (kind, title, summary, tags, day offset, "HH:MM" start, duration in hours or offer days)
    publications: list[tuple[Any, ...]] = field(default_factory=list)
    status: str = "verified"


@dataclass
class TerritorySpec:
    slug: str
    name: str
    tagline: str
    hosts: tuple[str, ...]
    lat: float
    lon: float
    colours: tuple[str, str]
    cell: tuple[float, float]  # (degrees of latitude, degrees of longitude) of a neighbourhood
    hoods: dict[str, tuple[int, int]]  # name -> (column, row) around the centre
    local_tags: tuple[str, ...]
    population_weights: dict[str, int]
    actors: list[ActorSpec]
    shop: str  # commercant@'s shop
    club: str  # president@'s association
    followed: tuple[str, ...]  # citoyen@ follows these


A = ActorSpec

LA_CIOTAT = TerritorySpec(
    slug="laciotat",
    name="La Ciotat",
    tagline="Entre calanques et cinéma, la ville de tous les Ciotadens",
    hosts=("localhost", "127.0.0.1", "laciotat.localhost"),
    lat=43.1748,
    lon=5.6046,
    colours=("#0b5fa5", "#e4572e"),
    cell=(0.012, 0.016),
    hoods={
        "La Garde": (-1, 1), "Fontsainte": (0, 1), "Abeille": (1, 1),
        "Les Matelots": (-1, 0), "Centre-ville": (0, 0), "Saint-Jean": (1, 0),
        "Le Port": (0, -1), "Le Liouquet": (1, -1),
    },
    local_tags=("voile", "petanque", "calanques", "plongee", "peche"),
    population_weights={"resident": 70, "second_home": 10, "seasonal_worker": 6, "tourist": 9, "visitor": 5},
    shop="Primeur Bio du Port",
    club="Football Club Ciotaden",
    followed=("Primeur Bio du Port", "Théâtre du Golfe", "Marché provençal du Port"),
    actors=[
        A("Mairie de La Ciotat", "town_service", "Centre-ville", "travaux associations emploi",
          "L'hôtel de ville : état civil, démarches, services aux habitants.",
          "Rond-point des Messageries Maritimes, 13600 La Ciotat", "office", [
              ("news", "Nouveaux horaires d'accueil de l'hôtel de ville", "Accueil ouvert sans interruption le jeudi jusqu'à 18 h.", "associations"),
              ("news", "Travaux de réfection du boulevard Anatole-France", "Circulation alternée pendant trois semaines, accès aux commerces maintenu.", "travaux transport"),
              ("event", "Conseil de quartier de Fontsainte", "Venez parler des projets de votre quartier avec vos élus.", "associations", 9, "18:30", 2),
          ]),
        A("Marché provençal du Port", "town_service", "Le Port", "marche bio gastronomie",
          "Le marché du mardi, jeudi et dimanche matin sur le quai.", "Quai François-Mitterrand, 13600 La Ciotat", "market", [
              ("news", "Le marché s'agrandit le dimanche", "Douze nouveaux producteurs locaux rejoignent le quai.", "marche bio"),
              ("event", "Marché nocturne des producteurs", "Producteurs, artisans et musique sur le port.", "marche gastronomie musique", 5, "18:00", 5),
          ]),
        A("Service Propreté et Recyclage", "town_service", "Abeille", "recyclage environnement",
          "Collecte des déchets, encombrants et déchetterie.", "Chemin de la Déchetterie, 13600 La Ciotat", "office", [
              ("news", "Collecte des encombrants : prenez rendez-vous en ligne", "Un ramassage gratuit par mois et par foyer.", "recyclage"),
              ("event", "Atelier compostage en pied d'immeuble", "Recevez un composteur et les bons gestes.", "recyclage jardinage environnement", 6, "10:00", 2),
          ]),
        A("Police municipale", "town_service", "Centre-ville", "securite stationnement",
          "Tranquillité publique, stationnement et objets trouvés.", "Avenue Jean-Jaurès, 13600 La Ciotat", "office", [
              ("news", "Stationnement : zone bleue étendue au centre-ville", "Disque obligatoire de 9 h à 19 h, gratuit 1 h 30.", "stationnement"),
              ("news", "Opération Tranquillité Vacances", "Signalez votre absence, des patrouilles passent devant chez vous.", "securite"),
          ]),
        A("Service municipal des Sports", "town_service", "Saint-Jean", "sport jeunesse",
          "Équipements sportifs, stages et pass'sport.", "Stade Bouissou, 13600 La Ciotat", "office", [
              ("event", "Fête du sport au stade Bouissou", "Essayez gratuitement plus de vingt disciplines.", "sport famille enfants", 12, "10:00", 7),
              ("news", "Inscriptions aux stages multisports des vacances", "Pour les 6-14 ans, à la journée ou à la semaine.", "sport enfants jeunesse"),
          ]),
        A("Service Jeunesse", "town_service", "Les Matelots", "jeunesse emploi numerique",
          "Point information jeunesse, job d'été, BAFA.", "Rue des Poilus, 13600 La Ciotat", "office", [
              ("event", "Forum des jobs d'été", "Rencontrez les employeurs qui recrutent pour la saison.", "emploi jeunesse", 8, "14:00", 4),
          ]),
        A("Office de Tourisme de La Ciotat", "tourism_office", "Le Port", "tourisme patrimoine randonnee calanques",
          "Informations, visites guidées et billetterie.", "Boulevard Anatole-France, 13600 La Ciotat", "culture", [
              ("event", "Visite guidée : La Ciotat, berceau du cinéma", "Sur les pas des frères Lumière, de la gare à l'Eden.", "patrimoine cinema tourisme", 3, "10:00", 2),
              ("event", "Balade commentée au Bec de l'Aigle", "Géologie et panorama sur la baie.", "randonnee nature calanques", 10, "09:00", 3),
              ("offer", "Pass Calanques : la navette à 10 €", "Aller-retour en bateau vers les calanques, tarif résident.", "calanques tourisme", 0, "", 14),
          ]),
        A("Eden Théâtre", "culture", "Centre-ville", "cinema patrimoine",
          "Le plus ancien cinéma du monde, toujours en activité.", "25 boulevard Georges-Clemenceau, 13600 La Ciotat", "cinema", [
              ("event", "Ciné-concert : courts métrages Lumière", "Les premiers films accompagnés au piano.", "cinema musique patrimoine", 4, "20:30", 2),
              ("event", "Ciné-goûter : Le Roi et l'Oiseau", "Projection pour les enfants, goûter offert.", "cinema enfants famille", 7, "15:00", 2),
              ("offer", "Tarif réduit le mardi", "6 € la séance pour tous, tous les mardis.", "cinema", 0, "", 21),
          ]),
        A("Théâtre du Golfe", "culture", "Centre-ville", "theatre danse musique",
          "Scène municipale : théâtre, danse et concerts.", "Boulevard Jean-Jaurès, 13600 La Ciotat", "culture", [
              ("event", "Le Misanthrope, par la Compagnie du Golfe", "Molière revisité, une heure quarante de bonheur.", "theatre", 2, "20:30", 2),
              ("event", "Soirée danse contemporaine", "Deux pièces courtes et une rencontre avec les danseurs.", "danse", 11, "20:00", 2),
              ("offer", "Abonnement 3 spectacles : 36 €", "Choisissez trois spectacles de la saison.", "theatre", 0, "", 20),
          ]),
        A("Musée Ciotaden", "culture", "Le Port", "musee patrimoine exposition",
          "Histoire des chantiers navals et de la ville.", "1 quai Ganteaume, 13600 La Ciotat", "culture", [
              ("event", "Exposition : les chantiers navals, 1836-1989", "Maquettes, photos et témoignages d'anciens ouvriers.", "exposition patrimoine musee", 1, "10:00", 8),
              ("news", "Entrée gratuite le premier dimanche du mois", "Le musée ouvre ses portes à tous.", "musee famille"),
          ]),
        A("Médiathèque Simone-Veil", "culture", "Fontsainte", "lecture numerique enfants",
          "Livres, films, jeux vidéo et ateliers numériques.", "Rue de l'Ancien Hôpital, 13600 La Ciotat", "culture", [
              ("event", "Heure du conte", "Histoires pour les 3-6 ans.", "lecture enfants", 3, "10:30", 1),
              ("event", "Atelier : sécuriser son smartphone", "Un atelier numérique pour les seniors.", "numerique seniors", 6, "14:30", 2),
          ]),
        A("Conservatoire de musique", "culture", "Saint-Jean", "musique danse jeunesse",
          "Cours de musique et de danse dès 5 ans.", "Avenue Émile-Bodin, 13600 La Ciotat", "club", [
              ("event", "Concert des élèves", "Orchestre, chorale et ensembles de jazz.", "concert musique", 13, "18:00", 2),
          ]),
        A("Primeur Bio du Port", "merchant", "Le Port", "bio marche gastronomie",
          "Fruits et légumes bio de Provence, en direct des producteurs.", "12 quai François-Mitterrand, 13600 La Ciotat", "shop", [
              ("offer", "Panier bio de saison : −20 % cette semaine", "Un panier de fruits et légumes bio de producteurs à moins de 50 km.", "bio marche", 0, "", 7),
              ("news", "Arrivage de clémentines corses bio", "Cueillies cette semaine, sans traitement après récolte.", "bio"),
          ]),
        A("Boulangerie des Matelots", "merchant", "Les Matelots", "gastronomie artisanat",
          "Pain au levain, navettes et fougasses cuites au feu de bois.", "8 rue des Matelots, 13600 La Ciotat", "bakery", [
              ("offer", "La fougasse offerte pour 3 baguettes", "Tous les matins avant 9 h.", "gastronomie", 0, "", 10),
          ]),
        A("Poissonnerie du Vieux-Port", "merchant", "Le Port", "gastronomie peche",
          "Poisson de la pêche locale, arrivage chaque matin.", "3 quai Ganteaume, 13600 La Ciotat", "shop", [
              ("news", "Retour des oursins", "La saison est ouverte : oursins de la baie chaque matin.", "gastronomie peche"),
              ("offer", "Soupe de poisson maison : 2 achetées, 1 offerte", "Notre soupe de roche, en bocal.", "gastronomie", 0, "", 12),
          ]),
        A("Librairie La Marge", "merchant", "Centre-ville", "lecture enfants",
          "Librairie indépendante : romans, BD, jeunesse.", "17 rue des Poilus, 13600 La Ciotat", "shop", [
              ("event", "Rencontre-dédicace avec une autrice marseillaise", "Autour de son nouveau polar qui se passe aux chantiers.", "lecture", 5, "17:00", 2),
              ("offer", "−5 % sur les livres jeunesse", "Pendant les vacances scolaires.", "lecture enfants", 0, "", 14),
          ]),
        A("Fromagerie Saint-Jean", "merchant", "Saint-Jean", "gastronomie bio",
          "Fromages fermiers et produits de la ferme.", "45 avenue de Saint-Jean, 13600 La Ciotat", "shop", [
              ("offer", "Plateau apéro à 15 €", "Trois fromages, confiture de figue et pain.", "gastronomie", 0, "", 9),
          ]),
        A("Cave des Calanques", "merchant", "Centre-ville", "vin gastronomie",
          "Vins de Cassis et de Bandol, dégustations.", "6 place Évariste-Gras, 13600 La Ciotat", "shop", [
              ("event", "Dégustation des vins de Cassis", "Trois domaines présentent leurs blancs.", "vin gastronomie", 4, "18:30", 2),
          ]),
        A("Vélos Ciotadens", "merchant", "Saint-Jean", "velo sport transport",
          "Vente, location et réparation de vélos.", "22 avenue Guillaume-Dulac, 13600 La Ciotat", "shop", [
              ("offer", "Révision complète à 39 €", "Freins, transmission, pneus : votre vélo prêt en 48 h.", "velo", 0, "", 15),
              ("news", "Location de vélos électriques à la journée", "Pour monter au parc du Mugel sans effort.", "velo tourisme"),
          ]),
        A("Artisans du Golfe", "merchant", "Le Port", "artisanat fete",
          "Boutique collective d'artisans d'art de la baie.", "9 quai Ganteaume, 13600 La Ciotat", "shop", [
              ("event", "Atelier poterie pour les enfants", "Initiation au tour, pour les 7-12 ans.", "artisanat enfants", 6, "14:00", 2),
          ]),
        A("Bistrot du Port", "merchant", "Le Port", "gastronomie",
          "Cuisine provençale face aux bateaux.", "14 quai François-Mitterrand, 13600 La Ciotat", "restaurant", [
              ("offer", "Menu du midi à 16 €", "Entrée, plat, dessert du jour, du mardi au vendredi.", "gastronomie", 0, "", 21),
          ]),
        A("Jardinerie de Fontsainte", "merchant", "Fontsainte", "jardinage nature",
          "Plantes méditerranéennes, graines et conseils.", "Chemin de Fontsainte, 13600 La Ciotat", "shop", [
              ("offer", "Soldes sur les plantes d'intérieur : −30 %", "Jusqu'à épuisement du stock.", "jardinage soldes", 0, "", 8),
          ]),
        A("Boutique Planète Animaux", "merchant", "Abeille", "animaux",
          "Alimentation et accessoires pour animaux.", "Avenue de l'Abeille, 13600 La Ciotat", "shop", [
              ("news", "Journée adoption avec le refuge", "Chiens et chats cherchent une famille.", "animaux"),
          ]),
        A("Les Amis du Patrimoine ciotaden", "association", "Centre-ville", "patrimoine benevolat associations",
          "Sauvegarder et faire connaître l'histoire de la ville.", "Maison des associations, 13600 La Ciotat", "none", [
              ("event", "Journée de nettoyage du vieux lavoir", "Bénévoles bienvenus, gants fournis.", "patrimoine benevolat", 9, "09:00", 3),
          ]),
        A("Calanques Propres", "association", "Le Liouquet", "environnement benevolat plage nature",
          "Ramassages de déchets sur les plages et les sentiers.", "Plage du Liouquet, 13600 La Ciotat", "none", [
              ("event", "Grand nettoyage de la plage du Liouquet", "Deux heures pour une plage propre, suivies d'un pique-nique.", "environnement benevolat plage", 2, "09:30", 3),
              ("news", "Bilan de l'année : 3 tonnes de déchets ramassées", "Merci aux 420 bénévoles !", "environnement benevolat"),
          ]),
        A("Comité des Fêtes", "association", "Centre-ville", "fete musique braderie",
          "Les fêtes de quartier, la braderie et le carnaval.", "Maison des associations, 13600 La Ciotat", "none", [
              ("event", "Grande braderie du centre-ville", "Plus de 150 exposants dans les rues piétonnes.", "braderie brocante fete", 8, "08:00", 10),
              ("event", "Bal du quartier Saint-Jean", "Orchestre, buvette et pétanque.", "fete musique danse", 14, "20:00", 4),
          ]),
        A("Jardins partagés de l'Abeille", "association", "Abeille", "jardinage nature benevolat",
          "Des parcelles à cultiver ensemble.", "Avenue de l'Abeille, 13600 La Ciotat", "none", [
              ("event", "Troc de graines et de plants", "Apportez vos graines, repartez avec d'autres.", "jardinage nature", 5, "10:00", 3),
          ]),
        A("Club Seniors Soleil", "association", "Fontsainte", "seniors danse lecture",
          "Activités, sorties et repas pour les plus de 60 ans.", "Foyer de Fontsainte, 13600 La Ciotat", "club", [
              ("event", "Thé dansant", "Valse, tango et paso doble.", "seniors danse", 3, "14:30", 3),
          ]),
        A("Football Club Ciotaden", "sports_club", "Saint-Jean", "sport jeunesse enfants",
          "Le club de foot de la ville, de l'école de foot aux seniors.", "Stade Bouissou, 13600 La Ciotat", "club", [
              ("event", "Match de championnat : FC Ciotaden – Aubagne", "Venez encourager l'équipe première !", "sport", 6, "15:00", 2),
              ("news", "Inscriptions à l'école de foot", "Dès 5 ans, filles et garçons, premier entraînement offert.", "sport enfants"),
          ]),
        A("Société Nautique de La Ciotat", "sports_club", "Le Port", "voile sport plage",
          "Voile légère, croisière et régates.", "Port de plaisance, 13600 La Ciotat", "club", [
              ("event", "Régate de la baie", "Départ devant le port, arrivée à l'île Verte.", "voile sport", 10, "11:00", 5),
              ("offer", "Stage d'optimist : −15 % pour les frères et sœurs", "Stages d'une semaine pour les 7-12 ans.", "voile enfants", 0, "", 18),
          ]),
        A("Boule Ciotadenne", "sports_club", "Les Matelots", "petanque sport seniors",
          "Le club de pétanque, berceau du jeu.", "Boulodrome Beaurivage, 13600 La Ciotat", "club", [
              ("event", "Concours de pétanque en doublettes", "Inscriptions sur place dès 13 h 30.", "petanque", 4, "14:00", 5),
          ]),
        A("Randonneurs du Bec de l'Aigle", "sports_club", "La Garde", "randonnee nature sport",
          "Randonnées chaque dimanche dans les calanques.", "Maison des associations, 13600 La Ciotat", "none", [
              ("event", "Randonnée : de Figuerolles à Cassis", "14 km, dénivelé 450 m, bonnes chaussures obligatoires.", "randonnee nature", 7, "08:30", 6),
          ]),
        A("Studio Danse Évasion", "association", "La Garde", "danse jeunesse musique",
          "Cours de danse moderne, hip-hop et classique.", "Avenue de la Garde, 13600 La Ciotat", "club", [
              ("event", "Portes ouvertes du studio", "Cours d'essai gratuits toute la journée.", "danse", 12, "10:00", 6),
          ]),
        A("École élémentaire des Matelots", "school", "Les Matelots", "ecole enfants famille",
          "École publique, 12 classes.", "Rue des Matelots, 13600 La Ciotat", "school", [
              ("event", "Kermesse de l'école", "Jeux, spectacle des élèves et tombola.", "ecole enfants fete", 15, "14:00", 4),
          ]),
        A("Collège Louis-Lumière", "school", "Fontsainte", "ecole jeunesse numerique",
          "Collège public, classes à horaires aménagés musique.", "Avenue Fernand-Gassion, 13600 La Ciotat", "school", [
              ("news", "Réunion d'information pour les futurs 6e", "Présentation du collège aux familles.", "ecole famille"),
          ]),
        A("Salon de thé Les Lumières", "merchant", "Centre-ville", "gastronomie",
          "Pâtisseries maison et thés du monde.", "4 rue Victor-Delacour, 13600 La Ciotat", "shop", status="pending"),
        A("Collectif Vélo Ciotat", "association", "Saint-Jean", "velo transport environnement",
          "Pour des pistes cyclables sûres et continues.", "Maison des associations, 13600 La Ciotat", "none", status="pending"),
    ],
)

MONTGENEVRE = TerritorySpec(
    slug="montgenevre",
    name="Montgenèvre",
    tagline="Station village, à 1 860 mètres entre France et Italie",
    hosts=("station.localhost", "montgenevre.localhost"),
    lat=44.9310,
    lon=6.7246,
    colours=("#1d4e89", "#f2a541"),
    cell=(0.008, 0.011),
    hoods={"Col": (0, 1), "Les Alpets": (-1, 0), "Village": (0, 0), "Le Chalvet": (1, 0), "Front de neige": (0, -1)},
    local_tags=("raquettes", "luge", "apresski", "vtt", "montagne"),
    population_weights={"resident": 15, "seasonal_worker": 25, "second_home": 25, "tourist": 25, "visitor": 10},
    shop="Montgenèvre Glisse",
    club="Ski Club Montgenèvre",
    followed=("Épicerie Bio des Alpes", "Office de Tourisme de Montgenèvre", "École de Ski Montgenèvre"),
    actors=[
        A("Mairie de Montgenèvre", "town_service", "Village", "travaux associations emploi",
          "Accueil, urbanisme, état civil et vie du village.", "Route d'Italie, 05100 Montgenèvre", "office", [
              ("news", "Réunion publique sur l'aménagement du front de neige", "Présentation du projet et échanges avec les habitants.", "travaux"),
              ("news", "Logements pour les saisonniers : ouverture des demandes", "Des studios à loyer modéré pour la saison d'hiver.", "emploi"),
          ]),
        A("Services techniques – Déneigement", "town_service", "Col", "travaux transport stationnement",
          "Déneigement des routes et parkings du village.", "Zone technique du Col, 05100 Montgenèvre", "office", [
              ("news", "Chutes de neige : stationnement interdit côté pair cette nuit", "Les chasse-neige passent de 4 h à 7 h.", "stationnement travaux"),
              ("news", "Parking du Chalvet fermé pour déneigement mardi matin", "Utilisez le parking du Col.", "stationnement"),
          ]),
        A("Navettes de la station", "town_service", "Front de neige", "transport ski",
          "Navettes gratuites entre les quartiers et le front de neige.", "Gare routière, 05100 Montgenèvre", "resort", [
              ("news", "Horaires d'hiver des navettes", "Toutes les 15 minutes de 8 h à 19 h.", "transport ski"),
          ]),
        A("Police municipale de Montgenèvre", "town_service", "Village", "securite stationnement",
          "Sécurité, stationnement, objets trouvés.", "Route d'Italie, 05100 Montgenèvre", "office", [
              ("news", "Équipements spéciaux obligatoires", "Pneus neige ou chaînes du 1er novembre au 31 mars.", "securite transport"),
          ]),
        A("Espace Jeunes", "town_service", "Les Alpets", "jeunesse sport numerique",
          "Accueil des 11-17 ans, sorties et ateliers.", "Rue des Alpets, 05100 Montgenèvre", "club", [
              ("event", "Soirée jeux vidéo et pizza", "Pour les 11-17 ans, sur inscription.", "jeunesse numerique", 5, "18:00", 3),
          ]),
        A("Office de Tourisme de Montgenèvre", "tourism_office", "Village", "tourisme ski patrimoine randonnee",
          "Informations, animations, hébergements, forfaits.", "Route d'Italie, 05100 Montgenèvre", "resort", [
              ("event", "Descente aux flambeaux des moniteurs", "Le spectacle du jeudi soir, suivi d'un feu d'artifice.", "ski fete famille", 2, "18:30", 1),
              ("event", "Visite du village et de l'obélisque", "L'histoire de la route du col depuis l'Antiquité.", "patrimoine tourisme", 6, "10:00", 2),
              ("offer", "Forfait famille : l'enfant skie à moitié prix", "Pour 2 forfaits adultes 6 jours achetés.", "ski famille", 0, "", 21),
          ]),
        A("Cinéma Le Chaberton", "culture", "Village", "cinema enfants",
          "Cinéma de la station, séances tous les soirs.", "Place du village, 05100 Montgenèvre", "cinema", [
              ("event", "Film de montagne : premières ascensions", "Projection suivie d'un échange avec un guide.", "cinema montagne", 3, "20:30", 2),
              ("offer", "Séance enfant à 5 €", "Tous les après-midi pendant les vacances.", "cinema enfants", 0, "", 14),
          ]),
        A("Médiathèque du Col", "culture", "Col", "lecture enfants numerique",
          "Livres, presse et jeux de société.", "Rue du Col, 05100 Montgenèvre", "culture", [
              ("event", "Contes du coin du feu", "Histoires de montagne pour les enfants.", "lecture enfants", 4, "17:00", 1),
          ]),
        A("Maison du Patrimoine", "culture", "Village", "patrimoine musee exposition",
          "Exposition permanente sur l'histoire du col et du ski.", "Route d'Italie, 05100 Montgenèvre", "culture", [
              ("event", "Exposition : cent ans de ski à Montgenèvre", "Skis en bois, affiches et films d'archives.", "exposition patrimoine ski", 1, "10:00", 8),
          ]),
        A("Montgenèvre Glisse", "merchant", "Front de neige", "ski soldes sport",
          "Location et vente de skis, snowboards et raquettes.", "Front de neige, 05100 Montgenèvre", "resort", [
              ("offer", "Location ski + casque : −25 % en réservant en ligne", "Réservez la veille, retirez au pied des pistes.", "ski", 0, "", 14),
              ("offer", "Soldes sur les vestes de ski", "Jusqu'à −40 % sur la collection de l'an dernier.", "soldes ski", 0, "", 10),
          ]),
        A("Épicerie Bio des Alpes", "merchant", "Village", "bio gastronomie",
          "Produits bio et locaux des Hautes-Alpes.", "Rue de l'Église, 05100 Montgenèvre", "shop", [
              ("offer", "Fromages bio du Queyras : −15 %", "Tomme, bleu et beaufort d'alpage.", "bio gastronomie", 0, "", 7),
              ("news", "Paniers bio livrés dans votre location", "Commandez la veille, livraison le lendemain matin.", "bio"),
          ]),
        A("Boulangerie du Col", "merchant", "Col", "gastronomie",
          "Pain, viennoiseries et tourtons.", "Rue du Col, 05100 Montgenèvre", "bakery", [
              ("offer", "Petit-déjeuner du skieur à 6 €", "Café, jus d'orange et deux viennoiseries.", "gastronomie ski", 0, "", 12),
          ]),
        A("Fromagerie du Chalvet", "merchant", "Le Chalvet", "gastronomie",
          "Fromages d'alpage, raclette et fondue à emporter.", "Route du Chalvet, 05100 Montgenèvre", "shop", [
              ("offer", "Kit raclette pour 4 : 39 €", "Fromage, charcuterie et appareil prêté.", "gastronomie", 0, "", 15),
          ]),
        A("Librairie-Presse du Village", "merchant", "Village", "lecture",
          "Presse, livres de montagne, cartes IGN.", "Route d'Italie, 05100 Montgenèvre", "shop", [
              ("news", "Nouvelles cartes de randonnée en raquettes", "Les itinéraires balisés de la station.", "lecture randonnee"),
          ]),
        A("Restaurant L'Alpage", "merchant", "Le Chalvet", "gastronomie vin",
          "Cuisine de montagne au pied des pistes.", "Route du Chalvet, 05100 Montgenèvre", "restaurant", [
              ("offer", "Formule skieur à 18 €", "Plat du jour, dessert et boisson chaude.", "gastronomie ski", 0, "", 21),
              ("event", "Soirée fondue et musique live", "Réservation conseillée.", "gastronomie musique", 5, "19:30", 3),
          ]),
        A("Bar Le Refuge", "merchant", "Front de neige", "apresski musique",
          "Le bar de l'après-ski, terrasse plein sud.", "Front de neige, 05100 Montgenèvre", "resort", [
              ("event", "Concert après-ski", "Un groupe rock sur la terrasse.", "concert apresski musique", 4, "17:00", 3),
          ]),
        A("Location Raquettes & Luges", "merchant", "Les Alpets", "raquettes luge famille",
          "Raquettes, luges et porte-bébés à la journée.", "Rue des Alpets, 05100 Montgenèvre", "resort", [
              ("offer", "2 luges louées, la 3e offerte", "Pour les familles, tous les jours.", "luge famille", 0, "", 21),
          ]),
        A("Boutique Artisans des Alpes", "merchant", "Village", "artisanat",
          "Objets en bois, laine et bijoux d'artisans locaux.", "Route d'Italie, 05100 Montgenèvre", "shop", [
              ("event", "Démonstration de sculpture sur bois", "Un artisan sculpte devant vous.", "artisanat", 6, "15:00", 2),
          ]),
        A("Garage du Col – Vélos & VTT", "merchant", "Col", "vtt velo",
          "Réparation de vélos et VTT, chaînes neige.", "Rue du Col, 05100 Montgenèvre", "shop", [
              ("offer", "Montage de chaînes neige offert", "Pour tout achat de chaînes.", "transport securite", 0, "", 20),
          ]),
        A("Ski Club Montgenèvre", "sports_club", "Front de neige", "ski sport jeunesse",
          "Ski alpin et nordique, de la découverte à la compétition.", "Front de neige, 05100 Montgenèvre", "club", [
              ("event", "Course de slalom des jeunes", "Les U12 et U14 s'affrontent sur le stade de slalom.", "ski sport jeunesse", 7, "10:00", 5),
              ("news", "Inscriptions à la section compétition", "Tests de niveau le samedi matin.", "ski sport"),
          ]),
        A("Montgenèvre Bike", "sports_club", "Les Alpets", "vtt velo sport",
          "Club de VTT, enduro et fat bike sur neige.", "Rue des Alpets, 05100 Montgenèvre", "club", [
              ("event", "Sortie fat bike au clair de lune", "Vélos fournis, frontale obligatoire.", "vtt nature", 8, "19:00", 2),
          ]),
        A("Golf de Montgenèvre", "sports_club", "Le Chalvet", "sport nature",
          "Le plus haut golf d'Europe, raquettes en hiver.", "Route du Chalvet, 05100 Montgenèvre", "club", [
              ("event", "Initiation au golf sur neige", "Une animation insolite pour toute la famille.", "sport famille", 11, "14:00", 2),
          ]),
        A("Association des Saisonniers", "association", "Les Alpets", "emploi associations benevolat",
          "Accueil, logement et droits des travailleurs saisonniers.", "Rue des Alpets, 05100 Montgenèvre", "none", [
              ("event", "Permanence emploi et logement", "Des conseils pour votre contrat et votre logement.", "emploi", 3, "17:30", 2),
              ("news", "Bourse aux équipements de saison", "Donnez ou récupérez des vêtements chauds.", "benevolat recyclage"),
          ]),
        A("Les Amis du Col", "association", "Col", "patrimoine benevolat",
          "Mémoire et patrimoine du col de Montgenèvre.", "Rue du Col, 05100 Montgenèvre", "none", [
              ("event", "Conférence : Napoléon et la route du col", "Par un historien de Briançon.", "patrimoine", 9, "18:00", 2),
          ]),
        A("Montgenèvre Nature", "association", "Le Chalvet", "nature environnement animaux raquettes",
          "Découvrir et protéger la faune et la flore.", "Route du Chalvet, 05100 Montgenèvre", "none", [
              ("event", "Sortie raquettes : sur les traces des animaux", "Avec un accompagnateur en montagne.", "raquettes nature animaux", 2, "09:30", 3),
              ("news", "Respectons les zones de quiétude du tétras-lyre", "Restez sur les itinéraires balisés.", "nature environnement"),
          ]),
        A("Comité d'animation", "association", "Village", "fete musique enfants",
          "Fêtes, carnaval et animations de la station.", "Place du village, 05100 Montgenèvre", "none", [
              ("event", "Carnaval de la station", "Défilé costumé et goûter pour les enfants.", "fete enfants famille", 10, "15:00", 3),
              ("event", "Marché de producteurs", "Fromages, miel et charcuterie des vallées.", "marche gastronomie", 6, "09:00", 5),
              ("event", "Soirée dansante sous chapiteau", "DJ et buvette.", "fete danse musique", 13, "21:00", 4),
          ]),
        A("École du Village", "school", "Village", "ecole enfants famille",
          "École primaire à classes multiniveaux.", "Route d'Italie, 05100 Montgenèvre", "school", [
              ("news", "Classe de neige : les élèves sur les skis", "Un cycle ski chaque jeudi en janvier.", "ecole ski enfants"),
          ]),
        A("École de Ski Montgenèvre", "school", "Front de neige", "ski enfants famille",
          "Cours collectifs et particuliers, ski et snowboard.", "Front de neige, 05100 Montgenèvre", "resort", [
              ("offer", "Cours collectifs enfants : 6 matinées à 189 €", "Du Piou-Piou à l'Étoile d'or.", "ski enfants", 0, "", 21),
              ("event", "Remise des médailles", "Les enfants reçoivent leur étoile.", "ski enfants fete", 5, "16:30", 1),
          ]),
        A("Crèche Les Marmottes", "school", "Les Alpets", "enfants famille",
          "Halte-garderie pour les enfants de 3 mois à 6 ans.", "Rue des Alpets, 05100 Montgenèvre", "office", [
              ("news", "Places disponibles pour les vacances", "Réservez à la demi-journée.", "enfants famille"),
          ]),
        A("Chiens de traîneau du Chalvet", "merchant", "Le Chalvet", "animaux nature tourisme",
          "Baptêmes en traîneau et cani-rando.", "Route du Chalvet, 05100 Montgenèvre", "resort", [
              ("offer", "Baptême en traîneau : −10 % en semaine", "30 minutes de balade dans la forêt.", "animaux tourisme", 0, "", 14),
          ]),
        A("Pizzeria du Front de Neige", "merchant", "Front de neige", "gastronomie",
          "Pizzas au feu de bois à emporter.", "Front de neige, 05100 Montgenèvre", "restaurant", status="pending"),
        A("Collectif Freeride Respect", "association", "Col", "ski securite montagne",
          "Sensibilisation aux risques d'avalanche.", "Rue du Col, 05100 Montgenèvre", "none", status="pending"),
    ],
)

DEMO_TERRITORIES = (LA_CIOTAT, MONTGENEVRE)

FIRST_NAMES = (
    "Camille", "Léa", "Manon", "Chloé", "Emma", "Inès", "Sarah", "Julie", "Lucie", "Anaïs", "Jade",
    "Louise", "Lucas", "Hugo", "Louis", "Nathan", "Théo", "Enzo", "Mathis", "Jules", "Gabriel",
    "Arthur", "Nicolas", "Julien", "Marius", "Paul", "Marie", "Sophie", "Claire", "Pierre",
)

NEWS_BODY = (
    "{summary}\n\n"
    "Plus d'informations auprès de **{actor}**, {address}.\n\n"
    "Partagez l'information autour de vous !"
)
EVENT_BODY = (
    "{summary}\n\n"
    "- **Lieu** : {place}\n- **Organisé par** : {actor}\n\n"
    "Entrée libre dans la limite des places disponibles, sauf mention contraire."
)
OFFER_BODY = (
    "{summary}\n\n"
    "Offre valable chez **{actor}**, {address}, dans la limite des stocks disponibles."
)


def cell_polygon(spec: TerritorySpec, column: int, row: int) -> dict[str, Any]:
    dlat, dlon = spec.cell
    west = spec.lon + (column - 0.5) * dlon
    south = spec.lat + (row - 0.5) * dlat
    east, north = west + dlon, south + dlat
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [[[round(x, 6), round(y, 6)] for x, y in ring]]}


def boundary_polygon(spec: TerritorySpec) -> dict[str, Any]:
    columns = [c for c, _r in spec.hoods.values()]
    rows = [r for _c, r in spec.hoods.values()]
    dlat, dlon = spec.cell
    west = spec.lon + (min(columns) - 0.5) * dlon - dlon / 4
    east = spec.lon + (max(columns) + 0.5) * dlon + dlon / 4
    south = spec.lat + (min(rows) - 0.5) * dlat - dlat / 4
    north = spec.lat + (max(rows) + 0.5) * dlat + dlat / 4
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [[[round(x, 6), round(y, 6)] for x, y in ring]]}


def point_in_cell(spec: TerritorySpec, column: int, row: int, rng: random.Random) -> tuple[float, float]:
    dlat, dlon = spec.cell
    lat = spec.lat + (row + rng.uniform(-0.4, 0.4)) * dlat
    lon = spec.lon + (column + rng.uniform(-0.4, 0.4)) * dlon
    return round(lat, 6), round(lon, 6)


def load_demo(reset: bool = False) -> Iterator[str]:
    """Load both demo territories; yields progress lines for the command line."""
    password_hash = hash_password(DEMO_PASSWORD)  # hashed once, reused: argon2 is slow on purpose
    for spec in DEMO_TERRITORIES:
        existing = db.session.scalar(select(Territory).where(Territory.slug == spec.slug))
        if existing is not None and not reset:
            yield f"{spec.name}: already loaded (use --reset to reload)"
            continue
        if existing is not None:
            _delete_territory(existing)
            yield f"{spec.name}: deleted"
        territory = _load_territory(spec, password_hash, random.Random(42))
        hosts = ", ".join(h.hostname for h in territory.hosts)
        yield f"{spec.name}: loaded on {hosts or '(no free host name)'}"
    yield f"demo accounts (password {DEMO_PASSWORD}): " + ", ".join(
        f"{who}@{DEMO_DOMAIN}" for who in ("citoyen", "commercant", "president", "admin")
    )


def _delete_territory(territory: Territory) -> None:
    """Everything of the territory goes with it (ON DELETE CASCADE in the schema)."""
    db.session.execute(delete(Territory).where(Territory.id == territory.id))
    db.session.commit()
    db.session.expunge_all()


def _local_datetime(spec_tz: ZoneInfo, day: datetime, hhmm: str) -> datetime:
    hour, minute = (int(part) for part in hhmm.split(":"))
    return datetime.combine(day.date(), time(hour, minute), tzinfo=spec_tz).astimezone(ZoneInfo("UTC"))


def _load_territory(spec: TerritorySpec, password_hash: str, rng: random.Random) -> Territory:
    now = utcnow()
    tz = ZoneInfo("Europe/Paris")
    session = db.session
    taken = set(session.scalars(select(TerritoryHost.hostname).where(TerritoryHost.hostname.in_(spec.hosts))))
    territory = Territory(
        slug=spec.slug, name=spec.name, tagline=spec.tagline, primary_color=spec.colours[0],
        accent_color=spec.colours[1], timezone="Europe/Paris", default_language="fr",
        enabled_languages_csv="fr,nl,en", center_lat=spec.lat, center_lon=spec.lon,
        boundary_geojson=json.dumps(boundary_polygon(spec), separators=(",", ":")),
        tile_url="https://tile.openstreetmap.org/{z}/{x}/{y}.png",
    )
    territory.hosts = [TerritoryHost(hostname=h) for h in spec.hosts if h not in taken]
    session.add(territory)
    session.flush()

    hoods = {
        name: Neighbourhood(territory_id=territory.id, name=name, slug=slugify(name),
                            geojson=json.dumps(cell_polygon(spec, *cell), separators=(",", ":")))
        for name, cell in spec.hoods.items()
    }
    session.add_all(hoods.values())
    catalogue = ensure_hashtags(territory, (*DEFAULT_HASHTAGS, *spec.local_tags))
    session.flush()
    tags = {h.tag: h for h in catalogue}

    actors: dict[str, Actor] = {}
    for number, a in enumerate(spec.actors):
        lat, lon = point_in_cell(spec, *spec.hoods[a.hood], rng)
        slug = slugify(a.name)
        actor = Actor(
            territory_id=territory.id, kind=a.kind, name=a.name, slug=slug, summary=a.summary,
            description_md=(
                f"{a.summary}\n\n**{a.name}** vous accueille {a.address}.\n\n"
                "Suivez-nous pour ne rien manquer de nos nouveautés."
            ),
            address=a.address, lat=lat, lon=lon, neighbourhood_id=hoods[a.hood].id,
            phone=f"04 {90 + number % 10:02d} {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}",
            email=f"contact@{slug}.example", website=f"https://{slug}.example",
            status=a.status, verified_at=now - timedelta(days=60) if a.status == "verified" else None,
            created_at=now - timedelta(days=90 if a.status == "verified" else 2),
        )
        actor.opening_hours = HOURS[a.hours]
        actor.hashtags = [tags[t] for t in a.tags.split()]
        actors[a.name] = actor
    session.add_all(actors.values())
    session.flush()

    publications = _publications(spec, territory, actors, tags, rng, now, tz)
    session.add_all(publications)

    users = _people(spec, territory, actors, hoods, tags, password_hash, rng, now)
    session.flush()
    session.add_all(
        Consent(user_id=user.id, purpose=purpose, granted_at=user.created_at)
        for user in users for purpose in ("terms", "profile_targeting")
    )
    session.commit()
    return territory


def _publications(spec: TerritorySpec, territory: Territory, actors: dict[str, Actor],
                  tags: dict[str, Hashtag], rng: random.Random, now: datetime, tz: ZoneInfo) -> list[Publication]:
    result = []
    local_today = now.astimezone(tz)
    extra_topics = _extra_topics(spec)
    planned = {a.name: list(a.publications) for a in spec.actors}
    # Top up to PUBLICATIONS_PER_TERRITORY with generic topics, one more per actor in turn.
    missing = PUBLICATIONS_PER_TERRITORY - sum(len(items) for items in planned.values())
    verified = [a.name for a in spec.actors
                if a.status == "verified" and a.kind in ("merchant", "association", "sports_club")]
    for number in range(max(0, missing)):
        planned[verified[number % len(verified)]].append(extra_topics[number % len(extra_topics)])
    for a in spec.actors:
        actor = actors[a.name]
        for index, item in enumerate(planned[a.name]):
            kind, title, summary, tag_text = item[:4]
            publication = Publication(
                territory_id=territory.id, actor_id=actor.id, kind=kind, title=title, summary=summary,
                status="published", place_name="", created_by_id=None,
            )
            values = {"summary": summary, "actor": a.name, "address": a.address, "place": a.address}
            if kind == "event":
                day_offset, start, hours = item[4], item[5], item[6]
                starts = _local_datetime(tz, local_today + timedelta(days=day_offset), start)
                publication.starts_at = starts
                publication.ends_at = starts + timedelta(hours=hours)
                publication.place_name = a.address.split(",")[0]
                publication.published_at = now - timedelta(days=rng.randint(1, 10), hours=rng.randint(0, 12))
                publication.body_md = EVENT_BODY.format(**values)
            elif kind == "offer":
                days = item[6]
                publication.valid_from = now - timedelta(days=rng.randint(1, 3))
                # Offers end at 19:00 local time, as a shop would say.
                publication.valid_until = _local_datetime(tz, local_today + timedelta(days=days), "19:00")
                publication.published_at = publication.valid_from
                publication.body_md = OFFER_BODY.format(**values)
            else:
                publication.published_at = now - timedelta(days=rng.randint(0, 14), hours=rng.randint(1, 20))
                publication.body_md = NEWS_BODY.format(**values)
            if a.name == spec.shop and index == 0:
                # The demo's showcase: the shop's #bio offer is the newest publication.
                publication.published_at = now - timedelta(minutes=10)
            publication.lat, publication.lon = actor.lat, actor.lon
            publication.created_at = publication.published_at
            publication.updated_at = publication.published_at
            publication.hashtags = [tags[t] for t in tag_text.split() if t in tags]
            result.append(publication)
    return result


def _extra_topics(spec: TerritorySpec) -> list[tuple[Any, ...]]:
    """Generic publications that any local actor could write, to reach the demo's volume."""
    if spec.slug == "montgenevre":
        return [
            ("news", "Bulletin neige : 40 cm de poudreuse cette nuit", "Toutes les pistes sont ouvertes ce matin.", "ski montagne"),
            ("event", "Randonnée raquettes au coucher du soleil", "Vin chaud au retour.", "raquettes nature", 4, "16:00", 2),
            ("news", "Nouvel horaire d'ouverture pendant les vacances", "Ouvert tous les jours, y compris le dimanche.", "tourisme"),
            ("event", "Initiation au ski de fond", "Matériel prêté, tous niveaux.", "ski sport", 9, "10:00", 2),
            ("offer", "Carte fidélité : le 10e achat offert", "Demandez votre carte en boutique.", "commerce", 0, "", 21),
            ("event", "Atelier luge pour les petits", "Glisse encadrée pour les 3-6 ans.", "luge enfants", 3, "14:00", 2),
        ]
    return [
        ("news", "Nouveaux horaires d'été", "Ouvert en continu en juillet et août.", "tourisme"),
        ("event", "Apéro-rencontre des voisins", "Faisons connaissance autour d'un verre.", "fete associations", 6, "18:30", 2),
        ("offer", "Carte fidélité : le 10e achat offert", "Demandez votre carte en boutique.", "commerce", 0, "", 21),
        ("event", "Journée portes ouvertes", "Découvrez nos activités, entrée libre.", "associations famille", 11, "10:00", 6),
        ("news", "Nous recrutons pour la saison", "Envoyez votre candidature, postes ouverts aux étudiants.", "emploi jeunesse"),
        ("event", "Pique-nique sur la plage", "Chacun apporte un plat à partager.", "plage famille", 8, "12:00", 3),
    ]


def _people(spec: TerritorySpec, territory: Territory, actors: dict[str, Actor],
            hoods: dict[str, Neighbourhood], tags: dict[str, Hashtag], password_hash: str,
            rng: random.Random, now: datetime) -> list[User]:
    session = db.session
    verified = [a for a in actors.values() if a.status == "verified"]
    hood_list = list(hoods.values())
    types = list(spec.population_weights)
    weights = list(spec.population_weights.values())
    popular = [t for t in tags.values() if t.tag in DEFAULT_HASHTAGS or t.tag in spec.local_tags]

    def person(email: str, name: str, **fields: Any) -> User:
        return User(territory_id=territory.id, email=email, password_hash=password_hash, display_name=name,
                    email_verified_at=now - timedelta(days=30), onboarded_at=now - timedelta(days=30),
                    created_at=now - timedelta(days=rng.randint(31, 400)), language="fr", **fields)

    centre = hood_list[len(hood_list) // 2]
    citizen = person(f"citoyen@{DEMO_DOMAIN}", "Camille Martin", neighbourhood_id=centre.id, population_type="resident")
    merchant = person(f"commercant@{DEMO_DOMAIN}", "Karim Benali", neighbourhood_id=centre.id, population_type="resident")
    president = person(f"president@{DEMO_DOMAIN}", "Sylvie Roux", neighbourhood_id=centre.id, population_type="resident")
    admin = person(f"admin@{DEMO_DOMAIN}", "Mairie – administration", is_admin=True)
    generated = []
    for number in range(1, CITIZENS_PER_TERRITORY + 1):
        first = rng.choice(FIRST_NAMES)
        generated.append(person(
            f"habitant{number:03d}@{spec.slug}.example", f"{first} {chr(65 + rng.randrange(26))}.",
            neighbourhood_id=rng.choice(hood_list).id,
            population_type=rng.choices(types, weights)[0],
        ))
    users = [citizen, merchant, president, admin, *generated]
    session.add_all(users)
    session.flush()

    user_tags = [(citizen, ["bio", "theatre", "marche"]), (merchant, ["bio", "marche", "gastronomie"]),
                 (president, ["sport", "jeunesse", "benevolat"])]
    user_tags += [(u, [t.tag for t in rng.sample(popular, rng.randint(2, 7))]) for u in generated]
    session.add_all(UserHashtag(user_id=u.id, hashtag_id=tags[t].id) for u, chosen in user_tags for t in chosen)

    follows = [(citizen, [actors[name] for name in spec.followed]),
               (merchant, [a for a in verified if a.name != spec.shop][:4]),
               (president, [a for a in verified if a.kind == "town_service"][:2])]
    follows += [(u, rng.sample(verified, rng.randint(1, 6))) for u in generated]
    session.add_all(Follow(user_id=u.id, actor_id=a.id, created_at=now - timedelta(days=rng.randint(1, 30)))
                    for u, followed in follows for a in followed)

    session.add_all([
        Membership(user_id=merchant.id, actor_id=actors[spec.shop].id, role="owner"),
        Membership(user_id=president.id, actor_id=actors[spec.club].id, role="owner"),
    ])
    # A few generated people run the other actors, so that every actor has an owner.
    for index, actor in enumerate(a for a in actors.values() if a.name not in (spec.shop, spec.club)):
        session.add(Membership(user_id=generated[index % len(generated)].id, actor_id=actor.id, role="owner"))
        actor.created_by_id = generated[index % len(generated)].id
    return users

