from tests.keys.services import (  # noqa: F401  (fixtures)
    database_url,
    engine,
    sqlite_engine,
)
from tests.services import postgres_admin, postgres_url  # noqa: F401  (fixtures)
