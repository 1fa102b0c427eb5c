from django.http import Http404
from django.shortcuts import render

from . import selectors, services
from .forms import SelfCheckForm
from .models import Scheme


def home(request):
    return render(request, "home.html", {"schemes": selectors.catalogue()})


def catalogue(request):
    return render(request, "schemes/catalogue.html", {"schemes": selectors.catalogue()})


def _scheme(code: str) -> Scheme:
    try:
        return selectors.catalogue().get(code=code)
    except Scheme.DoesNotExist:
        raise Http404("Deze regeling bestaat niet.") from None


def scheme_detail(request, code):
    scheme = _scheme(code)
    return render(request, "schemes/scheme_detail.html", {"scheme": scheme, "rules": scheme.current_rules().explain()})


def self_check(request, code):
    scheme = _scheme(code)
    result = None
    if request.GET:
        form = SelfCheckForm(request.GET, shape=scheme.shape)
        if form.is_valid():
            result = services.self_check(scheme=scheme, **form.cleaned_data)
    else:
        form = SelfCheckForm(shape=scheme.shape)
    return render(request, "schemes/self_check.html", {"scheme": scheme, "form": form, "result": result})
