from django.urls import path

from booking import views

app_name = "booking"

urlpatterns = [
    path("", views.start, name="start"),
    path("identite/", views.identity, name="identity"),
    path("creneaux/", views.slots, name="slots"),
    path("coordonnees/", views.details, name="details"),
    path("confirme/", views.done, name="done"),
    path("confirme/rendez-vous.ics", views.done_ics, name="done_ics"),
    path("gerer/<str:token>/", views.manage, name="manage"),
    path("gerer/<str:token>/annuler/", views.cancel, name="cancel"),
    path("gerer/<str:token>/deplacer/", views.move, name="move"),
]
