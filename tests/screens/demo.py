"""A small, readable demo set for screen and browser tests (the full demo has 5,000 orders)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sunmao import accounts
from sunmao.resources import app_path
from sunmao.runtime import Runtime

PASSWORD = "correct horse battery"  # noqa: S105 - test users only
ROLES = ("admin", "sales", "finance", "tech", "production", "warehouse", "manager")

CUSTOMERS = [
    ("宁波鑫达五金制品有限公司", "鑫达五金", "A", "13812345678", "浙江", "宁波", "net_30"),
    ("慈溪宏盛汽配有限公司", "宏盛汽配", "B", "0574-63821234", "浙江", "慈溪", "advance"),
    ("苏州恒通精密机械有限公司", "恒通精密", "A", "0512-66881234", "江苏", "苏州", "net_60"),
    ("东莞利丰模具有限公司", "利丰模具", "C", "13922334455", "广东", "东莞", "cod"),
    ("上海瑞安汽车零部件有限公司", "瑞安汽车", "B", "021-58761234", "上海", "上海", "net_30"),
]
PRODUCTS = [
    ("BLT-M8x30", "六角螺栓", "M8×30", "fastener", "45#钢 8.8级", "pc", "0.85", "0.52"),
    ("NUT-M8", "六角螺母", "M8", "fastener", "Q235", "pc", "0.12", "0.07"),
    ("HNG-100", "不锈钢合页", "100mm", "hardware", "304不锈钢", "pc", "6.50", "4.10"),
    ("BRK-2201", "制动卡钳支架", "BK-2201", "auto_part", "QT450-10", "pc", "128.00", "86.00"),
    ("FLG-DN50", "法兰盘", "DN50", "machining", "20#钢", "pc", "45.00", "30.00"),
    ("DC-ADC12-07", "铝压铸壳体", "H-07", "die_casting", "ADC12", "pc", "36.80", "24.00"),
]


def users(runtime: Runtime) -> dict[str, str]:
    """One user per role, named after the role (password ``PASSWORD``)."""
    names = {}
    for role in ROLES:
        accounts.create_user(runtime.db, role, PASSWORD, [role], display_name={
            "admin": "管理员", "sales": "王销售", "finance": "李财务", "tech": "张技术", "production": "赵生产",
            "warehouse": "孙仓库", "manager": "周经理"}[role])
        names[role] = role
    return names


def install(runtime: Runtime) -> None:
    runtime.install_app(app_path("order_management"))


def seed(runtime: Runtime, orders: int = 12, today: date | None = None) -> dict[str, list[dict[str, Any]]]:
    today = today or date.today()
    records = runtime.records()
    channel = records.create("channel", {"channel_code": "OFFLINE", "channel_name": "线下直销",
                                         "channel_type": "offline"})
    customers = [records.create("customer", {
        "company_name": c[0], "short_name": c[1], "phone": c[3], "province": c[4], "city": c[5],
        "payment_terms": c[6], "address": f"{c[4]}{c[5]}工业园区 {i + 8} 号", "sales_rep": "王销售",
        "credit_limit": "200000"}) for i, c in enumerate(CUSTOMERS)]
    products = [records.create("product", {
        "sku": p[0], "product_name": p[1], "spec": p[2], "category": p[3], "material": p[4], "unit": p[5],
        "price": p[6], "cost": p[7]}) for p in PRODUCTS]
    if "stock_level" in runtime.snapshot().entities:  # scan to ship deducts stock: start with plenty
        records.create_many("stock_move", [{"product": p["id"], "qty": "5000", "kind": "adjust",
                                            "note": "opening balance"} for p in products])
        records.create_many("stock_level", [{"product": p["id"]} for p in products])
    created = []
    for i in range(orders):
        customer = customers[i % len(customers)]
        lines = [{"product": products[(i + j) % len(products)]["id"], "qty": str((j + 1) * (100 if i % 2 else 20)),
                  "unit_price": products[(i + j) % len(products)]["price"], "unit": "pc"} for j in range(1 + i % 3)]
        created.append(records.create("order", {
            "customer": customer["id"], "channel": channel["id"] if i % 4 == 0 else None,
            "external_order_id": f"PO-{2026000 + i}" if i % 4 == 0 else None,
            "order_date": (today - timedelta(days=i)).isoformat(),
            "due_date": (today + timedelta(days=5 + 3 * i)).isoformat(),
            "priority": "urgent" if i % 5 == 0 else "normal", "remarks": "客户要求加急" if i % 5 == 0 else None,
            "payment_terms": customer["payment_terms"], "lines": lines}))
    return {"channels": [channel], "customers": customers, "products": products, "orders": created}
