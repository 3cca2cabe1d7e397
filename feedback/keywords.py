"""Category suggestion and complaint detection from keywords in Chinese and English, so
an item starts in the right queue and a reply that complains becomes an item."""

import re

from feedback.models import Topic

CATEGORY_KEYWORDS: dict[str, tuple[str, ...]] = {
    Topic.SERVICE_QUALITY: (
        "服务",
        "态度",
        "客服",
        "不理",
        "service",
        "rude",
        "attitude",
        "staff",
        "impolite",
    ),
    Topic.PRODUCT: (
        "质量",
        "坏",
        "故障",
        "破损",
        "product",
        "broken",
        "quality",
        "defect",
        "faulty",
    ),
    Topic.SPEED: ("慢", "等待", "久", "排队", "slow", "wait", "delay", "late"),
    Topic.PRICE: ("贵", "价格", "退款", "收费", "price", "expensive", "refund", "overcharge"),
}

NEGATIVE_KEYWORDS: tuple[str, ...] = (
    "不满",
    "投诉",
    "差",
    "糟",
    "失望",
    "生气",
    "坏",
    "故障",
    "慢",
    "太久",
    "贵",
    "退款",
    "态度",
    "不好",
    "骗",
    "垃圾",
    "烂",
    "complain",
    "bad",
    "poor",
    "terrible",
    "awful",
    "rude",
    "broken",
    "slow",
    "refund",
    "disappoint",
    "angry",
    "expensive",
    "worst",
    "unhappy",
)


def _contains(text: str, word: str) -> bool:
    if word.isascii():
        return (
            re.search(rf"\b{re.escape(word)}(?:s|es|ed|d|ing|t|ly)?\b", text, flags=re.IGNORECASE)
            is not None
        )
    return word in text


def suggest_category(text: str) -> str:
    """The topic whose keywords appear most often in ``text``; '' when none does."""
    text = text or ""
    best, best_hits = "", 0
    for topic, words in CATEGORY_KEYWORDS.items():
        hits = sum(1 for word in words if _contains(text, word))
        if hits > best_hits:
            best, best_hits = str(topic), hits
    return best


def is_negative(text: str) -> bool:
    text = text or ""
    return any(_contains(text, word) for word in NEGATIVE_KEYWORDS)
