"""AlertDispatcher against a local HTTP receiver: the webhook and Slack bodies, one message
per table, suppression of standing problems (time injected), escalation, "resolved"
messages, and what is left alone (problems not judged, other sources' problems)."""

from __future__ import annotations

from tests.unit.alerts.conftest import SLACK, START, WEBHOOK, Harness, evaluation, sla_problem


def test_webhook_body_is_the_documented_shape(alerts: Harness) -> None:
    problem = sla_problem("feat_user__profile", "freshness_online",
                          summary="freshness_online 3h (threshold <= 1h)")
    outcome = alerts.dispatcher(channels=[WEBHOOK]).dispatch(evaluation(problem))
    assert (outcome.sent, outcome.failed, outcome.warnings) == (1, 0, [])
    [received] = alerts.receiver.received
    assert received.headers["Content-Type"] == "application/json"
    assert received.body == {
        "schema": "featureops.alert/v1",
        "project": "shop",
        "source": "sla",
        "table": "feat_user__profile",
        "status": "firing",
        "level": "critical",
        "title": "CRITICAL feat_user__profile (featureops sla, shop): 1 problem",
        "sent_at": "2026-11-05T08:00:00+00:00",
        "problems": [{
            "key": "sla/feat_user__profile/freshness_online",
            "check": "freshness_online", "level": "critical",
            "summary": "freshness_online 3h (threshold <= 1h)",
            "first_seen": "2026-11-05T08:00:00+00:00", "new": True,
            "details": {"view": "feat_user__profile", "sla": "freshness_online"}}],
        "resolved": [],
    }


def test_slack_body_has_text_and_an_escaped_mrkdwn_section(alerts: Harness) -> None:
    problem = sla_problem("feat_a", "completeness", "warning", "80% < 90% <of> A&B")
    alerts.dispatcher(channels=[SLACK]).dispatch(evaluation(problem))
    [body] = alerts.receiver.bodies("/slack")
    assert set(body) == {"text", "blocks"}
    assert body["text"] == "WARNING feat_a (featureops sla, shop): 1 problem"
    [block] = body["blocks"]
    assert block["type"] == "section" and block["text"]["type"] == "mrkdwn"
    assert block["text"]["text"] == (
        ":warning: *WARNING feat_a (featureops sla, shop): 1 problem*\n"
        "• warning completeness (new): 80% &lt; 90% &lt;of&gt; A&amp;B")


def test_one_message_per_table_with_all_its_problems_worst_first(alerts: Harness) -> None:
    found = evaluation(sla_problem("feat_a", "completeness", "warning"),
                       sla_problem("feat_a", "freshness_warehouse", "critical"),
                       sla_problem("feat_b", "availability", "warning"))
    assert alerts.dispatcher(channels=[WEBHOOK]).dispatch(found).sent == 2
    bodies = {b["table"]: b for b in alerts.receiver.bodies()}
    assert [p["check"] for p in bodies["feat_a"]["problems"]] == ["freshness_warehouse",
                                                                  "completeness"]
    assert bodies["feat_a"]["level"] == "critical" and bodies["feat_b"]["level"] == "warning"
    assert [p["check"] for p in bodies["feat_b"]["problems"]] == ["availability"]


def test_a_standing_problem_is_suppressed_until_the_interval_passes(alerts: Harness) -> None:
    dispatcher = alerts.dispatcher(channels=[WEBHOOK], suppress_for="4h")
    found = evaluation(sla_problem("feat_a", "completeness", "warning"))
    assert dispatcher.dispatch(found).sent == 1
    for hours in (1, 2.9):  # builds within the interval page nobody
        alerts.clock.advance(hours=hours)
        outcome = dispatcher.dispatch(found)
        assert (outcome.sent, outcome.suppressed) == (0, 1)
    alerts.clock.advance(hours=0.1)  # 4h after the first message
    assert dispatcher.dispatch(found).sent == 1
    bodies = alerts.receiver.bodies()
    assert len(bodies) == 2 and bodies[1]["problems"][0]["new"] is False
    assert bodies[1]["problems"][0]["first_seen"] == START.isoformat()


