"""The config loader: YAML + ``${VAR}`` interpolation + zero-config environment → Settings.

Every test passes an explicit ``env`` mapping; the real ``os.environ`` is never read.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from polyroute.config import ConfigError, load_settings
from polyroute.providers.registry import PROVIDERS

SECRET = "sk-FAKE-s3cr3t-0b5e7a"
MASTER = "mk-FAKE-master-9c41d2"

# The documented zero-config table (README "Configuration"): provider, variable, public address.
ZERO_CONFIG = [
    ("openai", "OPENAI_API_KEY", "https://api.openai.com/v1"),
    ("mistral", "MISTRAL_API_KEY", "https://api.mistral.ai/v1"),
    ("anthropic", "ANTHROPIC_API_KEY", "https://api.anthropic.com"),
    ("gemini", "GEMINI_API_KEY", "https://generativelanguage.googleapis.com/v1beta"),
    ("groq", "GROQ_API_KEY", "https://api.groq.com/openai/v1"),
    ("cerebras", "CEREBRAS_API_KEY", "https://api.cerebras.ai/v1"),
    ("deepinfra", "DEEPINFRA_API_KEY", "https://api.deepinfra.com/v1/openai"),
    ("xai", "XAI_API_KEY", "https://api.x.ai/v1"),
    ("openrouter", "OPENROUTER_API_KEY", "https://openrouter.ai/api/v1"),
]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "polyroute.yaml"
    path.write_text(text)
    return path


def config_error(path: Path | None, env: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as info:
        load_settings(path, env=env or {})
    return str(info.value)


# 1. ${VAR} interpolation
def test_variables_are_substituted_in_nested_values(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "master_key: ${MK}\n"
        "providers:\n"
        "  openai: {api_key: '${OAI}'}\n"
        "  local: {type: openai-compatible, models: ['${M}'],\n"
        "          base_url: 'http://${HOST}:${PORT:-8000}/v1'}\n",
    )
    env = {"MK": "mk: #1", "OAI": SECRET, "HOST": "10.0.0.7", "M": "llama-3"}
    settings = load_settings(path, env=env)
    assert settings.source == str(path)
    assert settings.master_key == "mk: #1"  # substituted after parsing: stays literal
    assert settings.providers["openai"].api_key == SECRET
    assert settings.providers["local"].base_url == "http://10.0.0.7:8000/v1"
    assert settings.providers["local"].models == ("llama-3",)


@pytest.mark.parametrize(
    ("text", "env", "expected"),
    [
        ("redis_url: ${R:-redis://default:6379}", {}, "redis://default:6379"),
        ("redis_url: ${R:-redis://default:6379}", {"R": "redis://env:1"}, "redis://env:1"),
        ("redis_url: redis://${R:-}h:1", {}, "redis://h:1"),
        pytest.param(
            "redis_url: ${R:-redis://default:6379}",
            {"R": ""},
            "redis://default:6379",
            id="empty-variable-takes-default",  # the shell's and compose's meaning of :-
        ),
    ],
)
def test_variable_defaults(tmp_path: Path, text: str, env: dict[str, str], expected: str) -> None:
    assert load_settings(write(tmp_path, text), env=env).redis_url == expected


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("master_key: ${NOPE}", "master_key"),
        ("providers: {openai: {api_key: '${NOPE}'}}", "providers.openai.api_key"),
        ("providers: {openai: {base_url: 'https://${NOPE}/v1'}}", "providers.openai.base_url"),
        ("providers: {local: {models: [a, '${NOPE}']}}", "providers.local.models[1]"),
    ],
)
def test_missing_variable_names_file_key_and_variable(tmp_path: Path, text: str, key: str) -> None:
    path = write(tmp_path, text)
    message = config_error(path, {"OPENAI_API_KEY": SECRET})
    assert message == f"{path}: {key}: environment variable NOPE is not set"


# 2. zero configuration
def test_zero_config_table_matches_the_registry() -> None:
    declared = {(s.name, s.key_env, s.base_url) for s in PROVIDERS.values() if s.key_env}
    assert declared == set(ZERO_CONFIG)


@pytest.mark.parametrize(("name", "variable", "base_url"), ZERO_CONFIG)
def test_zero_config_enables_a_provider_from_its_variable(
    name: str, variable: str, base_url: str
) -> None:
    settings = load_settings(None, env={variable: SECRET, "UNRELATED": "x"})
    assert (settings.source, list(settings.providers)) == ("<defaults>", [name])
    provider = settings.providers[name]
    assert (provider.spec, provider.api_key) == (PROVIDERS[name], SECRET)
    assert provider.base_url == base_url


def test_zero_config_without_keys_has_no_providers_and_defaults() -> None:
    settings = load_settings(None, env={"OPENAI_API_KEY": ""})  # empty counts as absent
    assert settings.providers == {}
    assert settings.master_key is None
    assert settings.database_url == "sqlite:///polyroute.db"
    assert settings.limits.backend == "memory"


def test_file_providers_merge_with_environment_providers(tmp_path: Path) -> None:
    path = write(tmp_path, "providers: {openai: {api_key: from-file}, mistral: {}}")
    env = {"OPENAI_API_KEY": "from-env", "MISTRAL_API_KEY": "m-env", "GROQ_API_KEY": "g-env"}
    providers = load_settings(path, env=env).providers
    assert {n: p.api_key for n, p in providers.items()} == {
        "openai": "from-file",  # the file's key wins over the standard variable
        "mistral": "m-env",  # declared without a key: the standard variable
        "groq": "g-env",  # not declared: zero-config still applies
    }


# 3. base_url and type
def test_base_url_overrides_any_provider(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "providers:\n"
        "  openai: {base_url: 'https://proxy.example.com/openai/v1/'}\n"
        "  anthropic: {base_url: 'http://127.0.0.1:9000'}\n",
    )
    settings = load_settings(path, env={"OPENAI_API_KEY": "a", "ANTHROPIC_API_KEY": "b"})
    assert settings.providers["openai"].base_url == "https://proxy.example.com/openai/v1"
    assert settings.providers["anthropic"].base_url == "http://127.0.0.1:9000"
    assert settings.providers["anthropic"].spec is PROVIDERS["anthropic"]


def test_type_borrows_another_providers_kind(tmp_path: Path) -> None:
    local = "{type: openai-compatible, base_url: 'http://127.0.0.1:8000/v1', models: [m]}"
    path = write(tmp_path, f"providers: {{local: {local}, groq-eu: {{type: groq}}}}")
    providers = load_settings(path, env={"GROQ_API_KEY": "g"}).providers
    local, eu = providers["local"], providers["groq-eu"]
    assert (local.spec, local.api_key) == (PROVIDERS["openai-compatible"], None)
    assert (local.base_url, local.models) == ("http://127.0.0.1:8000/v1", ("m",))
    assert (eu.name, eu.spec, eu.api_key) == ("groq-eu", PROVIDERS["groq"], "g")
    assert eu.base_url == "https://api.groq.com/openai/v1"


@pytest.mark.parametrize(
    ("entry", "key", "what"),
    [
        ("local: {type: openai-compatible}", "local.base_url", "required for a self-hosted"),
        ("x: {type: vllm, api_key: KEY}", "x.type", "unknown provider type 'vllm'"),
        ("mine: {api_key: KEY}", "mine", "unknown provider type 'mine'"),
        ("openai: {}", "openai.api_key", "no key given and OPENAI_API_KEY is not set"),
        ("openai: {api_key: KEY, base_url: ftp://x}", "openai.base_url", "http:// or https://"),
        ('openrouter: {api_key: k, headers: {X-Title: "KEY\\r\\nX-Injected: 1"}}',
         "openrouter.headers", "header 'X-Title' has a control character (CR, LF)"),
        ('openrouter: {api_key: k, headers: {X-Title: "KEY\u2603"}}',
         "openrouter.headers", "header 'X-Title' has characters a header cannot carry"),
        ("openrouter: {api_key: k, headers: {X Title: KEY}}",
         "openrouter.headers", "invalid HTTP header name 'X Title'"),
    ],
)  # fmt: skip
def test_provider_errors_name_the_key(tmp_path: Path, entry: str, key: str, what: str) -> None:
    path = write(tmp_path, "providers: {" + entry.replace("KEY", SECRET) + "}")
    message = config_error(path)
    assert message.startswith(f"{path}: providers.{key}: ")
    assert what in message and SECRET not in message


# 4. the master key
@pytest.mark.parametrize(
    ("in_file", "in_env", "expected"),
    [
        ("mk-file", None, "mk-file"),
        (None, "mk-env", "mk-env"),
        ("mk-file", "mk-env", "mk-file"),  # the file wins
        ("${POLYROUTE_MASTER_KEY}", "mk-env", "mk-env"),  # the README's form
        (None, None, None),
    ],
)
def test_master_key_sources(
    tmp_path: Path, in_file: str | None, in_env: str | None, expected: str | None
) -> None:
    path = write(tmp_path, f"master_key: {in_file}\n" if in_file else "database_url: sqlite://\n")
    env = {"POLYROUTE_MASTER_KEY": in_env} if in_env else {}
    assert load_settings(path, env=env).master_key == expected
    assert load_settings(None, env=env).master_key == in_env


# 5. errors name the file, the key and what is wrong, never a secret

ERROR_PREAMBLE = f"master_key: {MASTER}\nproviders: {{openai: {{api_key: {SECRET}}}}}\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tiemouts: {first_byte: 3}", "tiemouts: unknown key"),
        ("timeouts: {fist_byte: 3}", "timeouts.fist_byte: unknown key"),
        ("providers: {openai: {apikey: " + SECRET + "}}", "providers.openai.apikey: unknown key"),
        ("timeouts: {first_byte: soon}", "timeouts.first_byte: Input should be a valid number"),
        ("retries: {per_target: 9}", "retries.per_target: Input should be less than or equal"),
        ("limits: {backend: redis}", "limits.backend: redis needs redis_url"),
    ],
)
def test_invalid_settings_name_file_key_and_problem(
    tmp_path: Path, text: str, expected: str
) -> None:
    preamble = "" if text.startswith("providers") else ERROR_PREAMBLE
    path = write(tmp_path, preamble + text)
    message = config_error(path, {"OPENAI_API_KEY": SECRET})
    assert f"{path}: {expected}" in message
    assert SECRET not in message and MASTER not in message


def test_every_problem_is_reported_on_its_own_line(tmp_path: Path) -> None:
    path = write(tmp_path, ERROR_PREAMBLE + "timeouts: {first_byte: soon, fist_byte: 3}")
    lines = config_error(path).splitlines()
    assert [line.split(": ")[1] for line in lines] == ["timeouts.first_byte", "timeouts.fist_byte"]
    assert all(line.startswith(f"{path}: ") for line in lines)


def test_invalid_yaml_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, ERROR_PREAMBLE + "timeouts: {connect: 3\nretries: {}\n")
    message = config_error(path)
    assert message.startswith(f"{path}: not valid YAML: ")
    assert "line 3" in message
    assert SECRET not in message and MASTER not in message


def test_invalid_yaml_on_a_secret_line_does_not_print_it(tmp_path: Path) -> None:
    path = write(tmp_path, f"providers:\n  openai:\n    api_key: '{SECRET}\n")
    message = config_error(path)
    assert message.startswith(f"{path}: not valid YAML: ")
    assert SECRET not in message


@pytest.mark.parametrize("text", ["- a\n- b\n", "just a string\n"])
def test_a_root_that_is_not_a_mapping_is_rejected(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, text)
    assert config_error(path) == f"{path}: <root>: must be a mapping of settings"


def test_empty_file_is_the_defaults(tmp_path: Path) -> None:
    path = write(tmp_path, "")
    settings = load_settings(path, env={"XAI_API_KEY": "x"})
    assert (settings.source, list(settings.providers)) == (str(path), ["xai"])


def test_missing_file_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.yaml"
    assert config_error(path) == f"{path}: cannot read: No such file or directory"


# 6. secrets stay out of repr / str
def test_settings_repr_hides_every_secret(tmp_path: Path) -> None:
    path = write(tmp_path, "master_key: ${MK}\nproviders: {mistral: {api_key: '${MK2}'}}")
    env = {"MK": MASTER, "MK2": SECRET + "-m", "OPENAI_API_KEY": SECRET + "-o"}
    env["POLYROUTE_ENCRYPTION_KEYS"] = "enc-FAKE-7f3a"
    settings = load_settings(path, env=env)
    assert settings.keys.encryption_keys == "enc-FAKE-7f3a"  # resolved, just not shown
    assert settings.providers["openai"].api_key == SECRET + "-o"
    texts = [repr(settings), str(settings), *(repr(p) for p in settings.providers.values())]
    for text in texts:
        assert "openai" in text or "mistral" in text
        for secret in (MASTER, SECRET, "enc-FAKE-7f3a"):
            assert secret not in text


def test_the_readmes_example_config_loads(tmp_path: Path) -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    example = readme.split("`polyroute serve --config polyroute.yaml`:\n\n```yaml\n", 1)[1]
    path = write(tmp_path, example.split("```", 1)[0])
    # The variables its providers need; REDIS_URL unset, as on a single instance.
    env = {"POLYROUTE_MASTER_KEY": MASTER, "MISTRAL_API_KEY": SECRET}
    env |= {"OPENROUTER_API_KEY": "o", "GROQ_API_KEY": "g"}
    settings = load_settings(path, env=env)
    assert (settings.master_key, settings.redis_url) == (MASTER, "")
    assert settings.limits.backend == "memory"
    assert settings.providers["mistral"].api_key == SECRET
    assert settings.providers["local"].base_url == "http://127.0.0.1:8000/v1"
    assert set(settings.routes) == {"fast"}
