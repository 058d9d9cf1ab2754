"""Outlet configuration: valid files load; bad ones name the file, the outlet and the field."""

from pathlib import Path

import pytest

from pipeline.config import ConfigError, load_outlets
from pipeline.settings import DEFAULT_OUTLETS_FILE

GOOD = """
outlets:
  - name: Example
    home: https://example.org/
    language: en
    affiliation: Example NGO
    feeds: [https://example.org/feed/]
    article_url_pattern: "/news/"
    exclude_url_pattern: "/tag/"
"""


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "outlets.yaml"
    path.write_text(body, encoding="utf-8")
    return path


def test_default_config_is_valid_and_names_affiliations():
    config = load_outlets(DEFAULT_OUTLETS_FILE)
    assert len(config.outlets) >= 10
    assert all(o.affiliation for o in config.outlets)
    assert {o.language for o in config.outlets} == {"en", "fa"}


def test_good_config_and_url_patterns(tmp_path):
    outlet = load_outlets(_write(tmp_path, GOOD)).get("Example")
    assert outlet.wants_url("https://example.org/news/a-story/")
    assert not outlet.wants_url("https://example.org/news/tag/x/")
    assert not outlet.wants_url("https://example.org/about/")
    assert outlet.timeout_seconds == 30 and outlet.max_body_bytes == 10 * 1024 * 1024


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (GOOD.replace("language: en", "language: English"), "outlet #1 ('Example'): field language"),
        (
            GOOD.replace("https://example.org/feed/", "ftp://x"),
            "field feeds: Value error, entry 1 'ftp://x' is not an http(s) URL",
        ),
        (
            GOOD.replace('"/news/"', '"(unclosed"'),
            "field article_url_pattern: Value error, not a valid regular",
        ),
        (GOOD.replace("    feeds: [https://example.org/feed/]\n", ""), "needs at least one of feeds"),
        (GOOD + "    colour: blue\n", "field colour: Extra inputs are not permitted"),
        (GOOD + GOOD.replace("outlets:\n", ""), "appears twice"),
        ("outlets: {", "not valid YAML"),
        ("- just a list", "top level must be a mapping"),
    ],
)
def test_bad_config_names_file_outlet_and_field(tmp_path, body, expected):
    path = _write(tmp_path, body)
    with pytest.raises(ConfigError) as info:
        load_outlets(path)
    assert str(path) in str(info.value)
    assert expected in str(info.value)


def test_unknown_outlet_is_an_error(tmp_path):
    config = load_outlets(_write(tmp_path, GOOD))
    with pytest.raises(ConfigError, match="unknown outlet"):
        config.select(["Nope"])


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="file not found"):
        load_outlets(tmp_path / "absent.yaml")
