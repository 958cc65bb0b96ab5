"""Plot polygons without a database (docs/domain.md §6.1 "Area"): what parse_polygon accepts at the edges of
CGCS2000 longitude/latitude and of the vertex limit, the geodesic area in 亩, the declared-area tolerance, and the
village map's drawing. The database side (attaching, importing) is in test_geometry.py."""

from __future__ import annotations

import math
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest

from cunwu.api import Actor
from cunwu_plugins.land import geometry
from cunwu_plugins.land.settings import LandSettings

D = Decimal
# about 60.25 m × 55.50 m near 38.4° N (pyproj's GRS80 distances): 3343.85 m² = 5.0158 亩
SQUARE = [[115.8, 38.4], [115.8006897, 38.4], [115.8006897, 38.4005], [115.8, 38.4005], [115.8, 38.4]]


def polygon(*rings: list[list[Any]]) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": list(rings)}


def box(west: float, south: float, east: float, north: float) -> list[list[float]]:
    return [[west, south], [east, south], [east, north], [west, north], [west, south]]


def refused(geometry_value: Any) -> str:
    shape, problem = geometry.parse_polygon(geometry_value)
    assert shape is None and problem
    return problem


def test_a_polygon_and_a_feature_holding_one_are_accepted():
    shape, problem = geometry.parse_polygon(polygon(SQUARE))
    assert problem is None and shape.bounds == (115.8, 38.4, 115.8006897, 38.4005)
    shape, problem = geometry.parse_polygon({"type": "Feature", "properties": {}, "geometry": polygon(SQUARE)})
    assert problem is None and shape.bounds == (115.8, 38.4, 115.8006897, 38.4005)


@pytest.mark.parametrize("value", [[115.8, 38.4], "Polygon", None, {"type": "Point", "coordinates": [115.8, 38.4]},
                                   {"type": "Feature", "geometry": {"type": "LineString", "coordinates": []}}])
def test_anything_but_a_polygon_is_refused(value):
    assert "只接受 GeoJSON 的 Polygon" in refused(value)


@pytest.mark.parametrize("coordinates", ["nope", [], [5]])
def test_coordinates_must_be_a_list_of_rings(coordinates):
    assert "多边形坐标格式不正确" in refused({"type": "Polygon", "coordinates": coordinates})


@pytest.mark.parametrize("bad", [["x", 38.4], [115.8, "x"], [115.8], [True, 38.4], [float("nan"), 38.4],
                                 [115.8, float("inf")], "115.8,38.4"])
def test_each_vertex_is_a_pair_of_finite_numbers(bad):
    ring = [[115.8, 38.4], bad, [115.801, 38.401], [115.8, 38.401], [115.8, 38.4]]
    assert "数字对" in refused(polygon(ring))


def test_a_height_after_longitude_and_latitude_is_allowed_and_not_compared():
    # GeoJSON may carry a height; the ring is closed when longitude and latitude repeat.
    ring = [[115.8, 38.4, 10.0], [115.801, 38.4, 11.0], [115.801, 38.401, 12.0], [115.8, 38.401, 11.5],
            [115.8, 38.4, 10.5]]
    shape, problem = geometry.parse_polygon(polygon(ring))
    assert problem is None and shape.bounds == (115.8, 38.4, 115.801, 38.401)


def test_a_height_that_is_not_a_number_is_refused():
    ring = [[115.8, 38.4, "x"], [115.801, 38.4], [115.801, 38.401], [115.8, 38.401], [115.8, 38.4]]
    assert "多边形坐标格式不正确" in refused(polygon(ring))


@pytest.mark.parametrize("ring", [box(72.0, 3.0, 72.001, 3.001), box(135.999, 53.999, 136.0, 54.0)])
def test_chinas_extent_includes_its_edges(ring):
    # CGCS2000 longitude 72–136° E, latitude 3–54° N: a vertex exactly on the edge is inside.
    assert geometry.parse_polygon(polygon(ring))[1] is None


@pytest.mark.parametrize("ring", [box(71.999, 30.0, 72.5, 30.5), box(135.5, 30.0, 136.001, 30.5),
                                  box(100.0, 2.999, 100.5, 3.5), box(100.0, 53.5, 100.5, 54.001)])
