"""Agents' accounts in the admin: Django's user pages, plus the superuser's action that
issues a TOTP enrolment link (a new account, or a lost phone once its device is
deleted), and the read-only record of the links issued."""

from typing import cast

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from prefecture.models import TotpEnrolmentGrant
from prefecture.two_factor import EnrolmentRefused, totp_enrolment_issue

admin.site.unregister(get_user_model())


@admin.register(get_user_model())
class AgentUserAdmin(UserAdmin):
    actions = ["issue_totp_enrolment"]

    def has_totp_enrolment_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_superuser

    @admin.action(
        description=_("Créer un lien d'enrôlement TOTP"),
        permissions=["totp_enrolment"],
    )
    def issue_totp_enrolment(self, request: HttpRequest, queryset):
        """Shows each new link once, on this page only (no message storage, no
        e-mail): the superuser hands it to the agent."""
        issued = []
        now = timezone.now()
        for user in queryset.order_by("username"):
            try:
                code, grant = totp_enrolment_issue(
                    user=user, by=cast(User, request.user), now=now
                )
            except EnrolmentRefused as refused:
                self.message_user(request, refused.message, messages.ERROR)
                continue
            link = request.build_absolute_uri(
                reverse("admin:totp_enrolment", args=[code])
            )
            issued.append({"user": user, "code": code, "link": link, "grant": grant})
        if not issued:
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Liens d'enrôlement TOTP"),
            "opts": self.opts,
            "issued": issued,
        }
        return TemplateResponse(request, "admin/totp_enrolment_issued.html", context)


@admin.register(TotpEnrolmentGrant)
class TotpEnrolmentGrantAdmin(admin.ModelAdmin):
    """Who issued which agent's enrolment link, and what became of it."""

    list_display = [
        "user",
        "issued_by",
        "issued_at",
        "expires_at",
        "used_at",
        "revoked_at",
    ]
    list_select_related = ["user", "issued_by"]
    search_fields = ["user__username"]
    exclude = ["code_hash"]

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
