"""/review/: an expert's workspace, pledge, scoring and conflict declarations."""

from django.urls import path

from reviews.views import expert as views

app_name = "reviews"

urlpatterns = [
    path("", views.workspace, name="workspace"),
    path("rounds/<int:round_pk>/pledge/", views.pledge, name="pledge"),
    path("<int:pk>/", views.score, name="score"),
    path("<int:pk>/conflict/", views.declare_conflict, name="conflict"),
    path("<int:pk>/application.pdf", views.application_form, name="application-form"),
]
