"""The report model laid out as bilingual tables with units: what CSV, XLSX and PDF renderers share.

Ratios (0–1 in the JSON) are percentages in every table (unit ``%``), so no format prints "0.122 ratio"."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Column:
    key: str
    en: str
    zh: str
    unit: str = ""

    @property
    def shown_unit(self) -> str:
        return "%" if self.unit == "ratio" else self.unit

    @property
    def header(self) -> str:
        return f"{self.zh} {self.en}" + (f" ({self.shown_unit})" if self.shown_unit else "")


def shown(value: Any, unit: str) -> Any:
    """A ratio (0–1) as a percentage; everything else as it is."""
    if unit == "ratio" and isinstance(value, int | float) and not isinstance(value, bool):
        return value * 100.0
    return value


@dataclass(frozen=True)
class Table:
    id: str
    en: str
    zh: str
    columns: list[Column]
    rows: list[list[Any]]


def get(report: dict[str, Any], path: str) -> Any:
    value: Any = report
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


# (path in the report, English, 中文, unit)
SUMMARY = [
    ("summary.scope1_tco2e", "Scope 1 emissions", "范围一排放", "tCO2e"),
    ("summary.scope2_location_tco2e", "Scope 2 location-based", "范围二(基于位置)", "tCO2e"),
    ("summary.scope2_market_tco2e", "Scope 2 market-based", "范围二(基于市场)", "tCO2e"),
    ("summary.load_kwh", "Building electricity use", "建筑用电量", "kWh"),
    ("summary.generation_kwh", "On-site PV + wind generation", "光伏+风电发电量", "kWh"),
    ("summary.self_sufficiency_ratio", "Self-sufficiency", "自给率", "ratio"),
    ("summary.eui_period_kwh_per_m2", "Energy use intensity, period", "单位面积能耗(本期)", "kWh/m²"),
    ("summary.eui_kwh_per_m2_a", "Energy use intensity, annualised", "单位面积能耗(年化)", "kWh/(m²·a)"),
    ("summary.gbt51366_kgco2e_per_m2", "GB/T 51366 operational carbon per area, period", "运行碳排放强度(本期)",
     "kgCO2e/m²"),
    ("summary.gbt51366_annualised_kgco2e_per_m2_a", "GB/T 51366 operational carbon, annualised (y = 1)",
     "运行碳排放强度(年化, y=1)", "kgCO2e/(m²·a)"),
    ("summary.avoided_tco2e", "Avoided emissions vs baseline", "相对基线减排量", "tCO2e"),
    ("summary.budget_share_ytd", "Year-to-date share of carbon budget", "年度碳预算已用比例", "ratio"),
    ("summary.measured_share", "Measured share of intervals", "实测数据比例", "ratio"),
    ("summary.data_share", "Intervals with data (measured + estimated)", "有数据区间比例(实测+估算)", "ratio"),
    ("summary.coverage_below_threshold", "Below the coverage threshold", "低于数据覆盖阈值", ""),
]

STRATEGIES = [
    ("demand_reduction", "降碳需 Demand reduction", [
        ("baseline_kwh", "Baseline energy (adjusted)", "基线能耗(校正)", "kWh"),
        ("actual_kwh", "Actual energy", "实际能耗", "kWh"),
        ("avoided_energy_kwh", "Avoided energy", "节约能耗", "kWh"),
        ("avoided_tco2e", "Avoided emissions", "减排量", "tCO2e"),
        ("peak_demand.peak_kw", "Peak grid demand (hourly)", "电网最大需量(小时)", "kW"),
        ("peak_demand.peak_without_storage_kw", "Peak without storage", "无储能时最大需量", "kW"),
        ("peak_demand.reduction_kw", "Peak reduced by storage", "储能削峰", "kW"),
        # realised by the storage under the time-of-use tariff (planning.cost.storage_saving, `zerocarbon report`)
        ("storage_dispatch.saved_yuan", "Cost saved by storage (energy + demand)", "储能节省电费(电量+需量)", "yuan"),
        ("storage_dispatch.saved_tco2e", "Emissions changed by storage (+ avoided)", "储能减排量(正为减少)", "tCO2e"),
        ("storage_dispatch.tariff_note", "Tariff behind the storage cost rows", "储能电费所用电价", ""),
        ("status", "Status", "状态", ""),
    ]),
    ("efficiency", "提碳效 Efficiency", [
        ("eui_period_kwh_per_m2", "EUI, period", "单位面积能耗(本期)", "kWh/m²"),
        ("eui_kwh_per_m2_a", "EUI, annualised", "单位面积能耗(年化)", "kWh/(m²·a)"),
        ("carbon_intensity_location_period_kgco2e_per_m2", "Carbon intensity, location-based, period",
         "碳排放强度(基于位置, 本期)", "kgCO2e/m²"),
        ("carbon_intensity_location_kgco2e_per_m2_a", "Carbon intensity, location-based, annualised",
         "碳排放强度(基于位置, 年化)", "kgCO2e/(m²·a)"),
        ("carbon_intensity_market_kgco2e_per_m2_a", "Carbon intensity, market-based, annualised",
         "碳排放强度(基于市场, 年化)", "kgCO2e/(m²·a)"),
        ("annualisation", "Annualisation", "年化方法", ""),
        ("visitors", "Visitors served", "服务人次", "visitors"),
        ("energy_per_visitor_kwh", "Energy per visitor", "人均能耗", "kWh/visitor"),
        ("emissions_per_visitor_location_kgco2e", "Emissions per visitor", "人均碳排放", "kgCO2e/visitor"),
        ("chiller_plant_cop", "Chiller plant COP", "冷站能效比", "kWh_th/kWh_e"),
        ("pv_performance.performance_ratio", "PV performance ratio (IEC 61724-1)", "光伏系统效率PR", "ratio"),
        ("pv_performance.performance_ratio_temperature_corrected",
         "PV PR, temperature-corrected (IEC 61724-1: module temperature, 25 °C) — shown on the console",
         "光伏PR(温度修正, IEC 61724-1)", "ratio"),
        ("pv_performance.performance_ratio_weather_corrected_nrel",
         "PV PR, weather-corrected (NREL, Dierauf 2013: cell temperature, period mean reference)",
         "光伏PR(气象修正, NREL)", "ratio"),
        ("pv_performance.reference_cell_temperature_c", "NREL reference cell temperature", "NREL参考电池温度", "°C"),
        ("wind_capacity_factor", "Wind capacity factor (measured hours)", "风机容量系数(实测小时)", "ratio"),
        ("wind_measured_hours", "Wind hours with data", "风机有数据小时数", "h"),
    ]),
    ("offset", "碳抵消 Offset", [
        ("balance.pv_kwh", "PV generation", "光伏发电量", "kWh"),
        ("balance.wind_kwh", "Wind generation", "风电发电量", "kWh"),
        ("balance.export_kwh", "Exported to grid", "上网电量", "kWh"),
        ("balance.self_consumed_kwh", "Self-consumed renewable", "自发自用电量", "kWh"),
        ("self_consumption_ratio", "Self-consumption", "自用率", "ratio"),
        ("self_sufficiency_ratio", "Self-sufficiency", "自给率", "ratio"),
        ("on_site_share", "On-site renewable share", "现场可再生能源占比", "ratio"),
        ("total_share", "Renewable share incl. certificates", "可再生能源占比(含绿证)", "ratio"),
        ("avoided_emissions_tco2e", "Emissions avoided by on-site generation", "现场发电减排量", "tCO2e"),
        ("status", "Status", "状态", ""),
    ]),
    ("management", "碳管理 Management", [
        ("budget_tco2e", "Annual carbon budget", "年度碳预算", "tCO2e"),
        ("ytd_tco2e", "Year to date, recorded", "年初至今排放(实录)", "tCO2e"),
        ("coverage.data_share", "Year to date: intervals with data", "年初至今有数据比例", "ratio"),
        ("days_with_data", "Days with data", "有数据天数", "d"),
        ("days_missing", "Days without data to date", "缺数据天数", "d"),
        ("ytd_gap_filled_tco2e", "Year to date, days without data estimated", "年初至今(缺测日估算补齐)", "tCO2e"),
        ("budget_to_date_tco2e", "Budget to date (pro rata)", "预算进度值", "tCO2e"),
        ("ytd_share_of_budget", "YTD share of budget", "预算使用比例", "ratio"),
        ("forecast_tco2e", "Year-end forecast", "年末预测", "tCO2e"),
        ("forecast_low_tco2e", "Forecast, low", "预测下限", "tCO2e"),
        ("forecast_high_tco2e", "Forecast, high", "预测上限", "tCO2e"),
        ("forecast_vs_budget_tco2e", "Forecast minus budget", "预测与预算之差", "tCO2e"),
        ("forecast_method", "Forecast method", "预测方法", ""),
        ("forecast_note", "Forecast note", "预测说明", ""),
        ("coverage_below_threshold", "Below the coverage threshold", "低于数据覆盖阈值", ""),
    ]),
]

_C = Column
METRIC_COLUMNS = [_C("metric_zh", "Metric", "指标"), _C("metric_en", "Metric (English)", "指标(英文)"),
                  _C("value", "Value", "数值"), _C("unit", "Unit", "单位")]


def _metric_rows(report: dict[str, Any], spec: list[tuple[str, str, str, str]], prefix: str = "") -> list[list[Any]]:
    return [[zh, en, shown(get(report, prefix + path), unit), "%" if unit == "ratio" else unit]
            for path, en, zh, unit in spec]


def summary_table(report: dict[str, Any]) -> Table:
    return Table("summary", "Summary", "摘要", METRIC_COLUMNS, _metric_rows(report, SUMMARY))


def strategy_tables(report: dict[str, Any]) -> list[Table]:
    return [Table(key, title.split(" ", 1)[1], title.split(" ", 1)[0], METRIC_COLUMNS,
                  _metric_rows(report, spec, f"strategies.{key}.")) for key, title, spec in STRATEGIES]


def building_table(report: dict[str, Any]) -> Table:
    """Floor area, its basis, and every target of config/carbon.yaml beside the period's actual."""
    b = report["building"]
    rows = _metric_rows(b, BUILDING)
    for key, target in b["targets"].items():
        path, unit = TARGETS.get(key, ("", ""))
        actual = get(report, path) if path else None
        rows.append([f"目标 {key}", f"Target {key}", shown(target, unit), "%" if unit == "ratio" else unit])
        rows.append([f"实际 {key}", f"Actual {key}", shown(actual, unit), "%" if unit == "ratio" else unit])
    return Table("building", "Building, area basis and targets", "建筑、面积口径与目标", METRIC_COLUMNS, rows)


