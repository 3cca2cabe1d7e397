"""Ready-made surveys (care programme §7): each kind's title, texts and questions in both
languages, so staff start from sensible questions instead of an empty page."""

from feedback.models import QuestionKind, SurveyKind, SurveyTrigger, Topic

_COMMENT = {
    "kind": QuestionKind.TEXT,
    "text": "您还有什么意见或建议吗？",
    "text_en": "Anything else you would like to tell us?",
    "topic": Topic.OTHER,
    "required": False,
}
_NPS = {
    "kind": QuestionKind.NPS,
    "text": "您有多大可能向亲友推荐我们？",
    "text_en": "How likely are you to recommend us to friends and family?",
    "topic": Topic.OTHER,
}

TEMPLATES: dict[str, dict] = {
    SurveyKind.POST_EVENT: {
        "title": "活动满意度调查",
        "title_en": "How was the event?",
        "intro": "感谢您参加我们的活动，请花一分钟告诉我们您的感受。",
        "intro_en": "Thank you for coming. Please take a minute to tell us how it was.",
        "trigger": SurveyTrigger.EVENT_HELD,
        "questions": [
            {
                "kind": QuestionKind.RATING,
                "text": "您对本次活动的整体满意度如何？",
                "text_en": "Overall, how satisfied are you with the event?",
                "topic": Topic.SERVICE_QUALITY,
            },
            {
                "kind": QuestionKind.MULTIPLE,
                "text": "您最喜欢活动的哪些环节？",
                "text_en": "Which parts did you enjoy most?",
                "topic": Topic.OTHER,
                "required": False,
                "choices": [
                    ("活动内容", "The programme"),
                    ("场地与餐饮", "Venue and food"),
                    ("工作人员的服务", "The staff"),
                    ("与其他客户交流", "Meeting other guests"),
                ],
            },
            _NPS,
            _COMMENT,
        ],
    },
    SurveyKind.VIP_QUARTERLY: {
        "title": "VIP客户季度满意度调查",
        "title_en": "Quarterly VIP satisfaction survey",
        "intro": "尊敬的贵宾，请您为我们本季度的服务打分，帮助我们做得更好。",
        "intro_en": "Dear VIP, please rate our service this quarter and help us do better.",
        "trigger": SurveyTrigger.NONE,
        "questions": [
            {
                "kind": QuestionKind.RATING,
                "text": "您对我们的服务质量满意吗？",
                "text_en": "How satisfied are you with the quality of our service?",
                "topic": Topic.SERVICE_QUALITY,
            },
            {
                "kind": QuestionKind.RATING,
                "text": "您对我们的产品满意吗？",
                "text_en": "How satisfied are you with our products?",
                "topic": Topic.PRODUCT,
            },
            {
                "kind": QuestionKind.RATING,
                "text": "您对我们的服务速度满意吗？",
                "text_en": "How satisfied are you with the speed of our service?",
                "topic": Topic.SPEED,
            },
            _NPS,
            _COMMENT,
        ],
    },
    SurveyKind.AFTER_SERVICE: {
        "title": "投诉处理回访",
        "title_en": "Was your complaint resolved?",
        "intro": "我们已处理您反映的问题，请告诉我们您是否满意。",
        "intro_en": "We have dealt with the matter you raised. Please tell us whether you "
        "are satisfied.",
        "trigger": SurveyTrigger.COMPLAINT_RESOLVED,
        "questions": [
            {
                "kind": QuestionKind.SINGLE,
                "text": "您反映的问题解决了吗？",
                "text_en": "Was your problem resolved?",
                "topic": Topic.SERVICE_QUALITY,
                "choices": [
                    ("已完全解决", "Yes, completely"),
                    ("部分解决", "Partly"),
                    ("没有解决", "No"),
                ],
            },
            {
                "kind": QuestionKind.RATING,
                "text": "您对处理过程满意吗？",
                "text_en": "How satisfied are you with how we handled it?",
                "topic": Topic.SERVICE_QUALITY,
            },
            {
                "kind": QuestionKind.RATING,
                "text": "您对处理速度满意吗？",
                "text_en": "How satisfied are you with how fast we handled it?",
                "topic": Topic.SPEED,
            },
            _COMMENT,
        ],
    },
    SurveyKind.AFTER_PURCHASE: {
        "title": "购买体验调查",
        "title_en": "How was your purchase?",
        "intro": "感谢您的购买，请告诉我们您的体验。",
        "intro_en": "Thank you for your purchase. Please tell us how it went.",
        "trigger": SurveyTrigger.AFTER_PURCHASE,
        "trigger_delay_days": 7,
        "questions": [
            {
                "kind": QuestionKind.RATING,
                "text": "您对所购买的产品满意吗？",
                "text_en": "How satisfied are you with what you bought?",
                "topic": Topic.PRODUCT,
            },
            {
                "kind": QuestionKind.RATING,
                "text": "您对购买过程中的服务满意吗？",
                "text_en": "How satisfied are you with the service when you bought it?",
                "topic": Topic.SERVICE_QUALITY,
            },
            _NPS,
            _COMMENT,
        ],
    },
}