def test_one_coordinate_past_an_edge_is_refused(ring):
    assert "经度在前" in refused(polygon(ring))


def test_swapped_coordinates_are_refused():
    assert "经度在前" in refused(polygon([[y, x] for x, y in SQUARE]))


def test_a_ring_needs_four_points_and_must_close():
    triangle = [[115.8, 38.4], [115.801, 38.4], [115.8, 38.401], [115.8, 38.4]]
    assert geometry.parse_polygon(polygon(triangle))[1] is None  # 4 points: the smallest closed ring
    assert "至少 4 个点" in refused(polygon([[115.8, 38.4], [115.801, 38.401], [115.8, 38.4]]))
    open_ring = [*SQUARE[:-1], [115.8, 38.4001]]  # the last point differs from the first in latitude only
    assert "必须闭合" in refused(polygon(open_ring))
    open_ring = [*SQUARE[:-1], [115.8001, 38.4]]  # … in longitude only
    assert "必须闭合" in refused(polygon(open_ring))


def test_invalid_shapes_say_why():
    bow_tie = [[115.8, 38.4], [115.801, 38.401], [115.801, 38.4], [115.8, 38.401], [115.8, 38.4]]
    assert "自相交" in refused(polygon(bow_tie))
    hole_outside = [[115.9, 38.5], [115.901, 38.5], [115.901, 38.501], [115.9, 38.5]]
    problem = refused(polygon(SQUARE, hole_outside))
    assert "多边形无效" in problem and "自相交" not in problem


def test_one_square_degree_is_a_polygon_like_any_other():
    # the "area is zero" refusal compares the planar area with 0: a plot of exactly 1 square degree is accepted
    assert geometry.parse_polygon(polygon(box(100.0, 30.0, 101.0, 31.0)))[1] is None


def _circle(points: int) -> list[list[float]]:
    ring = [[115.8 + 0.001 * math.cos(2 * math.pi * i / points), 38.4 + 0.001 * math.sin(2 * math.pi * i / points)]
            for i in range(points)]
    return [*ring, ring[0]]


def test_at_most_five_thousand_vertices():
    assert geometry.parse_polygon(polygon(_circle(4999)))[1] is None  # 5000 with the closing point
    assert "顶点过多（不超过 5000 个）" in refused(polygon(_circle(5000)))


def test_geodesic_area_in_mu():
    shape, _problem = geometry.parse_polygon(polygon(SQUARE))
    assert geometry.geodesic_mu(shape) == D("5.0158")


def _site(tolerance: str) -> SimpleNamespace:
    return SimpleNamespace(settings=lambda plugin: LandSettings(area_tolerance=D(tolerance)))


@pytest.mark.parametrize(("declared", "measured", "warned"), [
    ("5", "5.25", False),       # 5 % off: at the tolerance
    ("5", "5.2501", True),      # just over
    ("5", "4.75", False),       # 5 % under
    ("5", "4.7499", True),
    ("0.5", "1", True),         # a small plot twice its declared area
    ("0", "1", False),          # nothing declared: nothing to compare
])
def test_area_warning_over_the_tolerance(declared, measured, warned):
    # docs/domain.md §6.1: the geodesic area is compared with the declared one (practice tolerance, here 5 %).
    warning = geometry.area_warning(_site("0.05"), D(declared), D(measured), "1309261002010000001")
    assert (warning is not None) is warned
    if warned:
        assert "1309261002010000001" in warning and "相差超过 5%" in warning


def test_a_zero_tolerance_warns_on_any_difference():
    assert geometry.area_warning(_site("0"), D("5"), D("5"), "x") is None
    assert geometry.area_warning(_site("0"), D("5"), D("5.0001"), "x") is not None


def test_an_unreadable_geojson_file_is_reported_without_touching_the_database():
    report = geometry.import_geojson(None, Actor.system("test"), "plots.geojson", b"{not json", commit=True)
    assert report.rows == 0 and [p.file for p in report.problems] == ["plots.geojson"]
    report = geometry.import_geojson(None, Actor.system("test"), "plots.geojson", b'{"type": "Feature"}', commit=True)
    assert report.rows == 0 and "FeatureCollection" in report.problems[0].message