# target key in config/carbon.yaml -> (the report figure it is compared with, unit)
TARGETS = {"eui_kwh_per_m2_a": ("strategies.efficiency.eui_kwh_per_m2_a", "kWh/(m²·a)"),
           "renewable_share": ("strategies.offset.total_share", "ratio"),
           "carbon_intensity_kgco2e_per_m2_a": ("strategies.efficiency.carbon_intensity_location_kgco2e_per_m2_a",
                                                "kgCO2e/(m²·a)")}


def scope2_table(report: dict[str, Any]) -> Table:
    s2, s1 = report["scope2"], report["scope1"]
    rows = [["范围一 燃料", "Scope 1 fuels", s1["total_kgco2e"], "IPCC 2006"],
            ["范围二 基于位置", "Scope 2 location-based", s2["location_based_kgco2e"], s2["location_region"]],
            ["范围二 基于市场", "Scope 2 market-based", s2["market_based_kgco2e"],
             f"residual {s2['residual_region']}, certificates {s2['instrument_covered_kwh']:.0f} kWh"]]
    cols = [_C("method_zh", "Method", "方法"), _C("method_en", "Method (English)", "方法(英文)"),
            _C("emissions", "Emissions", "排放量", "kgCO2e"), _C("basis", "Factor basis", "因子依据")]
    return Table("scope2", "Emissions by scope, both Scope 2 methods", "分范围排放(范围二双口径)", cols, rows)


