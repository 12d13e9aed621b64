import pytest

from careline.patients.search import SearchKind, SearchTerms, clamp_page, classify_query


@pytest.mark.parametrize(
    ("typed", "terms"),
    [
        ("", SearchTerms(SearchKind.ALL)),
        ("张伟", SearchTerms(SearchKind.NAME, "张伟")),
        ("张", SearchTerms(SearchKind.NAME, "张")),
        ("Zhang Wei", SearchTerms(SearchKind.PINYIN, "zhangwei")),
        ("zw", SearchTerms(SearchKind.PINYIN, "zw")),
        ("xi'an", SearchTerms(SearchKind.PINYIN, "xian")),
        ("138 0013 8000", SearchTerms(SearchKind.PHONE, "+8613800138000")),
        ("+86-138-0013-8000", SearchTerms(SearchKind.PHONE, "+8613800138000")),
        ("010 6512 3456", SearchTerms(SearchKind.PHONE, "+861065123456")),
        ("11010519491231002x", SearchTerms(SearchKind.ID_NUMBER, "11010519491231002X")),
        ("card: 8800123", SearchTerms(SearchKind.CARD, "8800123")),
        ("卡：8800123", SearchTerms(SearchKind.CARD, "8800123")),
        ("5678", SearchTerms(SearchKind.TEXT, "5678")),
        ("1234567", SearchTerms(SearchKind.TEXT, "1234567")),
        ("朝阳区 建国路", SearchTerms(SearchKind.TEXT, "朝阳区 建国路")),
        ("a@example.com", SearchTerms(SearchKind.TEXT, "a@example.com")),
    ],
)
def test_query_is_classified(typed: str, terms: SearchTerms) -> None:
    assert classify_query(typed) == terms


def test_overlong_queries_are_cut() -> None:
    assert len(classify_query("张" * 500).value) == 64


def test_paging_is_clamped() -> None:
    assert clamp_page(1000, -5) == (100, 0)
    assert clamp_page(0, 40) == (1, 40)
