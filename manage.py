#!/usr/bin/env python
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "carecrm.settings")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        # Load the settings now so a configuration mistake (e.g. production without
        # SECRET_KEY) ends with one readable line instead of a traceback.
        settings.INSTALLED_APPS  # noqa: B018
    except ImproperlyConfigured as exc:
        sys.exit(f"CareCRM configuration error: {exc}")
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
