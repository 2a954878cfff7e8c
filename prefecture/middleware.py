from datetime import timedelta

from django.conf import settings
from django.utils import timezone, translation

from prefecture.two_factor import is_verified_agent


class AgentIdleTimeoutMiddleware:
    """An agent's session ends after AGENT_IDLE_MINUTES without a request: each request
    pushes the expiry forward (a sliding window kept in the session store, so every web
    process applies it). Between the password and the code, the session ends at most
    AGENT_SECOND_FACTOR_MINUTES after the password, however many requests come.
    Applicants' sessions keep the default age."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_staff:
            if is_verified_agent(request):
                request.session.set_expiry(settings.AGENT_IDLE_MINUTES * 60)
            else:
                deadline = timezone.now() + timedelta(
                    minutes=settings.AGENT_SECOND_FACTOR_MINUTES
                )
                if request.session.get_expiry_date() > deadline:
                    request.session.set_expiry(deadline)
        return self.get_response(request)


class AdminLanguageMiddleware:
    """The admin lives outside i18n_patterns, where LocaleMiddleware always picks the
    default language (French). There, the language an agent chose with the switch
    (the language cookie) applies; French stays the default."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if request.path_info.startswith("/admin/") and chosen in dict(
            settings.LANGUAGES
        ):
            translation.activate(chosen)
            request.LANGUAGE_CODE = chosen
        return self.get_response(request)
