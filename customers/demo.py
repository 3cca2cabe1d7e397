"""Demo customers for ``manage.py seed_demo``: people and companies of a coffee-and-tea
brand with stores in East, South and North China, two years of orders, buying signals,
service records and channel consents.

Everything is drawn from the ``rng`` the command passes in, so the same seed gives the same
customers. Rows are written with ``bulk_create``; spend, tiers and scores are left to the
segmentation run, which owns those rules.
"""

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from lunardate import LunarDate

from carecrm.accounts.models import Department, Role, User
from customers.models import (
    Channel,
    ChannelConsent,
    ConsentMethod,
    Customer,
    CustomerKind,
    Gender,
    IntentEvent,
    IntentKind,
    Interaction,
    InteractionKind,
    InteractionOutcome,
    Order,
    OrderLine,
    Product,
    Source,
    Tag,
)
from customers.services.order_summaries import order_summaries_refresh

BATCH = 1000

# Surname -> pinyin, roughly by frequency (the first ones are drawn more often).
SURNAMES = [
    ("王", "wang"), ("李", "li"), ("张", "zhang"), ("刘", "liu"), ("陈", "chen"),
    ("杨", "yang"), ("黄", "huang"), ("赵", "zhao"), ("吴", "wu"), ("周", "zhou"),
    ("徐", "xu"), ("孙", "sun"), ("马", "ma"), ("朱", "zhu"), ("胡", "hu"),
    ("郭", "guo"), ("何", "he"), ("高", "gao"), ("林", "lin"), ("罗", "luo"),
    ("郑", "zheng"), ("梁", "liang"), ("谢", "xie"), ("宋", "song"), ("唐", "tang"),
    ("许", "xu"), ("韩", "han"), ("冯", "feng"), ("邓", "deng"), ("曹", "cao"),
    ("彭", "peng"), ("曾", "zeng"), ("肖", "xiao"), ("田", "tian"), ("董", "dong"),
    ("潘", "pan"), ("袁", "yuan"), ("蔡", "cai"), ("蒋", "jiang"), ("余", "yu"),
    ("叶", "ye"), ("杜", "du"), ("苏", "su"), ("魏", "wei"), ("程", "cheng"),
    ("吕", "lv"), ("丁", "ding"), ("沈", "shen"), ("任", "ren"), ("姚", "yao"),
    ("欧阳", "ouyang"), ("司马", "sima"),
]  # fmt: skip
FEMALE_GIVEN = [
    ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"), ("丽", "li"),
    ("婷", "ting"), ("雪", "xue"), ("琳", "lin"), ("颖", "ying"), ("倩", "qian"),
    ("佳", "jia"), ("欣", "xin"), ("悦", "yue"), ("晓", "xiao"), ("雨", "yu"),
    ("梦", "meng"), ("思", "si"), ("怡", "yi"), ("慧", "hui"), ("玲", "ling"),
    ("月", "yue"), ("瑶", "yao"), ("诗", "shi"), ("涵", "han"), ("萱", "xuan"),
]  # fmt: skip
MALE_GIVEN = [
    ("伟", "wei"), ("强", "qiang"), ("磊", "lei"), ("军", "jun"), ("洋", "yang"),
    ("勇", "yong"), ("杰", "jie"), ("涛", "tao"), ("明", "ming"), ("超", "chao"),
    ("浩", "hao"), ("鹏", "peng"), ("宇", "yu"), ("博", "bo"), ("俊", "jun"),
    ("斌", "bin"), ("辉", "hui"), ("建", "jian"), ("志", "zhi"), ("子", "zi"),
    ("轩", "xuan"), ("晨", "chen"), ("文", "wen"), ("华", "hua"), ("国", "guo"),
]  # fmt: skip

