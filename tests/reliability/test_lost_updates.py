"""Twenty coordinators edit the same agenda item, then the same initiative, at the same moment.

Optimistic locking must turn every save into either "applied" or "refused with the conflict page":
in a round where all twenty opened the same version, exactly one save is applied and the stored
text is that one; in a round where each retries (reload, re-apply its own change) until applied,
the final text holds all twenty changes: nothing is silently overwritten.
"""

from __future__ import annotations

import random
import time
from concurrent.futures import ThreadPoolExecutor

from tests.reliability.threads import barrier, run_in_threads
from tests.reliability.web import Browser, replace, value_of

CLIENTS = 20

TARGETS = {
    # name: (edit page, field edited, SQL reading the stored text, id key in the provisioned data)
    "agenda item": (
        "/meetings/{meeting_id}/items/{item_id}/edit",
        "description_source",
        "SELECT description_source FROM agenda_items WHERE id = :id",
        "item_id",
    ),
    "initiative": (
        "/programme/initiatives/{initiative_id}/edit",
        "summary_source",
        "SELECT summary_source FROM initiatives WHERE id = :id",
        "initiative_id",
    ),
}


def signed_in_browsers(server, instance) -> list[Browser]:
    people = instance.take("coordinators", CLIENTS)
    browsers = [Browser(server.base) for _ in people]
    with ThreadPoolExecutor(8) as pool:
        list(
            pool.map(
                lambda pair: pair[0].sign_in(pair[1]["email"], instance.data["password"], pair[1]["totp"]),
                zip(browsers, people, strict=True),
            )
        )
    return browsers


def outcome(answer) -> str:
    """applied (redirect after save), refused (the conflict page), or what else came back."""
    assert not answer.leaks(), f"{answer.status}: {answer.leaks()}"
    if answer.status == 302:
        return "applied"
    if answer.status == 409 and "Someone else saved this" in answer.text:
        return "refused"
    return f"unexpected {answer.status}"


def test_concurrent_saves_are_applied_or_refused_never_lost(shared_instance, serve):
    instance = shared_instance
    server = serve(instance)
    browsers = signed_in_browsers(server, instance)
    for target in TARGETS:
        one_version_round(instance, browsers, target)
        retry_round(instance, browsers, target)


def one_version_round(instance, browsers, target) -> None:
    page_pattern, field_name, sql, id_key = TARGETS[target]
    page = page_pattern.format(**instance.data)

    # Round 1: all load the form (the same version), then all submit at the same moment.
    forms = [browser.form(page) for browser in browsers]
    assert len({value_of(fields, "version") for _, fields in forms}) == 1
    start = barrier(CLIENTS)

    def save(n: int) -> str:
        action, fields = forms[n]
        start.wait()
        return outcome(browsers[n].post(action, replace(fields, **{field_name: f"text of client {n}"})))

    results = run_in_threads(save, CLIENTS)
    applied = [n for n, r in enumerate(results) if r == "applied"]
    refused = results.count("refused")
    print(f"\n{target}, one version, {CLIENTS} concurrent saves: {len(applied)} applied, {refused} refused")
    assert len(applied) + refused == CLIENTS, results
    assert len(applied) == 1, results
    stored = instance.scalar(sql, id=instance.data[id_key])
    assert stored == f"text of client {applied[0]}"


def retry_round(instance, browsers, target) -> None:
    """Each client reloads and re-applies its own change after a refusal, until it is applied."""
    page_pattern, field_name, sql, id_key = TARGETS[target]
    page = page_pattern.format(**instance.data)
    token = "token-{}-" + target.replace(" ", "-")
    attempts = [0] * CLIENTS
    start = barrier(CLIENTS)

    def save_until_applied(n: int) -> str:
        start.wait()
        for _ in range(10 * CLIENTS):
            attempts[n] += 1
            action, fields = browsers[n].form(page)
            mine = value_of(fields, field_name).rstrip() + " " + token.format(n)
            result = outcome(browsers[n].post(action, replace(fields, **{field_name: mine})))
            if result != "refused":
                return result
            # Like people, clients do not all re-save in the same instant: a random pause that grows with
            # the refusals (client pacing, not a wait for the server) keeps twenty from colliding ~200 times.
            time.sleep(random.uniform(0, 0.05 * attempts[n]))
        return "gave up"

    results = run_in_threads(save_until_applied, CLIENTS)
    print(f"{target}, retry on conflict: {results.count('applied')} applied after {sum(attempts)} attempts")
    assert results == ["applied"] * CLIENTS
    stored = instance.scalar(sql, id=instance.data[id_key])
    missing = [n for n in range(CLIENTS) if token.format(n) not in stored.split()]
    assert missing == [], f"changes silently overwritten: clients {missing}"
