"""The upload pages of the register and the delivery list: upload, preview (what
the import will do, the first refused lines), confirm or abandon, then the progress
and the result (services.imports does the work)."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from booking import services
from booking.errors import ImportJobClosed
from booking.models import ImportJob
from booking.services.csv_rows import CsvFileError

MAX_BYTES = 10 * 1024 * 1024

# The figures of a preview and a result, in the agent's words, by kind.
COUNT_WORDS: dict[str, list[tuple[str, Promise]]] = {
    ImportJob.Kind.REGISTER: [
        ("imported", _("Titres nouveaux")),
        ("updated", _("Titres mis à jour")),
        ("unchanged", _("Titres inchangés")),
        ("rejected", _("Lignes refusées")),
    ],
    ImportJob.Kind.DELIVERY: [
        ("ready", _("Titres marqués disponibles (un SMS chacun)")),
        ("already", _("Déjà disponibles, remis ou retournés (aucun SMS)")),
        ("phones", _("Téléphones mis à jour")),
        ("rejected", _("Lignes refusées")),
    ],
}


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("Fichier CSV ou Excel (.xlsx)"),
        help_text=_("10 Mo au plus."),
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".csv,.txt,.xlsx,text/csv,"
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(_("Fichier trop volumineux (10 Mo au plus)."))
        return upload


class ImportPagesMixin:
    """Pages of a ModelAdmin that imports a file: ``import_kind``, the URL prefix
    (``import_path``, ``import_name``), the page's title and help, and the
    permission (``has_import_permission``)."""

    import_kind: str
    import_path: str
    import_name: str
    import_title: Promise
    import_help: Promise

    def has_import_permission(self, request: HttpRequest) -> bool:
        raise NotImplementedError

    def import_urls(self) -> list:
        view = self.admin_site.admin_view  # type: ignore[attr-defined]
        return [
            path(self.import_path, view(self.upload_view), name=self.import_name),
            path(
                f"{self.import_path}<int:pk>/",
                view(self.job_view),
                name=f"{self.import_name}_job",
            ),
            path(
                f"{self.import_path}<int:pk>/etat/",
                view(self.job_state_view),
                name=f"{self.import_name}_state",
            ),
        ]

    def _job(self, request: HttpRequest, pk: int) -> ImportJob:
        if not self.has_import_permission(request):
            raise PermissionDenied
        return get_object_or_404(
            ImportJob.objects.defer("data"), pk=pk, kind=self.import_kind
        )

    def upload_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_import_permission(request):
            raise PermissionDenied
        form = UploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                job = services.import_upload(
                    kind=self.import_kind,
                    data=upload.read(),
                    filename=upload.name or "",
                    by=request.user.get_username(),
                )
            except CsvFileError as error:
                form.add_error("file", str(error))
            else:
                return redirect(f"admin:{self.import_name}_job", pk=job.pk)
        context = self.page_context(  # type: ignore[attr-defined]
            request,
            title=self.import_title,
            help=self.import_help,
            form=form,
            jobs=ImportJob.objects.filter(kind=self.import_kind).defer("data")[:10],
            job_url=f"admin:{self.import_name}_job",
        )
        return TemplateResponse(request, "admin/booking/import_upload.html", context)

    def job_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        job = self._job(request, pk)
        if request.method == "POST":
            try:
                if "confirm" in request.POST:
                    job = services.import_job_confirm(
                        job_id=job.pk, by=request.user.get_username()
                    )
                elif "cancel" in request.POST:
                    services.import_job_cancel(job_id=job.pk)
                    messages.info(request, _("Import abandonné : rien n’a été écrit."))
            except ImportJobClosed as closed:
                messages.warning(
                    request,
                    _("Ce dépôt n’attend plus de décision (%(status)s).")
                    % {"status": closed.status},
                )
            return redirect(f"admin:{self.import_name}_job", pk=job.pk)
        summary = job.result if job.status == ImportJob.Status.DONE else job.preview
        context = self.page_context(  # type: ignore[attr-defined]
            request,
            title=self.import_title,
            job=job,
            figures=[
                (words, summary.get("counts", {}).get(name, 0))
                for name, words in COUNT_WORDS[job.kind]
            ],
            rejected=summary.get("rejected", []),
            upload_url=f"admin:{self.import_name}",
            state_url=f"admin:{self.import_name}_state",
        )
        return TemplateResponse(request, "admin/booking/import_job.html", context)

    def job_state_view(self, request: HttpRequest, pk: int) -> JsonResponse:
        """The progress, for the page's script (the page itself works without)."""
        job = self._job(request, pk)
        return JsonResponse(
            {
                "status": job.status,
                "working": job.is_working,
                "words": str(job.get_status_display()),
                "done": job.rows_done,
                "total": job.rows_total,
                "percent": job.percent,
            }
        )