# Department code -> (province, city, [districts]) where its customers live.
REGIONS = {
    "east-sales": [
        ("上海市", "上海市", ["浦东新区", "徐汇区", "静安区", "闵行区", "长宁区"]),
        ("江苏省", "南京市", ["鼓楼区", "玄武区", "建邺区"]),
        ("江苏省", "苏州市", ["姑苏区", "工业园区", "吴中区"]),
        ("浙江省", "杭州市", ["西湖区", "上城区", "滨江区", "余杭区"]),
        ("浙江省", "宁波市", ["海曙区", "鄞州区"]),
        ("安徽省", "合肥市", ["蜀山区", "包河区"]),
        ("山东省", "青岛市", ["市南区", "崂山区"]),
    ],
    "south-sales": [
        ("广东省", "广州市", ["天河区", "越秀区", "海珠区", "番禺区"]),
        ("广东省", "深圳市", ["南山区", "福田区", "宝安区", "龙岗区"]),
        ("广东省", "佛山市", ["禅城区", "顺德区"]),
        ("福建省", "厦门市", ["思明区", "湖里区"]),
        ("福建省", "福州市", ["鼓楼区", "台江区"]),
        ("广西壮族自治区", "南宁市", ["青秀区", "西乡塘区"]),
        ("海南省", "海口市", ["龙华区", "美兰区"]),
    ],
    "north-sales": [
        ("北京市", "北京市", ["朝阳区", "海淀区", "东城区", "西城区", "丰台区"]),
        ("天津市", "天津市", ["和平区", "南开区", "河西区"]),
        ("河北省", "石家庄市", ["长安区", "桥西区"]),
        ("山东省", "济南市", ["历下区", "市中区"]),
        ("辽宁省", "沈阳市", ["和平区", "沈河区"]),
    ],
}
REGION_NAMES = {"east-sales": "华东", "south-sales": "华南", "north-sales": "华北"}
STREETS = ["人民路", "中山路", "解放路", "建设路", "和平路", "新华路", "长江路", "花园路",
           "文化路", "滨江大道", "世纪大道", "学府路", "青年路", "东风路", "光明街"]  # fmt: skip

# (product, category, unit price in CNY)
PRODUCTS = [
    ("云南小粒咖啡豆 500g", "咖啡", "128.00"),
    ("意式拼配咖啡豆 1kg", "咖啡", "238.00"),
    ("挂耳咖啡 10片装", "咖啡", "59.00"),
    ("冷萃咖啡液 8杯装", "咖啡", "89.00"),
    ("西湖龙井 250g", "茶叶", "368.00"),
    ("安溪铁观音 250g", "茶叶", "198.00"),
    ("云南普洱茶饼 357g", "茶叶", "288.00"),
    ("武夷岩茶大红袍 200g", "茶叶", "428.00"),
    ("茉莉花茶 100g", "茶叶", "88.00"),
    ("骨瓷咖啡杯碟套装", "杯具", "168.00"),
    ("便携保温杯 450ml", "杯具", "139.00"),
    ("玻璃公道杯", "杯具", "69.00"),
    ("手冲咖啡壶套装", "器具", "299.00"),
    ("电动磨豆机", "器具", "699.00"),
    ("家用半自动咖啡机", "器具", "2999.00"),
    ("新春咖啡礼盒", "礼盒", "458.00"),
    ("中秋茶礼盒", "礼盒", "588.00"),
    ("企业定制礼盒", "礼盒", "1288.00"),
]
GIFT_BOXES = [p for p in PRODUCTS if p[1] == "礼盒"]
# The catalogue's codes: category prefix and number (product pages and the order picker).
SKU_PREFIX = {"咖啡": "CF", "茶叶": "TE", "杯具": "CP", "器具": "EQ", "礼盒": "GB"}
# Sold once, no longer sold: in the catalogue as inactive (not offered by the picker).
RETIRED = {("冷萃咖啡液 8杯装", "咖啡")}


def _catalogue() -> dict[tuple[str, str], int]:
    """The demo's products (idempotent): {(name, category): product id}."""
    numbers: dict[str, int] = {}
    rows = []
    for name, category, price in PRODUCTS:
        numbers[category] = numbers.get(category, 0) + 1
        rows.append(
            Product(
                name=name,
                category=category,
                sku=f"{SKU_PREFIX[category]}-{numbers[category]:03d}",
                list_price=Decimal(price),
                active=(name, category) not in RETIRED,
            )
        )
    Product.objects.bulk_create(rows, ignore_conflicts=True)
    return {
        (name, category): pk
        for pk, name, category in Product.objects.values_list("pk", "name", "category")
    }


