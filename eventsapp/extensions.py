"""Unbound extension objects, bound to the app in ``create_app``."""

from flask_babel import Babel
from flask_caching import Cache
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mail import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from eventsapp.db import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()
babel = Babel()
cache = Cache()
mail = Mail()
# Organisers' sessions (eventsapp.accounts.login.init_login configures it).
login_manager = LoginManager()
# Per client address; storage (RATELIMIT_STORAGE_URI) and switches come from
# the config (eventsapp.ratelimit.init_rate_limits); limits sit on blueprints.
limiter = Limiter(key_func=get_remote_address, key_prefix="eventsapp")
