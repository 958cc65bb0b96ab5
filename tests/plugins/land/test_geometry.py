"""Plot polygons: refused when malformed or self-intersecting, geodesic area against the declared one, GeoJSON
import in one transaction, and the SVG map."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from sqlmodel import select

from cunwu.api import Actor
from cunwu_plugins.land import geometry, services
from cunwu_plugins.land.models import Plot
from cunwu_plugins.land.services import LandError

from .conftest import VILLAGE, contract

ACTOR = Actor.system("test-geo")
# about 60 m × 55.6 m near 38.4° N: 3336 m² ≈ 5.0 亩
SQUARE = [[115.8, 38.4], [115.8006897, 38.4], [115.8006897, 38.4005], [115.8, 38.4005], [115.8, 38.4]]


def _polygon(ring: list[list[float]]) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": [ring]}


@pytest.mark.parametrize(("geometry_value", "message"), [
    ({"type": "Point", "coordinates": [115.8, 38.4]}, "只接受 GeoJSON 的 Polygon"),
    (_polygon([[115.8, 38.4], [115.801, 38.4], [115.801, 38.401]]), "必须闭合"),
    (_polygon([[38.4, 115.8], [38.4, 115.801], [38.401, 115.801], [38.4, 115.8]]), "经度在前"),
    (_polygon([[115.8, 38.4], [115.801, 38.401], [115.801, 38.4], [115.8, 38.401], [115.8, 38.4]]), "自相交"),
    (_polygon([[115.8, 38.4], ["x", 38.4], [115.801, 38.401], [115.8, 38.4]]), "数字对"),
    ({"type": "Polygon", "coordinates": "nope"}, "格式不正确"),
])
def test_malformed_polygons_are_refused(geometry_value: Any, message: str) -> None:
    polygon, problem = geometry.parse_polygon(geometry_value)
    assert polygon is None and message in problem


def test_geodesic_area_in_mu() -> None:
    polygon, problem = geometry.parse_polygon(_polygon(SQUARE))
    assert problem is None
    assert abs(geometry.geodesic_mu(polygon) - Decimal("5.0")) < Decimal("0.05")


def test_attach_warns_over_the_tolerance_and_refuses_bad_shapes(site_factory: Any) -> None:
    site = site_factory(enabled=["land"], extra_toml="[plugins.land]\narea_tolerance = 0.02\n")
    land = contract(site, areas=("5", "4.5"))
    with site.db.transaction() as session:
        first = session.get(Plot, land.plot_ids[0])
        second = session.get(Plot, land.plot_ids[1])
        assert geometry.attach_polygon(session, site, ACTOR, first, _polygon(SQUARE)) is None
        warning = geometry.attach_polygon(session, site, ACTOR, second, _polygon(SQUARE))
        assert warning is not None and "相差超过 2%" in warning
        with pytest.raises(LandError, match="自相交"):
            geometry.attach_polygon(session, site, ACTOR, first, _polygon(
                [[115.8, 38.4], [115.801, 38.401], [115.801, 38.4], [115.8, 38.401], [115.8, 38.4]]))
    with site.db.read() as session:
        assert session.get(Plot, land.plot_ids[0]).measured_mu is not None


def test_geojson_import_is_all_or_nothing(site_factory: Any) -> None:
    site = site_factory(enabled=["land"])
    land = contract(site, areas=("5", "5"))
    good = {"type": "Feature", "properties": {"code": land.plot_codes[0]}, "geometry": _polygon(SQUARE)}
    bad = {"type": "Feature", "properties": {"code": land.plot_codes[1]}, "geometry": _polygon(SQUARE[:3])}
    missing = {"type": "Feature", "properties": {"code": f"{VILLAGE}0099999"}, "geometry": _polygon(SQUARE)}
    data = json.dumps({"type": "FeatureCollection", "features": [good, bad, missing]}).encode()
    report = geometry.import_geojson(site, ACTOR, "plots.geojson", data, commit=True)
    assert [(p.row, p.field) for p in report.problems] == [(2, "geometry"), (3, "properties.code")]
    with site.db.read() as session:
        assert session.get(Plot, land.plot_ids[0]).geometry is None
    data = json.dumps({"type": "FeatureCollection", "features": [good]}).encode()
    report = geometry.import_geojson(site, ACTOR, "plots.geojson", data, commit=True)
    assert report.problems == [] and report.rows == 1
    with site.db.read() as session:
        assert session.get(Plot, land.plot_ids[0]).geometry["type"] == "Polygon"
    assert geometry.import_geojson(site, ACTOR, "x.geojson", b"{not json", commit=True).problems[0].file == "x.geojson"


def test_svg_colours_plots_by_state(site_factory: Any) -> None:
    site = site_factory(enabled=["land"])
    land = contract(site, areas=("5",))
    with site.db.transaction() as session:
        plot = session.get(Plot, land.plot_ids[0])
        geometry.attach_polygon(session, site, ACTOR, plot, _polygon(SQUARE))
    with site.db.read() as session:
        plots = list(session.exec(select(Plot)).all())
        states = services.plot_states(session, VILLAGE)
    svg = str(geometry.village_svg(plots, states))
    assert svg.startswith("<svg") and 'data-state="contracted"' in svg and land.plot_codes[0] in svg
    assert str(geometry.village_svg(plots, {plots[0].id: "disputed"})).count(geometry.STATE_COLOURS["disputed"]) == 1


def test_serving_the_land_pages_does_not_load_the_geometry_libraries() -> None:
    """shapely (with numpy) and pyproj are loaded by the first polygon upload, not by every worker's start."""
    import subprocess
    import sys

    probe = ("import sys, cunwu.app, cunwu_plugins.land.plugin, cunwu_plugins.land.controllers, "
             "cunwu_plugins.land.geometry, cunwu_plugins.land.demo; "
             "print(sorted({'shapely', 'pyproj', 'numpy'} & set(sys.modules)))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
    polygon, problem = geometry.parse_polygon(_polygon(SQUARE))  # and a check still loads them when needed
    assert problem is None and polygon is not None
