"""Top-level routes: each app contributes its own urls module.

There is no Django admin: every write goes through a service, which checks the policy and leaves an audit
entry, and the admin would be a way around both.
"""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from dalun.api.router import api
from dalun.web import views as web_views

urlpatterns = [
    path("", web_views.home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", api.urls),
    path("", include("dalun.org.urls")),
    path("", include("dalun.campaigns.urls")),
    path("", include("dalun.ledger.urls")),
    path("", include("dalun.dashboards.urls")),
    path("", include("dalun.workcalendar.urls")),
    path("", include("dalun.voices.urls")),
    path("", include("dalun.supervision.urls")),
    path("", include("dalun.portal.urls")),
    path("", include("dalun.opinions.urls")),
    path("", include("dalun.formalism.urls")),
    path("", include("dalun.audit.urls")),
]
