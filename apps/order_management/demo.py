"""Demo data for the order management app.

Seeds the books of an imagined East-China (Ningbo) maker of hardware and auto parts, so that
screens, reports and dashboards have something realistic to show:

- 5 sales channels (Alibaba.com, web shop, WeCom, agents, offline);
- 200 domestic customers in Zhejiang, Jiangsu, Shanghai, Anhui and Guangdong (company names,
  districts and streets, 18-character unified social credit codes with valid check digits,
  mobiles and landlines) and 15 overseas buyers from Alibaba.com who pay in USD;
- 1–2 contacts per customer;
- about 300 products (fasteners, hinges, stampings, die castings, machined and auto parts)
  with specifications, materials, prices, costs and, for about 15 %, special processes;
- 5,000 sales orders over the six months before ``ctx.today``, with 1–6 lines each, imported
  as history in the lifecycle state their age implies. A fifth of the customers (the
  key-account tier) place about 70 % of the orders; about 8 % are urgent;
- one receivable per shipped order, paid as each tier's habits go (the customer score,
  and so the A/B/C grade, is computed from these and the orders);
- the bank receipts of the advance-paid and fully paid orders (closed credit orders only for
  the last 90 days), matched to them (the advance and
  ship gates and each order's paid amount follow from these allocations), a few receipts nobody
  has matched yet, and a few uncertain matches waiting in finance's review queue;
- daily exchange rates (working days) of USD, EUR, JPY and HKD against the yuan over the same
  months, which foreign-currency orders convert at;
- the opening stock of every product as one stock movement each (on hand is the sum of the
  movements), and its stock level in the main warehouse.

Everything random comes from ``ctx.random`` and every date from ``ctx.today``, so one seed
gives the same data on every machine.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from decimal import ROUND_HALF_UP, Decimal
from itertools import accumulate
from typing import Any

from sunmao.records import SYSTEM as _SYSTEM

#: ``sunmao demo --scale order=1000000``: orders are copied with their customers, contacts,
#: payments and feedback, so a million orders keep the demo's proportions (about 23 per customer).
SCALE_WITH = {"order": ("customer", "contact", "payment", "survey")}
BATCH = 2500  # big batches: each batch refreshes the touched customers once
N_DOMESTIC, N_ORDERS, HISTORY_DAYS = 200, 5000, 183
USD_RATE = Decimal("7.10")  # the base of the demo's USD series (see _rates)
#: currency → (base rate in CNY, amplitude, period in days, decimals): a smooth made-up series
RATE_SERIES = {"USD": (7.10, 0.06, 37, 4), "EUR": (7.72, 0.11, 29, 4), "JPY": (0.0478, 0.0012, 23, 6),
               "HKD": (0.9105, 0.0078, 37, 4)}
CENT = Decimal("0.01")

# key, code, name, type
CHANNELS = [
    ("alibaba", "ALIBABA", "阿里巴巴国际站", "alibaba"),
    ("web_shop", "WEB_SHOP", "官网商城", "web_shop"),  # the code the web-shop channel looks up
    ("wecom", "WECOM", "企业微信", "wecom"),
    ("agent", "AGENT", "代理商渠道", "agent"),
    ("offline", "OFFLINE", "线下直销", "offline"),
]
DOMESTIC_SOURCES = {"offline": 40, "agent": 20, "wecom": 22, "web_shop": 18}

# province, city, landline area code, weight, "district:administrative division code ..."
REGIONS = [
    ("浙江省", "宁波市", "0574", 16,
     "北仑区:330206 鄞州区:330212 镇海区:330211 慈溪市:330282 余姚市:330281 宁海县:330226"),
    ("浙江省", "杭州市", "0571", 6, "萧山区:330109 余杭区:330110 富阳区:330111 临平区:330113"),
    ("浙江省", "温州市", "0577", 6, "龙湾区:330303 瓯海区:330304 瑞安市:330381 乐清市:330382"),
    ("浙江省", "台州市", "0576", 6, "黄岩区:331003 路桥区:331004 温岭市:331081 玉环市:331083"),
    ("浙江省", "金华市", "0579", 5, "永康市:330784 义乌市:330782 武义县:330723"),
    ("浙江省", "嘉兴市", "0573", 4, "海盐县:330424 平湖市:330482 嘉善县:330421"),
    ("江苏省", "苏州市", "0512", 10,
     "吴中区:320506 相城区:320507 吴江区:320509 昆山市:320583 太仓市:320585 张家港市:320582"),
    ("江苏省", "无锡市", "0510", 5, "惠山区:320206 新吴区:320214 江阴市:320281"),
    ("江苏省", "常州市", "0519", 5, "武进区:320412 新北区:320411 金坛区:320413"),
    ("江苏省", "南通市", "0513", 3, "通州区:320612 海门区:320614 启东市:320681"),
    ("上海市", "上海市", "021", 9,
     "嘉定区:310114 松江区:310117 青浦区:310118 奉贤区:310120 宝山区:310113 闵行区:310112"),
    ("安徽省", "合肥市", "0551", 4, "肥西县:340123 肥东县:340122 包河区:340111"),
    ("安徽省", "芜湖市", "0553", 3, "鸠江区:340207 湾沚区:340210 繁昌区:340212"),
    ("广东省", "东莞市", "0769", 5, "长安镇:441900 塘厦镇:441900 虎门镇:441900"),
    ("广东省", "佛山市", "0757", 4, "顺德区:440606 南海区:440605 三水区:440607"),
    ("广东省", "深圳市", "0755", 3, "宝安区:440306 龙岗区:440307 光明区:440311"),
    ("广东省", "广州市", "020", 2, "番禺区:440113 花都区:440114 增城区:440118"),
]
STREETS = """兴业路 工业大道 科技路 创业路 发展大道 长江路 黄河路 东环路 新华路 建设路 园区一路 滨海四路
金山路 环城北路 机电工业园园区路 五金城大道 汽配城大道 纬二路 经三路 创新大道 开发区东区路
民营工业园新港路 富民路 迎宾大道""".split()
ADDRESS_SUFFIXES = ["", "", "", "1号厂房", "2号厂房", "A栋", "B栋3楼", "3号楼"]

# brand (2 characters):pinyin, the pinyin is used in e-mail addresses
BRANDS = [b.split(":") for b in """
鑫达:xinda 恒瑞:hengrui 宏昌:hongchang 永固:yonggu 金盛:jinsheng 华力:huali 精工:jinggong
立信:lixin 东升:dongsheng 诚达:chengda 远航:yuanhang 凯美:kaimei 博远:boyuan 天成:tiancheng
瑞丰:ruifeng 中联:zhonglian 新宇:xinyu 振华:zhenhua 金鹰:jinying 海天:haitian 亚泰:yatai
力拓:lituo 万通:wantong 国泰:guotai 明辉:minghui 广源:guangyuan 恒通:hengtong 腾飞:tengfei
盛达:shengda 兴旺:xingwang 鼎力:dingli 众鑫:zhongxin 佳乐:jiale 汇丰:huifeng 正泰:zhengtai
长城:changcheng 金马:jinma 银河:yinhe 华东:huadong 荣昌:rongchang 嘉诚:jiacheng 德力:deli
福瑞:furui 通达:tongda 永盛:yongsheng 锦华:jinhua 宏达:hongda 昌盛:changsheng 双林:shuanglin
""".split()]
# industry word in the company name, its short form, the product categories such a company buys
INDUSTRIES = [
    ("五金制品", "五金", ["hardware", "fastener", "stamping"]),
    ("汽车零部件", "汽配", ["auto_part", "stamping", "die_casting", "machining"]),
    ("汽车配件", "汽配", ["auto_part", "stamping", "fastener"]),
    ("机械制造", "机械", ["machining", "fastener", "die_casting"]),
    ("精密机械", "精密", ["machining", "die_casting"]),
    ("金属制品", "金属", ["stamping", "hardware", "fastener"]),
    ("机电设备", "机电", ["machining", "fastener", "die_casting"]),
    ("紧固件", "紧固件", ["fastener"]),
    ("工贸", "工贸", ["fastener", "hardware", "stamping", "auto_part"]),
    ("实业", "实业", ["hardware", "machining", "fastener"]),
    ("电器", "电器", ["die_casting", "stamping", "fastener"]),
    ("门业", "门业", ["hardware", "fastener"]),
    ("家居用品", "家居", ["hardware", "die_casting"]),
    ("车辆配件", "车配", ["auto_part", "machining", "stamping"]),
    ("传动科技", "传动", ["machining", "auto_part"]),
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余叶程魏苏吕丁沈"
GIVEN_NAMES = """伟 芳 娜 敏 静 丽 强 磊 军 洋 勇 艳 杰 涛 明 超 斌 浩 婷 鹏 秀英 建华 建国 海燕 晓东 志强
丽娟 文杰 雪梅 国庆 春燕 俊峰 晓燕 海波 建平 玉兰 立新 永刚 佳怡 子涵 梦婷 宇航""".split()
BUYER_TITLES = ["采购经理", "采购员"]
CONTACT_TITLES = BUYER_TITLES * 2 + "总经理 副总经理 质量主管 仓库主管 技术工程师 财务 采购总监 老板".split()
SALES_REPS = ["王建国", "李娜", "张伟", "陈静", "刘洋", "周婷"]
EXPORT_REP = "赵莉莉"
CUSTOMER_REMARKS = """年度框架合同客户 开票需备注订单号 要求随货附材质证明 只接受顺丰或德邦物流 节前需提前备货
对账日为每月25日 包装需贴客户标签 新客户，首单款到发货""".split()
ORDER_REMARKS = """月底前必须发货 随货附送货单一式两份 开13%增值税专用发票 可分批发货 客户自提
物流：德邦快递 包装需贴客户标签 请附出厂检验报告""".split()
LINE_REMARKS = ["需提供材质证明", "包装：纸箱+托盘", "按客户图纸 Rev.B", "按样品", "表面不得有划伤"]
EXPORT_REMARKS = ["T/T 30% 定金，70% 见提单副本", "T/T 100% 发货前付清", "信用证 L/C at sight"]

# company | country | state or region | city | address | phone
OVERSEAS = [
    ("Midwest Fastener Supply LLC", "United States", "Illinois", "Chicago", "2150 W Carroll Ave",
     "+1 312 555 0147"),
    ("Pacific Auto Parts Distributors Inc.", "United States", "California", "Los Angeles", "1820 E 7th St",
     "+1 213 555 0182"),
    ("Lone Star Industrial Hardware Co.", "United States", "Texas", "Houston", "8400 Westpark Dr",
     "+1 713 555 0136"),
    ("Great Lakes Stamping Corp.", "United States", "Michigan", "Detroit", "6600 E Nevada St",
     "+1 313 555 0119"),
    ("Maple Leaf Hardware Ltd.", "Canada", "Ontario", "Toronto", "88 Industry St",
     "+1 416 555 0173"),
    ("Rhein Industriebedarf GmbH", "Germany", "Nordrhein-Westfalen", "Düsseldorf", "Kölner Str. 214",
     "+49 211 5550 1842"),
    ("Bavaria Autoteile GmbH", "Germany", "Bayern", "Nürnberg", "Donaustr. 41",
     "+49 911 5550 2276"),
    ("Brescia Componenti S.r.l.", "Italy", "Lombardia", "Brescia", "Via Industriale 18",
     "+39 030 555 0194"),
    ("Midlands Fixings Ltd", "United Kingdom", "West Midlands", "Birmingham", "Unit 7, Tyseley Ind. Estate",
     "+44 121 555 0128"),
    ("Nordic Marine Hardware AB", "Sweden", "Västra Götaland", "Gothenburg", "Hamnvägen 12",
     "+46 31 555 0163"),
    ("Andes Autopartes S.A.C.", "Peru", "Lima", "Lima", "Av. Argentina 3250",
     "+51 1 555 0187"),
    ("Monterrey Refacciones S.A. de C.V.", "Mexico", "Nuevo León", "Monterrey", "Av. Ruiz Cortines 145",
     "+52 81 5550 1932"),
    ("Gulf Industrial Trading LLC", "United Arab Emirates", "Dubai", "Dubai", "Warehouse 14, Al Quoz 3",
     "+971 4 555 0148"),
    ("Southern Cross Auto Spares Pty Ltd", "Australia", "Victoria", "Melbourne", "25 Dandenong Rd",
     "+61 3 5550 1276"),
    ("Saigon Precision Parts Co., Ltd.", "Vietnam", "Ho Chi Minh City", "Ho Chi Minh City",
     "112 Tan Thuan Rd, District 7", "+84 28 5550 1364"),
]
FIRST_NAMES = "Michael David Sarah James Laura Thomas Anna Marco Carlos Emily Peter Sofia Daniel".split()
LAST_NAMES = "Miller Brown Wilson Schneider Fischer Rossi Garcia Taylor Andersson Lopez Nguyen Clarke".split()
OVERSEAS_TITLES = ["Purchasing Manager", "Sourcing Specialist", "Procurement Director", "Owner", "Buyer"]

# Products: name, SKU prefix, category, unit, materials, specifications (smallest first, "|" between),
# price range in CNY, unit weight range in kg, possible special processes, lead time days, how many.
BOLTS = "|".join(f"M{d}×{n}" for d in (6, 8, 10, 12, 16, 20) for n in (20, 30, 40, 50, 60, 80))
SCREWS = "|".join(f"M{d}×{n}" for d in (4, 5, 6, 8, 10, 12) for n in (10, 16, 25, 40))
PRODUCTS = [
    ("六角螺栓", "BLT", "fastener", "pc", "45#钢 8.8级|35K 8.8级|304不锈钢|40Cr 10.9级", BOLTS,
     (0.5, 8), (0.008, 0.3), "zinc_plating heat_treatment", (5, 12), 30),
    ("法兰螺母", "NUT", "fastener", "pc", "45#钢 8级|35K 8级|304不锈钢", "M6|M8|M10|M12|M14|M16",
     (0.5, 3), (0.005, 0.05), "zinc_plating", (5, 10), 12),
    ("内六角圆柱头螺钉", "SCR", "fastener", "pc", "12.9级合金钢|304不锈钢", SCREWS,
     (0.5, 4), (0.003, 0.1), "zinc_plating", (5, 10), 16),
    ("平垫圈", "WSH", "fastener", "kg", "Q235|304不锈钢", "M6|M8|M10|M12|M16|M20",
     (9, 38), (1, 1), "zinc_plating", (3, 7), 8),
    ("弹簧垫圈", "SWS", "fastener", "kg", "65Mn", "M6|M8|M10|M12|M16",
     (12, 30), (1, 1), "heat_treatment", (3, 7), 4),
    ("膨胀螺栓", "EXP", "fastener", "set", "碳钢|304不锈钢", "M8×80|M10×100|M12×120|M14×150|M16×150",
     (0.8, 9), (0.05, 0.35), "zinc_plating", (5, 10), 8),
    ("不锈钢合页", "HNG", "hardware", "ea", "201不锈钢|304不锈钢",
     "3寸 75×50×2.0mm|4寸 100×75×2.5mm|4寸 100×75×3.0mm|5寸 125×75×3.0mm|6寸 150×100×3.0mm",
     (3, 28), (0.08, 0.45), "", (7, 15), 10),
    ("三节抽屉滑轨", "SLD", "hardware", "set", "冷轧钢 SPCC|201不锈钢",
     "250mm|300mm|350mm|400mm|450mm|500mm|550mm",
     (8, 45), (0.5, 1.6), "zinc_plating powder_coating", (7, 15), 12),
    ("柜门拉手", "HDL", "hardware", "ea", "锌合金 ZAMAK3|304不锈钢|6063铝合金",
     "孔距96mm|孔距128mm|孔距160mm|孔距192mm|孔距224mm",
     (4, 35), (0.05, 0.3), "powder_coating", (7, 12), 12),
    ("不锈钢链条", "CHN", "hardware", "m", "304不锈钢|316不锈钢", "Φ3mm|Φ4mm|Φ5mm|Φ6mm|Φ8mm",
     (4, 30), (0.15, 1.2), "", (5, 10), 8),
    ("钢丝绳", "WRP", "hardware", "m", "镀锌钢丝|304不锈钢", "Φ3mm 7×7|Φ5mm 7×19|Φ6mm 7×19|Φ8mm 6×19",
     (1.5, 12), (0.04, 0.25), "", (5, 10), 6),
    ("6063铝型材", "ALP", "hardware", "m", "6063-T5 本色氧化|6063-T5 黑色氧化",
     "2020|3030|4040|4080|4590|6060",
     (8, 85), (0.5, 3.8), "", (7, 15), 10),
    ("家用五金工具套装", "TLS", "hardware", "set", "铬钒钢 CR-V", "12件套|25件套|46件套|82件套",
     (45, 380), (0.8, 6.5), "", (10, 20), 4),
    ("冲压支架", "STP", "stamping", "pc", "SPCC|Q235|DC01|Q345",
     "L型 60×40×2.0mm|U型 80×50×2.5mm|Z型 100×40×3.0mm|加强板 200×80×2.0mm|座椅滑轨支架 2.0mm"
     "|排气管吊架 3.0mm|电池托架 1.5mm",
     (1, 30), (0.03, 0.8), "zinc_plating electrophoresis custom_tooling", (7, 20), 24),
    ("冲压垫片", "GSK", "stamping", "pc", "08F|Q235|65Mn",
     "Φ20×Φ8.5×1.5|Φ24×Φ10.5×2|Φ30×Φ13×2|Φ37×Φ17×3|Φ44×Φ21×4",
     (0.5, 2.5), (0.003, 0.04), "zinc_plating", (5, 10), 10),
    ("铝压铸壳体", "DCS", "die_casting", "pc", "ADC12|A380|AlSi10Mg",
     "LED灯壳 50W|电机端盖 Φ120|水泵壳体 DN40|控制器壳体 180×120×45|齿轮箱盖 220×160|新能源电驱壳体 320×260",
     (30, 800), (0.3, 6.5), "powder_coating custom_tooling", (15, 30), 14),
    ("锌合金压铸件", "ZDC", "die_casting", "pc", "ZAMAK3|ZAMAK5", "卫浴旋钮 Φ40|拉手底座|门锁面板|装饰扣件",
     (2, 25), (0.03, 0.3), "powder_coating", (10, 20), 6),
    ("刹车片支架", "BKT", "auto_part", "pc", "QT450-10 球墨铸铁|QT500-7 球墨铸铁",
     "适用大众朗逸 前轮左|适用大众朗逸 前轮右|适用丰田卡罗拉 前轮|适用本田思域 后轮|适用吉利帝豪 前轮"
     "|适用比亚迪秦 前轮|适用长安CS75 后轮",
     (25, 95), (0.8, 2.5), "electrophoresis heat_treatment", (10, 20), 12),
    ("转向节", "KNK", "auto_part", "pc", "40Cr|QT450-10 球墨铸铁",
     "适用五菱宏光 左|适用五菱宏光 右|适用江淮瑞风 左|适用江淮瑞风 右|适用长城风骏 左",
     (150, 600), (3.5, 9), "heat_treatment", (15, 30), 8),
    ("发动机悬置支架", "EMB", "auto_part", "pc", "Q345|ADC12",
     "适用哈弗H6|适用大众速腾|适用日产轩逸|适用长城风骏",
     (45, 260), (0.6, 3.2), "electrophoresis powder_coating", (12, 25), 8),
    ("排气管卡箍", "CLP", "auto_part", "pc", "304不锈钢|镀锌钢", "Φ45|Φ51|Φ57|Φ63|Φ76",
     (3, 18), (0.05, 0.2), "", (5, 10), 10),
    ("汽车门铰链", "DHG", "auto_part", "pc", "Q235|45#钢",
     "前门上铰链 适用比亚迪F3|前门下铰链 适用比亚迪F3|后门上铰链 适用比亚迪F3|前门上铰链 适用五菱之光",
     (12, 45), (0.3, 0.9), "electrophoresis", (10, 18), 8),
    ("减震器支架", "SHK", "auto_part", "pc", "Q345|SAPH440", "前减震支架 左|前减震支架 右|后减震支架",
     (18, 75), (0.4, 1.5), "electrophoresis", (10, 18), 6),
    ("齿轮轴", "SFT", "machining", "pc", "40Cr|20CrMnTi|42CrMo",
     "m2 z18 L=160|m2.5 z20 L=200|m3 z17 L=245|m4 z22 L=310",
     (60, 350), (0.6, 4.5), "heat_treatment", (12, 25), 10),
    ("法兰盘", "FLG", "machining", "pc", "Q235|304不锈钢|45#钢",
     "DN25 PN16|DN32 PN16|DN40 PN16|DN50 PN16|DN65 PN16|DN80 PN16|DN100 PN16",
     (15, 220), (0.8, 8), "zinc_plating", (7, 15), 14),
    ("轴承座", "BRG", "machining", "pc", "HT200 灰铸铁|QT450-10 球墨铸铁",
     "UCP204|UCP205|UCP206|UCF205|UCF207|UCP208|UCP210",
     (18, 120), (0.6, 3.5), "powder_coating", (7, 15), 10),
    ("铜衬套", "BSH", "machining", "pc", "H62黄铜|QSn6.5-0.1 锡青铜",
     "Φ10×Φ14×12|Φ16×Φ20×16|Φ20×Φ26×20|Φ25×Φ32×25|Φ30×Φ38×30",
     (2, 35), (0.006, 0.12), "", (7, 12), 8),
    ("液压油管接头", "FIT", "machining", "pc", "45#钢|H59黄铜|304不锈钢",
     "M12×1.5 直通|M14×1.5 弯头|M16×1.5 三通|1/4\" NPT 直通|3/8\" NPT 弯头",
     (2, 28), (0.02, 0.2), "zinc_plating", (7, 12), 12),
    ("压缩弹簧", "SPR", "machining", "pc", "65Mn|304不锈钢|SWP-B 琴钢丝",
     "线径1.0 外径8 L=25|线径1.5 外径12 L=40|线径2.0 外径16 L=50|线径3.0 外径25 L=80",
     (0.5, 6), (0.002, 0.06), "heat_treatment", (5, 12), 10),
]
MATERIAL_PRICE = {"304不锈钢": 1.5, "316不锈钢": 1.9, "40Cr 10.9级": 1.3, "12.9级合金钢": 1.2, "42CrMo": 1.2,
                  "QSn6.5-0.1 锡青铜": 1.4, "A380": 1.1, "AlSi10Mg": 1.2, "20CrMnTi": 1.1}
PROCESS_SHARE = 0.20  # of products whose kind allows a special process; about 15 % of all products

USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
MOBILE_PREFIXES = [f"13{i}" for i in range(10)] + [f"15{i}" for i in (0, 1, 2, 3, 5, 6, 7, 8, 9)] + [
    f"18{i}" for i in range(10)]


def generate(ctx: Any) -> None:
    """Seed channels, customers, contacts, products and six months of orders."""
    rnd = ctx.random
    channel_rows = [{"channel_code": code, "channel_name": name, "channel_type": kind, "active": True}
                    for _, code, name, kind in CHANNELS]
    channel_ids = dict(zip([c[0] for c in CHANNELS], _create(ctx, "channel", channel_rows), strict=True))

    customers = _customers(rnd, channel_ids)
    for customer, cid in zip(customers, _create(ctx, "customer", [c["row"] for c in customers]), strict=True):
        customer["id"] = cid

    contacts = []
    for customer in customers:
        for i in range(1 if rnd.random() < 0.55 else 2):
            row = _contact(rnd, customer, primary=(i == 0))
            contacts.append(row)
            customer["contacts"].append(row)
    for row, cid in zip(contacts, _create(ctx, "contact", contacts), strict=True):
        row["_id"] = cid

    products = _products(rnd)
    for product, pid in zip(products, _create(ctx, "product", products), strict=True):
        product["_id"] = pid

    rates = _rates(ctx.today)
    _create(ctx, "exchange_rate", rates)
    usd = {row["rate_date"]: row["rate"] for row in rates if row["currency"] == "USD"}
    orders = _orders(ctx, customers, products, channel_ids)
    for order in orders:
        if order["currency"] == "USD":
            order["exchange_rate"] = _rate_on(usd, order["order_date"])
    for order, oid in zip(orders, _create(ctx, "order", orders, history=True), strict=True):
        order["_id"] = oid
    payments = _payments(rnd, orders, ctx.today)
    _create(ctx, "payment", payments)
    stock = _stock_levels(rnd, products, orders)
    _create(ctx, "stock_move", [{"product": row["product"], "warehouse": row["warehouse"], "qty": row["_on_hand"],
                                 "kind": "adjust", "note": "期初库存 / opening balance"}
                                for row in stock if row["_on_hand"] > 0])
    _create(ctx, "stock_level", stock)
    # drawn last, from a generator of their own: everything above stays as it was
    later = random.Random(rnd.random())
    if hasattr(ctx, "stage_history"):
        ctx.stage_history("order", [(o["_id"], _stays(later, o, ctx.today)) for o in orders])
    _create(ctx, "survey", _feedback(later, orders))
    factory = _factory(ctx, random.Random(later.random()), products, orders)
    receipts = _receipts(ctx, random.Random(later.random()), orders)
    ctx.log(f"demo data ready: {len(customers)} customers, {len(contacts)} contacts, "
            f"{len(products)} products, {len(orders)} orders, {len(payments)} payments, {len(stock)} stock levels, "
            f"{factory} dispatch orders, {receipts} receipts")


def _create(ctx: Any, entity: str, rows: list[dict], history: bool = False) -> list[int]:
    """Create rows in batches of BATCH; keys starting with '_' are our bookkeeping, not fields."""
    ids: list[int] = []
    for start in range(0, len(rows), BATCH):
        batch = [{k: v for k, v in row.items() if not k.startswith("_")} for row in rows[start:start + BATCH]]
        ids += ctx.bulk_create(entity, batch, history=history) if history else ctx.bulk_create(entity, batch)
        ctx.log(f"{entity}: {len(ids)}/{len(rows)}")
    return ids


# ---------------------------------------------------------------- customers and contacts

def _customers(rnd: Any, channel_ids: dict[str, int]) -> list[dict]:
    """Domestic and overseas customers, each with a grade and an order weight.

    The top fifth (grade A) share 70 % of the order weight, the next 30 % (grade B) 20 %, the
    rest (grade C) 10 %: the long tail seen in any small manufacturer's sales ledger.
    """
    total = N_DOMESTIC + len(OVERSEAS)
    ranks = list(range(total))
    rnd.shuffle(ranks)
    n_a, n_b = total // 5, total * 3 // 10
    n_c = total - n_a - n_b
    customers, names = [], set()
    for i, rank in enumerate(ranks):
        grade, weight = ("A", 0.70 / n_a) if rank < n_a else ("B", 0.20 / n_b) if rank < n_a + n_b \
            else ("C", 0.10 / n_c)
        if i < N_DOMESTIC:
            row, categories = _domestic_customer(rnd, grade, names, channel_ids)
        else:
            row, categories = _overseas_customer(rnd, OVERSEAS[i - N_DOMESTIC], grade, channel_ids), None
        customers.append({
            "row": row, "grade": grade, "weight": weight * rnd.uniform(0.5, 1.5), "contacts": [],
            "overseas": categories is None, "categories": categories or [p[2] for p in PRODUCTS],
            "price_factor": {"A": 0.95, "B": 0.985, "C": 1.02}[grade] + rnd.uniform(-0.02, 0.02),
        })
    return customers


def _domestic_customer(rnd: Any, grade: str, names: set, channel_ids: dict[str, int]) -> tuple[dict, list]:
    province, city, area, _, districts = rnd.choices(REGIONS, weights=[r[3] for r in REGIONS])[0]
    district, division = rnd.choice(districts.split()).split(":")
    while True:
        brand, pinyin = rnd.choice(BRANDS)
        industry, short, categories = rnd.choice(INDUSTRIES)
        place = district if district.endswith("市") and rnd.random() < 0.5 else city
        name = f"{place.removesuffix('市') if rnd.random() < 0.5 else place}{brand}{industry}有限公司"
        if name not in names:
            names.add(name)
            break
    terms = rnd.choices(["advance", "net_30", "net_60", "cod"],
                        weights={"A": [5, 50, 45, 0], "B": [35, 50, 10, 5], "C": [65, 15, 0, 20]}[grade])[0]
    limit = {"A": rnd.randrange(50, 201, 10), "B": rnd.randrange(10, 51, 5), "C": rnd.randrange(5, 11)}[grade]
    landline = f"{area}-{rnd.randint(2, 8)}{rnd.randint(0, 9999999):07d}"
    source = rnd.choices(list(DOMESTIC_SOURCES), weights=list(DOMESTIC_SOURCES.values()))[0]
    row = {
        "company_name": name,
        "short_name": f"{brand}{short}",
        "_tier": grade,
        "country": "中国",
        "province": province,
        "city": city,
        "address": f"{district}{rnd.choice(STREETS)}{rnd.randint(1, 999)}号{rnd.choice(ADDRESS_SUFFIXES)}",
        "phone": landline if rnd.random() < 0.55 else _mobile(rnd),
        "tax_id": _uscc(rnd, division),
        "credit_limit": Decimal(0 if terms in ("advance", "cod") else limit * 10000),
        "payment_terms": terms,
        "sales_rep": rnd.choice(SALES_REPS),
        "source_channel": channel_ids[source],
        "active": grade != "C" or rnd.random() < 0.85,
    }
    if rnd.random() < 0.6:
        row["email"] = rnd.choice([f"{pinyin}{rnd.randint(1, 99)}@163.com",
                                   f"{pinyin}{rnd.randint(1, 99)}@126.com",
                                   f"{rnd.randint(10**7, 10**10)}@qq.com"])
    if rnd.random() < 0.15:
        row["remarks"] = rnd.choice(CUSTOMER_REMARKS)
    return row, categories


def _overseas_customer(rnd: Any, data: tuple[str, ...], grade: str, channel_ids: dict[str, int]) -> dict:
    company, country, state, city, address, phone = data
    domain = "-".join("".join(ch for ch in word if ch.isalnum()) for word in company.lower().split()[:2])
    return {
        "company_name": company, "short_name": " ".join(company.split()[:2]), "_tier": grade, "country": country,
        "province": state, "city": city, "address": address, "phone": phone,
        "email": f"purchasing@{domain}.example",
        "credit_limit": Decimal(0), "payment_terms": "advance", "sales_rep": EXPORT_REP,
        "source_channel": channel_ids["alibaba"], "active": True, "remarks": rnd.choice(EXPORT_REMARKS),
    }


def _contact(rnd: Any, customer: dict, primary: bool) -> dict:
    row: dict[str, Any] = {"customer": customer["id"], "is_primary": primary}
    if customer["overseas"]:
        first, last = rnd.choice(FIRST_NAMES), rnd.choice(LAST_NAMES)
        domain = customer["row"]["email"].split("@")[1]
        row.update(contact_name=f"{first} {last}", job_title=rnd.choice(OVERSEAS_TITLES),
                   email=f"{first.lower()}.{last.lower()}@{domain}")
        return row
    row["contact_name"] = rnd.choice(SURNAMES) + rnd.choice(GIVEN_NAMES)
    row["job_title"] = rnd.choice(BUYER_TITLES if primary else CONTACT_TITLES)
    row["mobile"] = _mobile(rnd)
    if rnd.random() < 0.4:
        row["email"] = f"{rnd.randint(10**7, 10**10)}@qq.com"
    if rnd.random() < 0.7:  # many people use their mobile number as WeChat id
        row["wechat"] = row["mobile"] if rnd.random() < 0.5 else "wxid_" + "".join(
            rnd.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(14))
    return row


def _mobile(rnd: Any) -> str:
    return rnd.choice(MOBILE_PREFIXES) + f"{rnd.randint(0, 99999999):08d}"


def _uscc(rnd: Any, division: str) -> str:
    """An 18-character unified social credit code (GB 32100-2015) with valid check characters.

    "91" = registered with the market regulator, an enterprise; then the district's division
    code, a 9-character organisation code (GB 11714, its own check digit) and the final check.
    """
    org = [rnd.randint(0, 9) for _ in range(8)]
    c9 = 11 - sum(d * w for d, w in zip(org, ORG_CODE_WEIGHTS, strict=True)) % 11
    body = "91" + division + "".join(map(str, org)) + ("X" if c9 == 10 else "0" if c9 == 11 else str(c9))
    check = (31 - sum(USCC_CHARS.index(ch) * w for ch, w in zip(body, USCC_WEIGHTS, strict=True)) % 31) % 31
    return body + USCC_CHARS[check]


# ---------------------------------------------------------------- products

def _products(rnd: Any) -> list[dict]:
    """About 300 products; the price grows with the size of the specification and the material."""
    products = []
    for name, prefix, category, unit, materials, specs, price_range, weight_range, processes, lead, count \
            in PRODUCTS:
        specs, processes = specs.split("|"), processes.split()
        combos = [(s, m) for s in range(len(specs)) for m in materials.split("|")]
        for n, (s, material) in enumerate(sorted(rnd.sample(combos, min(count, len(combos)))), start=1):
            size = s / max(len(specs) - 1, 1)
            lo, hi = price_range
            price = lo * (hi / lo) ** (0.75 * size + 0.25 * rnd.random()) * MATERIAL_PRICE.get(material, 1.0)
            price = min(max(price, 0.5), 800.0)
            price_d = _money(price, 2 if price < 10 else 1 if price < 100 else 0)
            weight = weight_range[0] + (weight_range[1] - weight_range[0]) * size
            chosen = []
            if processes and rnd.random() < PROCESS_SHARE:
                chosen = rnd.sample(processes, 1 if len(processes) == 1 or rnd.random() < 0.7 else 2)
            products.append({
                "sku": f"{prefix}-{n:04d}",
                "product_name": name,
                "spec": specs[s],
                "category": category,
                "material": material,
                "unit": unit,
                "price": price_d,
                "cost": _money(float(price_d) * rnd.uniform(0.55, 0.85), 2),
                "weight_kg": _money(weight if unit == "kg" else weight * rnd.uniform(0.85, 1.15), 3),
                "special_processes": chosen,
                "lead_time_days": rnd.randint(*lead) + (rnd.randint(5, 10) if chosen else 0),
                "active": rnd.random() < 0.96,
            })
    return products


def _stock_levels(rnd: Any, products: list[dict], orders: list[dict]) -> list[dict]:
    """One stock row per product in the main warehouse (drawn last, so the orders stay as they were).

    What is on hand covers the goods already through QC and waiting to ship (the warehouse scans
    those next) plus a few typical orders' worth; a few slow movers sit at zero, and part of the
    stock of busy products is reserved for confirmed orders.
    """
    waiting: dict[int, Decimal] = {}
    for order in orders:
        if order["status"] == "ready_to_ship":
            for line in order["lines"]:
                waiting[line["product"]] = waiting.get(line["product"], Decimal(0)) + line["qty"]
    rows = []
    for product in products:
        pid = product["_id"]
        typical = _quantity(rnd, float(product["price"]), product["unit"], False)
        on_hand = waiting.get(pid, Decimal(0))
        if pid in waiting or rnd.random() > 0.05:
            on_hand += typical * rnd.randint(1, 6)
        spare = on_hand - waiting.get(pid, Decimal(0))  # what the waiting orders leave over
        reserved = typical if spare >= 2 * typical and rnd.random() < 0.5 else Decimal(0)
        rows.append({"product": pid, "warehouse": "主仓", "_on_hand": on_hand, "reserved": reserved,
                     "safety_stock": typical * 2})
    return rows


def _rates(today: dt.date) -> list[dict]:
    """Working-day rates of each foreign currency over the demo's months (no randomness: the
    orders' own draws stay as they were)."""
    rows = []
    for k in range(HISTORY_DAYS + 7, -1, -1):
        day = today - dt.timedelta(days=k)
        if day.weekday() >= 5:
            continue
        for currency, (base, amplitude, period, places) in RATE_SERIES.items():
            value = base + amplitude * math.sin(k / period) + amplitude / 3 * math.sin(k / 5.3)
            rows.append({"currency": currency, "rate_date": day, "rate": _money(value, places),
                         "source": "中国人民银行中间价（演示）"})
    return rows


