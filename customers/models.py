"""The customer database (care programme §1).

Spend, purchase counts, tiers and scores on ``Customer`` are written in bulk by the
segmentation run and never edited by hand; everything else is kept by staff, imports and
the sales system.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _

from carecrm.channels import ConsentChannel
from carecrm.core.scoping import ScopeRule
from carecrm.money import yuan

# The channels a customer consents to (carecrm.channels: one vocabulary for every app).
Channel = ConsentChannel


class CustomerKind(models.TextChoices):
    PERSON = "person", _("Person")
    COMPANY = "company", _("Company")


class Gender(models.TextChoices):
    UNKNOWN = "", _("Unknown")
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")


class Source(models.TextChoices):
    SALES = "sales", _("Sales system")
    CRM = "crm", _("CRM")
    SERVICE = "service", _("Customer service")
    MARKETING_FORM = "marketing_form", _("Marketing sign-up form")
    IMPORT = "import", _("Import")
    MANUAL = "manual", _("Manual entry")


class CustomerStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    MERGED = "merged", _("Merged")
    ANONYMISED = "anonymised", _("Anonymised")


class ValueTier(models.TextChoices):
    """care programme §2 care-plan value tiers."""

    UNSCORED = "", _("Not scored")
    HIGH = "high", _("High value")
    MEDIUM = "medium", _("Medium value")
    POTENTIAL = "potential", _("Potential value")
    LOW = "low", _("Low value")


class VipLevel(models.TextChoices):
    NORMAL = "normal", _("Normal")
    SILVER = "silver", _("Silver (VIP)")
    GOLD = "gold", _("Gold (SVIP)")
    DIAMOND = "diamond", _("Diamond (SVIP+)")


class RfmSegment(models.TextChoices):
    """Named RFM segments; the score → name mapping is in ``segmentation.services.scoring``."""

    CHAMPIONS = "champions", _("Champions")
    LOYAL = "loyal", _("Loyal")
    POTENTIAL_LOYALISTS = "potential_loyalists", _("Potential loyalists")
    NEW = "new", _("New customers")
    AT_RISK = "at_risk", _("At risk")
    CANT_LOSE = "cant_lose", _("Can't lose")
    HIBERNATING = "hibernating", _("Hibernating")
    LOST = "lost", _("Lost")


class LifecycleStage(models.TextChoices):
    UNSCORED = "", _("Not scored")
    NEW = "new", _("New")
    ACTIVE = "active", _("Active")
    CHURN_RISK = "churn_risk", _("Churn risk")
    LOST = "lost", _("Lost")


class ContactStatus(models.TextChoices):
    UNVERIFIED = "unverified", _("Not verified")
    CONFIRMED = "confirmed", _("Confirmed")
    UNREACHABLE = "unreachable", _("Unreachable")


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=50, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name


# The columns of Customer that segmentation derives from the orders, in bulk
# (segmentation.services.scoring writes exactly these, stamping ``scored_at``; the order
# summaries write total spend, purchases and first/last purchase as orders arrive). Said
# once here, the layer below segmentation: nobody sets them by hand — the import, the forms
# and the API leave them alone (customers/tests/test_scored_fields.py holds them to it).
SCORED_FIELDS: tuple[str, ...] = (
    "total_spend",
    "spend_12m",
    "purchase_count",
    "purchase_count_12m",
    "first_purchase_on",
    "last_purchase_on",
    "average_order_value",
    "repurchase_rate",
    "rfm_recency",
    "rfm_frequency",
    "rfm_monetary",
    "rfm_segment",
    "value_tier",
    "vip_level",
    "lifecycle_stage",
    "loyalty_score",
)


class Customer(models.Model):
    SCOPE = ScopeRule(department="department", owner="relationship_manager")

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(
        _("customer kind"), max_length=10, choices=CustomerKind, default=CustomerKind.PERSON
    )
    mobile = models.CharField(
        _("mobile phone"),
        max_length=20,
        blank=True,
        help_text=_("Stored as E.164, e.g. +8613812345678"),
    )
    mobile_last4 = models.CharField(max_length=4, blank=True, editable=False)
    email = models.EmailField(_("email"), blank=True)
    province = models.CharField(_("province"), max_length=30, blank=True)
    city = models.CharField(_("city"), max_length=30, blank=True)
    district = models.CharField(_("district"), max_length=30, blank=True)
    street = models.CharField(_("street address"), max_length=200, blank=True)
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    celebrates_lunar_birthday = models.BooleanField(_("celebrates lunar birthday"), default=False)
    lunar_birth_month = models.PositiveSmallIntegerField(
        _("lunar birth month"), null=True, blank=True
    )
    lunar_birth_day = models.PositiveSmallIntegerField(_("lunar birth day"), null=True, blank=True)
    lunar_birth_leap_month = models.BooleanField(_("lunar leap month"), default=False)
    birth_month = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    gender = models.CharField(_("gender"), max_length=10, choices=Gender, blank=True, default="")
    registered_on = models.DateField(_("registration date"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=20, choices=Source, default=Source.MANUAL)
    industry = models.CharField(_("industry"), max_length=50, blank=True)
    region = models.CharField(_("region"), max_length=50, blank=True)
    preferred_categories = models.JSONField(
        _("preferred product categories"), default=list, blank=True
    )
    preferred_channel = models.CharField(
        _("preferred channel"), max_length=10, choices=Channel, blank=True
    )
    wecom_external_id = models.CharField(_("WeCom external contact ID"), max_length=64, blank=True)
    push_token = models.CharField(_("app push token"), max_length=200, blank=True)
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        related_name="customers",
        db_index=False,  # customer_dept_id leads with it
    )
    relationship_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("relationship manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_customers",
        db_index=False,  # customer_manager_id leads with it
    )
    referred_by = models.ForeignKey(
        "self",
        verbose_name=_("referred by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="referrals",
        db_index=False,  # customer_referred_by: referred customers only
        help_text=_("The customer who brought this one in (loyalty referrals)."),
    )
    referred_at = models.DateTimeField(_("referred at"), null=True, blank=True)
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="customers")
    notes = models.TextField(_("notes"), blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=CustomerStatus, default=CustomerStatus.ACTIVE
    )
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="merged_from",
        db_index=False,  # customer_merged_into: merged customers only
    )
    contact_status = models.CharField(
        _("contact status"), max_length=12, choices=ContactStatus, default=ContactStatus.UNVERIFIED
    )
    contact_verified_at = models.DateTimeField(_("contact verified at"), null=True, blank=True)
    # When a verification last found the contact unreachable: the unreachable list's order.
    contact_unreachable_at = models.DateTimeField(
        _("contact unreachable since"), null=True, blank=True
    )

    # Derived by segmentation, in bulk (SCORED_FIELDS above, and scored_at).
    total_spend = models.DecimalField(
        _("total spend"), max_digits=14, decimal_places=2, default=Decimal("0")
    )
    spend_12m = models.DecimalField(
        _("spend in last 12 months"), max_digits=14, decimal_places=2, default=Decimal("0")
    )
    purchase_count = models.PositiveIntegerField(_("purchase count"), default=0)
    purchase_count_12m = models.PositiveIntegerField(_("purchases in last 12 months"), default=0)
    first_purchase_on = models.DateField(_("first purchase"), null=True, blank=True)
    last_purchase_on = models.DateField(_("last purchase"), null=True, blank=True)
    average_order_value = models.DecimalField(
        _("average order value"), max_digits=14, decimal_places=2, default=Decimal("0")
    )
    repurchase_rate = models.DecimalField(
        _("repurchase rate"), max_digits=5, decimal_places=4, default=Decimal("0")
    )
    rfm_recency = models.PositiveSmallIntegerField(_("R score"), null=True, blank=True)
    rfm_frequency = models.PositiveSmallIntegerField(_("F score"), null=True, blank=True)
    rfm_monetary = models.PositiveSmallIntegerField(_("M score"), null=True, blank=True)
    rfm_segment = models.CharField(_("RFM segment"), max_length=30, choices=RfmSegment, blank=True)
    value_tier = models.CharField(
        _("value tier"), max_length=10, choices=ValueTier, blank=True, default=""
    )
    vip_level = models.CharField(
        _("VIP level"), max_length=10, choices=VipLevel, default=VipLevel.NORMAL
    )
    lifecycle_stage = models.CharField(
        _("lifecycle stage"), max_length=12, choices=LifecycleStage, blank=True, default=""
    )
    loyalty_score = models.PositiveSmallIntegerField(_("loyalty score"), null=True, blank=True)
    scored_at = models.DateTimeField(_("scored at"), null=True, blank=True)

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # Not indexed: only deleting a user reads it (users are deactivated, rarely deleted),
    # and every import would pay for the index.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["-id"]
        permissions = [
            ("view_customer_pii", _("Can see unmasked phone numbers and addresses")),
            ("export_customer", _("Can export customers")),
            ("merge_customer", _("Can merge duplicate customers")),
            ("anonymise_customer", _("Can anonymise a customer")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["mobile"],
                condition=Q(status="active") & ~Q(mobile=""),
                name="customer_unique_active_mobile",
                violation_error_message=_("Another active customer already has this mobile phone."),
            ),
            models.CheckConstraint(
                condition=Q(lunar_birth_month__isnull=True)
                | Q(lunar_birth_month__gte=1, lunar_birth_month__lte=12),
                name="customer_lunar_month_range",
            ),
            models.CheckConstraint(
                condition=Q(lunar_birth_day__isnull=True)
                | Q(lunar_birth_day__gte=1, lunar_birth_day__lte=30),
                name="customer_lunar_day_range",
            ),
        ]
        indexes = [
            models.Index(fields=["department", "-id"], name="customer_dept_id"),
            models.Index(fields=["relationship_manager", "-id"], name="customer_manager_id"),
            models.Index(fields=["mobile_last4"], name="customer_mobile_last4"),
            models.Index(fields=["email"], name="customer_email"),
            models.Index(fields=["value_tier"], name="customer_value_tier"),
            models.Index(fields=["vip_level"], name="customer_vip_level"),
            models.Index(fields=["lifecycle_stage"], name="customer_lifecycle"),
            models.Index(fields=["birth_month"], name="customer_birth_month"),
            models.Index(fields=["region"], name="customer_region"),
            models.Index(fields=["industry"], name="customer_industry"),
            # Nearly every customer is active: only the others are worth an index.
            models.Index(
                fields=["status"], condition=~Q(status="active"), name="customer_not_active"
            ),
            models.Index(
                fields=["merged_into"],
                condition=Q(merged_into__isnull=False),
                name="customer_merged_into",
            ),
            models.Index(
                fields=["referred_by"],
                condition=Q(referred_by__isnull=False),
                name="customer_referred_by",
            ),
            # Keyset pagination of the customer list: (sort column, id) per sortable column.
            models.Index(fields=["name", "id"], name="customer_name_id"),
            models.Index(fields=["last_purchase_on", "id"], name="customer_last_purchase_id"),
            models.Index(fields=["total_spend", "id"], name="customer_spend_id"),
            # Segment members, biggest spenders of the last 12 months first.
            models.Index(fields=["spend_12m", "id"], name="customer_spend_12m_id"),
            # The referrals list, the latest first (referred customers only).
            models.Index(
                fields=["referred_at", "id"],
                condition=Q(referred_by__isnull=False),
                name="customer_referred_id",
            ),
            models.Index(fields=["registered_on", "id"], name="customer_registered_id"),
            # VIP coverage: the overdue VIPs by manager, biggest spenders first.
            models.Index(
                fields=["relationship_manager", "-spend_12m", "id"],
                condition=Q(status="active") & ~Q(vip_level="normal"),
                name="customer_vip_manager_spend",
            ),
            # The unreachable contacts list, the latest first (unreachable customers only).
            models.Index(
                fields=["contact_unreachable_at", "id"],
                condition=Q(contact_status="unreachable"),
                name="customer_unreachable_id",
            ),
            # Search by a whole email address, whatever its case (``email__iexact``).
            models.Index(Upper("email"), name="customer_email_upper"),
        ]

    def __str__(self) -> str:
        return self.name

    def refresh_derived_contact_fields(self) -> None:
        """Keep the indexed helper columns in step with the values they derive from."""
        self.mobile_last4 = self.mobile[-4:] if self.mobile else ""
        if self.celebrates_lunar_birthday and self.lunar_birth_month:
            self.birth_month = self.lunar_birth_month
        else:
            self.birth_month = self.birthday.month if self.birthday else None


class ContactPerson(models.Model):
    """A person to talk to at a company customer."""

    SCOPE = ScopeRule(department="customer__department", owner="customer__relationship_manager")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contact_persons")
    name = models.CharField(_("name"), max_length=100)
    title = models.CharField(_("job title"), max_length=60, blank=True)
    mobile = models.CharField(_("mobile phone"), max_length=20, blank=True)
    email = models.EmailField(_("email"), blank=True)
    is_primary = models.BooleanField(_("primary contact"), default=False)

    class Meta:
        verbose_name = _("contact person")
        verbose_name_plural = _("contact persons")

    def __str__(self) -> str:
        return self.name


class ConsentMethod(models.TextChoices):
    FORM = "form", _("Sign-up form")
    IMPORT = "import", _("Import")
    STAFF = "staff", _("Recorded by staff")
    CALL = "call", _("Phone call")
    UNSUBSCRIBE_LINK = "unsubscribe_link", _("Unsubscribe link")
    REPLY = "reply", _("Reply message")
    PREFERENCE_PAGE = "preference_page", _("Preference page")


class ChannelConsent(models.Model):
    """Whether a customer agreed to be contacted on a channel (PIPL art. 13/15): one row per
    customer and channel, holding the latest decision and how it was made."""

    SCOPE = ScopeRule(department="customer__department", owner="customer__relationship_manager")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="consents")
    channel = models.CharField(_("channel"), max_length=10, choices=Channel)
    granted = models.BooleanField(_("granted"))
    changed_at = models.DateTimeField(_("changed at"))
    method = models.CharField(_("how"), max_length=20, choices=ConsentMethod)
    note = models.CharField(_("note"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The legal basis a consent given elsewhere rests on (an import's "consented at
    # registration", the day it was given and where it is written down); blank when the
    # customer decided in CareCRM or the file said so row by row.
    basis = models.CharField(_("consent basis"), max_length=200, blank=True, db_default="")
    basis_date = models.DateField(_("consent given on"), null=True, blank=True)
    basis_source = models.CharField(_("consent source"), max_length=200, blank=True, db_default="")

    class Meta:
        verbose_name = _("channel consent")
        verbose_name_plural = _("channel consents")
        constraints = [
            models.UniqueConstraint(fields=["customer", "channel"], name="consent_one_per_channel")
        ]
        indexes = [models.Index(fields=["channel", "granted"], name="consent_channel_granted")]

    def __str__(self) -> str:
        return f"{self.customer_id}:{self.channel}={self.granted}"


class Order(models.Model):
    """A purchase; a refund is an order with a negative amount."""

    SCOPE = ScopeRule(department="customer__department", owner="customer__relationship_manager")

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="orders")
    order_no = models.CharField(_("order number"), max_length=64, unique=True)
    ordered_at = models.DateTimeField(_("ordered at"))
    amount = models.DecimalField(_("amount (CNY)"), max_digits=14, decimal_places=2)
    store = models.CharField(_("store or channel"), max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-ordered_at"]
        indexes = [
            models.Index(fields=["customer", "ordered_at"], name="order_customer_date"),
            # Company-wide figures of a period (the dashboard's sales, churn windows and
            # monthly trend) read the orders of a date range, whoever the customer.
            models.Index(fields=["ordered_at"], name="order_date"),
        ]

    def __str__(self) -> str:
        return self.order_no


class CustomerOrderSummary(models.Model):
    """One customer's orders in a few figures, kept up to date by every writer of orders
    in the writer's own transaction (``customers.services.order_summaries``), so that the
    nightly scoring run reads one row per customer instead of every order.

    "Ever" figures hold every order. Window figures count the orders after the edges in
    :class:`OrderSummaryEdges` (the same edges for every row); the scoring run moves the
    edges once a day and recomputes only the customers with orders between the old and
    the new edge. Money is in whole cents."""

    customer = models.OneToOneField(
        Customer, primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    purchases = models.PositiveIntegerField(default=0)
    net_cents = models.BigIntegerField(default=0)
    first_purchase_at = models.DateTimeField(null=True)
    last_purchase_at = models.DateTimeField(null=True)
    window_cents = models.BigIntegerField(default=0)
    window_purchases = models.PositiveIntegerField(default=0)
    recent_purchases = models.PositiveIntegerField(default=0)
    previous_purchases = models.PositiveIntegerField(default=0)
    # Orders changed since the customer was last scored alone (segmentation's live scores).
    rescore_pending = models.BooleanField(default=False)

    class Meta:
        indexes = [
            models.Index(
                fields=["customer"],
                condition=Q(rescore_pending=True),
                name="ordersummary_rescore_pending",
            )
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.purchases} / {self.net_cents}"


class OrderSummaryEdges(models.Model):
    """The single row saying which window the summaries' window figures count: orders
    strictly after ``window_start`` (spend and purchases in the window), after
    ``recent_start`` and after ``previous_start`` (purchases in the two churn periods)."""

    window_start = models.DateTimeField()
    recent_start = models.DateTimeField()
    previous_start = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"> {self.window_start:%Y-%m-%d %H:%M}"


class Product(models.Model):
    """An item of the sales catalogue that order lines pick from.

    One catalogue for the whole company, like tags: every department sells the same
    products, and trends and recommendations compare purchases across departments, so a
    product belongs to no department. What each reader sees of its sales is cut to the
    orders they may see (``customers.selectors_products``). A product that was sold is
    never deleted (order lines protect it): it is deactivated, and leaves the picker.
    """

    name = models.CharField(_("product name"), max_length=120)
    category = models.CharField(_("category"), max_length=60, blank=True)
    # Optional; blank is stored as NULL so that only real codes must be unique.
    sku = models.CharField(_("SKU"), max_length=40, unique=True, null=True, blank=True)
    list_price = models.DecimalField(_("list price (CNY)"), max_digits=14, decimal_places=2)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["name", "category", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["name", "category"],
                name="product_unique_name_category",
                violation_error_message=_("A product with this name and category exists."),
            )
        ]
        indexes = [models.Index(fields=["category", "name"], name="product_category_name")]

    def __str__(self) -> str:
        return self.name


class OrderLine(models.Model):
    SCOPE = ScopeRule(
        department="order__customer__department", owner="order__customer__relationship_manager"
    )

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    # The catalogue product the line was picked from (NULL: an "other item" typed by
    # hand, or a line older than the catalogue). PROTECT: a sold product is deactivated,
    # not deleted, so trends and recommendations keep grouping its lines as one product.
    # The line keeps its own snapshot below — name, category and price as sold — which a
    # later rename or re-pricing of the product leaves alone.
    catalogue_product = models.ForeignKey(
        Product,
        verbose_name=_("catalogue product"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="order_lines",
    )
    product = models.CharField(_("product"), max_length=120)
    category = models.CharField(_("category"), max_length=60, blank=True)
    quantity = models.DecimalField(
        _("quantity"), max_digits=10, decimal_places=2, default=Decimal("1")
    )
    unit_price = models.DecimalField(_("unit price"), max_digits=14, decimal_places=2)

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        indexes = [models.Index(fields=["product"], name="orderline_product")]

    @property
    def line_total(self) -> Decimal:
        return yuan(self.quantity * self.unit_price)

    def __str__(self) -> str:
        return f"{self.product} × {self.quantity}"


class IntentKind(models.TextChoices):
    ADDED_TO_CART = "added_to_cart", _("Added to cart, not paid")
    VIEWED_PRODUCT = "viewed_product", _("Viewed product repeatedly")
    ASKED_PRICE = "asked_price", _("Asked for a quote")


class IntentEvent(models.Model):
    """A sign of buying intent without a purchase — feeds the "potential value" tier."""

    SCOPE = ScopeRule(department="customer__department", owner="customer__relationship_manager")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="intent_events")
    kind = models.CharField(
        _("kind"), max_length=20, choices=IntentKind, default=IntentKind.ADDED_TO_CART
    )
    product = models.CharField(_("product"), max_length=120, blank=True)
    category = models.CharField(_("category"), max_length=60, blank=True)
    occurred_at = models.DateTimeField(_("occurred at"))

    class Meta:
        verbose_name = _("intent event")
        verbose_name_plural = _("intent events")
        ordering = ["-occurred_at"]
        indexes = [models.Index(fields=["customer", "occurred_at"], name="intent_customer_date")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.product}"


class InteractionKind(models.TextChoices):
    CONSULTATION = "consultation", _("Consultation")
    COMPLAINT = "complaint", _("Complaint")
    SERVICE = "service", _("Service record")
    CALL = "call", _("Call")
    VISIT = "visit", _("Visit")


class RevealReason(models.TextChoices):
    """Why a full phone number was shown ("show number", audited with the reveal)."""

    CARE_CALL = "care_call", _("Care call")
    APPOINTMENT = "appointment", _("Appointment confirmation")
    COMPLAINT = "complaint", _("Complaint follow-up")
    OTHER = "other", _("Other")


class InteractionOutcome(models.TextChoices):
    OPEN = "open", _("Open")
    RESOLVED = "resolved", _("Resolved")
    NO_ANSWER = "no_answer", _("No answer")
    FOLLOW_UP = "follow_up", _("Needs follow-up")


class Interaction(models.Model):
    SCOPE = ScopeRule(department="customer__department", owner="customer__relationship_manager")

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="interactions")
    kind = models.CharField(_("kind"), max_length=20, choices=InteractionKind)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel, blank=True)
    occurred_at = models.DateTimeField(_("when"))
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="interactions",
    )
    summary = models.TextField(_("summary"))
    outcome = models.CharField(
        _("outcome"), max_length=20, choices=InteractionOutcome, default=InteractionOutcome.OPEN
    )
    follow_up_due = models.DateField(_("follow-up due"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resolved by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    resolution = models.TextField(_("resolution"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")
        ordering = ["-occurred_at"]
        indexes = [
            models.Index(fields=["customer", "occurred_at"], name="interaction_customer_date"),
            models.Index(fields=["kind", "occurred_at"], name="interaction_kind_date"),
            # The follow-up list is read most overdue first, a keyset page at a time.
            models.Index(fields=["follow_up_due", "id"], name="interaction_follow_up"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.customer}"


class ImportKind(models.TextChoices):
    CUSTOMERS = "customers", _("Customers")
    ORDERS = "orders", _("Orders")


class ExistingCustomerMode(models.TextChoices):
    UPDATE = "update", _("Update existing customers")
    SKIP = "skip", _("Skip existing customers")


class ImportStatus(models.TextChoices):
    DRAFT = "draft", _("Not started")
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Running")
    DONE = "done", _("Finished")
    FAILED = "failed", _("Failed")


class ImportJob(models.Model):
    """One uploaded file and what became of each of its rows."""

    SCOPE = ScopeRule(department="department", owner="created_by")

    kind = models.CharField(_("what"), max_length=10, choices=ImportKind)
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=255)
    mapping = models.JSONField(_("column mapping"), default=dict, blank=True)
    existing_mode = models.CharField(
        _("existing customers"),
        max_length=10,
        choices=ExistingCustomerMode,
        default=ExistingCustomerMode.UPDATE,
    )
    dry_run = models.BooleanField(_("dry run"), default=False)
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ImportStatus, default=ImportStatus.PENDING
    )
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("processed"), default=0)
    created_count = models.PositiveIntegerField(_("created"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    skipped_count = models.PositiveIntegerField(_("skipped"), default=0)
    rejected_count = models.PositiveIntegerField(_("rejected"), default=0)
    error_report = models.FileField(
        _("rejected rows"), upload_to="imports/reports/%Y/%m/", blank=True
    )
    skipped_reasons = models.JSONField(_("why rows were skipped"), default=dict, blank=True)
    preview = models.JSONField(_("preview"), default=list, blank=True)
    # A consent basis for the whole file: rows with no consent value of their own for a
    # covered channel are recorded as granted on this basis (see importing_consent).
    consent_basis = models.CharField(_("consent basis"), max_length=200, blank=True, db_default="")
    consent_basis_date = models.DateField(_("consent given on"), null=True, blank=True)
    consent_basis_source = models.CharField(
        _("consent source"), max_length=200, blank=True, db_default=""
    )
    consent_basis_channels = models.JSONField(
        _("channels the consent basis covers"), default=list, blank=True
    )
    # Rows that cannot be reached per channel after the import: {"sms": {"not_asked": n,
    # "refused": n, "no_address": n}, …}
    reach = models.JSONField(_("unreachable rows per channel"), default=dict, blank=True)
    failure = models.TextField(_("failure"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at"]

    @property
    def progress_percent(self) -> int:
        if not self.total_rows:
            return 100 if self.status in (ImportStatus.DONE, ImportStatus.FAILED) else 0
        return min(100, int(self.processed_rows * 100 / self.total_rows))

    def __str__(self) -> str:
        return self.original_name


class ImportRejection(models.Model):
    """One row of an import that was not imported, with its original cells and the reason;
    written in the same transaction as the chunk it belongs to, so a resumed job keeps it."""

    SCOPE = ScopeRule(department="job__department", owner="job__created_by")

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="rejections")
    row_number = models.PositiveIntegerField(_("row"))
    cells = models.JSONField(_("cells"), default=list)
    reason = models.TextField(_("reason"))

    class Meta:
        verbose_name = _("rejected import row")
        verbose_name_plural = _("rejected import rows")
        ordering = ["job", "row_number"]
        indexes = [models.Index(fields=["job", "row_number", "id"], name="import_rejection_row")]

    def __str__(self) -> str:
        return f"{self.job_id}:{self.row_number}"


class ImportPreset(models.Model):
    """A saved column mapping for files that always come from the same system."""

    SCOPE = ScopeRule(department="department", owner="created_by")

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("what"), max_length=10, choices=ImportKind)
    mapping = models.JSONField(_("column mapping"), default=dict)
    department = models.ForeignKey(
        "accounts.Department", on_delete=models.CASCADE, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("import preset")
        verbose_name_plural = _("import presets")
        constraints = [
            models.UniqueConstraint(
                fields=["department", "kind", "name"], name="preset_unique_name"
            )
        ]

    def __str__(self) -> str:
        return self.name


class StaticList(models.Model):
    """A hand-picked list of customers (segments built from rules live in segmentation)."""

    SCOPE = ScopeRule(department="department", owner="created_by")

    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    department = models.ForeignKey(
        "accounts.Department", on_delete=models.CASCADE, related_name="+"
    )
    customers = models.ManyToManyField(Customer, related_name="static_lists", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("static list")
        verbose_name_plural = _("static lists")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["department", "name"], name="static_list_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class CustomerMerge(models.Model):
    """Record of a duplicate folded into a surviving customer, with what was moved."""

    SCOPE = ScopeRule(department="survivor__department", owner="survivor__relationship_manager")

    survivor = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="merges")
    merged = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    merged_snapshot = models.JSONField(_("merged record"), default=dict)
    moved = models.JSONField(_("moved records"), default=dict)
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    merged_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("customer merge")
        verbose_name_plural = _("customer merges")
        ordering = ["-merged_at"]

    def __str__(self) -> str:
        return f"{self.merged_id} → {self.survivor_id}"


class DataQualityPolicy(models.Model):
    """Admin settings for the monthly contact verification sample (care programme §1: 5–10 %)."""

    sample_percent = models.DecimalField(
        _("monthly verification sample (%)"), max_digits=4, decimal_places=1, default=Decimal("5.0")
    )
    exclude_verified_within_days = models.PositiveIntegerField(
        _("skip customers verified within (days)"), default=183
    )
    task_due_days = models.PositiveIntegerField(_("days to complete a verification"), default=14)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("data quality policy")
        verbose_name_plural = _("data quality policies")
        constraints = [
            models.CheckConstraint(
                condition=Q(sample_percent__gte=5, sample_percent__lte=10),
                name="quality_sample_between_5_and_10",
                violation_error_message=_("The sample must be between 5 % and 10 %."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.sample_percent} %"


class VerificationMethod(models.TextChoices):
    SMS_CODE = "sms_code", _("SMS code")
    PHONE_CALL = "phone_call", _("Phone call")


class VerificationOutcome(models.TextChoices):
    PENDING = "pending", _("Pending")
    CONFIRMED = "confirmed", _("Confirmed")
    CHANGED = "changed", _("Changed")
    UNREACHABLE = "unreachable", _("Unreachable")


class VerificationTask(models.Model):
    """One customer of the monthly sample whose contact details staff must verify."""

    SCOPE = ScopeRule(department="customer__department", owner="assigned_to")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="verifications")
    period = models.DateField(_("month"), help_text=_("First day of the sampled month"))
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="verification_tasks",
    )
    method = models.CharField(
        _("method"),
        max_length=12,
        choices=VerificationMethod,
        default=VerificationMethod.PHONE_CALL,
    )
    due_on = models.DateField(_("due"))
    outcome = models.CharField(
        _("outcome"),
        max_length=12,
        choices=VerificationOutcome,
        default=VerificationOutcome.PENDING,
    )
    note = models.CharField(_("note"), max_length=255, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("contact verification")
        verbose_name_plural = _("contact verifications")
        ordering = ["due_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "period"], name="verification_once_per_month"
            )
        ]
        indexes = [
            models.Index(fields=["outcome", "due_on"], name="verification_open"),
            # The task list, soonest due first a keyset page at a time.
            models.Index(fields=["due_on", "id"], name="verification_due_id"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.period:%Y-%m}"


class CustomerListPreference(models.Model):
    """The columns a user last chose for the customer list (one row per user)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="customer_list_preference"
    )
    columns = models.JSONField(_("columns"), default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("customer list preference")
        verbose_name_plural = _("customer list preferences")

    def __str__(self) -> str:
        return str(self.user)


class SavedCustomerView(models.Model):
    """A user's named filters, sort and columns of the customer list ("我的金卡客户").
    Private to its owner; its filters are evaluated within whoever opens the list's scope
    (which is always the owner)."""

    NAME_MAX_LENGTH = 60

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_customer_views"
    )
    name = models.CharField(_("name"), max_length=NAME_MAX_LENGTH)
    query = models.CharField(_("filters"), max_length=2000, blank=True)
    columns = models.JSONField(_("columns"), default=list, blank=True)
    is_default = models.BooleanField(_("open by default"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("saved customer view")
        verbose_name_plural = _("saved customer views")
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="saved_view_unique_name"),
            models.UniqueConstraint(
                fields=["owner"],
                condition=Q(is_default=True),
                name="saved_view_one_default",
            ),
        ]

    def __str__(self) -> str:
        return self.name
