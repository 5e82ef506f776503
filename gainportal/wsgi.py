"""The WSGI entry point for gunicorn: ``gunicorn -c config/gunicorn.conf.py``.

Settings come from the environment (GAINPORTAL_ENV, GAINPORTAL_DATABASE_URL, ...) exactly as
for the CLI; config/gunicorn.conf.py sets the web-only defaults before this is imported.
"""
from gainportal import create_app
from gainportal.templating import compile_all

app = create_app()
compile_all(app.jinja_env)