def _rate_on(series: dict[dt.date, Decimal], day: dt.date) -> Decimal:
    """The latest rate on or before ``day`` (a weekend order takes Friday's)."""
    while day not in series:
        day -= dt.timedelta(days=1)
    return series[day]


def _money(value: float, places: int) -> Decimal:
    return Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


# ---------------------------------------------------------------- orders

def _orders(ctx: Any, customers: list[dict], products: list[dict], channel_ids: dict[str, int]) -> list[dict]:
    """N_ORDERS orders over the HISTORY_DAYS before ctx.today, oldest first.

    Fewer orders on Saturdays and hardly any on Sundays, a slight growth over the period;
    each customer keeps buying from its own short list of parts.
    """
    rnd, today = ctx.random, ctx.today
    days = [today - dt.timedelta(days=k) for k in range(HISTORY_DAYS, 0, -1)]
    day_weights = [(1.0, 1.0, 1.0, 1.0, 1.0, 0.45, 0.12)[d.weekday()] * (0.85 + 0.3 * i / HISTORY_DAYS)
                   for i, d in enumerate(days)]
    recent = today - dt.timedelta(days=60)
    for c in customers:
        c["_today"] = today
        c["_tier"] = c["row"]["_tier"]
        pool = [p for p in products if p["category"] in c["categories"]]
        c["favourites"] = rnd.sample(pool, min(len(pool), rnd.randint(6, 24)))
    cum_weights = list(accumulate(c["weight"] for c in customers))
    counters: dict[str, int] = {}
    orders = []
    for day in sorted(rnd.choices(days, weights=day_weights, k=N_ORDERS)):
        customer = rnd.choices(customers, cum_weights=cum_weights)[0]
        while day > recent and not customer["row"]["active"]:  # lapsed customers stopped ordering
            customer = rnd.choices(customers, cum_weights=cum_weights)[0]
        order = _order(rnd, day, day > recent, customer, products, channel_ids, counters)
        order["_customer"] = customer
        orders.append(order)
    return orders


