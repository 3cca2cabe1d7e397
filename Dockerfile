# CareCRM image: the web server (gunicorn), the Celery worker and beat all run from it
# (docker-compose.yml picks the command).

# Front-end packages (Bootstrap, icons, htmx, Chart.js) from package-lock.json; only
# node_modules is copied into the final image, not Node.js itself.
FROM node:20-bookworm-slim AS vendor
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_ENV=production \
    STATIC_ROOT=/app/staticfiles \
    CARECRM_VAR_DIR=/app/var
# gettext compiles the translations; Pango and the Noto CJK fonts lay out the PDF reports
# (WeasyPrint) with Chinese text embedded.
RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext libpangoft2-1.0-0 fonts-noto-cjk \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 1000 carecrm
WORKDIR /app
# The application's own pins only: no pytest, Playwright, ruff or aiosmtpd in production.
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY --from=vendor /app/node_modules ./node_modules
COPY . .
# Build-time only values: settings refuse to load in production without them, and neither
# step touches a database. The real SECRET_KEY and ALLOWED_HOSTS come at run time.
RUN SECRET_KEY=build-only-not-a-secret ALLOWED_HOSTS=build.invalid sh -c '\
        python manage.py compilemessages -l zh_Hans -l en --ignore=node_modules -v 0 \
        && python manage.py collectstatic --no-input -v 0' \
    && mkdir -p /app/var/media \
    && chown -R carecrm:carecrm /app/var
USER carecrm
EXPOSE 8000
CMD ["gunicorn", "carecrm.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