def test_a_rising_level_is_sent_at_once(alerts: Harness) -> None:
    dispatcher = alerts.dispatcher(channels=[WEBHOOK])
    dispatcher.dispatch(evaluation(sla_problem("feat_a", "completeness", "warning")))
    alerts.clock.advance(minutes=5)
    assert dispatcher.dispatch(evaluation(sla_problem("feat_a", "completeness", "critical"))
                               ).sent == 1
    alerts.clock.advance(minutes=5)  # and falling back is not news
    assert dispatcher.dispatch(evaluation(sla_problem("feat_a", "completeness", "warning"))
                               ).sent == 0
    assert [b["level"] for b in alerts.receiver.bodies()] == ["warning", "critical"]


def test_a_cleared_problem_gets_one_resolved_message(alerts: Harness) -> None:
    dispatcher = alerts.dispatcher(channels=[WEBHOOK, SLACK])
    dispatcher.dispatch(evaluation(sla_problem("feat_a", "completeness", summary="50% rows")))
    alerts.clock.advance(hours=1)
    ok = evaluation(judged=(("feat_a", "completeness"),))
    assert dispatcher.dispatch(ok).sent == 2  # one per channel
    [_, resolved] = alerts.receiver.bodies()
    assert resolved["status"] == "resolved" and resolved["level"] == "ok"
    assert resolved["problems"] == []
    assert resolved["resolved"] == [{
        "key": "sla/feat_a/completeness", "check": "completeness", "level": "critical",
        "summary": "50% rows", "first_seen": START.isoformat(),
        "resolved_at": alerts.clock.now.isoformat()}]
    assert alerts.receiver.bodies("/slack")[1]["text"].startswith("RESOLVED feat_a")
    alerts.clock.advance(hours=1)
    assert dispatcher.dispatch(ok).sent == 0  # said once
    assert alerts.state()["problems"] == {}


def test_resolved_rides_along_with_the_tables_new_problem(alerts: Harness) -> None:
    dispatcher = alerts.dispatcher(channels=[WEBHOOK])
    dispatcher.dispatch(evaluation(sla_problem("feat_a", "completeness")))
    alerts.clock.advance(hours=1)
    dispatcher.dispatch(evaluation(sla_problem("feat_a", "freshness_warehouse"),
                                   judged=(("feat_a", "completeness"),)))
    last = alerts.receiver.bodies()[-1]
    assert [p["check"] for p in last["problems"]] == ["freshness_warehouse"]
    assert [r["check"] for r in last["resolved"]] == ["completeness"]
    assert last["title"].endswith("1 problem, 1 resolved")


def test_what_a_run_did_not_judge_is_neither_resolved_nor_sent(alerts: Harness) -> None:
    dispatcher = alerts.dispatcher(channels=[WEBHOOK])
    dispatcher.dispatch(evaluation(sla_problem("feat_a", "freshness_online")))
    alerts.clock.advance(hours=1)
    # the store was down: freshness_online unknown; and the server judges its own checks
    assert dispatcher.dispatch(evaluation()).sent == 0
    assert dispatcher.dispatch(evaluation(judged=(("feat_a", "freshness_online"),),
                                          source="server")).sent == 0
    assert len(alerts.receiver.bodies()) == 1
    assert list(alerts.state()["problems"]) == ["sla/feat_a/freshness_online"]


def test_channel_min_level_filters_and_resolves_per_channel(alerts: Harness) -> None:
    dispatcher = alerts.dispatcher(channels=[{**WEBHOOK, "min_level": "critical"}, SLACK])
    for level in ("warning", "critical", "warning"):
        dispatcher.dispatch(evaluation(sla_problem("feat_a", "completeness", level)))
        alerts.clock.advance(minutes=1)
    # the pager heard critical, then resolved (below its level); slack only the rise
    assert [b["status"] for b in alerts.receiver.bodies()] == ["firing", "resolved"]
    assert [b["text"].split()[0] for b in alerts.receiver.bodies("/slack")] == [
        "WARNING", "CRITICAL"]
