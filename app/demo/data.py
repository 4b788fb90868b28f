"""The demo territories' content: places, actors, hashtags, opening hours, texts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

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
class QuestionSpec:
    kind: str  # single | multiple | scale | ranking | text
    text: str
    options: tuple[str, ...] = ()
    # How the demo answers lean: single, per option; multiple, the chance each option is ticked;
    # ranking, how strongly each option pulls to the top; scale, per value. ``visitors``: the same
    # for tourists and day visitors, when they lean otherwise.
    weights: tuple[float, ...] = ()
    visitors: tuple[float, ...] = ()
    required: bool = True
    scale_max: int | None = None
    help_text: str = ""
    texts: tuple[str, ...] = ()  # what the few who write a short text write


@dataclass
class PollSpec:
    actor: str
    title: str
    summary: str
    body: str
    hashtags: str
    opened_days_ago: int
    closes_in_days: int  # negative: closed that many days ago
    results: str  # "live" (respondents see them as they come) or "closed" (once it has closed)
    questions: list[QuestionSpec]
    place_name: str = ""
    radius_m: int | None = None  # a place poll: this far around its actor's place
    respondents: float = 0.6  # the share of the generated citizens who answer
    shared: float = 0.6  # the share of respondents counted by population type, neighbourhood…


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
    polls: list[PollSpec] = field(default_factory=list)


A = ActorSpec

Q = QuestionSpec

LA_CIOTAT_POLLS = [
    PollSpec(
        actor="Marché provençal du Port", title="La place du marché de demain : votre avis",
        summary="Habitants, saisonniers, vacanciers ou de passage : dites-nous comment rendre la place du "
                "marché plus agréable. Cinq questions, deux minutes.",
        body="La place accueille le marché le mardi, le jeudi et le dimanche matin, et les promeneurs "
             "tout le reste de la semaine. Avant de la réaménager, nous voulons savoir ce qui compte "
             "pour celles et ceux qui la traversent.\n\n"
             "Les résultats sont visibles au fil des réponses ; personne, pas même le marché, ne peut "
             "savoir ce que vous avez répondu.",
        hashtags="marche commerce", opened_days_ago=6, closes_in_days=24, results="live",
        place_name="Place du marché, quai François-Mitterrand", radius_m=300,
        respondents=0.6, shared=0.65,
        questions=[
            Q("single", "À quelle fréquence venez-vous au marché ?",
              ("Plusieurs fois par semaine", "Une fois par semaine", "De temps en temps", "C’est ma première fois"),
              weights=(30, 35, 25, 10), visitors=(3, 7, 30, 60)),
            Q("multiple", "Qu’aimeriez-vous trouver sur la place ?",
              ("Plus d’ombre et d’arbres", "Des bancs", "Une fontaine d’eau potable", "Des toilettes publiques",
               "Un parking à vélos", "Des stands de producteurs le soir"),
              weights=(0.7, 0.5, 0.45, 0.35, 0.3, 0.35), visitors=(0.6, 0.4, 0.65, 0.7, 0.15, 0.55)),
            Q("scale", "La place vous plaît-elle aujourd’hui ?", scale_max=5, weights=(8, 20, 35, 27, 10),
              visitors=(3, 10, 30, 40, 17)),
            Q("ranking", "Classez les moments de marché que vous préférez",
              ("Mardi matin", "Jeudi matin", "Dimanche matin", "Un soir en semaine"),
              weights=(2, 1.5, 4, 2.5), visitors=(1, 1, 3, 5), required=False,
              help_text="Classez seulement ceux qui vous intéressent."),
            Q("text", "Une idée pour la place ?", required=False,
              texts=("Des brumisateurs l’été, il fait très chaud à midi.", "Plus de poubelles de tri.",
                     "Un coin jeux pour les enfants pendant que les parents font le marché.",
                     "Des panneaux en anglais pour les touristes.", "Garder les platanes !",
                     "Un marché du soir en juillet et août, comme à Cassis.")),
        ],
    ),
    PollSpec(
        actor="Mairie de La Ciotat", title="Consultation : un centre-ville piéton le dimanche ?",
        summary="D’avril à octobre, le centre-ville pourrait être réservé aux piétons et aux vélos le "
                "dimanche. La ville vous consulte avant de décider.",
        body="La consultation est ouverte à toutes les personnes inscrites, habitants comme visiteurs. "
             "Les résultats sont publiés à la clôture, tels quels : chaque chiffre est arrondi et un "
             "groupe trop petit n’est jamais montré.",
        hashtags="transport velo stationnement", opened_days_ago=24, closes_in_days=-3, results="closed",
        respondents=0.6, shared=0.6,
        questions=[
            Q("single", "Êtes-vous favorable à un centre-ville piéton le dimanche, d’avril à octobre ?",
              ("Oui", "Plutôt oui", "Plutôt non", "Non", "Sans avis"),
              weights=(30, 25, 15, 20, 10), visitors=(45, 30, 5, 5, 15)),
            Q("multiple", "Qu’est-ce qui vous ferait venir à pied ou à vélo ?",
              ("Des navettes gratuites", "Plus de parkings à vélos", "Des parkings relais à l’entrée de la ville",
               "Des rues ombragées", "Rien : je viens déjà à pied"),
              weights=(0.5, 0.35, 0.45, 0.4, 0.3)),
            Q("scale", "Comment jugez-vous la circulation en centre-ville aujourd’hui ?", scale_max=10,
              help_text="0 : impossible, 10 : très facile.",
              weights=(4, 6, 10, 14, 16, 15, 13, 10, 7, 3, 2)),
            Q("text", "Un commentaire pour la ville ?", required=False,
              texts=("Pensez aux livraisons des commerçants le dimanche matin.",
                     "Et les personnes à mobilité réduite ?", "Enfin ! Bonne idée.",
                     "Il faudrait des navettes depuis la gare.")),
        ],
    ),
]

MONTGENEVRE_POLLS = [
    PollSpec(
        actor="Office de Tourisme de Montgenèvre", title="Le front de neige : qu’en pensez-vous ?",
        summary="Skieurs, saisonniers, habitants, visiteurs d’un jour : aidez-nous à préparer la "
                "prochaine saison au pied des pistes.",
        body="Trois questions pour savoir ce qui manque au front de neige. Les résultats sont visibles "
             "au fil des réponses.",
        hashtags="ski tourisme", opened_days_ago=4, closes_in_days=20, results="live",
        place_name="Front de neige", radius_m=300, respondents=0.45, shared=0.6,
        questions=[
            Q("multiple", "Qu’est-ce qui vous manque au pied des pistes ?",
              ("Des casiers à skis", "Une salle hors sac chauffée", "Plus de navettes le soir",
               "Une aire de jeux de neige pour les enfants", "Des toilettes"),
              weights=(0.4, 0.35, 0.5, 0.3, 0.4), visitors=(0.6, 0.55, 0.3, 0.45, 0.5)),
            Q("scale", "Êtes-vous satisfait de l’accueil à l’Office de tourisme ?", scale_max=5,
              weights=(3, 7, 25, 40, 25)),
            Q("single", "Comment êtes-vous venu aujourd’hui ?",
              ("À pied", "En navette", "En voiture", "En bus depuis Briançon ou Oulx"),
              weights=(45, 30, 20, 5), visitors=(15, 20, 45, 20)),
        ],
    ),
]

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
    population_weights={"resident": 70, "second_home": 10, "seasonal_local": 3, "seasonal_elsewhere": 3, "tourist": 9,
                        "day_visitor": 5},
    shop="Primeur Bio du Port",
    club="Football Club Ciotaden",
    followed=("Primeur Bio du Port", "Théâtre du Golfe", "Marché provençal du Port"),
    polls=LA_CIOTAT_POLLS,
    actors=[
        A("Mairie de La Ciotat", "town_service", "Centre-ville", "travaux associations emploi",
          "L’hôtel de ville : état civil, démarches, services aux habitants.",
          "Rond-point des Messageries Maritimes, 13600 La Ciotat", "office", [
              ("news", "Nouveaux horaires d’accueil de l’hôtel de ville", "Accueil ouvert sans interruption le jeudi jusqu’à 18 h.", "associations"),
              ("news", "Travaux de réfection du boulevard Anatole-France", "Circulation alternée pendant trois semaines, accès aux commerces maintenu.", "travaux transport"),
              ("event", "Conseil de quartier de Fontsainte", "Venez parler des projets de votre quartier avec vos élus.", "associations", 9, "18:30", 2),
          ]),
        A("Marché provençal du Port", "town_service", "Le Port", "marche bio gastronomie",
          "Le marché du mardi, jeudi et dimanche matin sur le quai.", "Quai François-Mitterrand, 13600 La Ciotat", "market", [
              ("news", "Le marché s’agrandit le dimanche", "Douze nouveaux producteurs locaux rejoignent le quai.", "marche bio"),
              ("event", "Marché nocturne des producteurs", "Producteurs, artisans et musique sur le port.", "marche gastronomie musique", 5, "18:00", 5),
          ]),
        A("Service Propreté et Recyclage", "town_service", "Abeille", "recyclage environnement",
          "Collecte des déchets, encombrants et déchetterie.", "Chemin de la Déchetterie, 13600 La Ciotat", "office", [
              ("news", "Collecte des encombrants : prenez rendez-vous en ligne", "Un ramassage gratuit par mois et par foyer.", "recyclage"),
              ("event", "Atelier compostage en pied d’immeuble", "Recevez un composteur et les bons gestes.", "recyclage jardinage environnement", 6, "10:00", 2),
          ]),
        A("Police municipale", "town_service", "Centre-ville", "securite stationnement",
          "Tranquillité publique, stationnement et objets trouvés.", "Avenue Jean-Jaurès, 13600 La Ciotat", "office", [
              ("news", "Stationnement : zone bleue étendue au centre-ville", "Disque obligatoire de 9 h à 19 h, gratuit 1 h 30.", "stationnement"),
              ("news", "Opération Tranquillité Vacances", "Signalez votre absence, des patrouilles passent devant chez vous.", "securite"),
          ]),
        A("Service municipal des Sports", "town_service", "Saint-Jean", "sport jeunesse",
          "Équipements sportifs, stages et pass’sport.", "Stade Bouissou, 13600 La Ciotat", "office", [
              ("event", "Fête du sport au stade Bouissou", "Essayez gratuitement plus de vingt disciplines.", "sport famille enfants", 12, "10:00", 7),
              ("news", "Inscriptions aux stages multisports des vacances", "Pour les 6-14 ans, à la journée ou à la semaine.", "sport enfants jeunesse"),
          ]),
        A("Service Jeunesse", "town_service", "Les Matelots", "jeunesse emploi numerique",
          "Point information jeunesse, job d’été, BAFA.", "Rue des Poilus, 13600 La Ciotat", "office", [
              ("event", "Forum des jobs d’été", "Rencontrez les employeurs qui recrutent pour la saison.", "emploi jeunesse", 8, "14:00", 4),
          ]),
        A("Office de Tourisme de La Ciotat", "tourism_office", "Le Port", "tourisme patrimoine randonnee calanques",
          "Informations, visites guidées et billetterie.", "Boulevard Anatole-France, 13600 La Ciotat", "culture", [
              ("event", "Visite guidée : La Ciotat, berceau du cinéma", "Sur les pas des frères Lumière, de la gare à l’Eden.", "patrimoine cinema tourisme", 3, "10:00", 2),
              ("event", "Balade commentée au Bec de l’Aigle", "Géologie et panorama sur la baie.", "randonnee nature calanques", 10, "09:00", 3),
              ("offer", "Pass Calanques : la navette à 10 €", "Aller-retour en bateau vers les calanques, tarif résident.", "calanques tourisme", 0, "", 14),
          ]),
        A("Eden Théâtre", "culture", "Centre-ville", "cinema patrimoine",
          "Le plus ancien cinéma du monde, toujours en activité.", "25 boulevard Georges-Clemenceau, 13600 La Ciotat", "cinema", [
              ("event", "Ciné-concert : courts métrages Lumière", "Les premiers films accompagnés au piano.", "cinema musique patrimoine", 4, "20:30", 2),
              ("event", "Ciné-goûter : Le Roi et l’Oiseau", "Projection pour les enfants, goûter offert.", "cinema enfants famille", 7, "15:00", 2),
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
              ("event", "Exposition : les chantiers navals, 1836-1989", "Maquettes, photos et témoignages d’anciens ouvriers.", "exposition patrimoine musee", 1, "10:00", 8),
              ("news", "Entrée gratuite le premier dimanche du mois", "Le musée ouvre ses portes à tous.", "musee famille"),
          ]),
        A("Médiathèque Simone-Veil", "culture", "Fontsainte", "lecture numerique enfants",
          "Livres, films, jeux vidéo et ateliers numériques.", "Rue de l’Ancien Hôpital, 13600 La Ciotat", "culture", [
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
          "Boutique collective d’artisans d’art de la baie.", "9 quai Ganteaume, 13600 La Ciotat", "shop", [
              ("event", "Atelier poterie pour les enfants", "Initiation au tour, pour les 7-12 ans.", "artisanat enfants", 6, "14:00", 2),
          ]),
        A("Bistrot du Port", "merchant", "Le Port", "gastronomie",
          "Cuisine provençale face aux bateaux.", "14 quai François-Mitterrand, 13600 La Ciotat", "restaurant", [
              ("offer", "Menu du midi à 16 €", "Entrée, plat, dessert du jour, du mardi au vendredi.", "gastronomie", 0, "", 21),
          ]),
        A("Jardinerie de Fontsainte", "merchant", "Fontsainte", "jardinage nature",
          "Plantes méditerranéennes, graines et conseils.", "Chemin de Fontsainte, 13600 La Ciotat", "shop", [
              ("offer", "Soldes sur les plantes d’intérieur : −30 %", "Jusqu’à épuisement du stock.", "jardinage soldes", 0, "", 8),
          ]),
        A("Boutique Planète Animaux", "merchant", "Abeille", "animaux",
          "Alimentation et accessoires pour animaux.", "Avenue de l’Abeille, 13600 La Ciotat", "shop", [
              ("news", "Journée adoption avec le refuge", "Chiens et chats cherchent une famille.", "animaux"),
          ]),
        A("Les Amis du Patrimoine ciotaden", "association", "Centre-ville", "patrimoine benevolat associations",
          "Sauvegarder et faire connaître l’histoire de la ville.", "Maison des associations, 13600 La Ciotat", "none", [
              ("event", "Journée de nettoyage du vieux lavoir", "Bénévoles bienvenus, gants fournis.", "patrimoine benevolat", 9, "09:00", 3),
          ]),
        A("Calanques Propres", "association", "Le Liouquet", "environnement benevolat plage nature",
          "Ramassages de déchets sur les plages et les sentiers.", "Plage du Liouquet, 13600 La Ciotat", "none", [
              ("event", "Grand nettoyage de la plage du Liouquet", "Deux heures pour une plage propre, suivies d’un pique-nique.", "environnement benevolat plage", 2, "09:30", 3),
              ("news", "Bilan de l’année : 3 tonnes de déchets ramassées", "Merci aux 420 bénévoles !", "environnement benevolat"),
          ]),
        A("Comité des Fêtes", "association", "Centre-ville", "fete musique braderie",
          "Les fêtes de quartier, la braderie et le carnaval.", "Maison des associations, 13600 La Ciotat", "none", [
              ("event", "Grande braderie du centre-ville", "Plus de 150 exposants dans les rues piétonnes.", "braderie brocante fete", 8, "08:00", 10),
              ("event", "Bal du quartier Saint-Jean", "Orchestre, buvette et pétanque.", "fete musique danse", 14, "20:00", 4),
          ]),
        A("Jardins partagés de l’Abeille", "association", "Abeille", "jardinage nature benevolat",
          "Des parcelles à cultiver ensemble.", "Avenue de l’Abeille, 13600 La Ciotat", "none", [
              ("event", "Troc de graines et de plants", "Apportez vos graines, repartez avec d’autres.", "jardinage nature", 5, "10:00", 3),
          ]),
        A("Club Seniors Soleil", "association", "Fontsainte", "seniors danse lecture",
          "Activités, sorties et repas pour les plus de 60 ans.", "Foyer de Fontsainte, 13600 La Ciotat", "club", [
              ("event", "Thé dansant", "Valse, tango et paso doble.", "seniors danse", 3, "14:30", 3),
          ]),
        A("Football Club Ciotaden", "sports_club", "Saint-Jean", "sport jeunesse enfants",
          "Le club de foot de la ville, de l’école de foot aux seniors.", "Stade Bouissou, 13600 La Ciotat", "club", [
              ("event", "Match de championnat : FC Ciotaden – Aubagne", "Venez encourager l’équipe première !", "sport", 6, "15:00", 2),
              ("news", "Inscriptions à l’école de foot", "Dès 5 ans, filles et garçons, premier entraînement offert.", "sport enfants"),
          ]),
        A("Société Nautique de La Ciotat", "sports_club", "Le Port", "voile sport plage",
          "Voile légère, croisière et régates.", "Port de plaisance, 13600 La Ciotat", "club", [
              ("event", "Régate de la baie", "Départ devant le port, arrivée à l’île Verte.", "voile sport", 10, "11:00", 5),
              ("offer", "Stage d’optimist : −15 % pour les frères et sœurs", "Stages d’une semaine pour les 7-12 ans.", "voile enfants", 0, "", 18),
          ]),
        A("Boule Ciotadenne", "sports_club", "Les Matelots", "petanque sport seniors",
          "Le club de pétanque, berceau du jeu.", "Boulodrome Beaurivage, 13600 La Ciotat", "club", [
              ("event", "Concours de pétanque en doublettes", "Inscriptions sur place dès 13 h 30.", "petanque", 4, "14:00", 5),
          ]),
        A("Randonneurs du Bec de l’Aigle", "sports_club", "La Garde", "randonnee nature sport",
          "Randonnées chaque dimanche dans les calanques.", "Maison des associations, 13600 La Ciotat", "none", [
              ("event", "Randonnée : de Figuerolles à Cassis", "14 km, dénivelé 450 m, bonnes chaussures obligatoires.", "randonnee nature", 7, "08:30", 6),
          ]),
        A("Studio Danse Évasion", "association", "La Garde", "danse jeunesse musique",
          "Cours de danse moderne, hip-hop et classique.", "Avenue de la Garde, 13600 La Ciotat", "club", [
              ("event", "Portes ouvertes du studio", "Cours d’essai gratuits toute la journée.", "danse", 12, "10:00", 6),
          ]),
        A("École élémentaire des Matelots", "school", "Les Matelots", "ecole enfants famille",
          "École publique, 12 classes.", "Rue des Matelots, 13600 La Ciotat", "school", [
              ("event", "Kermesse de l’école", "Jeux, spectacle des élèves et tombola.", "ecole enfants fete", 15, "14:00", 4),
          ]),
        A("Collège Louis-Lumière", "school", "Fontsainte", "ecole jeunesse numerique",
          "Collège public, classes à horaires aménagés musique.", "Avenue Fernand-Gassion, 13600 La Ciotat", "school", [
              ("news", "Réunion d’information pour les futurs 6e", "Présentation du collège aux familles.", "ecole famille"),
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
    population_weights={"resident": 15, "seasonal_local": 8, "seasonal_elsewhere": 17, "second_home": 25, "tourist": 25,
                        "day_visitor": 10},
    shop="Montgenèvre Glisse",
    club="Ski Club Montgenèvre",
    followed=("Épicerie Bio des Alpes", "Office de Tourisme de Montgenèvre", "École de Ski Montgenèvre"),
    polls=MONTGENEVRE_POLLS,
    actors=[
        A("Mairie de Montgenèvre", "town_service", "Village", "travaux associations emploi",
          "Accueil, urbanisme, état civil et vie du village.", "Route d’Italie, 05100 Montgenèvre", "office", [
              ("news", "Réunion publique sur l’aménagement du front de neige", "Présentation du projet et échanges avec les habitants.", "travaux"),
              ("news", "Logements pour les saisonniers : ouverture des demandes", "Des studios à loyer modéré pour la saison d’hiver.", "emploi"),
          ]),
        A("Services techniques – Déneigement", "town_service", "Col", "travaux transport stationnement",
          "Déneigement des routes et parkings du village.", "Zone technique du Col, 05100 Montgenèvre", "office", [
              ("news", "Chutes de neige : stationnement interdit côté pair cette nuit", "Les chasse-neige passent de 4 h à 7 h.", "stationnement travaux"),
              ("news", "Parking du Chalvet fermé pour déneigement mardi matin", "Utilisez le parking du Col.", "stationnement"),
          ]),
        A("Navettes de la station", "town_service", "Front de neige", "transport ski",
          "Navettes gratuites entre les quartiers et le front de neige.", "Gare routière, 05100 Montgenèvre", "resort", [
              ("news", "Horaires d’hiver des navettes", "Toutes les 15 minutes de 8 h à 19 h.", "transport ski"),
          ]),
        A("Police municipale de Montgenèvre", "town_service", "Village", "securite stationnement",
          "Sécurité, stationnement, objets trouvés.", "Route d’Italie, 05100 Montgenèvre", "office", [
              ("news", "Équipements spéciaux obligatoires", "Pneus neige ou chaînes du 1er novembre au 31 mars.", "securite transport"),
          ]),
        A("Espace Jeunes", "town_service", "Les Alpets", "jeunesse sport numerique",
          "Accueil des 11-17 ans, sorties et ateliers.", "Rue des Alpets, 05100 Montgenèvre", "club", [
              ("event", "Soirée jeux vidéo et pizza", "Pour les 11-17 ans, sur inscription.", "jeunesse numerique", 5, "18:00", 3),
          ]),
        A("Office de Tourisme de Montgenèvre", "tourism_office", "Village", "tourisme ski patrimoine randonnee",
          "Informations, animations, hébergements, forfaits.", "Route d’Italie, 05100 Montgenèvre", "resort", [
              ("event", "Descente aux flambeaux des moniteurs", "Le spectacle du jeudi soir, suivi d’un feu d’artifice.", "ski fete famille", 2, "18:30", 1),
              ("event", "Visite du village et de l’obélisque", "L’histoire de la route du col depuis l’Antiquité.", "patrimoine tourisme", 6, "10:00", 2),
              ("offer", "Forfait famille : l’enfant skie à moitié prix", "Pour 2 forfaits adultes 6 jours achetés.", "ski famille", 0, "", 21),
          ]),
        A("Cinéma Le Chaberton", "culture", "Village", "cinema enfants",
          "Cinéma de la station, séances tous les soirs.", "Place du village, 05100 Montgenèvre", "cinema", [
              ("event", "Film de montagne : premières ascensions", "Projection suivie d’un échange avec un guide.", "cinema montagne", 3, "20:30", 2),
              ("offer", "Séance enfant à 5 €", "Tous les après-midi pendant les vacances.", "cinema enfants", 0, "", 14),
          ]),
        A("Médiathèque du Col", "culture", "Col", "lecture enfants numerique",
          "Livres, presse et jeux de société.", "Rue du Col, 05100 Montgenèvre", "culture", [
              ("event", "Contes du coin du feu", "Histoires de montagne pour les enfants.", "lecture enfants", 4, "17:00", 1),
          ]),
        A("Maison du Patrimoine", "culture", "Village", "patrimoine musee exposition",
          "Exposition permanente sur l’histoire du col et du ski.", "Route d’Italie, 05100 Montgenèvre", "culture", [
              ("event", "Exposition : cent ans de ski à Montgenèvre", "Skis en bois, affiches et films d’archives.", "exposition patrimoine ski", 1, "10:00", 8),
          ]),
        A("Montgenèvre Glisse", "merchant", "Front de neige", "ski soldes sport",
          "Location et vente de skis, snowboards et raquettes.", "Front de neige, 05100 Montgenèvre", "resort", [
              ("offer", "Location ski + casque : −25 % en réservant en ligne", "Réservez la veille, retirez au pied des pistes.", "ski", 0, "", 14),
              ("offer", "Soldes sur les vestes de ski", "Jusqu’à −40 % sur la collection de l’an dernier.", "soldes ski", 0, "", 10),
          ]),
        A("Épicerie Bio des Alpes", "merchant", "Village", "bio gastronomie",
          "Produits bio et locaux des Hautes-Alpes.", "Rue de l’Église, 05100 Montgenèvre", "shop", [
              ("offer", "Fromages bio du Queyras : −15 %", "Tomme, bleu et beaufort d’alpage.", "bio gastronomie", 0, "", 7),
              ("news", "Paniers bio livrés dans votre location", "Commandez la veille, livraison le lendemain matin.", "bio"),
          ]),
        A("Boulangerie du Col", "merchant", "Col", "gastronomie",
          "Pain, viennoiseries et tourtons.", "Rue du Col, 05100 Montgenèvre", "bakery", [
              ("offer", "Petit-déjeuner du skieur à 6 €", "Café, jus d’orange et deux viennoiseries.", "gastronomie ski", 0, "", 12),
          ]),
        A("Fromagerie du Chalvet", "merchant", "Le Chalvet", "gastronomie",
          "Fromages d’alpage, raclette et fondue à emporter.", "Route du Chalvet, 05100 Montgenèvre", "shop", [
              ("offer", "Kit raclette pour 4 : 39 €", "Fromage, charcuterie et appareil prêté.", "gastronomie", 0, "", 15),
          ]),
        A("Librairie-Presse du Village", "merchant", "Village", "lecture",
          "Presse, livres de montagne, cartes IGN.", "Route d’Italie, 05100 Montgenèvre", "shop", [
              ("news", "Nouvelles cartes de randonnée en raquettes", "Les itinéraires balisés de la station.", "lecture randonnee"),
          ]),
        A("Restaurant L’Alpage", "merchant", "Le Chalvet", "gastronomie vin",
          "Cuisine de montagne au pied des pistes.", "Route du Chalvet, 05100 Montgenèvre", "restaurant", [
              ("offer", "Formule skieur à 18 €", "Plat du jour, dessert et boisson chaude.", "gastronomie ski", 0, "", 21),
              ("event", "Soirée fondue et musique live", "Réservation conseillée.", "gastronomie musique", 5, "19:30", 3),
          ]),
        A("Bar Le Refuge", "merchant", "Front de neige", "apresski musique",
          "Le bar de l’après-ski, terrasse plein sud.", "Front de neige, 05100 Montgenèvre", "resort", [
              ("event", "Concert après-ski", "Un groupe rock sur la terrasse.", "concert apresski musique", 4, "17:00", 3),
          ]),
        A("Location Raquettes & Luges", "merchant", "Les Alpets", "raquettes luge famille",
          "Raquettes, luges et porte-bébés à la journée.", "Rue des Alpets, 05100 Montgenèvre", "resort", [
              ("offer", "2 luges louées, la 3e offerte", "Pour les familles, tous les jours.", "luge famille", 0, "", 21),
          ]),
        A("Boutique Artisans des Alpes", "merchant", "Village", "artisanat",
          "Objets en bois, laine et bijoux d’artisans locaux.", "Route d’Italie, 05100 Montgenèvre", "shop", [
              ("event", "Démonstration de sculpture sur bois", "Un artisan sculpte devant vous.", "artisanat", 6, "15:00", 2),
          ]),
        A("Garage du Col – Vélos & VTT", "merchant", "Col", "vtt velo",
          "Réparation de vélos et VTT, chaînes neige.", "Rue du Col, 05100 Montgenèvre", "shop", [
              ("offer", "Montage de chaînes neige offert", "Pour tout achat de chaînes.", "transport securite", 0, "", 20),
          ]),
        A("Ski Club Montgenèvre", "sports_club", "Front de neige", "ski sport jeunesse",
          "Ski alpin et nordique, de la découverte à la compétition.", "Front de neige, 05100 Montgenèvre", "club", [
              ("event", "Course de slalom des jeunes", "Les U12 et U14 s’affrontent sur le stade de slalom.", "ski sport jeunesse", 7, "10:00", 5),
              ("news", "Inscriptions à la section compétition", "Tests de niveau le samedi matin.", "ski sport"),
          ]),
        A("Montgenèvre Bike", "sports_club", "Les Alpets", "vtt velo sport",
          "Club de VTT, enduro et fat bike sur neige.", "Rue des Alpets, 05100 Montgenèvre", "club", [
              ("event", "Sortie fat bike au clair de lune", "Vélos fournis, frontale obligatoire.", "vtt nature", 8, "19:00", 2),
          ]),
        A("Golf de Montgenèvre", "sports_club", "Le Chalvet", "sport nature",
          "Le plus haut golf d’Europe, raquettes en hiver.", "Route du Chalvet, 05100 Montgenèvre", "club", [
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
        A("Comité d’animation", "association", "Village", "fete musique enfants",
          "Fêtes, carnaval et animations de la station.", "Place du village, 05100 Montgenèvre", "none", [
              ("event", "Carnaval de la station", "Défilé costumé et goûter pour les enfants.", "fete enfants famille", 10, "15:00", 3),
              ("event", "Marché de producteurs", "Fromages, miel et charcuterie des vallées.", "marche gastronomie", 6, "09:00", 5),
              ("event", "Soirée dansante sous chapiteau", "DJ et buvette.", "fete danse musique", 13, "21:00", 4),
          ]),
        A("École du Village", "school", "Village", "ecole enfants famille",
          "École primaire à classes multiniveaux.", "Route d’Italie, 05100 Montgenèvre", "school", [
              ("news", "Classe de neige : les élèves sur les skis", "Un cycle ski chaque jeudi en janvier.", "ecole ski enfants"),
          ]),
        A("École de Ski Montgenèvre", "school", "Front de neige", "ski enfants famille",
          "Cours collectifs et particuliers, ski et snowboard.", "Front de neige, 05100 Montgenèvre", "resort", [
              ("offer", "Cours collectifs enfants : 6 matinées à 189 €", "Du Piou-Piou à l’Étoile d’or.", "ski enfants", 0, "", 21),
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
          "Sensibilisation aux risques d’avalanche.", "Rue du Col, 05100 Montgenèvre", "none", status="pending"),
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
    "Plus d’informations auprès de **{actor}**, {address}.\n\n"
    "Partagez l’information autour de vous !"
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
