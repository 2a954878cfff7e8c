from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from faq.forms import SearchForm
from faq.models import Question
from faq.selectors import category_list_with_questions, question_get_for_display
from prefecture.two_factor import is_verified_agent


@require_safe
def index(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET or None)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    groups = category_list_with_questions(query=query)
    return render(
        request,
        "faq/index.html",
        {
            "form": form,
            "query": query,
            "groups": groups,
            "result_count": sum(len(group.questions) for group in groups),
        },
    )


@require_safe
def question(request: HttpRequest, slug: str) -> HttpResponse:
    """The FAQ with one question open: its permanent, shareable address."""
    try:
        opened = question_get_for_display(
            slug=slug,
            include_unpublished=is_verified_agent(request),
        )
    except Question.DoesNotExist as missing:
        raise Http404(slug) from missing
    return render(
        request,
        "faq/index.html",
        {
            "form": SearchForm(),
            "query": "",
            "groups": category_list_with_questions(),
            "opened": opened,
            "opened_slug": opened.slug,
        },
    )
