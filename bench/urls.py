from django.urls import path

from bench import views

urlpatterns = [
    path("minimal/", views.minimal, name="bench_minimal"),
    path("book/", views.book, name="bench_book"),
]