def _rows(records: list[dict[str, Any]], columns: list[Column]) -> list[list[Any]]:
    return [[shown(get(r, c.key), c.unit) for c in columns] for r in records]


MONTHLY = [_C("month", "Month", "月份"), _C("grid_import_kwh", "Grid import", "电网购电", "kWh"),
           _C("grid_export_kwh", "Export", "上网", "kWh"), _C("pv_kwh", "PV", "光伏", "kWh"),
           _C("wind_kwh", "Wind", "风电", "kWh"), _C("load_kwh", "Building use", "建筑用电", "kWh"),
           _C("scope2_location_kgco2e", "Scope 2 location-based", "范围二(位置)", "kgCO2e"),
           _C("scope2_market_kgco2e", "Scope 2 market-based", "范围二(市场)", "kgCO2e"),
           _C("measured_share", "Measured", "实测比例", "ratio"),
           _C("estimated_share", "Estimated", "估算比例", "ratio"), _C("gap_share", "Missing", "缺测比例", "ratio")]
SUBSYSTEMS = [_C("name_zh", "Subsystem", "子系统"), _C("name_en", "Subsystem (English)", "子系统(英文)"),
              _C("energy_kwh", "Energy", "用电量", "kWh"),
              _C("emissions_location_kgco2e", "Emissions, location-based", "排放(位置)", "kgCO2e"),
              _C("share", "Share of building load", "占建筑用电比例", "ratio"),
              _C("measured_share", "Measured", "实测比例", "ratio")]