def _order(rnd: Any, day: dt.date, recent: bool, customer: dict, products: list[dict],
           channel_ids: dict[str, int], counters: dict[str, int]) -> dict:
    c, overseas, contacts = customer["row"], customer["overseas"], customer["contacts"]
    contact = rnd.choice(contacts) if rnd.random() < 0.3 else contacts[0]
    if overseas:
        channel = "alibaba"
    elif rnd.random() < 0.8:
        channel = next(k for k, v in channel_ids.items() if v == c["source_channel"])
    else:
        channel = rnd.choice(["offline", "wecom", "web_shop"])
    lines, chosen = [], set()
    for _ in range(rnd.choices(range(1, 7), weights=[30, 25, 18, 12, 9, 6])[0]):
        product = rnd.choice(customer["favourites"] if rnd.random() < 0.85 else products)
        if product["sku"] not in chosen and (product["active"] or not recent):  # discontinued: no new orders
            chosen.add(product["sku"])
            lines.append(_line(rnd, product, customer))
    if not lines:
        lines.append(_line(rnd, next(p for p in customer["favourites"] + products if p["active"]), customer))
    urgent = rnd.random() < 0.08
    lead = max(line["_lead"] for line in lines)
    days = rnd.randint(5, 10) if urgent else min(45, max(5, lead + rnd.randint(0, 12)))
    processes = {p for line in lines for p in line["special_processes"]}
    row: dict[str, Any] = {
        "customer": customer["id"],
        "contact": contact["_id"],
        "channel": channel_ids[channel],
        "order_date": day,
        "due_date": day + dt.timedelta(days=days),
        "currency": "USD" if overseas else "CNY",
        "exchange_rate": USD_RATE if overseas else Decimal(1),
        "payment_terms": c["payment_terms"],
        "advance_payment_required": c["payment_terms"] == "advance" or "custom_tooling" in processes,
        "priority": "urgent" if urgent else "normal",
        "shipping_address": _shipping_address(c, contact, overseas),
        "sales_rep": c["sales_rep"],
        "lines": [{k: v for k, v in line.items() if not k.startswith("_")} for line in lines],
    }
    row.update(_progress(rnd, row, customer, day))
    external = _external_id(rnd, channel, day, counters)
    if external:
        row["external_order_id"] = external
    if overseas and rnd.random() < 0.6:
        terms = ["贸易条款：FOB 宁波", f"贸易条款：CIF {c['city']}", "海运整柜，需熏蒸托盘"]
        row["remarks"] = rnd.choice(terms)
    elif rnd.random() < 0.12:
        row["remarks"] = rnd.choice(ORDER_REMARKS)
    return row


