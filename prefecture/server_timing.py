"""`Server-Timing` on every response, for `make bench` (setting SERVER_TIMING, off by
default): how long the request took inside Django, wall clock and this thread's CPU,
so that the bench reports the server's time per step next to what its clients saw
(the client shares the machine's cores, so its own clock also counts its waiting)."""

import time


class ServerTimingMiddleware:
    """Outermost, so the time covers every other middleware (the session saved to
    Redis, CSRF, the language) and the view; not the WSGI server's reading and
    writing of the socket."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        wall, cpu = time.perf_counter(), time.thread_time()
        response = self.get_response(request)
        wall_ms = (time.perf_counter() - wall) * 1000
        cpu_ms = (time.thread_time() - cpu) * 1000
        response["Server-Timing"] = f"app;dur={wall_ms:.2f}, cpu;dur={cpu_ms:.2f}"
        return response
