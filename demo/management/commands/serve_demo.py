"""``make run``'s server: Django's development server, with the address and the demo logins printed last,
after the set-up and the server's own lines, where they are seen."""

from django.conf import settings
from django.contrib.staticfiles.management.commands.runserver import Command as RunserverCommand
from django.core.management.base import CommandError

from demo.banner import banner


class Command(RunserverCommand):
    help = "Start de ontwikkelserver (make run) en toon daarna het adres en de demo-logins."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("serve_demo draait alleen met DEBUG=1: het toont demo-wachtwoorden.")
        super().handle(*args, **options)

    def on_bind(self, server_port):
        super().on_bind(server_port)
        host = f"[{self.addr}]" if self._raw_ipv6 else ("0.0.0.0" if self.addr == "0" else self.addr)
        self.stdout.write(banner(f"{self.protocol}://{host}:{server_port}/"))