STORES = {
    "east-sales": ["上海南京西路店", "杭州湖滨店", "南京新街口店"],
    "south-sales": ["广州天河店", "深圳万象城店", "厦门中山路店"],
    "north-sales": ["北京三里屯店", "天津滨江道店"],
}
ONLINE_STORES = ["天猫旗舰店", "京东自营店", "微信小程序商城"]

COMPANY_PREFIXES = ["悦享", "恒信", "瑞丰", "星河", "汇德", "锦程", "华宇", "鼎盛", "嘉禾", "明远"]
COMPANY_SUFFIXES = [
    ("餐饮管理有限公司", "餐饮"),
    ("酒店管理有限公司", "酒店"),
    ("科技有限公司", "互联网"),
    ("商贸有限公司", "零售"),
    ("教育咨询有限公司", "教育"),
    ("医疗器械有限公司", "医疗"),
    ("精密制造有限公司", "制造业"),
    ("投资管理有限公司", "金融"),
]
PERSON_INDUSTRIES = ["", "", "", "互联网", "教育", "医疗", "金融", "零售", "制造业", "公务员"]

TAGS = {
    "coffee": "咖啡爱好者",
    "tea": "茶饮爱好者",
    "b2b": "企业客户",
    "gifts": "礼品采购",
    "complained": "投诉过",
    "online": "线上会员",
    "store": "门店会员",
    "old": "老客户",
}

CONSULTATIONS = [
    "咨询会员积分兑换规则",
    "询问咖啡豆的烘焙日期和保存方法",
    "咨询企业团购价格和发票",
    "询问礼盒能否定制贺卡",
    "咨询咖啡机的保修期",
    "询问门店营业时间和停车",
]
COMPLAINTS = [
    "快递延误三天，礼盒外包装破损",
    "收到的茶叶与页面描述不符",
    "咖啡机使用两周后无法加热",
    "门店店员服务态度不好",
    "优惠券无法在小程序使用",
]
SERVICE_RECORDS = [
    "上门检修咖啡机，已更换加热模块",
    "为客户办理退换货",
    "补发缺少的配件",
    "指导客户清洁磨豆机",
]
CALLS = ["回访新品试用感受", "生日前致电问候", "回访投诉处理结果", "邀请参加品鉴会"]
VISITS = ["拜访客户采购负责人，确认年度礼品需求", "走访客户办公室，介绍咖啡机租赁方案"]


@dataclass
class _People:
    """Who works in each department: relationship managers and interaction staff."""

    by_department: dict[int, list[User]]

    def pick(self, rng: random.Random, department_id: int) -> User | None:
        members = self.by_department.get(department_id) or []
        return rng.choice(members) if members else None


def _mobile(rng: random.Random, used: set[str]) -> str:
    prefixes = ["130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151",
                "152", "155", "156", "157", "158", "159", "166", "176", "177", "178", "180",
                "181", "182", "183", "185", "186", "187", "188", "189", "198", "199"]  # fmt: skip
    while True:
        number = f"+86{rng.choice(prefixes)}{rng.randrange(10**8):08d}"
        if number not in used:
            used.add(number)
            return number


def _person_name(rng: random.Random) -> tuple[str, str, str]:
    """(Chinese name, pinyin for the email address, gender)."""
    common = rng.random() < 0.7
    surname, surname_pinyin = rng.choice(SURNAMES[:20] if common else SURNAMES)
    gender = Gender.FEMALE if rng.random() < 0.55 else Gender.MALE
    pool = FEMALE_GIVEN if gender == Gender.FEMALE else MALE_GIVEN
    given = rng.sample(pool, 2 if rng.random() < 0.7 else 1)
    name = surname + "".join(char for char, _ in given)
    pinyin = surname_pinyin + "." + "".join(sound for _, sound in given)
    return name, pinyin, gender


