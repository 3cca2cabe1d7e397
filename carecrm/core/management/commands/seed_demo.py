"""``manage.py seed_demo``: a believable Chinese-market company to try CareCRM with.

The command creates the departments and one login per role, then runs every seeder that
an app registered with ``carecrm.core.registry.register_demo_seeder`` (customers, orders,
interactions, and whatever later apps add), in their order.

Re-running: the command refuses when the demo departments already exist; ``--if-empty``
makes that a quiet no-op (``make run`` uses it) and ``--flush`` empties the WHOLE database
first (like ``manage.py flush``), for a demo database only.
"""

import random
import secrets
import string
from pathlib import Path

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from carecrm.accounts.models import Department, Role, User
from carecrm.accounts.services import user_create
from carecrm.core.registry import demo_seeders

# (code, name, region)
DEMO_DEPARTMENTS = [
    ("east-sales", "华东销售部", "华东"),
    ("south-sales", "华南销售部", "华南"),
    ("north-sales", "华北销售部", "华北"),
    ("service-center", "客服中心", "全国"),
    ("marketing", "市场部", "全国"),
]

# (username, display name, role, department code or None)
DEMO_USERS = [
    ("admin", "王建国", Role.ADMIN, None),
    ("li.na", "李娜", Role.MANAGER, "east-sales"),
    ("zhang.wei", "张伟", Role.STAFF, "east-sales"),
    ("wu.xiaoli", "吴晓丽", Role.STAFF, "east-sales"),
    ("chen.jing", "陈静", Role.MANAGER, "south-sales"),
    ("huang.hao", "黄浩", Role.STAFF, "south-sales"),
    ("lin.yuting", "林雨婷", Role.STAFF, "south-sales"),
    ("zhao.lei", "赵磊", Role.MANAGER, "north-sales"),
    ("sun.yue", "孙悦", Role.STAFF, "north-sales"),
    ("liu.yang", "刘洋", Role.MANAGER, "service-center"),
    ("zhou.min", "周敏", Role.STAFF, "service-center"),
    ("xu.qian", "徐倩", Role.STAFF, "service-center"),
    ("zhao.min", "赵敏", Role.MANAGER, "marketing"),
    ("guo.jie", "郭杰", Role.STAFF, "marketing"),
]

_PASSWORD_ALPHABET = "".join(c for c in string.ascii_letters + string.digits if c not in "0O1lI")


def generate_password(length: int = 14) -> str:
    """A random password without look-alike characters, easy to type from a terminal."""
    return "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(length))


class Command(BaseCommand):
    help = (
        "Create demo departments, one login per role and each app's demo data "
        "(customers, orders, ...). Deterministic with --seed."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--customers", type=int, default=2000, help="number of customers (default 2000)"
        )
        parser.add_argument(
            "--seed", type=int, default=None, help="random seed; the same seed gives the same data"
        )
        parser.add_argument(
            "--password",
            default=None,
            help="password for every demo login (default: a random one, printed once)",
        )
        parser.add_argument(
            "--logins-file",
            default=None,
            help="also write the logins to this file (mode 600), e.g. var/demo-logins.txt",
        )
        group = parser.add_mutually_exclusive_group()
        group.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing (and succeed) when demo data already exists",
        )
        group.add_argument(
            "--flush",
            action="store_true",
            help="empty the WHOLE database first (manage.py flush), then seed",
        )

    def handle(self, *args, **options):
        if options["customers"] < 0:
            raise CommandError("--customers must be 0 or more")
        password = options["password"] or generate_password()
        try:
            validate_password(password)
        except ValidationError as exc:
            raise CommandError("--password: " + " ".join(exc.messages)) from exc

        if options["flush"]:
            self.stdout.write("Emptying the database (flush) ...")
            call_command("flush", interactive=False, verbosity=0)
        existing = Department.objects.filter(code__in=[code for code, *_ in DEMO_DEPARTMENTS])
        if existing.exists():
            if options["if_empty"]:
                self.stdout.write("Demo data already present; nothing to do.")
                return
            raise CommandError(
                "Demo data already exists (departments "
                + ", ".join(existing.values_list("name", flat=True))
                + "). Use --flush to empty the database and seed again, or --if-empty."
            )

        seed = options["seed"] if options["seed"] is not None else secrets.randbelow(10**6)
        rng = random.Random(seed)
        started = timezone.now()
        with transaction.atomic():
            departments = self._create_departments()
            users = self._create_users(departments, password)
            seeder_options = {
                "customers": options["customers"],
                "seed": seed,
                "now": started,
                "departments": departments,
                "users": users,
            }
            for _order, seeder in sorted(demo_seeders, key=lambda item: item[0]):
                seeder(rng=rng, options=seeder_options, stdout=self.stdout)

        seconds = (timezone.now() - started).total_seconds()
        self.stdout.write(self.style.SUCCESS(f"Demo data ready in {seconds:.1f} s (seed {seed})."))
        logins = self._logins_text(users, password)
        self.stdout.write(logins)
        if options["logins_file"]:
            path = Path(options["logins_file"])
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(logins + "\n")
            path.chmod(0o600)

    def _create_departments(self) -> dict[str, Department]:
        return {
            code: Department.objects.create(code=code, name=name, region=region)
            for code, name, region in DEMO_DEPARTMENTS
        }

    def _create_users(self, departments: dict[str, Department], password: str) -> list[User]:
        users = []
        for username, display_name, role, department_code in DEMO_USERS:
            if User.objects.filter(username=username).exists():
                raise CommandError(
                    f"A user named {username!r} already exists; seed into an empty database "
                    "or use --flush."
                )
            users.append(
                user_create(
                    username=username,
                    password=password,
                    role=role,
                    department=departments[department_code] if department_code else None,
                    display_name=display_name,
                    email=f"{username}@example.com",
                )
            )
        return users

    @staticmethod
    def _logins_text(users: list[User], password: str) -> str:
        lines = [
            "Demo logins (the same password for every user; shown only now):",
            f"  password: {password}",
            f"  {'username':<12} {'role':<8} department",
        ]
        for user in users:
            department = user.department.name if user.department else "—"
            lines.append(f"  {user.username:<12} {user.role.value:<8} {department}")
        return "\n".join(lines)