SOURCES = [_C("name_zh", "Source", "能源来源"), _C("name_en", "Source (English)", "来源(英文)"),
           _C("energy_kwh", "Energy", "电量", "kWh"), _C("share_of_supply", "Share of supply", "供电占比", "ratio"),
           _C("emissions_location_kgco2e", "Emissions, location-based", "排放(位置)", "kgCO2e"),
           _C("measured_share", "Measured", "实测比例", "ratio")]
INSTRUMENTS = [_C("kind", "Kind", "类型"), _C("id", "Id", "编号"), _C("serial_from", "Serial from", "起始序列号"),
               _C("serial_to", "Serial to", "终止序列号"), _C("quantity", "Quantity", "数量", "GEC | kWh | tCO2e"),
               _C("vintage_start", "Vintage from", "生产/减排起"), _C("vintage_end", "Vintage to", "生产/减排止"),
               _C("status", "Status", "状态"), _C("claim_start", "Claim from", "声明消费期起"),
               _C("claim_end", "Claim to (excl.)", "声明消费期止(不含)"), _C("retired_on", "Retired on", "注销日期"),
               _C("applied_kwh", "Applied", "本期抵扣", "kWh"),
               _C("retired_in_period_tco2e", "Retired in period", "本期注销", "tCO2e"),
               _C("project", "Project", "项目"), _C("note", "Note", "说明")]
FACTORS = [_C("id", "Id", "编号"), _C("kind", "Kind", "类型"), _C("region", "Region", "区域"),
           _C("region_zh", "Region (中文)", "区域名称"), _C("value", "Value", "数值"), _C("unit", "Unit", "单位"),
           _C("data_year", "Data year", "数据年份"), _C("valid_from", "Valid from", "适用起"),
           _C("valid_to", "Valid to (excl.)", "适用止(不含)"), _C("status", "Status", "核实状态"),
           _C("document", "Document", "文件"), _C("source", "Source", "来源")]
QUALITY = [_C("month", "Month", "月份"), _C("role", "Role", "类别"), _C("intervals", "Intervals", "区间数"),
           _C("measured_share", "Measured", "实测", "ratio"), _C("estimated_share", "Estimated", "估算", "ratio"),
           _C("gap_share", "Gap", "缺测", "ratio")]
FLAGGED = [_C("start", "From", "起"), _C("end", "To (excl.)", "止(不含)"), _C("role", "Role", "类别"),
           _C("subsystem", "Subsystem", "子系统"), _C("quality", "Quality", "质量"),
           _C("intervals", "Intervals", "区间数"), _C("energy_kwh", "Energy", "电量", "kWh")]
GBT51366 = [_C("name_zh", "Energy type", "能源类型"), _C("name_en", "Energy type (English)", "能源类型(英文)"),
            _C("quantity", "Quantity", "数量"), _C("unit", "Unit", "单位"), _C("factor", "Factor", "因子"),
            _C("factor_unit", "Factor unit", "因子单位"), _C("emissions_kgco2e", "Emissions", "排放量", "kgCO2e")]
