"""One masking function for all output: secrets, URL passwords and bearer tokens."""

from __future__ import annotations

from drillbook.steps.masking import MASK, Masker, is_secret_name
from hypothesis import given
from hypothesis import strategies as st

secret_text = st.text(
    alphabet=st.characters(blacklist_characters="*", blacklist_categories=("Cs",)),
    min_size=4,
    max_size=30,
)


@given(secrets=st.lists(secret_text, min_size=1, max_size=4), filler=st.text(max_size=50))
def test_no_secret_survives_masking(secrets: list[str], filler: str) -> None:
    masker = Masker(secrets)
    text = filler.join([*secrets, filler, *reversed(secrets)])
    masked = masker(text)
    for secret in secrets:
        assert secret not in masked


def test_values_of_declared_and_secret_looking_names_are_masked() -> None:
    env = {
        "APP_URL": "http://app.local",
        "ADMIN_TOKEN": "tok-123456",
        "PLAIN": "visible",
        "CUSTOM": "declared-secret",
    }
    masker = Masker.for_environment(env, secret_names={"CUSTOM"})
    text = masker("url http://app.local token tok-123456 plain visible custom declared-secret")
    assert text == f"url http://app.local token {MASK} plain visible custom {MASK}"


def test_url_passwords_and_bearer_tokens_are_masked_but_prose_is_not() -> None:
    masker = Masker()
    assert masker("postgresql://app:hunter22@db:5432/x") == f"postgresql://app:{MASK}@db:5432/x"
    assert masker("Authorization: Bearer abcdefghij") == f"Authorization: Bearer {MASK}"
    assert masker("Authorization: Basic dXNlcjpwYXNz") == f"Authorization: Basic {MASK}"
    assert masker("Test basic functionality") == "Test basic functionality"


def test_short_values_are_not_treated_as_secrets() -> None:
    masker = Masker(["abc"])
    assert masker("abc abc") == "abc abc"


def test_secret_names() -> None:
    assert is_secret_name("STRIPE_SECRET_KEY")
    assert is_secret_name("PAGERDUTY_ROUTING_KEY")
    assert is_secret_name("db_password")
    assert not is_secret_name("APP_URL")
