from django.urls import path

from booking.views import applying, managing, offers, waiting

app_name = "booking"

urlpatterns = [
    path("", applying.start, name="start"),
    path("identite/", applying.identity, name="identity"),
    path("creneaux/", applying.slots, name="slots"),
    path("coordonnees/", applying.details, name="details"),
    path("confirme/", applying.done, name="done"),
    path("confirme/rendez-vous.ics", applying.done_ics, name="done_ics"),
    path("gerer/<str:token>/", managing.manage, name="manage"),
    path("gerer/<str:token>/rendez-vous.ics", managing.manage_ics, name="manage_ics"),
    path("gerer/<str:token>/annuler/", managing.cancel, name="cancel"),
    path("gerer/<str:token>/deplacer/", managing.move, name="move"),
    path("gerer/<str:token>/plus-tot/", waiting.earlier, name="waiting_earlier"),
    path("liste-attente/", waiting.join, name="waiting_join"),
    path("liste-attente/inscrit/", waiting.joined, name="waiting_joined"),
    path("liste/<str:token>/", waiting.status, name="waiting_status"),
    path("liste/<str:token>/retirer/", waiting.withdraw, name="waiting_withdraw"),
    path("offre/<str:token>/", offers.offer, name="waiting_offer"),
]
