"""SQL queries of every main page at 50 and at 5,000 cases: they must not grow with the data.

Builds a throwaway SQLite database (never var/db.sqlite3): migrate, `setup_site
--no-demo`, `seed_demo --cases 50`, measure; `seed_demo --cases 5000` (another
year), measure again. Each seeded campaign is then made public *in this
database only* (is_demo off, published, tiers and ranks copied from its ranking)
so that the public pages have something to show. At 50 cases every page is first
requested once to warm the process up; then, for each page, the cache is cleared,
the user gets a fresh session and the next request is counted (CaptureQueriesContext)
and timed in process (best of 3, each after a cache clear).

    .venv/bin/python bench/queries.py

Prints a table and replaces the `bench:queries` section of BENCHMARKS.md.

`--prepare-only --out FILE` builds the same data (both sizes at once) in the
database given by DATABASE_URL and writes the ids and session cookies the HTTP
benchmark needs (bench/http_load.py runs it with the gunicorn's SECRET_KEY).
"""

import argparse
import json
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

from reviews.scoring import services as scoring_services

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, this directory comes first on sys.path, where bench/http_load.py would
# shadow the standard library's `http`: look modules up from the repository root instead.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

from bench.report import write_section  # noqa: E402

SECTION = "queries"
DEFAULT_DB = "/tmp/bench-queries.sqlite3"
DEFAULT_MEDIA = "/tmp/bench-queries-media"
# (label, cases, experts, reviews per case, seed, year)
SIZES = [("50", 50, 12, 5, 1, 2091), ("5000", 5000, 300, 5, 2, 2092)]


def configure(database_url: str, media_root: str, *, debug: bool = False):
    """Point Django at the bench's own database and media folder, then set it up."""
    os.environ["DATABASE_URL"] = database_url
    os.environ["MEDIA_ROOT"] = media_root
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    os.environ["DEBUG"] = "true" if debug else "false"
    import django

    django.setup()


def create_schema():
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    call_command("setup_site", "--no-demo", verbosity=0)


def seed(*, cases, experts, reviews, seed, year, quiet=True) -> dict:
    """seed_demo, then make that campaign public here and prepare one user of each role."""
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import Role, User
    from reform_cases.models import Campaign, CampaignStatus, Case, CaseOutcome
    from reviews.models import Assignment, AssignmentStatus, RankingEntry, ReviewRound
    from reviews.ranking.services import two_place_decimal

    User.objects.get_or_create(
        username="bench-admin",
        defaults={"role": Role.ADMINISTRATOR, "display_name": "压测组织方"},
    )
    started = time.perf_counter()
    args = ["--cases", cases, "--experts", experts, "--reviews-per-case", reviews]
    args += ["--seed", seed, "--year", year]
    with Path(os.devnull).open("w") as devnull:
        call_command("seed_demo", *map(str, args), stdout=devnull if quiet else None)
    seeded = time.perf_counter() - started
    campaign = Campaign.objects.get(year=year, is_demo=True)
    review_round = ReviewRound.objects.get(campaign=campaign)

    # Public copy of the results, in the bench's database only: what publication would do.
    with transaction.atomic():
        entries = {
            e.case_id: e
            for e in RankingEntry.objects.filter(round=review_round).only(
                "case_id", "final_tier_id", "rank", "basis_value"
            )
        }
        rows = list(Case.objects.filter(campaign=campaign).only("pk"))
        for case in rows:
            entry = entries.get(case.pk)
            tier_id = entry.final_tier_id if entry else None
            case.tier_id = tier_id
            case.outcome = CaseOutcome.AWARDED if tier_id else CaseOutcome.NOT_AWARDED
            case.rank = entry.rank if tier_id else None
            case.final_score = (
                two_place_decimal(entry.basis_value)
                if entry and entry.basis_value is not None
                else None
            )
        Case.objects.bulk_update(rows, ["tier", "outcome", "rank", "final_score"], batch_size=1000)
        now = timezone.now()
        Campaign.objects.filter(pk=campaign.pk).update(
            is_demo=False,
            status=CampaignStatus.PUBLISHED,
            published_at=now,
            notice_ends_at=now - timedelta(days=1),
        )

    first_case = Case.objects.filter(campaign=campaign).order_by("pk").first()
    locality, _ = User.objects.get_or_create(
        username=f"bench-locality-{year}",
        defaults={
            "role": Role.LOCALITY,
            "organisation": first_case.organisation,
            "display_name": f"{first_case.organisation.name}改革办",
        },
    )
    assignment = (
        Assignment.objects.filter(round=review_round, status=AssignmentStatus.CONFIRMED)
        .order_by("expert__username", "pk")
        .select_related("expert")
        .first()
    )
    scoring_services.accept_pledge(review_round=review_round, expert=assignment.expert)
    awarded = (
        Case.objects.filter(campaign=campaign, outcome=CaseOutcome.AWARDED)
        .order_by("tier__order", "rank", "pk")
        .first()
    )
    return {
        "label": str(cases),
        "cases": cases,
        "year": year,
        "campaign": campaign.pk,
        "round": review_round.pk,
        "case": awarded.pk,
        "case_title": awarded.title,
        "assignment": assignment.pk,
        "expert": assignment.expert.pk,
        "expert_assignments": Assignment.objects.filter(
            expert=assignment.expert, status=AssignmentStatus.CONFIRMED
        ).count(),
        "locality": locality.pk,
        "locality_cases": Case.objects.filter(organisation=first_case.organisation).count(),
        "admin": User.objects.get(username="bench-admin").pk,
        "seconds": round(seeded, 1),
    }


