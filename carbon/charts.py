"""Monthly trend and attribution charts as deterministic SVG (matplotlib, Noto Sans CJK SC for Chinese labels)."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from matplotlib.typing import RcKeyType

STYLE: dict[RcKeyType, Any] = {
    "font.sans-serif": ["Noto Sans CJK SC", "DejaVu Sans"],
    "font.family": "sans-serif",
    "axes.unicode_minus": False,  # the CJK font has no U+2212 glyph
    "svg.fonttype": "none",  # text stays text (searchable, and far fewer paths for WeasyPrint to draw)
    "svg.hashsalt": "zerocarbon",  # stable element ids: same report, same SVG bytes
    "font.size": 8,
}


def _svg(fig: Figure) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    text = buf.getvalue()
    return text[text.index("<svg"):]


def monthly_trend_svg(monthly: list[dict[str, Any]]) -> str:
    """Scope 2 by month, location- and market-based side by side (tCO2e), with generation on a second axis."""
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(7.0, 2.6))
        months = [m["month"] for m in monthly]
        x = range(len(months))
        loc = [(m["scope2_location_kgco2e"] or 0) / 1000 for m in monthly]
        mkt = [(m["scope2_market_kgco2e"] or 0) / 1000 for m in monthly]
        ax.bar([i - 0.2 for i in x], loc, width=0.4, label="基于位置 location-based", color="#4a7c59")
        ax.bar([i + 0.2 for i in x], mkt, width=0.4, label="基于市场 market-based", color="#9cc5a1")
        ax.set_ylabel("范围二 Scope 2 (tCO2e)")
        ax.set_xticks(list(x), months, rotation=45 if len(months) > 6 else 0)
        gen = ax.twinx()
        gen.plot(list(x), [((m["pv_kwh"] or 0) + (m["wind_kwh"] or 0)) / 1000 for m in monthly], color="#e0a100",
                 marker="o", label="光伏+风电 PV+wind (MWh)")
        gen.set_ylabel("发电 generation (MWh)")
        handles = ax.get_legend_handles_labels()[0] + gen.get_legend_handles_labels()[0]
        ax.legend(handles, [str(h.get_label()) for h in handles], loc="upper center", bbox_to_anchor=(0.5, -0.22),
                  ncol=3, fontsize=7, frameon=False)
        ax.set_title("月度趋势 Monthly trend")
        return _svg(fig)


def attribution_svg(subsystems: list[dict[str, Any]]) -> str:
    """Emissions by subsystem (location-based, tCO2e), largest first, Chinese and English names."""
    with plt.rc_context(STYLE):
        rows = subsystems[:17][::-1]
        fig, ax = plt.subplots(figsize=(7.0, 0.3 * max(len(rows), 3) + 0.6))
        ax.barh([f"{r['name_zh']} {r['name_en']}" for r in rows],
                [(r["emissions_location_kgco2e"] or 0) / 1000 for r in rows], color="#4a7c59")
        ax.set_xlabel("排放 emissions (tCO2e, location-based)")
        ax.set_title("分子系统排放 Emissions by subsystem")
        return _svg(fig)
