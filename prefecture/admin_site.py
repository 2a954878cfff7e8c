"""The agents' admin: a password, then a TOTP code, before any page.

The password step is Django's own login (django-axes locks it after repeated failures);
an agent who has passed it but not the code is "authenticated, not verified" and sees
nothing of the admin but the code page, for AGENT_SECOND_FACTOR_MINUTES at most. An agent
without a device yet sets one up there, on first login (accounts are created by a
superuser; there is no sign-up), with the single-use enrolment link or code a superuser
issued (prefecture.admin, `manage.py totp_enrolment`): the password alone shows no QR."""

import logging
from datetime import timedelta
from functools import wraps
from typing import cast

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django_otp import login as otp_login

from prefecture.two_factor import (
    ENROLMENT_SESSION_KEY,
    EnrolmentCodeInvalid,
    enrolment_code_hash,
    is_verified_agent,
    totp_check,
    totp_device_confirmed,
    totp_device_for_enrolment,
    totp_enrolment_complete,
    totp_enrolment_grant_valid,
    totp_qr_svg,
    totp_secret,
)

logger = logging.getLogger(__name__)


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


class EnrolmentCodeForm(forms.Form):
    enrolment_code = forms.CharField(
        label=_("Code d'enrôlement"),
        max_length=64,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autofocus": True}),
        help_text=_("Les 20 lettres et chiffres donnés par le superutilisateur."),
    )