def _aware(day: dt.date, rng: random.Random, tz: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(rng.randint(9, 21), rng.randrange(60)), tzinfo=tz)


def _order_lines(rng: random.Random, *, company: bool, likes: str, day: dt.date):
    """Products of one order: favourites most of the time, gift boxes before festivals."""
    if company:
        product = rng.choice(GIFT_BOXES) if rng.random() < 0.7 else rng.choice(PRODUCTS)
        return [(product, rng.choice([10, 20, 30, 50, 100]))]
    favourites = [p for p in PRODUCTS if p[1] == likes] or PRODUCTS
    chosen = [rng.choice(favourites)]
    if day.month in (1, 2, 9) and rng.random() < 0.4:  # Spring Festival, Mid-Autumn
        chosen.append(rng.choice(GIFT_BOXES))
    if rng.random() < 0.25:
        chosen.append(rng.choice(PRODUCTS))
    return [(product, rng.choice([1, 1, 1, 2, 3])) for product in chosen]


def seed_customers(*, rng: random.Random, options: dict, stdout) -> None:
    """Registered with ``register_demo_seeder``: ``options["customers"]`` customers in the
    sales, service and marketing departments the command created."""
    count = options["customers"]
    now: dt.datetime = options["now"]
    tz = ZoneInfo(settings.TIME_ZONE)
    today = now.astimezone(tz).date()
    departments: dict[str, Department] = options["departments"]
    users: list[User] = options["users"]

    people = _People(by_department={})
    for user in users:
        if user.department_id and user.role in (Role.STAFF, Role.MANAGER):
            people.by_department.setdefault(user.department_id, []).append(user)

    # Customers belong to a sales region; some came in through service or marketing.
    department_weights = [
        ("east-sales", 40), ("south-sales", 28), ("north-sales", 20),
        ("service-center", 6), ("marketing", 6),
    ]  # fmt: skip
    codes = [code for code, _ in department_weights if code in departments]
    weights = [weight for code, weight in department_weights if code in departments]
    code_of = {department.pk: code for code, department in departments.items()}
    tags = {key: Tag.objects.get_or_create(name=name)[0] for key, name in TAGS.items()}
    used_mobiles = set(Customer.objects.exclude(mobile="").values_list("mobile", flat=True))

    customers: list[Customer] = []
    profiles: list[dict] = []
    for index in range(count):
        code = rng.choices(codes, weights)[0]
        home = code if code in REGIONS else rng.choice(list(REGIONS))
        province, city, districts = rng.choice(REGIONS[home])
        company = rng.random() < 0.08
        registered = today - dt.timedelta(days=rng.randint(30, 6 * 365))
        if company:
            prefix = rng.choice(COMPANY_PREFIXES)
            suffix, industry = rng.choice(COMPANY_SUFFIXES)
            name = f"{city.removesuffix('市')}{prefix}{suffix}"
            local_part, gender = f"purchasing{index}", Gender.UNKNOWN
        else:
            name, local_part, gender = _person_name(rng)
            industry = rng.choice(PERSON_INDUSTRIES)
            local_part = f"{local_part}{rng.randint(1, 99)}"
        customer = Customer(
            name=name,
            kind=CustomerKind.COMPANY if company else CustomerKind.PERSON,
            mobile=_mobile(rng, used_mobiles) if rng.random() < 0.97 else "",
            email=f"{local_part}@example.com" if rng.random() < 0.8 else "",
            province=province,
            city=city,
            district=rng.choice(districts),
            street=f"{rng.choice(STREETS)}{rng.randint(1, 999)}号",
            gender=gender,
            registered_on=registered,
            source=rng.choices(
                [Source.SALES, Source.CRM, Source.SERVICE, Source.MARKETING_FORM, Source.IMPORT],
                [45, 15, 10, 20, 10],
            )[0],
            industry=industry,
            region=REGION_NAMES[home],
            preferred_channel=rng.choices(
                [Channel.SMS, Channel.WECOM, Channel.EMAIL, Channel.PHONE, ""], [35, 30, 15, 10, 10]
            )[0],
            wecom_external_id=f"wm{rng.getrandbits(64):016x}" if rng.random() < 0.45 else "",
            department=departments[code],
            relationship_manager=(
                people.pick(rng, departments[code].pk) if company or rng.random() < 0.55 else None
            ),
        )
        if company:
            customer.preferred_channel = Channel.PHONE
        else:
            birthday = dt.date(rng.randint(1958, 2004), rng.randint(1, 12), rng.randint(1, 28))
            customer.birthday = birthday
            if rng.random() < 0.15:  # §1: some customers celebrate the lunar birthday
                lunar = LunarDate.from_solar_date(birthday.year, birthday.month, birthday.day)
                customer.celebrates_lunar_birthday = True
                customer.lunar_birth_month = lunar.month
                customer.lunar_birth_day = lunar.day
                customer.lunar_birth_leap_month = lunar.is_leap_month
        customer.refresh_derived_contact_fields()
        customers.append(customer)
        profiles.append(
            {
                "company": company,
                "likes": rng.choice(["咖啡", "咖啡", "茶叶", "茶叶", "杯具", "器具"]),
                # orders in the last two years: none, a few, or a regular buyer
                "orders": rng.choices(
                    [0, rng.randint(1, 3), rng.randint(4, 10), rng.randint(11, 30)],
                    [12, 45, 30, 13],
                )[0],
                "recent": rng.random() < 0.7,  # bought in the last quarter vs drifting away
            }
        )
    Customer.objects.bulk_create(customers, batch_size=BATCH)

    orders, order_items, intents, interactions, consents, tag_rows = [], [], [], [], [], []
    two_years_ago = today - dt.timedelta(days=730)
    for customer, profile in zip(customers, profiles, strict=True):
        start = max(customer.registered_on, two_years_ago)
        span = (today - start).days
        end = span if profile["recent"] else max(1, span - 120)
        days = sorted(
            start + dt.timedelta(days=rng.randint(0, max(end, 1))) for _ in range(profile["orders"])
        )
        categories: dict[str, int] = {}
        stores = STORES.get(code_of[customer.department_id], []) + ONLINE_STORES
        for day in days:
            lines = _order_lines(rng, company=profile["company"], likes=profile["likes"], day=day)
            total = Decimal("0")
            for (_product, category, price), quantity in lines:
                total += Decimal(price) * quantity
                categories[category] = categories.get(category, 0) + 1
            refund = rng.random() < 0.02
            order = Order(
                customer=customer,
                order_no=f"DM{day:%Y%m%d}{len(orders) + 1:07d}",
                ordered_at=_aware(day, rng, tz),
                amount=-total if refund else total,
                store="企业团购" if profile["company"] else rng.choice(stores),
            )
            orders.append(order)
            order_items.append((order, lines, refund))
        customer.preferred_categories = [
            category for category, _ in sorted(categories.items(), key=lambda kv: -kv[1])[:2]
        ]

        chosen_tags = []
        if categories.get("咖啡"):
            chosen_tags.append("coffee")
        if categories.get("茶叶"):
            chosen_tags.append("tea")
        if categories.get("礼盒"):
            chosen_tags.append("gifts")
        if profile["company"]:
            chosen_tags.append("b2b")
        if customer.registered_on < today - dt.timedelta(days=3 * 365):
            chosen_tags.append("old")
        chosen_tags.append("online" if rng.random() < 0.5 else "store")

        if rng.random() < 0.2:
            for _ in range(rng.randint(1, 4)):
                product, category, _price = rng.choice(PRODUCTS)
                intents.append(
                    IntentEvent(
                        customer=customer,
                        kind=rng.choice(list(IntentKind)),
                        product=product,
                        category=category,
                        occurred_at=now - dt.timedelta(hours=rng.randint(1, 60 * 24)),
                    )
                )

        for _ in range(rng.choices([0, 1, 2, 4], [40, 35, 18, 7])[0]):
            kind = rng.choices(
                [InteractionKind.CONSULTATION, InteractionKind.COMPLAINT, InteractionKind.SERVICE,
                 InteractionKind.CALL, InteractionKind.VISIT],
                [40, 12, 13, 27, 8 if profile["company"] else 0],
            )[0]  # fmt: skip
            summary = rng.choice(
                {
                    InteractionKind.CONSULTATION: CONSULTATIONS,
                    InteractionKind.COMPLAINT: COMPLAINTS,
                    InteractionKind.SERVICE: SERVICE_RECORDS,
                    InteractionKind.CALL: CALLS,
                    InteractionKind.VISIT: VISITS,
                }[kind]
            )
            if kind == InteractionKind.COMPLAINT:
                chosen_tags.append("complained")
            occurred = now - dt.timedelta(days=rng.randint(0, 365), hours=rng.randint(0, 10))
            outcome = rng.choices(
                [InteractionOutcome.RESOLVED, InteractionOutcome.OPEN,
                 InteractionOutcome.FOLLOW_UP, InteractionOutcome.NO_ANSWER],
                [60, 12, 20, 8],
            )[0]  # fmt: skip
            follow_up = None
            if outcome in (InteractionOutcome.OPEN, InteractionOutcome.FOLLOW_UP):
                follow_up = (occurred + dt.timedelta(days=rng.randint(1, 14))).date()
            interactions.append(
                Interaction(
                    customer=customer,
                    kind=kind,
                    channel=Channel.PHONE if kind in (InteractionKind.CALL,) else "",
                    occurred_at=occurred,
                    staff=people.pick(rng, customer.department_id),
                    summary=summary,
                    outcome=outcome,
                    follow_up_due=follow_up,
                    resolved_at=(
                        occurred + dt.timedelta(hours=rng.randint(1, 48))
                        if outcome == InteractionOutcome.RESOLVED
                        else None
                    ),
                )
            )

        consent_time = _aware(customer.registered_on, rng, tz)
        for channel in (Channel.SMS, Channel.EMAIL, Channel.WECOM, Channel.PHONE):
            if channel == Channel.EMAIL and not customer.email:
                continue
            if channel == Channel.WECOM and not customer.wecom_external_id:
                continue
            consents.append(
                ChannelConsent(
                    customer=customer,
                    channel=channel,
                    granted=rng.random() < 0.85,
                    changed_at=consent_time,
                    method=rng.choice(
                        [ConsentMethod.FORM, ConsentMethod.IMPORT, ConsentMethod.STAFF]
                    ),
                )
            )
        for key in dict.fromkeys(chosen_tags):
            tag_rows.append(Customer.tags.through(customer_id=customer.pk, tag_id=tags[key].pk))

    Customer.objects.bulk_update(customers, ["preferred_categories"], batch_size=BATCH)
    Order.objects.bulk_create(orders, batch_size=BATCH)
    order_summaries_refresh({order.customer_id for order in orders})
    catalogue = _catalogue()
    lines = [
        OrderLine(
            order=order,
            catalogue_product_id=catalogue.get((product, category)),
            product=product,
            category=category,
            quantity=Decimal(-quantity if refund else quantity),
            unit_price=Decimal(price),
        )
        for order, items, refund in order_items
        for (product, category, price), quantity in items
    ]
    OrderLine.objects.bulk_create(lines, batch_size=BATCH)
    IntentEvent.objects.bulk_create(intents, batch_size=BATCH)
    Interaction.objects.bulk_create(interactions, batch_size=BATCH)
    ChannelConsent.objects.bulk_create(consents, batch_size=BATCH)
    Customer.tags.through.objects.bulk_create(tag_rows, batch_size=BATCH)
    stdout.write(
        f"  customers: {len(customers)} customers, {len(orders)} orders ({len(lines)} lines), "
        f"{len(interactions)} interactions, {len(intents)} intent events, "
        f"{len(consents)} consents"
    )
