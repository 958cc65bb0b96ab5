"""Plot polygons (GeoJSON, CGCS2000 longitude/latitude), their geodesic area, and the village map as inline SVG.

CGCS2000's ellipsoid (a = 6378137 m, f = 1/298.257222101) is GRS80's, so the area is computed on GRS80 with
pyproj.Geod; shapely checks the ring (closed, not self-intersecting). Both (with numpy under shapely) are imported
where a polygon is checked, not with the module: they cost ~25 MiB and ~0.5 s of every worker's start, and only an
upload of polygons needs them (the map below draws from the stored coordinates). The map needs no tiles and no map
server: the server draws the polygons into an SVG, in an equirectangular projection around the village's centre (at
village scale the distortion is far below what a person can see).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import cache, lru_cache, partial
from typing import TYPE_CHECKING, Any

from markupsafe import Markup, escape
from sqlmodel import Session, select

from cunwu.api import Actor, Problem, Site, _, audit

from .models import SQUARE_METRES_PER_MU, Plot
from .services import LandError, settings_of

if TYPE_CHECKING:
    from pyproj import Geod
    from shapely.geometry import Polygon

#: Where a CGCS2000 plot can be (China's extent, with a margin): anything else is a swapped or projected coordinate.
LON_RANGE = (72.0, 136.0)
LAT_RANGE = (3.0, 54.0)
MAX_VERTICES = 5000


def parse_polygon(geometry: Any) -> tuple[Polygon | None, str | None]:
    """The polygon of a GeoJSON Polygon geometry (or a Feature holding one), or the reason it is refused."""
    if isinstance(geometry, dict) and geometry.get("type") == "Feature":
        geometry = geometry.get("geometry")
    if not isinstance(geometry, dict) or geometry.get("type") != "Polygon":
        return None, _("只接受 GeoJSON 的 Polygon（多边形）")
    rings = geometry.get("coordinates")
    if not isinstance(rings, list) or not rings or not all(isinstance(r, list) for r in rings):
        return None, _("多边形坐标格式不正确")
    points = [p for ring in rings for p in ring]
    if len(points) > MAX_VERTICES:
        return None, _("多边形顶点过多（不超过 %(n)s 个）", n=MAX_VERTICES)
    for point in points:
        if (not isinstance(point, list) or len(point) < 2
                or not all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
                           for v in point[:2])):
            return None, _("多边形坐标必须是 [经度, 纬度] 数字对")
        lon, lat = point[0], point[1]
        if not (LON_RANGE[0] <= lon <= LON_RANGE[1] and LAT_RANGE[0] <= lat <= LAT_RANGE[1]):
            return None, _("坐标 [%(lon)s, %(lat)s] 不是 CGCS2000 经纬度（经度在前，纬度在后）", lon=lon, lat=lat)
    for ring in rings:
        if len(ring) < 4 or ring[0][:2] != ring[-1][:2]:
            return None, _("多边形的边界必须闭合（首尾坐标相同，至少 4 个点）")
    from shapely.geometry import shape
    from shapely.validation import explain_validity

    try:
        polygon = shape(geometry)
    except (ValueError, TypeError, AttributeError):
        return None, _("多边形坐标格式不正确")
    if not polygon.is_valid:
        reason = explain_validity(polygon)
        if "Self-intersection" in reason or "Ring Self-intersection" in reason:
            return None, _("多边形边界自相交，请检查顶点顺序")
        return None, _("多边形无效：%(reason)s", reason=reason)
    if polygon.area == 0:
        return None, _("多边形面积为零")
    return polygon, None


@cache
def _geod() -> Geod:
    from pyproj import Geod

    return Geod(ellps="GRS80")


def geodesic_mu(polygon: Polygon) -> Decimal:
    """The area on the ellipsoid, in 亩 (to 1/10000)."""
    area, _perimeter = _geod().geometry_area_perimeter(polygon)
    return (Decimal(repr(abs(area))) / SQUARE_METRES_PER_MU).quantize(Decimal("0.0001"), ROUND_HALF_UP)


def area_warning(site: Site, declared: Decimal, measured: Decimal, code: str) -> str | None:
    """A warning when the measured area is off the declared one by more than the site's tolerance."""
    tolerance = settings_of(site).area_tolerance
    if declared > 0 and abs(measured - declared) / declared > tolerance:
        return _("地块 %(code)s：图形面积 %(measured)s 亩与登记面积 %(declared)s 亩相差超过 %(pct)s%%",
                 code=code, measured=f"{measured:.2f}", declared=f"{declared:.2f}", pct=f"{tolerance * 100:.0f}")
    return None


