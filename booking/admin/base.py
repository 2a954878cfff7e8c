"""What every desk of the admin shares: the read-only audit trail."""

from django.contrib import admin


class AuditTrailInline(admin.TabularInline):
    """An audit trail: read, never written by hand."""

    extra = 0
    can_delete = False
    readonly_fields = ["at", "kind", "actor", "detail"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False
