"""The agents' admin: a password, then a TOTP code, before any page.

The password step is Django's own login (django-axes locks it after repeated failures);
an agent who has passed it but not the code is "authenticated, not verified" and sees
nothing of the admin but the code page. An agent without a device yet sets one up there,
on first login (accounts are created by a superuser; there is no sign-up)."""

from django import forms
from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django_otp import login as otp_login

from prefecture.two_factor import (
    is_verified_agent,
    totp_check,
    totp_device_confirmed,
    totp_device_for_enrolment,
    totp_qr_svg,
    totp_secret,
)


class SecondFactorForm(forms.Form):
    code = forms.CharField(
        label=_("Code à 6 chiffres"),
        max_length=20,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "autofocus": True,
            }
        ),
        help_text=_(
            "Affiché par votre application d'authentification ; il change toutes les 30 secondes."
        ),
    )


def _awaiting_second_factor(request: HttpRequest) -> bool:
    user = request.user
    return bool(
        user.is_authenticated
        and user.is_active
        and user.is_staff
        and not is_verified_agent(request)
    )


def _next_url(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


class AgentAdminSite(admin.AdminSite):
    site_header = _("Préfecture du Loiret — espace agents")
    site_title = _("Espace agents")
    index_title = _("Tableau de bord")

    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and is_verified_agent(request)

    def each_context(self, request: HttpRequest) -> dict:
        context = super().each_context(request)
        context["agent_pages"] = self.allowed_pages(request)
        return context

    def allowed_pages(self, request: HttpRequest) -> set[str]:
        """URL names of the custom pages (agenda, desk, imports...) this agent may
        open, asked of the ModelAdmins that serve them: the home page and the change
        lists link to a page exactly when its own permission check lets the agent in."""
        if not self.has_permission(request):
            return set()
        pages: set[str] = set()
        for model_admin in self._registry.values():
            allowed_pages = getattr(model_admin, "allowed_pages", None)
            if allowed_pages is not None:
                pages |= allowed_pages(request)
        return pages

    def login(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        if _awaiting_second_factor(request):
            return self._to_second_factor(request)
        response = super().login(request, extra_context)
        if request.method == "POST" and _awaiting_second_factor(request):
            return self._to_second_factor(request)
        return response

    def _to_second_factor(self, request: HttpRequest) -> HttpResponse:
        target = _next_url(request, reverse("admin:index", current_app=self.name))
        url = reverse("admin:second_factor", current_app=self.name)
        return redirect(f"{url}?{QueryDict.fromkeys(['next'], target).urlencode()}")

    def get_urls(self):
        return [
            path("verification/", self.second_factor, name="second_factor"),
            *super().get_urls(),
        ]

    @method_decorator(never_cache)
    @method_decorator(csrf_protect)
    def second_factor(self, request: HttpRequest) -> HttpResponse:
        index = reverse("admin:index", current_app=self.name)
        if not _awaiting_second_factor(request):
            # Verified already, or not past the password: the login page sorts it out.
            return redirect(
                _next_url(request, index)
                if self.has_permission(request)
                else reverse("admin:login", current_app=self.name)
            )
        user = request.user
        device = totp_device_confirmed(user)  # type: ignore[arg-type]
        enrolling = device is None
        if device is None:
            device = totp_device_for_enrolment(user)  # type: ignore[arg-type]
        form = SecondFactorForm(request.POST if request.method == "POST" else None)
        if form.is_valid():
            error = totp_check(device, form.cleaned_data["code"])
            if error is None:
                if enrolling:
                    device.confirmed = True
                    device.save(update_fields=["confirmed"])
                otp_login(request, device)
                return redirect(_next_url(request, index))
            form.add_error("code", error)
        context = {
            **self.each_context(request),
            "title": _("Mise en place de la double authentification")
            if enrolling
            else _("Code de vérification"),
            "form": form,
            "enrolling": enrolling,
            "next": _next_url(request, index),
            "secret": totp_secret(device) if enrolling else "",
            "qr_svg": totp_qr_svg(device) if enrolling else "",
        }
        return TemplateResponse(request, "admin/second_factor.html", context)


def lockout_response(
    request: HttpRequest, original_response, credentials
) -> HttpResponse:
    """django-axes' lockout page, in the admin's look and language (429)."""
    from django.contrib.admin import site

    context = {
        **site.each_context(request),
        "title": _("Connexion bloquée"),
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "cooloff_minutes": settings.AGENT_LOCKOUT_MINUTES,
    }
    page = TemplateResponse(request, "admin/locked_out.html", context, status=429)
    return page.render()  # the middleware hands it out as it is