# ---------------------------------------------------------------- lifecycle and payments

# How far an order of a given age (days) has come: (state, weight) choices.
STAGES_BY_AGE = (
    (75, [("closed", 70), ("paid", 18), ("shipped", 9), ("cancelled", 3)]),
    (40, [("closed", 30), ("paid", 33), ("shipped", 32), ("cancelled", 3), ("on_hold", 2)]),
    (20, [("shipped", 45), ("ready_to_ship", 12), ("qc", 8), ("in_production", 25), ("paid", 7),
          ("cancelled", 3)]),
    (7, [("in_production", 40), ("scheduled", 30), ("approved", 15), ("qc", 8), ("ready_to_ship", 7)]),
    (0, [("draft", 20), ("submitted", 10), ("under_review", 25), ("approved", 25), ("scheduled", 20)]),
)
SHIPPED = ("shipped", "paid", "closed")
TERMS_DAYS = {"advance": 0, "net_30": 30, "net_60": 60, "cod": 3}


def _progress(rnd: Any, row: dict, customer: dict, day: dt.date) -> dict:
    """Workflow state and the fields it implies, for an order placed ``day`` (history import)."""
    age = (customer["_today"] - day).days
    choices = next(stages for min_age, stages in STAGES_BY_AGE if age >= min_age)
    state = rnd.choices([s for s, _ in choices], weights=[w for _, w in choices])[0]
    advance = row["advance_payment_required"]
    out: dict[str, Any] = {"status": state, "qc_status": "pending"}
    past_qc = state in ("ready_to_ship", *SHIPPED)
    if past_qc:
        out["qc_status"] = "passed"
    if state in SHIPPED and not advance:  # credit customers were released by finance; advance money is
        out["credit_released"] = True     # matched receipts (see _receipts)
    if state in SHIPPED:
        shipped = min(row["due_date"] + dt.timedelta(days=rnd.randint(-3, 4)), customer["_today"])
        out["shipped_at"] = dt.datetime.combine(shipped, dt.time(rnd.randint(9, 17), rnd.randint(0, 59)),
                                                dt.timezone(dt.timedelta(hours=8)))
        out["waybill_no"] = f"SF{rnd.randrange(10**11, 10**12)}"
    return out