def pages(info) -> list[tuple[str, str, str]]:
    """(label, role, path) of every main page, for one seeded campaign."""
    year, rnd = info["year"], info["round"]
    return [
        ("`/` (home)", "anonymous", "/"),
        ("`/results/`", "anonymous", "/results/"),
        ("`/results/<year>/` uncached", "anonymous", f"/results/{year}/"),
        ("`/cases/<id>/` uncached", "anonymous", f"/cases/{info['case']}/"),
        ("`/results/<year>/stats/`", "anonymous", f"/results/{year}/stats/"),
        ("`/api/results/<year>.json`", "anonymous", f"/api/results/{year}.json"),
        ("locality `/cases/mine/`", "locality", "/cases/mine/"),
        ("admin `/manage/`", "admin", "/manage/"),
        ("admin `/manage/campaigns/<pk>/cases/`", "admin", f"/manage/campaigns/{info['campaign']}/cases/"),
        ("admin `/manage/rounds/<pk>/ranking/`", "admin", f"/manage/rounds/{rnd}/ranking/"),
        ("admin `/manage/rounds/<pk>/progress/`", "admin", f"/manage/rounds/{rnd}/progress/"),
        ("admin `/manage/rounds/<pk>/assign/`", "admin", f"/manage/rounds/{rnd}/assign/"),
        ("expert `/review/`", "expert", "/review/"),
        ("expert `/review/<assignment>/`", "expert", f"/review/{info['assignment']}/"),
    ]  # fmt: skip


def clients(info) -> dict:
    """{role: (client, user or None)}."""
    from django.test import Client

    from accounts.models import User

    made = {"anonymous": (Client(), None)}
    for role in ("locality", "admin", "expert"):
        made[role] = (Client(), User.objects.get(pk=info[role]))
    return made


def measure(info, *, warm_up=True, repeats=3, slow=5.0) -> dict:
    """{page label: queries, best ms, bytes, status} for one seeded campaign."""
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    result = {}
    by_role = clients(info)
    for label, role, path in pages(info):
        client, user = by_role[role]
        if warm_up:  # first-request costs (translations, templates, content types) aside
            cache.clear()
            if user:
                client.force_login(user)
            client.get(path)
        times, count = [], None
        for attempt in range(repeats):
            cache.clear()
            if user:
                # A fresh session: the administrators' idle clock saves the session (three
                # more queries) when the previous request ended over a minute ago.
                client.force_login(user)
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = client.get(path)
                times.append(time.perf_counter() - started)
            if attempt == 0:
                count = len(captured.captured_queries)
            if response.status_code != 200 or times[-1] > slow:
                break  # one slow page is enough to know it is slow
        result[label] = {
            "queries": count,
            "ms": min(times) * 1000,
            "bytes": len(response.content),
            "status": response.status_code,
        }
    # The cached public page, as an anonymous visitor gets it.
    client, _user = by_role["anonymous"]
    path = f"/results/{info['year']}/"
    client.get(path)
    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        response = client.get(path)
        elapsed = time.perf_counter() - started
    result["`/results/<year>/` cached (anonymous)"] = {
        "queries": len(captured.captured_queries),
        "ms": elapsed * 1000,
        "bytes": len(response.content),
        "status": response.status_code,
    }
    return result


def fresh_sqlite(path: str):
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(path + suffix).unlink(missing_ok=True)


