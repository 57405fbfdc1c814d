from django.urls import path

from frontend.views import account

urlpatterns = [
    path("login/", account.login_page, name="login"),
    path("logout/", account.logout_page, name="logout"),
    path("", account.home, name="home"),
]