def _plot(plot_id: int | None, ring: list[list[float]], code: str = "1309261002010000001") -> SimpleNamespace:
    return SimpleNamespace(id=plot_id, code=code, name="东大块", area_mu=D("5"), geometry=polygon(ring))


def test_the_village_map_fits_the_plots_in_a_thousand_unit_square():
    # One plot 0.001° × 0.001° at 38.4° N: longitudes are squeezed by cos(38.4005°) = 0.78369, the taller side fills
    # 980 units plus a 10-unit margin each side: 980 × 0.78369 + 20 = 788 wide, 1000 high.
    svg = str(geometry.village_svg([_plot(1, box(115.8, 38.4, 115.801, 38.401))], {1: "transferred"}))
    assert 'viewBox="0 0 788 1000"' in svg
    assert 'd="M10.0 990.0 L778.0 990.0 L778.0 10.0 L10.0 10.0 L10.0 990.0 Z"' in svg
    assert 'data-state="transferred"' in svg and "1309261002010000001 东大块 5.00 亩 · 已流转" in svg


def test_the_map_places_two_plots_side_by_side():
    # Two plots side by side: 0.002° × 0.78369 = 0.0015674° wide, 0.001° high, so the width fills 980 units and the
    # height is 980 × 0.001 / 0.0015674 = 625.25 (+ 20 margin = 645); the shared edge is at x = 10 + 490 = 500.
    west = _plot(1, box(115.8, 38.4, 115.801, 38.401))
    east = _plot(2, box(115.801, 38.4, 115.802, 38.401), code="1309261002010000002")
    svg = str(geometry.village_svg([west, east], {1: "contracted"}))
    assert 'viewBox="0 0 1000 645"' in svg
    assert 'd="M10.0 635.2 L500.0 635.2 L500.0 10.0 L10.0 10.0 L10.0 635.2 Z" fill="#b7d7a8"' in svg
    assert 'd="M500.0 635.2 L990.0 635.2 L990.0 10.0 L500.0 10.0 L500.0 635.2 Z" fill="#dddddd"' in svg


def test_an_unsaved_plot_is_drawn_free_and_no_polygon_draws_nothing():
    svg = str(geometry.village_svg([_plot(None, box(115.8, 38.4, 115.801, 38.401))], {1: "disputed"}))
    assert 'data-state="free"' in svg
    assert str(geometry.village_svg([SimpleNamespace(id=1, geometry=None)], {})) == ""


def test_the_map_draws_stored_json_text_exactly_as_the_parsed_polygon():
    """The map page reads each polygon as its stored JSON text (parsed and projected once per process): the SVG is
    the same as from the parsed polygons, again when drawn a second time, and JSON null is a plot without one."""
    import json

    plots = [_plot(1, box(115.8, 38.4, 115.801, 38.401)),
             _plot(2, box(115.801, 38.4, 115.802, 38.401), code="1309261002010000002")]
    stored = [SimpleNamespace(**{**vars(p), "geometry": json.dumps(p.geometry)}) for p in plots]
    stored.append(SimpleNamespace(id=3, code="1309261002010000003", name="x", area_mu=D("1"), geometry="null"))
    states = {1: "transferred", 2: "disputed"}
    expected = str(geometry.village_svg(plots, states))
    assert str(geometry.village_svg(stored, states)) == expected == str(geometry.village_svg(stored, states))
    assert expected.count("<path ") == 2 and 'data-state="disputed"' in expected
    moved = [stored[0], SimpleNamespace(**{**vars(stored[1]), "geometry": json.dumps(
        polygon(box(115.801, 38.4, 115.803, 38.401)))})]  # a wider neighbour: a new frame, every path redrawn
    # 0.003° × 0.78369 = 0.0023511° wide fills 980 units; 980 × 0.001 / 0.0023511 = 416.8 high (+ 20 = 437); the
    # first plot now ends a third of the way across: 10 + 980 / 3 = 336.7.
    redrawn = str(geometry.village_svg(moved, states))
    assert 'viewBox="0 0 1000 437"' in redrawn and 'd="M10.0 426.8 L336.7 426.8 L336.7 10.0' in redrawn
