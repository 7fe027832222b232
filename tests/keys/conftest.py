from tests.keys.services import (  # noqa: F401  (fixtures)
    database_url,
    engine,
    postgres_admin,
    postgres_url,
    sqlite_engine,
)
