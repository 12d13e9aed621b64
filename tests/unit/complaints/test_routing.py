"""Routing rules: first match by priority, every set condition must hold, else the office."""

from careline.complaints.model import TicketDraft, TicketKind, TicketSource
from careline.complaints.routing import RoutingRule, parse_keywords, route_ticket


def draft(**overrides: object) -> TicketDraft:
    values: dict[str, object] = {
        "kind": TicketKind.COMPLAINT,
        "source": TicketSource.DESK,
        "subject": "排队太久",
        "body": "挂号窗口排了两个小时",
    }
    values.update(overrides)
    return TicketDraft(**values)  # type: ignore[arg-type]


def test_unmatched_ticket_goes_to_the_complaint_office() -> None:
    rules = [RoutingRule(1, target_department_id=9, kind=TicketKind.PRAISE)]
    assert route_ticket(draft(), rules) is None


def test_keyword_in_body_routes_to_the_department() -> None:
    rules = [RoutingRule(1, target_department_id=3, keywords=("挂号", "收费"))]
    rule = route_ticket(draft(), rules)
    assert rule is not None
    assert rule.target_department_id == 3


def test_keywords_match_case_and_width_insensitively() -> None:
    rules = [RoutingRule(1, target_department_id=3, keywords=("PARKING",))]
    assert route_ticket(draft(body="the ｐａｒｋｉｎｇ lot is full"), rules) is not None


def test_every_condition_of_a_rule_must_hold() -> None:
    rule = RoutingRule(1, target_department_id=5, kind=TicketKind.COMPLAINT, doctor_id=12)
    assert route_ticket(draft(doctor_id=11), [rule]) is None
    assert route_ticket(draft(doctor_id=12), [rule]) == rule
    assert route_ticket(draft(doctor_id=12, kind=TicketKind.PRAISE), [rule]) is None


def test_lower_priority_number_wins_over_list_order() -> None:
    broad = RoutingRule(1, target_department_id=1, priority=100)
    named = RoutingRule(2, target_department_id=2, priority=10, department_id=7)
    chosen = route_ticket(draft(department_id=7), [broad, named])
    assert chosen is not None
    assert chosen.target_department_id == 2
    fallback = route_ticket(draft(department_id=8), [broad, named])
    assert fallback is not None
    assert fallback.target_department_id == 1


def test_category_and_inactive_rules() -> None:
    by_category = RoutingRule(1, target_department_id=4, category="Billing")
    inactive = RoutingRule(2, target_department_id=6, active=False)
    assert route_ticket(draft(category="billing"), [by_category, inactive]) == by_category
    assert route_ticket(draft(category="food"), [by_category, inactive]) is None


def test_keywords_typed_with_chinese_commas_are_split() -> None:
    assert parse_keywords("挂号，收费、 停车\n药房") == ("挂号", "收费", "停车", "药房")
