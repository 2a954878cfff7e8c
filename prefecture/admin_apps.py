from django.contrib.admin.apps import AdminConfig


class AgentAdminConfig(AdminConfig):
    """Django's admin, on the site that requires the agents' second factor."""

    default_site = "prefecture.admin_site.AgentAdminSite"