def prepare_only(args):
    """Both sizes in DATABASE_URL's database, and a session per role, as JSON for bench/http_load.py."""
    configure(os.environ["DATABASE_URL"], args.media_root)
    from django.test import Client

    from accounts.models import User

    create_schema()
    out = []
    for _label, cases, experts, reviews, seed_value, year in SIZES:
        info = seed(cases=cases, experts=experts, reviews=reviews, seed=seed_value, year=year)
        for role in ("admin", "expert", "locality"):
            client = Client()
            client.force_login(User.objects.get(pk=info[role]))
            info[f"{role}_session"] = client.cookies["sessionid"].value
        out.append(info)
        print(f"seeded {cases} cases in {info['seconds']} s", file=sys.stderr)
    Path(args.out).write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default=DEFAULT_DB, help="SQLite file (recreated)")
    parser.add_argument("--media-root", default=DEFAULT_MEDIA)
    parser.add_argument("--prepare-only", action="store_true")
    parser.add_argument("--out", help="with --prepare-only: where to write the JSON")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    if args.prepare_only:
        if not args.out or "DATABASE_URL" not in os.environ:
            parser.error("--prepare-only needs --out and DATABASE_URL")
        prepare_only(args)
        return

    fresh_sqlite(args.database)
    os.environ.pop("REDIS_URL", None)  # local-memory cache, cleared before each count
    configure(f"sqlite:///{args.database}", args.media_root)
    started = time.perf_counter()
    create_schema()
    measured, infos = {}, []
    for label, cases, experts, reviews, seed_value, year in SIZES:
        info = seed(
            cases=cases, experts=experts, reviews=reviews, seed=seed_value, year=year, quiet=False
        )
        infos.append(info)
        print(f"seeded {cases} cases in {info['seconds']} s; measuring…", flush=True)
        # Everything is warm after the first size: a second warm-up of a page that takes
        # minutes at 5,000 cases would only double the run.
        measured[label] = measure(info, warm_up=not measured)
    total = time.perf_counter() - started

    small, large = (measured[s[0]] for s in SIZES)
    lines = [
        "| page | queries at 50 | queries at 5,000 | same? | ms at 50 | ms at 5,000 | KB at 5,000 |",
        "|---|---:|---:|---|---:|---:|---:|",
    ]
    grew = []
    bad_status = []
    for label in small:
        a, b = small[label], large[label]
        same = a["queries"] == b["queries"]
        if not same:
            grew.append((label, a["queries"], b["queries"]))
        for size, m in (("50", a), ("5000", b)):
            if m["status"] != 200:
                bad_status.append((label, size, m["status"]))
        lines.append(
            f"| {label} | {a['queries']} | {b['queries']} | {'yes' if same else '**NO**'} "
            f"| {a['ms']:.0f} | {b['ms']:.0f} | {b['bytes'] / 1024:,.0f} |"
        )
    table = "\n".join(lines)
    print(table)
    for label, size, status in bad_status:
        print(f"!! {label} at {size}: HTTP {status}")
    for label, a, b in grew:
        print(f"!! query count grows: {label}: {a} → {b}")

    scale = "; ".join(
        f"{i['cases']:,} cases (year {i['year']}): the expert has {i['expert_assignments']} "
        f"assignments, the locality's county has {i['locality_cases']} case(s)"
        for i in infos
    )
    notes = [
        f"`.venv/bin/python bench/queries.py`, run {time.strftime('%Y-%m-%d', time.gmtime())} — SQLite in "
        f"{args.database} (recreated), "
        "settings `config.settings.test` with DEBUG off, local-memory cache cleared before "
        "every counted request; django.test.Client with a fresh session (force_login) per "
        "counted request. Two campaigns from "
        "`seed_demo` (50 cases × 12 experts × 5 reviews, then 5,000 × 300 × 5), each made "
        "public in the bench database only; the 50-case figures are taken before the "
        f"5,000-case campaign exists. {scale}. Whole run {total:.0f} s.",
        "",
        "Times are one request in process (best of 3, cache cleared each time; a page over "
        "5 s is timed once) — indicative only; bench/http_load.py measures under load.",
        "",
        table,
    ]
    if grew:
        notes += ["", "**Query counts that grow with the data:** "]
        notes += [f"- {label}: {a} → {b}" for label, a, b in grew]
    else:
        notes += ["", "Every page issues the same number of queries at 50 and at 5,000 cases."]
    if bad_status:
        notes += [""] + [
            f"- {label} at {size}: HTTP {status}" for label, size, status in bad_status
        ]
    if not args.no_write:
        body = "## SQL queries per page (issue 10)\n\n" + "\n".join(notes)
        print(f"written to {write_section(SECTION, body)}")


if __name__ == "__main__":
    main()
