from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Migrate, collect static files, load the demo and create the first administrator, "
        "in one process (make run): each step is safe to run again."
    )

    def handle(self, *args, **options) -> None:
        # One process instead of six saves Django's start-up five times over (about 3 s each).
        # The demo commands are called by name: core imports no app.
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        for name in (
            "load_demo",
            "load_demo_audience",
            "load_demo_wechat",
            "load_demo_inbox",
            "load_demo_voices",
            "load_demo_surveys",
            "load_demo_news",
            "load_demo_quiz",
            "load_demo_readaloud",
            "load_demo_notes",
            "load_demo_measure",
            "ensure_admin",
        ):
            call_command(name, stdout=self.stdout, stderr=self.stderr)