def _payments(rnd: Any, orders: list[dict], today: dt.date) -> list[dict]:
    """One receivable per shipped order: due by the payment terms, paid as the customer's habits go.

    Key accounts mostly pay on time, occasional customers are often late: the on-time rate is
    what the customer score reads.
    """
    on_time_share = {"A": 0.9, "B": 0.72, "C": 0.45}
    rows = []
    for order in orders:
        if order["status"] not in SHIPPED:
            continue
        shipped = order["shipped_at"].date()
        due = order["order_date"] if order["payment_terms"] == "advance" else \
            shipped + dt.timedelta(days=TERMS_DAYS.get(order["payment_terms"] or "net_30", 30))
        customer = order["_customer"]
        paid = None
        if order["status"] in ("paid", "closed"):
            late = 0 if rnd.random() < on_time_share[customer["_tier"]] else rnd.randint(3, 45)
            paid = min(due + dt.timedelta(days=late - rnd.randint(0, 5) if not late else late), today)
        amount = sum((line["qty"] * line["unit_price"] * (1 - line.get("discount_pct", 0) / 100)
                      for line in order["lines"]), Decimal(0)).quantize(CENT, ROUND_HALF_UP)
        rows.append({"customer": order["customer"], "order": order["_id"], "amount": amount,
                     "currency": order["currency"], "due_date": due, "paid_date": paid,
                     "method": "tt" if order["currency"] != "CNY" else rnd.choice(["bank", "bank", "acceptance",
                                                                                    "alipay"])})
    return rows


