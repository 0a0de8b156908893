"""Request planning: fewest reads, bounded gaps, forbidden ranges, groups, SunSpec scale factors."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from collectors.planner import PlanLimits, plan_device, plan_reads
from models.resolve import register_points
from models.site import Site
from models.template import ModbusTemplate, RegisterPoint


def pt(name: str, address: int, type_: str = "uint16", **kw: object) -> RegisterPoint:
    return RegisterPoint(name=name, address=address, type=type_, **kw)  # type: ignore[arg-type]


def test_worked_example_from_the_docstring() -> None:
    points = [pt("a", 0, "float32"), pt("b", 2, "float32"), pt("c", 10), pt("d", 30), pt("e", 100, "uint32")]
    blocks = plan_reads(points, PlanLimits(125, 10, ((40, 64),)))
    # 0..3 and 10: gap of 6 registers (4..9) <= 10, one read 0+11; 30 is 19 after 11: new read 30+1;
    # 31..101 would cross [40, 64): new read 100+2.
    assert [(b.address, b.count) for b in blocks] == [(0, 11), (30, 1), (100, 2)]
    assert [p.name for p in blocks[0].points] == ["a", "b", "c"]


def test_gap_larger_than_max_gap_splits_and_register_types_never_mix() -> None:
    points = [pt("a", 0), pt("b", 12), pt("c", 1, register_type="input")]
    blocks = plan_reads(points, PlanLimits(125, 10, ()))
    # 12 - 1 = 11 unused registers > max_gap 10: two holding reads, plus one input read
    assert [(b.register_type, b.address, b.count) for b in blocks] == [
        ("holding", 0, 1), ("holding", 12, 1), ("input", 1, 1)
    ]


def test_reads_never_exceed_the_register_limit() -> None:
    points = [pt(f"p{i}", 2 * i, "float32") for i in range(100)]  # 200 contiguous registers
    blocks = plan_reads(points, PlanLimits(125, 10, ()))
    # 62 float32 = 124 registers fit in 125, the 63rd would make 126: 124 + 76
    assert [(b.address, b.count) for b in blocks] == [(0, 124), (124, 76)]


def test_energy_meter_template_plans_one_read_per_group(site: Site) -> None:
    template = site.templates["energy-meter"]
    assert isinstance(template, ModbusTemplate)
    plan = plan_device(register_points(template), PlanLimits.of(template))
    # default: 6 float32 at 0..11 -> one read 0+12; energy: two uint32 at 100..103 -> one read 100+4
    assert {g: [(b.address, b.count) for b in blocks] for g, blocks in plan.items()} == {
        "default": [(0, 12)], "energy": [(100, 4)]
    }


def test_storage_pcs_never_reads_its_setpoint_block(site: Site) -> None:
    template = site.templates["storage-pcs"]
    assert isinstance(template, ModbusTemplate)
    plan = plan_device(register_points(template), PlanLimits.of(template))
    for blocks in plan.values():
        for b in blocks:
            assert b.end <= 20 or b.address >= 30, b


def test_sunspec_scale_factors_are_read_in_the_same_cycle_as_their_values(site: Site) -> None:
    template = site.templates["sunspec-inverter"]
    assert isinstance(template, ModbusTemplate)
    points = register_points(template)
    plan = plan_device(points, PlanLimits.of(template))
    for blocks in plan.values():
        names = {p.name for b in blocks for p in b.points}
        for b in blocks:
            for p in b.points:
                if p.scale_factor:
                    assert p.scale_factor in names, (p.name, p.scale_factor)
    # model 103 is 50 registers + 2 header at 40070..40121; its points fit one read
    assert len(plan["default"]) == 1


def test_scale_factor_in_another_group_is_pulled_into_the_values_group() -> None:
    points = [pt("W", 10, "int16", scale_factor="W_SF"), pt("W_SF", 50, "int16", group="slow")]
    plan = plan_device(points, PlanLimits(125, 10, ()))
    assert [p.name for b in plan["default"] for p in b.points] == ["W", "W_SF"]


@given(
    st.lists(st.tuples(st.integers(0, 400), st.sampled_from(["uint16", "float32", "uint64"])), min_size=1,
             max_size=40, unique_by=lambda t: t[0]),
    st.integers(1, 125),
    st.integers(0, 20),
)
def test_every_point_is_covered_within_limits(spec: list[tuple[int, str]], max_regs: int, max_gap: int) -> None:
    forbidden = ((410, 420),)  # beyond every generated point (<= 400 + 4)
    points = [pt(f"p{a}", a, t) for a, t in spec]
    blocks = plan_reads(points, PlanLimits(max(max_regs, 4), max_gap, forbidden))
    covered = [p.name for b in blocks for p in b.points]
    assert sorted(covered) == sorted(p.name for p in points)
    for b in blocks:
        assert b.count <= max(max_regs, 4)
        assert all(b.address <= p.address and p.end <= b.end for p in b.points)
        assert not (b.address < 420 and 410 < b.end)
