"""Work run once the response is sent (prefecture.after_response): the publishes
that follow a commit, off the applicant's wait."""

import logging

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from prefecture.after_response import AfterResponseMiddleware, after_response


def _view_doing(*works, then=None):
    def view(request):
        for work in works:
            after_response(work)
        if then is not None:
            raise then
        return HttpResponse("ok")

    return view


def test_outside_a_request_the_work_runs_at_once():
    done = []
    after_response(lambda: done.append("now"))
    assert done == ["now"]


def test_in_a_request_the_work_waits_for_the_response_to_be_closed():
    done = []
    middleware = AfterResponseMiddleware(
        _view_doing(lambda: done.append(1), lambda: done.append(2))
    )
    response = middleware(RequestFactory().get("/"))
    assert done == []  # the response is built, not sent yet
    response.close()  # what the WSGI server does after its last byte
    assert done == [1, 2]
    response.close()
    assert done == [1, 2]  # once


def test_after_the_request_nothing_is_kept_for_the_next_one():
    done = []
    middleware = AfterResponseMiddleware(_view_doing(lambda: done.append(1)))
    middleware(RequestFactory().get("/")).close()
    after_response(lambda: done.append("outside"))
    assert done == [1, "outside"]


def test_a_failing_work_is_logged_and_the_others_still_run(caplog):
    done = []

    def broken():
        raise RuntimeError("broker gone")

    middleware = AfterResponseMiddleware(
        _view_doing(broken, lambda: done.append("second"))
    )
    response = middleware(RequestFactory().get("/"))
    with caplog.at_level(logging.ERROR, logger="prefecture.after_response"):
        response.close()
    assert done == ["second"]
    assert "work after the response failed" in caplog.text


def test_when_the_view_raises_the_work_already_due_runs_at_once():
    done = []
    middleware = AfterResponseMiddleware(
        _view_doing(lambda: done.append("committed"), then=KeyError("boom"))
    )
    with pytest.raises(KeyError):
        middleware(RequestFactory().get("/"))
    assert done == ["committed"]