def _line(rnd: Any, product: dict, customer: dict) -> dict:
    price = product["price"] * Decimal(str(customer["price_factor"]))
    if customer["overseas"]:
        price = price / USD_RATE * Decimal("1.08")
    line = {
        "product": product["_id"],
        "description": f"{product['product_name']} {product['spec']} {product['material']}",
        "qty": _quantity(rnd, float(product["price"]), product["unit"], customer["overseas"]),
        "unit": product["unit"],
        "unit_price": max(price.quantize(CENT, rounding=ROUND_HALF_UP), CENT),
        "discount_pct": Decimal(rnd.choice([2, 3, 5, 8, 10]) if rnd.random() < 0.12 else 0),
        "special_processes": list(product["special_processes"]),
        "_lead": product["lead_time_days"],
    }
    if rnd.random() < 0.04:
        line["remarks"] = rnd.choice(LINE_REMARKS)
    return line


def _quantity(rnd: Any, price: float, unit: str, overseas: bool) -> Decimal:
    """Quantities a buyer would order: cheap parts by the thousand, expensive ones by the ten.

    Small orders are common and large ones rare, so the draw is skewed towards the low end.
    """
    if unit == "kg":
        low, high, step = 50, 1000, 50
    elif unit == "m":
        low, high, step = (100, 2000, 100) if price < 20 else (20, 400, 20)
    elif price < 2:
        low, high, step = 1000, 30000, 500
    elif price < 10:
        low, high, step = 200, 6000, 100
    elif price < 50:
        low, high, step = 50, 1500, 50
    elif price < 200:
        low, high, step = 10, 300, 10
    else:
        low, high, step = 2, 50, 1
    qty = round(low * (high / low) ** (rnd.random() ** 1.5) / step) * step
    return Decimal(max(qty, low) * (2 if overseas else 1))


def _shipping_address(c: dict, contact: dict, overseas: bool) -> str:
    if overseas:
        return ", ".join([contact["contact_name"], c["company_name"], c["address"], c["city"], c["province"],
                          c["country"]])
    place = c["city"] if c["province"] == c["city"] else c["province"] + c["city"]
    return f"{place}{c['address']}（收货人：{contact['contact_name']} {contact['mobile']}）"


