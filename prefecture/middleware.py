from django.conf import settings


class AgentIdleTimeoutMiddleware:
    """An agent's session ends after AGENT_IDLE_MINUTES without a request: each request
    pushes the expiry forward (a sliding window kept in the session store, so every web
    process applies it). Applicants' sessions keep the default age."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_staff:
            request.session.set_expiry(settings.AGENT_IDLE_MINUTES * 60)
        return self.get_response(request)