ENROLMENT_CODE_REFUSED = _(
    "Ce lien ou ce code d'enrôlement n'est pas valable : inconnu, expiré, déjà "
    "utilisé ou remplacé par un plus récent. Demandez-en un nouveau à un "
    "superutilisateur."
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


def is_row_key(value: str) -> bool:
    """A change list's checkbox value: a row's integer key (ASCII digits only,
    "²".isdigit() is true; few enough for a bigint column)."""
    return value.isascii() and value.isdigit() and len(value) <= 18


def refuse_forged_selection(view):
    """An action's rows come from the list's checkboxes; a forged value that is no
    row key would reach the database and answer a 500: the list says so instead."""

    @wraps(view)
    def checked(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        chosen = request.POST.getlist(ACTION_CHECKBOX_NAME) if request.POST else []
        if not all(is_row_key(value) for value in chosen):
            messages.error(
                request, _("Sélection invalide : cochez les lignes dans la liste.")
            )
            return redirect(request.get_full_path())
        return view(request, *args, **kwargs)

    return checked


def refuse_dates_out_of_calendar(view):
    """A date typed in a list's address at the calendar's edge (the month after
    December 9999 in the date hierarchy; 0001-01-01 in Paris, before UTC's year 1
    on SQLite) overflows Python's datetimes inside Django's change list: the list is
    shown without its filters, as Django does for a filter it can't read."""

    @wraps(view)
    def checked(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except OverflowError:
            if request.method != "GET" or not request.GET:
                raise
            messages.error(
                request,
                _("Date hors du calendrier : la liste est affichée sans filtre."),
            )
            return redirect(request.path)

    return checked


class AgentAdminSite(admin.AdminSite):
    site_header = _("Préfecture du Loiret — espace agents")
    site_title = _("Espace agents")
    index_title = _("Tableau de bord")

    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and is_verified_agent(request)

    def admin_view(self, view, cacheable=False):
        checked = refuse_dates_out_of_calendar(refuse_forged_selection(view))
        return super().admin_view(checked, cacheable)

    def each_context(self, request: HttpRequest) -> dict:
        context = super().each_context(request)
        context["agent_pages"] = self.allowed_pages(request)
        return context

    def login_step_context(self, request: HttpRequest) -> dict:
        """The context of the pages around the login (second factor, enrolment,
        lockout): the login page's look, without the admin's menu. An agent past the
        password only is not let in yet: no list of sections, no recent actions."""
        return {
            **self.each_context(request),
            "is_nav_sidebar_enabled": False,
            "available_apps": [],
            "log_entries": None,
        }

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
            # Half logged in: minutes to type the code, not the default two weeks.
            request.session.set_expiry(
                timezone.now() + timedelta(minutes=settings.AGENT_SECOND_FACTOR_MINUTES)
            )
            return self._to_second_factor(request)
        return response

    def _to_second_factor(self, request: HttpRequest) -> HttpResponse:
        target = _next_url(request, reverse("admin:index", current_app=self.name))
        url = reverse("admin:second_factor", current_app=self.name)
        return redirect(f"{url}?{QueryDict.fromkeys(['next'], target).urlencode()}")

    def get_urls(self):
        return [
            path("verification/", self.second_factor, name="second_factor"),
            path("enrolement/<str:code>/", self.enrolment_link, name="totp_enrolment"),
            *super().get_urls(),
        ]

    @method_decorator(never_cache)
    def enrolment_link(self, request: HttpRequest, code: str) -> HttpResponse:
        """The link a superuser sends: it keeps the code's hash in the session and
        goes on to the code page (through the password when needed), where the code
        is checked against the agent who logged in."""
        if not is_verified_agent(request):
            request.session[ENROLMENT_SESSION_KEY] = enrolment_code_hash(code)
        return redirect(reverse("admin:second_factor", current_app=self.name))

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
        device = totp_device_confirmed(request.user)  # type: ignore[arg-type]
        if device is None:
            return self._enrolment(request)
        form = SecondFactorForm(request.POST if request.method == "POST" else None)
        if form.is_valid():
            error = totp_check(device, form.cleaned_data["code"])
            if error is None:
                return self._verified(request, device)
            form.add_error("code", error)
        return self._code_page(
            request,
            form,
            title=_("Code de vérification"),
            next=_next_url(request, index),
        )

    def _code_page(self, request: HttpRequest, form, **context) -> TemplateResponse:
        """The page asking for the app's 6-digit code (``enrolling``: with its QR)."""
        context = {**self.login_step_context(request), "form": form, **context}
        context.setdefault("enrolling", False)
        return TemplateResponse(request, "admin/second_factor.html", context)

    def _verified(self, request: HttpRequest, device) -> HttpResponse:
        otp_login(request, device)
        request.session.cycle_key()  # a new session id for the full privileges
        request.session.set_expiry(settings.AGENT_IDLE_MINUTES * 60)
        return redirect(
            _next_url(request, reverse("admin:index", current_app=self.name))
        )

    def _enrolment(self, request: HttpRequest) -> HttpResponse:
        """First set-up of the agent's app: only with a valid enrolment code."""
        user = cast(User, request.user)  # past the password: not anonymous
        now = timezone.now()
        code_hash: str = request.session.get(ENROLMENT_SESSION_KEY, "")
        grant = (
            totp_enrolment_grant_valid(user=user, code_hash=code_hash, now=now)
            if code_hash
            else None
        )
        if grant is None:
            return self._enrolment_code(request, refused=bool(code_hash))
        device = totp_device_for_enrolment(user)
        typed = request.method == "POST" and "code" in request.POST
        form = SecondFactorForm(request.POST if typed else None)
        if form.is_valid():
            error = totp_check(device, form.cleaned_data["code"])
            if error is None:
                try:
                    totp_enrolment_complete(
                        user=user,
                        device=device,
                        code_hash=code_hash,
                        now=now,
                    )
                except EnrolmentCodeInvalid:
                    return redirect(request.get_full_path())
                del request.session[ENROLMENT_SESSION_KEY]
                return self._verified(request, device)
            form.add_error("code", error)
        return self._code_page(
            request,
            form,
            title=_("Mise en place de la double authentification"),
            enrolling=True,
            next=_next_url(request, reverse("admin:index", current_app=self.name)),
            secret=totp_secret(device),
            qr_svg=totp_qr_svg(device),
        )

    def _enrolment_code(self, request: HttpRequest, *, refused: bool) -> HttpResponse:
        """No device and no valid enrolment code: ask a superuser for one (no QR)."""
        user = cast(User, request.user)
        typed = request.method == "POST" and "enrolment_code" in request.POST
        form = EnrolmentCodeForm(request.POST if typed else None)
        if refused:
            # The link or code presented earlier is no longer (or never was) valid.
            request.session.pop(ENROLMENT_SESSION_KEY, None)
            logger.warning("TOTP enrolment code refused for %s", user.get_username())
        if form.is_valid():
            code_hash = enrolment_code_hash(form.cleaned_data["enrolment_code"])
            if totp_enrolment_grant_valid(
                user=user,
                code_hash=code_hash,
                now=timezone.now(),
            ):
                request.session[ENROLMENT_SESSION_KEY] = code_hash
                logger.info("TOTP enrolment code presented by %s", user.get_username())
                return redirect(request.get_full_path())
            logger.warning("TOTP enrolment code refused for %s", user.get_username())
            form.add_error("enrolment_code", ENROLMENT_CODE_REFUSED)
        context = {
            **self.login_step_context(request),
            "title": _("Double authentification à mettre en place"),
            "form": form,
            "enrolment_hours": settings.AGENT_TOTP_ENROLMENT_HOURS,
            "refused": refused and not form.is_bound,
            "refused_message": ENROLMENT_CODE_REFUSED,
            "next": _next_url(request, reverse("admin:index", current_app=self.name)),
        }
        return TemplateResponse(request, "admin/totp_enrolment_code.html", context)


def lockout_response(
    request: HttpRequest, original_response, credentials
) -> HttpResponse:
    """django-axes' lockout page, in the admin's look and language (429)."""
    from django.contrib.admin import site

    context = {
        **cast(AgentAdminSite, site).login_step_context(request),
        "title": _("Connexion bloquée"),
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "cooloff_minutes": settings.AGENT_LOCKOUT_MINUTES,
    }
    page = TemplateResponse(request, "admin/locked_out.html", context, status=429)
    return page.render()  # the middleware hands it out as it is