def _external_id(rnd: Any, channel: str, day: dt.date, counters: dict[str, int]) -> str | None:
    """The channel's own order number, unique within the channel; offline orders often have none."""
    if channel == "offline" and rnd.random() < 0.6:
        return None
    counters[channel] = n = counters.get(channel, 0) + 1
    if channel == "alibaba":
        return f"{day:%y%m%d}{rnd.randint(100000, 999999)}{n:04d}"
    prefix = {"web_shop": "WS", "wecom": "WC", "agent": "DL", "offline": "PO"}[channel]
    return f"{prefix}{day:%Y%m%d}{n:05d}"


# ---------------------------------------------------------------- stage history and feedback

#: The usual path of an order, and how long each step takes (hours, low–high) before the next.
PATH = [("draft", 0.2, 6), ("submitted", 0.5, 30), ("approved", 4, 48), ("scheduled", 12, 72),
        ("in_production", 48, 240), ("qc", 4, 30), ("ready_to_ship", 4, 72), ("shipped", 0, 0), ("paid", 24, 240),
        ("closed", 0, 0)]


def _stays(rnd: Any, order: dict, today: dt.date) -> list[tuple[str, dt.datetime, str | None]]:
    """How an imported order got to its state: the states of its path with plausible times, a revision
    now and then, squeezed to end before now; shipped when it says it was."""
    cst = dt.timezone(dt.timedelta(hours=8))
    start = dt.datetime.combine(order["order_date"], dt.time(8, 30), cst) + dt.timedelta(minutes=rnd.randint(0, 480))
    final = order["status"]
    keys = [k for k, _lo, _hi in PATH]
    last = keys.index(final) if final in keys else (3 if final == "on_hold" else 1)
    stays: list[tuple[str, dt.datetime, str | None]] = []
    at = start
    actions = {"submitted": "submit", "approved": "approve", "scheduled": "schedule", "in_production":
               "start_production", "qc": "finish_production", "ready_to_ship": "qc_pass", "shipped": "ship",
               "paid": "record_payment", "closed": "close"}
    for state, low, high in PATH[: last + 1]:
        if state == "shipped" and order.get("shipped_at"):
            at = max(at, order["shipped_at"])
        stays.append((state, at, actions.get(state)))
        if state == "submitted" and rnd.random() < 0.03:  # sent back for a correction, then submitted again
            at += dt.timedelta(hours=rnd.uniform(1, 8))
            stays.append(("draft", at, "revise"))
            at += dt.timedelta(hours=rnd.uniform(0.5, 4))
            stays.append(("submitted", at, "submit"))
        at += dt.timedelta(hours=rnd.uniform(low, high))
    if final in ("on_hold", "cancelled"):
        stays.append((final, at, "hold" if final == "on_hold" else "cancel"))
    now = dt.datetime.combine(today, dt.time(8, 0), cst)
    end = stays[-1][1]
    if end > now and end > start:  # squeeze the path so that it ends before now
        ratio = max((now - start) / (end - start), 0)
        stays = [(s, start + (t - start) * ratio, a) for s, t, a in stays]
    return stays


def _feedback(rnd: Any, orders: list[dict]) -> list[dict]:
    """Scores (0–10) for about a quarter of the delivered orders, and a few complaints and returns."""
    rows = []
    scores = {"A": [7, 8, 9, 9, 10, 10, 10], "B": [5, 7, 8, 8, 9, 9, 10], "C": [2, 5, 6, 7, 8, 9, 10]}
    for order in orders:
        if order["status"] not in SHIPPED:
            continue
        roll = rnd.random()
        if roll < 0.25:
            rows.append({"order": order["_id"], "kind": "survey", "source": "portal",
                         "score": rnd.choice(scores[order["_customer"]["_tier"]])})
        elif roll < 0.265:
            rows.append({"order": order["_id"], "kind": "complaint", "comment": rnd.choice(
                ["包装破损", "交期延误", "表面划伤", "数量短缺"])})
        elif roll < 0.27:
            rows.append({"order": order["_id"], "kind": "return", "comment": "尺寸超差，退货"})
    return rows


# ---------------------------------------------------------------- the factory floor

LINES = [("STAMP", "冲压线", "张建国", "13805741001"), ("MACH", "机加线", "李卫东", "13805741002"),
         ("SURF", "表面处理线", "王海燕", "13805741003"), ("ASSY", "装配包装线", "陈志强", "13805741004")]
DISPATCHED = ("approved", "scheduled", "in_production", "qc", "ready_to_ship")
OPERATIONS = [("备料", "Prepare"), ("加工", "Make"), ("自检", "Self-check")]


def _operations(rnd: Any, start: dt.date, done: float, lines: list[dict], today: dt.date) -> list[dict]:
    """A dispatch order's operations, reported as far as its work has gone: the done share of them
    finished (with the order's good and scrap at the last), the next one started — so the plan
    places only the work that is really left."""
    finished = round(done * len(OPERATIONS))
    good = sum(Decimal(r["good_qty"]) for r in lines)
    scrap = sum(Decimal(r["scrap_qty"]) for r in lines)
    out = []
    for i, (zh, _en) in enumerate(OPERATIONS):
        begin, end = start + dt.timedelta(days=i), start + dt.timedelta(days=i + 1)
        row = {"seq": 10 * (i + 1), "operation": zh, "setup_hours": "0.5", "run_hours": "0.0003",
               "planned_start": begin.isoformat(), "planned_finish": end.isoformat(),
               "operator": rnd.choice(("小刘", "小赵", "老孙", "小周"))}
        day = min(begin, today).isoformat()
        if i < finished:
            row.update(actual_start=f"{day}T08:30:00+08:00", actual_finish=f"{day}T16:30:00+08:00",
                       good_qty=str(good), scrap_qty=str(scrap))
        elif i == finished and 0 < done < 1:
            row["actual_start"] = f"{day}T08:30:00+08:00"
        out.append(row)
    return out


