import pytest
from django.core.exceptions import ImproperlyConfigured

from marketplace_libs.review_window import DEFAULT_DAYS, review_window_days


def test_ten_days_unless_set(monkeypatch):
    monkeypatch.delenv("MARKETPLACE_REVIEW_WINDOW_DAYS", raising=False)
    assert review_window_days() == DEFAULT_DAYS == 10
    monkeypatch.setenv("MARKETPLACE_REVIEW_WINDOW_DAYS", "2.5")
    assert review_window_days() == 2.5


@pytest.mark.parametrize("raw", ["0", "-1", "nan", "ten"])
def test_a_window_that_is_not_a_positive_number_of_days_is_refused(monkeypatch, raw):
    monkeypatch.setenv("MARKETPLACE_REVIEW_WINDOW_DAYS", raw)
    with pytest.raises(ImproperlyConfigured):
        review_window_days()
