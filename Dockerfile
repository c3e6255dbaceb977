FROM python:3.11-slim-bookworm

# WeasyPrint renders PDF reports with Pango; DejaVu covers Cyrillic.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN pybabel compile -d mes_web/translations
RUN useradd --create-home mes && mkdir -p /app/instance && chown mes /app/instance
USER mes

ENV FLASK_APP=wsgi
EXPOSE 8000
CMD ["sh", "-c", "flask --app wsgi db upgrade && exec gunicorn -c gunicorn.conf.py wsgi:app"]