def _factory(ctx: Any, rnd: Any, products: list[dict], orders: list[dict]) -> int:
    """Four production lines, a 3-level BOM per product family (finished good on the assembly line
    ← semi-finished part on the surface or machining line ← blank from the stamping line ← bought
    steel), and the dispatch orders the approval generated for every order between approval and
    shipping, with progress reported on those in production and later."""
    line_ids = dict(zip([c for c, *_ in LINES], _create(ctx, "production_line", [
        {"code": code, "line_name": name, "leader": leader, "leader_mobile": mobile,
         "capacity_per_day": Decimal(rnd.choice((4000, 6000, 8000))), "hours_per_day": Decimal(16)}  # two shifts
        for code, name, leader, mobile in LINES]),
        strict=True))
    families: dict[str, list[dict]] = {}
    for product in products:
        families.setdefault(product["sku"].split("-")[0], []).append(product)
    parts = []
    for prefix, members in families.items():
        name = members[0]["product_name"]
        parts += [{"sku": f"{prefix}-SEMI", "product_name": f"{name}半成品", "category": members[0]["category"],
                   "unit": "pc", "price": Decimal("0"), "active": True},
                  {"sku": f"{prefix}-BLANK", "product_name": f"{name}坯料", "category": members[0]["category"],
                   "unit": "pc", "price": Decimal("0"), "active": True},
                  {"sku": f"{prefix}-STEEL", "product_name": f"{name}原材料（外购）",
                   "category": members[0]["category"], "unit": "kg", "price": Decimal("0"), "active": True}]
    part_ids = dict(zip([p["sku"] for p in parts], _create(ctx, "product", parts), strict=True))
    boms = []
    for prefix, members in families.items():
        special = any(m["special_processes"] for m in members)
        boms.append({"product": part_ids[f"{prefix}-SEMI"], "lines": [
            {"component": part_ids[f"{prefix}-BLANK"], "qty": Decimal(1), "scrap_rate": Decimal("0.05"),
             "production_line": line_ids["STAMP"]}]})
        boms.append({"product": part_ids[f"{prefix}-BLANK"], "lines": [
            {"component": part_ids[f"{prefix}-STEEL"], "qty": Decimal("0.12"), "scrap_rate": Decimal("0.08")}]})
        for m in members:
            boms.append({"product": m["_id"], "production_line": line_ids["ASSY"], "lines": [
                {"component": part_ids[f"{prefix}-SEMI"], "qty": Decimal(1), "scrap_rate": Decimal("0.02"),
                 "production_line": line_ids["SURF" if special else "MACH"]}]})
    _create(ctx, "bom", boms)
    records = ctx.records
    workflow = records.snapshot.features["workflows"]["order"]
    generators = workflow.transitions["approve"].generates
    made = 0
    chosen = [o for o in orders if o["status"] in DISPATCHED]
    with records.db.write() as conn:
        for order in chosen:
            stored = records.fetch(conn, "order", order["_id"])
            data = records.evaluation_data("order", stored, conn)
            for generator in generators:  # what the approval generated
                order["_dispatch"] = generator.run(records, conn, stored, data, _SYSTEM)
                made += len(order["_dispatch"])
        for order in chosen:
            share = {"approved": 0.0, "scheduled": 0.0, "in_production": None, "qc": 1.0,
                     "ready_to_ship": 1.0}[order["status"]]
            for dispatch in order.get("_dispatch", ()):
                done = rnd.uniform(0.1, 0.95) if share is None else share
                if not done and rnd.random() < 0.7:
                    continue
                start = order["order_date"] + dt.timedelta(days=rnd.randint(2, 5))
                lines = [{**row, "good_qty": str(_money(float(row["qty"]) * done, 0)),
                          "scrap_qty": str(_money(float(row["qty"]) * done * rnd.uniform(0, 0.03), 0))}
                         for row in dispatch["lines"]]
                records.update("dispatch_order", dispatch["id"], {
                    "lines": lines, "operations": _operations(rnd, start, done, lines, ctx.today)},
                    actor=_SYSTEM, skip_read_only=True, conn=conn)
    inspections, reworks = [], []
    for order in chosen:
        status = order["status"]
        if status in ("qc", "ready_to_ship"):
            inspections.append({"order": order["_id"], "result": "pending" if status == "qc" else "passed",
                                "inspected_qty": Decimal(rnd.choice((32, 50, 80, 125))), "defect_qty": Decimal(0),
                                "inspector": rnd.choice(("周检", "吴检"))})
        elif status == "in_production" and order.get("_dispatch") and rnd.random() < 0.12:
            line = rnd.choice(order["_dispatch"])["production_line"]
            inspections.append({"order": order["_id"], "result": "failed", "inspected_qty": Decimal(50),
                                "defect_qty": Decimal(rnd.randint(3, 9)), "defects": rnd.choice(
                                    ("毛刺超标", "镀层厚度不足", "孔距超差", "表面划伤")),
                                "rework_line": line, "inspector": "周检"})
            reworks.append({"order": order["_id"], "production_line": line, "kind": "rework", "origin": "rework",
                            "note": "返工 / rework: " + inspections[-1]["defects"]})
    _create(ctx, "qc_inspection", inspections, history=True)
    _create(ctx, "dispatch_order", reworks)
    ctx.counts["dispatch_order"] = made + len(reworks)
    return made + len(reworks)


# ---------------------------------------------------------------- receipts and their matches

RECEIPTS_DAYS = 90  # closed credit orders older than this have no receipts: keeps the demo quick
MONEY_DUE = ("approved", "scheduled", "in_production", "qc", "ready_to_ship", *SHIPPED)
STRANGERS = ("个人转账 陈建国", "宁波保税区某某进出口有限公司", "支付宝（中国）网络技术有限公司", "退货款 周立伟")


def _receipts(ctx: Any, rnd: Any, orders: list[dict]) -> int:
    """Receipts for the money each order has received, matched to it; a few unmatched, a few to review.

    The amounts are read back from the created orders (their formulas: discounts, shipping fee).
    """
    from sunmao.records.query import ListQuery

    stored: dict[int, dict] = {}
    page = 1
    while True:
        items = ctx.records.list("order", ListQuery(limit=500, page=page, sort=[("id", False)],
                                                    fields=["name", "amount", "advance_due", "open_amount"]),
                                 actor=_SYSTEM)["items"]
        stored.update((o["id"], o) for o in items)
        if len(items) < 500:
            break
        page += 1
    receipts: list[dict] = []
    matched: list[tuple[int, int, Decimal]] = []  # (receipt index, order id, amount)
    for order in orders:
        paid_in_full = order["status"] in ("paid", "closed")
        if not (paid_in_full or (order["advance_payment_required"] and order["status"] in MONEY_DUE)):
            continue
        if order["status"] == "closed" and not order["advance_payment_required"] and \
                order["order_date"] < ctx.today - dt.timedelta(days=RECEIPTS_DAYS):
            continue  # long settled credit orders: their money came before receipts were kept (released on credit)
        saved = stored[order["_id"]]
        amount = Decimal(saved["amount"] if paid_in_full else saved["advance_due"])
        if amount <= 0:
            continue
        day = order["shipped_at"].date() + dt.timedelta(days=rnd.randint(0, 20)) if paid_in_full and \
            not order["advance_payment_required"] else order["order_date"] + dt.timedelta(days=rnd.randint(0, 3))
        usd = order["currency"] != "CNY"
        memo = rnd.choice([f"T/T {saved['name']}", f"PAYMENT FOR {saved['name']}", "TRADE ASSURANCE ORDER"]) if usd \
            else rnd.choice([f"货款 {saved['name']}", f"{saved['name']}", f"订单{saved['name']}付款", "货款", "预付款"])
        matched.append((len(receipts), order["_id"], amount))
        receipts.append(_receipt(rnd, min(day, ctx.today), amount, order["_customer"]["row"]["company_name"],
                                 memo, order["currency"], "trade_assurance" if usd else "bank"))
    open_orders = [(o, stored[o["_id"]]) for o in orders if o["status"] in ("approved", "scheduled")
                   and not o["advance_payment_required"] and o["currency"] == "CNY"]
    review: list[tuple[int, int, Decimal]] = []
    for order, saved in rnd.sample(open_orders, min(3, len(open_orders))):  # a stranger pays an order's amount
        review.append((len(receipts), order["_id"], Decimal(saved["open_amount"])))
        receipts.append(_receipt(rnd, ctx.today - dt.timedelta(days=rnd.randint(0, 2)),
                                 Decimal(saved["open_amount"]), rnd.choice(STRANGERS), "转账", "CNY", "bank"))
    for _ in range(4):  # money nobody can place yet
        receipts.append(_receipt(rnd, ctx.today - dt.timedelta(days=rnd.randint(0, 6)),
                                 _money(rnd.uniform(200, 20000), 2), rnd.choice(STRANGERS), "往来款", "CNY", "bank"))
    for n, row in enumerate(receipts):
        row["_n"] = n
    receipts.sort(key=lambda r: (r["received_on"], r["_n"]))  # numbered as they arrived
    by_index = {r["_n"]: rid for r, rid in zip(receipts, _create(ctx, "receipt", receipts), strict=True)}
    allocations = [{"receipt": by_index[n], "order": oid, "amount": amount, "status": "applied", "score": 90,
                    "reason": "演示数据：已核销（demo data: matched）"} for n, oid, amount in matched]
    allocations += [{"receipt": by_index[n], "order": oid, "amount": amount, "status": "proposed", "score": 30,
                     "reason": "金额相同（same amount）"} for n, oid, amount in review]
    for start in range(0, len(allocations), BATCH):  # as the matcher writes them: score and reason included
        ctx.records.create_many("allocation", allocations[start:start + BATCH], actor=_SYSTEM, skip_read_only=True)
    ctx.log(f"allocation: {len(allocations)}")
    return len(receipts)


def _receipt(rnd: Any, day: dt.date, amount: Decimal, payer: str, memo: str, currency: str, channel: str) -> dict:
    return {"received_on": day, "amount": amount, "currency": currency, "payer_name": payer,
            "reference": memo, "channel": channel, "bank": "工行宁波分行 3901-0000-1234",
            "bank_ref": f"{day:%Y%m%d}{rnd.randrange(10**9, 10**10)}"}