def attach_polygon(session: Session, site: Site, actor: Actor, plot: Plot, geometry: Any) -> str | None:
    """Store a plot's polygon and measured area; returns the tolerance warning, if any."""
    polygon, problem = parse_polygon(geometry)
    if polygon is None:
        raise LandError(problem or "", [Problem(problem or "", field="geometry")])
    measured = geodesic_mu(polygon)
    clean = {"type": "Polygon", "coordinates": [[list(p[:2]) for p in ring] for ring in geometry_rings(geometry)]}
    audit.update(session, actor, plot, {"geometry": clean, "measured_mu": measured}, "land.plot.geometry")
    return area_warning(site, plot.area_mu, measured, plot.code)


def geometry_rings(geometry: dict[str, Any]) -> list[list[list[float]]]:
    if geometry.get("type") == "Feature":
        geometry = geometry["geometry"]
    return geometry["coordinates"]  # type: ignore[no-any-return]


@dataclass
class GeoReport:
    rows: int = 0
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def import_geojson(site: Site, actor: Actor, filename: str, data: bytes, *, commit: bool) -> GeoReport:
    """Attach polygons from a FeatureCollection whose features carry the plot code in `properties.code`.

    Every feature is checked first; with `commit` all are written in one transaction, and nothing is written when
    any feature has a problem.
    """
    report = GeoReport()
    try:
        collection = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        report.problems.append(Problem(_("不是有效的 GeoJSON 文件：%(error)s", error=str(exc)), file=filename))
        return report
    features = collection.get("features") if isinstance(collection, dict) else None
    if collection.get("type") != "FeatureCollection" or not isinstance(features, list):  # type: ignore[union-attr]
        report.problems.append(Problem(_("GeoJSON 文件必须是 FeatureCollection"), file=filename))
        return report
    with site.db.transaction() as session:
        codes = [str((f.get("properties") or {}).get("code", "")).strip() if isinstance(f, dict) else ""
                 for f in features]
        plots = {p.code: p for p in session.exec(select(Plot).where(Plot.code.in_(codes))).all()}  # type: ignore[attr-defined]
        checked = []
        for number, (feature, code) in enumerate(zip(features, codes, strict=True), start=1):
            plot = plots.get(code)
            if plot is None:
                report.problems.append(Problem(_("没有登记编码为“%(code)s”的地块", code=code), file=filename,
                                               row=number, field="properties.code"))
                continue
            polygon, problem = parse_polygon(feature)
            if polygon is None:
                report.problems.append(Problem(problem or "", file=filename, row=number, field="geometry"))
                continue
            checked.append((plot, feature))
            if (warning := area_warning(site, plot.area_mu, geodesic_mu(polygon), plot.code)) is not None:
                report.warnings.append(warning)
        report.rows = len(checked)
        if report.problems or not commit:
            session.rollback()
            return report
        for plot, feature in checked:
            attach_polygon(session, site, actor, plot, feature)
    return report


# --- the village map ---------------------------------------------------------------------------------------------

STATE_COLOURS = {"contracted": "#b7d7a8", "transferred": "#f6b26b", "disputed": "#e06666", "free": "#dddddd"}
VIEW = 1000


def state_label(state: str) -> str:
    return {"contracted": _("承包经营"), "transferred": _("已流转"), "disputed": _("有纠纷（冻结）"),
            "free": _("未承包")}.get(state, state)


#: Plots whose outline and drawn path are remembered per process (a few villages of 2,000 plots).
MAP_CACHE_PLOTS = 10_000
Rings = tuple[tuple[tuple[float, float], ...], ...]


