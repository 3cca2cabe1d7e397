"""Locust users of the "load" bench suite (``campaigns/bench_load.py`` starts locust with
this file in its own process; never imported by Django: locust's gevent patches the
process it runs in).

Each user is one of the seeded staff members: it opens the login page and its static
files, logs in through the real form as a browser does (CSRF cookie and hidden token,
Origin and Referer) and browses its department's pages with 1–5 s of think time. When
the last user has logged in, the file ``CARECRM_LOAD_BROWSING`` is written (the browsing
window starts) and locust quits ``CARECRM_LOAD_SECONDS`` later. Every request is kept as
(page, milliseconds, ok, error, time) and written to
``CARECRM_LOAD_SAMPLES`` when locust stops; a request is an error on any status but
2xx/3xx, an exception, or a page that lands on the login form (a lost session).

The TLS proxy in front of gunicorn is left out: requests say ``X-Forwarded-Proto:
https`` as the proxy would, and the cookie jar treats loopback as the secure channel
the ``__Secure-`` cookies need.
"""

import itertools
import json
import os
import random
import re
import time
from http.cookiejar import DefaultCookiePolicy
from pathlib import Path
from urllib.parse import urlsplit

import gevent
from locust import HttpUser, between, events, task

PLAN = json.loads(Path(os.environ["CARECRM_LOAD_PLAN"]).read_text())
SAMPLES: list[tuple[str, float, bool, str, float]] = []
USERS = int(os.environ["CARECRM_LOAD_USERS"])
BROWSE_SECONDS = float(os.environ["CARECRM_LOAD_SECONDS"])
_accounts = itertools.count()
_started = itertools.count(1)
_STATIC = re.compile(r"""(?:href|src)="(/static/[^"]+)\"""")
_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _loopback_is_secure(self, cookie, request) -> bool:
    return True


# requests copies the session's cookies into a fresh jar (default policy) for every
# request, so the policy is changed for the whole process: it is only the load client.
DefaultCookiePolicy.return_ok_secure = _loopback_is_secure


@events.request.add_listener
def _keep(name, response_time, exception, **_kwargs) -> None:
    SAMPLES.append(
        (name, response_time, exception is None, str(exception or "")[:200], time.time())
    )


@events.quitting.add_listener
def _write(**_kwargs) -> None:
    Path(os.environ["CARECRM_LOAD_SAMPLES"]).write_text(json.dumps(SAMPLES))


class Staff(HttpUser):
    wait_time = between(1, 5)

    def on_start(self) -> None:
        self.rng = random.Random(7 + len(SAMPLES))  # noqa: S311 (browsing choices)
        number = next(_accounts)
        self.account = PLAN["users"][number % len(PLAN["users"])]
        self.department = PLAN["departments"][str(self.account["department"])]
        host = urlsplit(self.host).netloc
        self.origin = f"https://{host}"
        self.client.headers.update(
            {"X-Forwarded-Proto": "https", "Accept-Language": "zh-CN,zh;q=0.9"}
        )
        self.login()
        if next(_started) == USERS:
            # Everyone is in: the browsing window starts now (the bench starts the send
            # when it sees the mark) and ends BROWSE_SECONDS later.
            mark = Path(os.environ["CARECRM_LOAD_BROWSING"])
            mark.with_suffix(".new").write_text(str(time.time()))
            mark.with_suffix(".new").rename(mark)  # seen whole or not at all
            gevent.spawn_later(BROWSE_SECONDS, self.environment.runner.quit)

    def login(self) -> None:
        with self.client.get(
            "/accounts/login/", name="login page", catch_response=True
        ) as response:
            token = _CSRF.search(response.text or "")
            if response.status_code != 200 or not token:
                response.failure(f"login page: {response.status_code}, token {bool(token)}")
                return
        for path in sorted(set(_STATIC.findall(response.text))):
            with self.client.get(
                path, name="static files (WhiteNoise)", catch_response=True
            ) as asset:
                if asset.status_code != 200:
                    asset.failure(f"{path}: {asset.status_code}")
        with self.client.post(
            "/accounts/login/",
            data={
                "username": self.account["username"],
                "password": PLAN["password"],
                "csrfmiddlewaretoken": token.group(1),
            },
            headers={"Origin": self.origin, "Referer": f"{self.origin}/accounts/login/"},
            allow_redirects=False,
            name="log in (form POST)",
            catch_response=True,
        ) as answer:
            target = answer.headers.get("Location", "")
            if answer.status_code != 302 or "/accounts/login/" in target:
                answer.failure(f"log in: {answer.status_code} → {target or 'the form again'}")

    def page(self, path: str, name: str) -> None:
        with self.client.get(path, name=name, catch_response=True) as response:
            if not 200 <= response.status_code < 400:
                response.failure(f"{response.status_code}")
            elif "/accounts/login/" in response.url:
                response.failure("landed on the login form (session lost)")
                self.login()

    @task(2)
    def home(self) -> None:
        self.page("/", "home dashboard")

    @task(3)
    def customer_list(self) -> None:
        self.page("/customers/", "customer list")

    @task(2)
    def customer_search(self) -> None:
        term = self.rng.choice(PLAN["search_terms"])
        self.page(f"/customers/?q={term}", "customer list, name search")

    @task(2)
    def customer_filter(self) -> None:
        query = self.rng.choice(
            [
                "vip_level=gold",
                "value_tier=high",
                "lifecycle_stage=churn_risk",
                "region=华东&sort=-total_spend",
            ]
        )
        self.page(f"/customers/?{query}", "customer list, filtered")

    @task(4)
    def customer_page(self) -> None:
        customer = self.rng.choice(self.department["customers"])
        self.page(f"/customers/{customer}/", "customer page (360°)")

    @task(1)
    def segment_list(self) -> None:
        self.page("/segments/", "segment list")

    @task(1)
    def segment_page(self) -> None:
        segment = self.rng.choice(self.department["segments"])
        self.page(f"/segments/{segment}/", "segment page")

    @task(1)
    def campaign_list(self) -> None:
        self.page("/campaigns/", "campaign list")

    @task(2)
    def campaign_page(self) -> None:
        self.page(f"/campaigns/{self.department['sending']}/", "campaign page")

    @task(2)
    def message_log(self) -> None:
        self.page(f"/campaigns/{self.department['sending']}/messages/", "message log")
