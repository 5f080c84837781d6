"""The home page."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from dalun.campaigns.selectors import campaign_list
from dalun.org import selectors


def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "web/home.html",
        {
            "roots": selectors.unit_roots(),
            "campaigns": campaign_list()[:5],
        },
    )