GBT51366_RESULT = [
    ("consumption_kwh", "Building electricity use E", "建筑用电量 E", "kWh"),
    ("renewable_subtracted_kwh", "Renewable energy used ER (subtracted)", "可再生能源利用量 ER", "kWh"),
    ("renewable_subtraction", "ER basis", "ER 口径", ""),
    ("total_kgco2e", "Σ E_i × EF_i − C_p, period", "本期碳排放量", "kgCO2e"),
    ("per_area_kgco2e_per_m2", "C_M, period", "本期单位面积碳排放", "kgCO2e/m²"),
    ("annualised_kgco2e_per_a", "Σ E_i × EF_i − C_p, annualised", "年化碳排放量", "kgCO2e/a"),
    ("annualised_per_area_kgco2e_per_m2_a", "C_M, annual form (y = 1), annualised", "年化单位面积碳排放(y=1)",
     "kgCO2e/(m²·a)"),
    ("annualisation", "Annualisation", "年化方法", ""),
    ("area_m2", "Floor area A", "建筑面积 A", "m²"),
    ("area_basis", "Area basis", "面积口径", ""),
    ("status", "Status", "状态", ""),
]
BUILDING = [("area_m2", "Floor area", "建筑面积", "m²"), ("area_basis", "Area basis", "面积口径", "")]
BASELINE = [("form", "Model form", "模型形式", ""), ("granularity", "Granularity", "时间粒度", ""),
            ("n", "Periods n", "样本数 n", ""), ("p", "Parameters p", "参数个数 p", ""),
            ("cv_rmse_pct", "CV(RMSE)", "CV(RMSE)", "%"), ("nmbe_pct", "NMBE", "NMBE", "%"),
            ("r_squared", "R²", "R²", ""), ("cv_rmse_max_pct", "CV(RMSE) limit", "CV(RMSE) 限值", "%"),
            ("nmbe_max_pct", "NMBE limit", "NMBE 限值", "%"), ("meets_criteria", "Meets G14 criteria", "满足G14", ""),
            ("sufficiency.sufficient", "Data sufficient", "数据充分", ""),
            ("coefficients.intercept", "Intercept b0", "截距 b0", "kWh/d"),
            ("coefficients.cdd", "CDD slope", "CDD 系数", "kWh/(°C·d)"),
            ("coefficients.visitors", "Visitors slope", "客流系数", "kWh/visitor"),
            ("coefficients.cooling_slope", "Cooling slope (3PC)", "制冷斜率(3PC)", "kWh/(d·°C)"),
            ("change_point_c", "Change point τ", "变化点 τ", "°C"), ("cdd_base_c", "CDD base", "CDD基准温度", "°C")]


def report_tables(report: dict[str, Any]) -> list[Table]:
    """Every table of a report, in reading order."""
    baseline = report["strategies"]["demand_reduction"].get("baseline") or {}
    electricity, ccer = report["instruments"]["electricity"], report["instruments"]["ccer"]
    repro = report["reproduce"]
    return [
        summary_table(report),
        building_table(report),
        scope2_table(report),
        Table("gbt51366_breakdown", "GB/T 51366 operational carbon by energy type", "GB/T 51366 分能源类型碳排放",
              GBT51366, _rows(report["gbt51366"].get("breakdown", []), GBT51366)),
        Table("gbt51366", "GB/T 51366-2019 operational carbon C_M", "GB/T 51366-2019 运行阶段碳排放", METRIC_COLUMNS,
              _metric_rows(report["gbt51366"], GBT51366_RESULT)),
        *strategy_tables(report),
        Table("baseline", "Baseline model statistics (ASHRAE Guideline 14)", "基线模型统计(ASHRAE G14)",
              METRIC_COLUMNS, _metric_rows(baseline, BASELINE)),
        Table("monthly", "Monthly trend", "月度趋势", MONTHLY, _rows(report["monthly"], MONTHLY)),
        Table("subsystems", "Attribution by subsystem", "分子系统排放", SUBSYSTEMS,
              _rows(report["subsystems"], SUBSYSTEMS)),
        Table("sources", "Energy by source", "分能源来源", SOURCES, _rows(report["sources"], SOURCES)),
        Table("instruments", "Certificates and credits (serials)", "绿证与CCER(序列号)", INSTRUMENTS,
              _rows(electricity + ccer, INSTRUMENTS)),
        Table("factors", "Emission factors used", "所用排放因子", FACTORS, _rows(report["factors"]["used"], FACTORS)),
        Table("data_quality", "Data completeness", "数据完整性", QUALITY,
              _rows(report["data_quality"]["by_month_and_role"], QUALITY)),
        Table("flagged_intervals", "Estimated and gap intervals", "估算与缺测区间", FLAGGED,
              _rows(report["data_quality"]["flagged_intervals"], FLAGGED)),
        Table("reproduce", "Reproduce this report", "复现方式", [_C("key", "Item", "项目"), _C("value", "Value", "值")],
              [[k, repro[k]] for k in sorted(repro)]),
    ]
