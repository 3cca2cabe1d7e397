"""Defaults (tier policy v1, manager policy, risk rules, beat schedules) and the database
triggers that refuse a VIP beyond a relationship manager's cap on every write path.

Beat schedules are created with update_or_create keyed by name, touching only the task
path of an existing row, so an admin's edits to the schedule survive.
"""

from decimal import Decimal

from django.db import migrations

CAP_MESSAGE = "customer_vip_cap_per_manager: this relationship manager already looks after the maximum number of VIPs"

POSTGRES_TRIGGER = """
CREATE OR REPLACE FUNCTION segmentation_vip_cap() RETURNS trigger AS $$
DECLARE
    cap integer;
    current_count integer;
BEGIN
    IF NEW.status <> 'active' THEN
        RETURN NEW;
    END IF;
    SELECT max_vips_per_manager INTO cap FROM segmentation_managerpolicy WHERE id = 1;
    IF cap IS NULL THEN
        RETURN NEW;
    END IF;
    -- Serialise assignments to one manager so two sessions cannot both take the last place.
    PERFORM 1 FROM accounts_user WHERE id = NEW.relationship_manager_id FOR UPDATE;
    SELECT count(*) INTO current_count FROM customers_customer
     WHERE relationship_manager_id = NEW.relationship_manager_id
       AND vip_level <> 'normal' AND status = 'active' AND id <> NEW.id;
    IF current_count >= cap THEN
        RAISE EXCEPTION '%', '__MESSAGE__'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'customer_vip_cap_per_manager';
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER customer_vip_cap_insert BEFORE INSERT ON customers_customer FOR EACH ROW
    WHEN (NEW.relationship_manager_id IS NOT NULL AND NEW.vip_level <> 'normal')
    EXECUTE FUNCTION segmentation_vip_cap();
CREATE TRIGGER customer_vip_cap_update BEFORE UPDATE OF relationship_manager_id
    ON customers_customer FOR EACH ROW
    WHEN (NEW.relationship_manager_id IS NOT NULL AND NEW.vip_level <> 'normal'
          AND OLD.relationship_manager_id IS DISTINCT FROM NEW.relationship_manager_id)
    EXECUTE FUNCTION segmentation_vip_cap();
""".replace("__MESSAGE__", CAP_MESSAGE)

POSTGRES_DROP = """
DROP TRIGGER IF EXISTS customer_vip_cap_insert ON customers_customer;
DROP TRIGGER IF EXISTS customer_vip_cap_update ON customers_customer;
DROP FUNCTION IF EXISTS segmentation_vip_cap();
"""

SQLITE_CHECK = """
    SELECT RAISE(ABORT, '__MESSAGE__')
    WHERE (SELECT COUNT(*) FROM customers_customer
           WHERE relationship_manager_id = NEW.relationship_manager_id
             AND vip_level <> 'normal' AND status = 'active' AND id <> NEW.id)
          >= (SELECT max_vips_per_manager FROM segmentation_managerpolicy WHERE id = 1);
""".replace("__MESSAGE__", CAP_MESSAGE)

SQLITE_TRIGGERS = [
    f"""
CREATE TRIGGER customer_vip_cap_insert BEFORE INSERT ON customers_customer FOR EACH ROW
WHEN NEW.relationship_manager_id IS NOT NULL AND NEW.vip_level <> 'normal'
     AND NEW.status = 'active'
BEGIN {SQLITE_CHECK} END;
""",
    f"""
CREATE TRIGGER customer_vip_cap_update BEFORE UPDATE OF relationship_manager_id
ON customers_customer FOR EACH ROW
WHEN NEW.relationship_manager_id IS NOT NULL AND NEW.vip_level <> 'normal'
     AND NEW.status = 'active'
     AND OLD.relationship_manager_id IS NOT NEW.relationship_manager_id
BEGIN {SQLITE_CHECK} END;
""",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS customer_vip_cap_insert",
    "DROP TRIGGER IF EXISTS customer_vip_cap_update",
]


def install_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_TRIGGER, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_TRIGGERS:
            schema_editor.execute(statement, params=None)


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_DROP, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_DROP:
            schema_editor.execute(statement, params=None)


RISK_RULES = [
    # kind, threshold, period_days, severity, min_level
    ("spend_drop", Decimal("30"), 90, "normal", "silver"),
    ("complaints", Decimal("2"), 30, "high", "normal"),
    ("no_contact", Decimal("0"), 60, "normal", "silver"),
    ("low_survey", Decimal("60"), 90, "high", "silver"),
]

SCHEDULES = [
    # name, task, crontab (minute, hour, day_of_month)
    ("Segmentation: nightly scoring", "segmentation.score_customers", ("30", "2", "*")),
    ("Segmentation: risk alerts (hourly)", "segmentation.evaluate_risk_alerts", ("5", "*", "*")),
    ("Segmentation: monthly VIP coverage report", "segmentation.coverage_report", ("0", "6", "1")),
]


def create_defaults(apps, schema_editor):
    TierPolicy = apps.get_model("segmentation", "TierPolicy")
    ManagerPolicy = apps.get_model("segmentation", "ManagerPolicy")
    RiskRule = apps.get_model("segmentation", "RiskRule")
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")

    if not TierPolicy.objects.exists():
        TierPolicy.objects.create(version=1, note="Defaults from the care programme (§2)")
    ManagerPolicy.objects.get_or_create(pk=1)
    for kind, threshold, period_days, severity, min_level in RISK_RULES:
        RiskRule.objects.get_or_create(
            kind=kind,
            defaults={
                "threshold": threshold,
                "period_days": period_days,
                "severity": severity,
                "min_level": min_level,
            },
        )
    for name, task, (minute, hour, day_of_month) in SCHEDULES:
        crontab, _ = CrontabSchedule.objects.get_or_create(
            minute=minute,
            hour=hour,
            day_of_month=day_of_month,
            month_of_year="*",
            day_of_week="*",
            timezone="Asia/Shanghai",
        )
        # Only the task path is kept up to date; an admin's schedule and on/off survive.
        PeriodicTask.objects.update_or_create(
            name=name,
            defaults={"task": task},
            create_defaults={"task": task, "crontab": crontab, "enabled": True},
        )


def remove_schedules(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[name for name, _t, _c in SCHEDULES]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("segmentation", "0001_initial"),
        ("customers", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.RunPython(create_defaults, remove_schedules),
        migrations.RunPython(install_triggers, drop_triggers),
    ]
