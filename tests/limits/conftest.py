from tests.services import (  # noqa: F401  (fixtures)
    postgres_admin,
    postgres_url,
    redis_prefix,
    redis_url,
)
