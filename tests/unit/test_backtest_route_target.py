"""The backtest router's URL split agrees with urlsplit, whatever the URL looks like."""

from __future__ import annotations

import string
from urllib.parse import parse_qsl, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cmi_sim.api.paths import normalize_path
from cmi_sim.backtest.adapter.exchange_environment import _target


def by_urlsplit(url: str):
    try:
        parts = urlsplit(url)
    except ValueError:
        return "invalid"
    return ((parts.hostname or "").lower(), normalize_path(parts.path or "/"),
            tuple(parse_qsl(parts.query, keep_blank_values=True)))


def by_target(url: str):
    try:
        return _target(url)
    except ValueError:
        return "invalid"


@pytest.mark.parametrize("url", [
    "http://ec2-52-49-69-152.eu-west-1.compute.amazonaws.com/api/order/17",
    "http://cmi-sim.local//api/order/",
    "https://X.Y:8080/api?a=1&b=&c",
    "http://h/api/x?q=%20a+b#frag",
    "http://user:pw@h/api",
    "http://[::1]:80/api",
    "http://h",
    "http://h?x=1",
    "http://h/a b",
    "http://h/\tapi",
    "HTTP://H/API",
])
def test_known_shapes_split_as_urlsplit_splits_them(url):
    assert by_target(url) == by_urlsplit(url)


@settings(max_examples=500)
@given(st.text(alphabet="abcXY.-:0189@[]/?#&=%+ \t", max_size=10),
       st.text(alphabet=string.printable + "é/?&=#", max_size=16))
def test_any_url_splits_as_urlsplit_splits_it(authority, rest):
    url = "http://" + authority + rest
    assert by_target(url) == by_urlsplit(url)
