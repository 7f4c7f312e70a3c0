"""The dashboard on the demo lender: the figures core holds, the charts, who may see it."""

from __future__ import annotations

import datetime as dt
import re

from admin.console.charts import bar_chart
from admin.console.dashboard import percent
from core.collections.reports import PortfolioAtRisk, portfolio_at_risk
from core.money import Money
from tests.channels.conftest import LiveApp, query
from tests.console.pages.conftest import SUPERVISOR, staff_client


def tile(page: str, name: str) -> str:
    found = re.search(rf'id="{name}"><span>[^<]*</span><b>([^<]*)</b>', page)
    assert found, name
    return found.group(1)


async def test_the_dashboard_shows_the_figures_core_holds(pages_app: LiveApp) -> None:
    as_of: dt.date = query(pages_app, "SELECT max(as_of) FROM delinquency_runs")

    async def par() -> PortfolioAtRisk:
        async with pages_app.app.state.session_factory() as session:
            return await portfolio_at_risk(session, as_of=as_of)
    book: PortfolioAtRisk = pages_app.run(par())
    async with staff_client(pages_app, SUPERVISOR) as client:
        answer = await client.get("/console/dashboard")
    assert answer.status_code == 200
    page = answer.text
    waiting = query(pages_app, "SELECT count(*) FROM escalations WHERE status = 'waiting'")
    today = query(pages_app, "SELECT count(*) FROM conversations "
                             "WHERE created_at >= date_trunc('day', now() AT TIME ZONE 'UTC') "
                             "AT TIME ZONE 'UTC'")
    referred = query(pages_app, "SELECT count(*) FROM applications WHERE status = 'referred'")
    assert tile(page, "escalations-waiting") == str(waiting)
    assert tile(page, "conversations-today") == str(today)
    assert tile(page, "referred") == str(referred)
    for line in book.buckets:
        row = f'id="bucket-{line.bucket.value}"><td>{line.bucket.value}</td>'
        amount = Money.of(line.principal_outstanding, book.currency)
        assert f'{row}<td class="num">{line.loans}</td><td class="num">{amount}</td>' in page
    assert page.count('<svg class="chart"') == 4
    assert "<script>" not in page and "style=" not in page


def test_bars_are_scaled_to_the_largest_and_labels_escaped() -> None:
    chart = str(bar_chart([("<b>", 10, "10"), ("half", 5, "5"), ("none", 0, "0")],
                          title="t", width=420))
    assert 'width="210" height="16"' in chart  # 420 - 120 label - 90 value = 210 for the max
    assert 'width="105" height="16"' in chart and 'width="0" height="16"' in chart
    assert "&lt;b&gt;" in chart and "<b>" not in chart
    assert percent(2, 3) == "67%" and percent(0, 0) == "—"