def _outline(rings: Any) -> tuple[Rings, tuple[float, float, float, float]]:
    """The rings as (lon, lat) tuples and their box (west, east, south, north)."""
    outline = tuple(tuple((float(pt[0]), float(pt[1])) for pt in ring) for ring in rings)
    lons = [x for ring in outline for x, _y in ring]
    lats = [y for ring in outline for _x, y in ring]
    return outline, (min(lons), max(lons), min(lats), max(lats))


@lru_cache(maxsize=MAP_CACHE_PLOTS)
def _stored_outline(text: str) -> tuple[Rings, tuple[float, float, float, float]]:
    """`_outline` of a polygon as the database stores it (its JSON text): parsed once per process, not per page."""
    return _outline(geometry_rings(json.loads(text)))


def _draw(outline: Rings, west: float, north: float, squeeze: float, scale: float) -> str:
    return " ".join("M" + " L".join(f"{10 + (x - west) * squeeze * scale:.1f} {10 + (north - y) * scale:.1f}"
                                    for x, y in ring) + " Z" for ring in outline)


def _element(outline: Rings, frame: tuple[float, float, float, float], state: str, code: str, name: str,
             area: Decimal, label: str, mu: str) -> str:
    """One plot's `<path>`: its outline in the map's frame, its state's colour, a title with code, name and area
    (the stroke and fill rule, the same for every plot, are on the map's `<g>`)."""
    return (f'<path d="{_draw(outline, *frame)}" fill="{STATE_COLOURS[state]}" data-state="{state}"><title>'
            f'{escape(code)} {escape(name)} {area:.2f} {mu} · {label}</title></path>')


@lru_cache(maxsize=MAP_CACHE_PLOTS)
def _stored_element(text: str, frame: tuple[float, float, float, float], state: str, code: str, name: str,
                    area: Decimal, label: str, mu: str) -> str:
    """`_element` of a polygon stored as `text`: the same plot in the same frame and state (the village's plots
    unchanged) is the same string, so a map drawn again formats no coordinate."""
    return _element(_stored_outline(text)[0], frame, state, code, name, area, label, mu)


def village_svg(plots: Sequence[Any], states: dict[int, str]) -> Markup:
    """The plots with polygons drawn to fit a 1000-unit square, coloured by state, each with its code as a title.

    `plots`: rows with id, code, name, area_mu and geometry — a GeoJSON dict (Plot records), or the polygon's JSON
    text as stored (what the map page reads: parsed and projected once per process, keyed by that text)."""
    shapes = [(p, _stored_outline(p.geometry) if isinstance(p.geometry, str) else _outline(geometry_rings(p.geometry)))
              for p in plots if p.geometry and p.geometry != "null"]  # a plot without one: NULL, or JSON null
    if not shapes:
        return Markup("")
    west, east = min(b[0] for _p, (_o, b) in shapes), max(b[1] for _p, (_o, b) in shapes)
    south, north = min(b[2] for _p, (_o, b) in shapes), max(b[3] for _p, (_o, b) in shapes)
    squeeze = math.cos(math.radians((south + north) / 2))
    width = max((east - west) * squeeze, 1e-9)
    height = max(north - south, 1e-9)
    scale = (VIEW - 20) / max(width, height)
    out_w, out_h = width * scale + 20, height * scale + 20
    labels = {state: str(escape(state_label(state))) for state in STATE_COLOURS}  # translated once a map
    mu = str(escape(_("亩")))
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {out_w:.0f} {out_h:.0f}" class="land-map" '
             f'role="img" aria-labelledby="land-map-title"><title id="land-map-title">{escape(_("村地块图"))}</title>'
             '<g stroke="#333" stroke-width="1" fill-rule="evenodd">']
    frame = (west, north, squeeze, scale)
    for plot, (outline, _box) in shapes:
        state = states.get(plot.id or 0, "free")
        draw = partial(_stored_element, plot.geometry) if isinstance(plot.geometry, str) else partial(_element, outline)
        parts.append(draw(frame, state, plot.code, plot.name, plot.area_mu, labels[state], mu))
    parts.append("</g></svg>")
    return Markup("".join(parts))
