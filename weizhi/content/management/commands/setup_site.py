from django.core.management.base import BaseCommand

from weizhi.content.site_setup import ensure_site


class Command(BaseCommand):
    help = "Create the portal home page and the standard columns if they are missing."

    def handle(self, *args, **options) -> None:
        home = ensure_site()
        self.stdout.write(f"门户首页：{home.title}（栏目 {home.get_children().count()} 个）")
