from django.urls import path

from . import expert_views

app_name = "reviews"

urlpatterns = [
    path("", expert_views.workspace, name="workspace"),
    path("rounds/<int:round_pk>/pledge/", expert_views.pledge, name="pledge"),
    path("<int:pk>/", expert_views.score, name="score"),
    path("<int:pk>/conflict/", expert_views.declare_conflict, name="conflict"),
]
