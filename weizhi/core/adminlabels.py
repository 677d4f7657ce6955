"""Chinese for the few admin labels Wagtail builds from field names or values rather than
from a translatable string, so that no catalogue can reach them (weizhi/locale holds the
rest). Applied once from CoreConfig.ready()."""

from wagtail.admin.forms.workflows import WorkflowPageForm
from wagtail.admin.ui.tables import BooleanColumn
from wagtail.contrib.redirects.filters import RedirectsReportFilterSet
from wagtail.sites.views import IndexView as SiteIndexView

# Wagtail's site listing labels these columns with the bare field name ("Port").
SITE_COLUMNS = {"port": "端口号", "site_name": "站点名称", "root_page": "根页面"}


def apply() -> None:
    for column in SiteIndexView.columns:
        column.label = SITE_COLUMNS.get(column.name, column.label)
    WorkflowPageForm.base_fields["page"].label = "页面"
    # The redirects filter is translated once at import, before any language is active.
    kind = RedirectsReportFilterSet.base_filters["is_permanent"]
    kind.label = "类型"
    kind.extra.update(choices=((True, "永久"), (False, "临时")), empty_label="全部")
    # Every yes/no column (users' 有效, members' 在册, …) shows 是/否 with its icon, not True.
    BooleanColumn.cell_template_name = "weizhi_admin/yes_no_cell.html"
