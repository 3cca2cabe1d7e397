"""One spelling per province and city: "上海" and "上海市", "广西" and "广西壮族自治区"
become the official full name, so filters, segments and reports by place agree.

Used wherever a place is stored: the import, the customer service (form and API) and the
list filters; the data migration ``customers.0008`` applied it to existing customers.
A value not in the tables is kept as written (trimmed): nothing is guessed.
"""

import unicodedata

# Provincial-level divisions: short name -> official name.
PROVINCES: dict[str, str] = {
    "北京": "北京市",
    "天津": "天津市",
    "上海": "上海市",
    "重庆": "重庆市",
    "河北": "河北省",
    "山西": "山西省",
    "辽宁": "辽宁省",
    "吉林": "吉林省",
    "黑龙江": "黑龙江省",
    "江苏": "江苏省",
    "浙江": "浙江省",
    "安徽": "安徽省",
    "福建": "福建省",
    "江西": "江西省",
    "山东": "山东省",
    "河南": "河南省",
    "湖北": "湖北省",
    "湖南": "湖南省",
    "广东": "广东省",
    "海南": "海南省",
    "四川": "四川省",
    "贵州": "贵州省",
    "云南": "云南省",
    "陕西": "陕西省",
    "甘肃": "甘肃省",
    "青海": "青海省",
    "台湾": "台湾省",
    "内蒙古": "内蒙古自治区",
    "广西": "广西壮族自治区",
    "西藏": "西藏自治区",
    "宁夏": "宁夏回族自治区",
    "新疆": "新疆维吾尔自治区",
    "香港": "香港特别行政区",
    "澳门": "澳门特别行政区",
}

# Cities: short name -> official name (municipalities, provincial capitals and the other
# cities customers most often live in).
CITIES: dict[str, str] = {
    stem: f"{stem}市"
    for stem in (
        # municipalities
        "北京",
        "天津",
        "上海",
        "重庆",
        # provincial capitals
        "石家庄",
        "太原",
        "呼和浩特",
        "沈阳",
        "长春",
        "哈尔滨",
        "南京",
        "杭州",
        "合肥",
        "福州",
        "南昌",
        "济南",
        "郑州",
        "武汉",
        "长沙",
        "广州",
        "南宁",
        "海口",
        "成都",
        "贵阳",
        "昆明",
        "拉萨",
        "西安",
        "兰州",
        "西宁",
        "银川",
        "乌鲁木齐",
        # other large cities
        "深圳",
        "苏州",
        "无锡",
        "常州",
        "南通",
        "徐州",
        "宁波",
        "温州",
        "嘉兴",
        "绍兴",
        "金华",
        "台州",
        "青岛",
        "烟台",
        "潍坊",
        "大连",
        "厦门",
        "泉州",
        "佛山",
        "东莞",
        "珠海",
        "中山",
        "惠州",
        "汕头",
        "三亚",
        "洛阳",
        "宜昌",
        "襄阳",
        "芜湖",
        "唐山",
        "保定",
        "包头",
        "桂林",
        "绵阳",
        "遵义",
    )
}
# Ways of writing a city that mean the city itself: "上海市区", "深圳区", "苏州县" are the
# city (districts and counties have names of their own, which are kept).
_CITY_SUFFIXES = ("市区", "市", "区", "县")

# Every spelling -> the official name, the official names included.
_PROVINCE_SPELLINGS = {**{full: full for full in PROVINCES.values()}, **PROVINCES}
_PROVINCE_SPELLINGS.update({f"{short}省": full for short, full in PROVINCES.items()})
_CITY_SPELLINGS = {full: full for full in CITIES.values()}
for _stem, _full in CITIES.items():
    _CITY_SPELLINGS[_stem] = _full
    for _suffix in _CITY_SUFFIXES:
        _CITY_SPELLINGS.setdefault(f"{_stem}{_suffix}", _full)


def _clean(value: str | None) -> str:
    text = unicodedata.normalize("NFKC", value or "").strip()
    return "".join(text.split())  # "上海 市" → "上海市"


def normalise_province(value: str | None) -> str:
    """ "广东" → "广东省", "广西" → "广西壮族自治区", "上海" → "上海市"; others as written."""
    text = _clean(value)
    return _PROVINCE_SPELLINGS.get(text, text)


def normalise_city(value: str | None) -> str:
    """ "上海" / "上海市区" → "上海市", "深圳" → "深圳市"; others as written."""
    text = _clean(value)
    return _CITY_SPELLINGS.get(text, text)
