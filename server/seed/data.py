"""The fixed part of the demo bureau: departments, regions, accounts, items, inspectors, and the
word lists the generated subjects are made from.

Legal bases name the regulation and its order number as published; they were chosen so that a
commerce bureau's staff would recognise them (see the notes on the two retired items). Article
numbers are given only where the provision is well known; the bureau edits the list anyway.
"""

from __future__ import annotations

import datetime as dt

BUREAU = "威海经济技术开发区商务局"

# (code, name, English name)
DEPARTMENTS = [
    ("SCYX", "市场运行科", "Market Operation Section"),
    ("SMLT", "商贸流通科", "Trade and Distribution Section"),
    ("DWMY", "对外贸易科", "Foreign Trade Section"),
    ("WZWJ", "外资外经科", "Foreign Investment and Economic Cooperation Section"),
    ("ZCFG", "政策法规科", "Policy and Legal Affairs Section"),
]

# The zone and the streets/towns it administers. 371072 is the zone's code in the statistical
# division tables; the two-letter codes of its parts are the bureau's own short codes.
ZONE = ("371072", "威海经济技术开发区")
REGIONS = [
    ("HG", "皇冠街道"),
    ("FL", "凤林街道"),
    ("XY", "西苑街道"),
    ("BY", "泊于镇"),
    ("GS", "崮山镇"),
    ("QT", "桥头镇"),
]

# Streets get road addresses, towns village addresses.
ROADS = {
    "HG": ["青岛中路", "海滨南路", "大庆路", "昆明路", "珠海路"],
    "FL": ["齐鲁大道", "香港路", "宁波路", "海南路", "凤林路"],
    "XY": ["深圳路", "福州路", "西苑路", "大连路", "贵州路"],
}
VILLAGES = {
    "BY": ["泊于", "西泊于", "南曲阜", "北曲阜", "蒿泊", "泊于工业园"],
    "GS": ["崮山", "后峰西", "五渚河", "慕家泊", "崮山工业园", "沟北"],
    "QT": ["桥头", "北江", "南江", "大岚寺", "桥头工业园", "埠口"],
}

# (username, display name, roles, department code or None, phone)
USERS = [
    ("admin", "系统管理员", ["admin"], "ZCFG", None),
    ("head1", "刘建国", ["dept_head"], "SMLT", "13863100101"),
    ("head2", "赵敏", ["dept_head"], "SCYX", "13863100107"),
    ("leader1", "孙海涛", ["leader"], None, "13863100102"),
    ("office1", "陈静", ["back_office"], "ZCFG", "13863100103"),
    # Back office of 商贸流通科: enters the results of that department's tasks.
    ("office2", "周丽", ["back_office"], "SMLT", "13863100108"),
    ("lead1", "王志强", ["inspector"], "SMLT", "13863100104"),
    ("inspector1", "张伟", ["inspector"], "SMLT", "13863100105"),
    ("inspector2", "李娜", ["inspector"], "SCYX", "13863100106"),
]

CREDENTIAL_ISSUER = "威海市人民政府"

# (credential no, name, department, username or None, valid from, valid until,
#  qualification, team-lead qualified, expertise)
# One credential has expired (2025-12-31): the console flags it and draws skip the inspector.
INSPECTORS = [
    ("371072010001", "王志强", "SMLT", "lead1", "2023-03-01", "2029-02-28",
     "law_enforcement", True, ["单用途商业预付卡", "报废机动车回收拆解", "二手车"]),
    ("371072010002", "张伟", "SMLT", "inspector1", "2023-03-01", "2029-02-28",
     "law_enforcement", False, ["再生资源回收", "洗染", "美容美发"]),
    ("371072010003", "李娜", "SCYX", "inspector2", "2024-06-15", "2030-06-14",
     "law_enforcement", False, ["成品油流通", "零售商促销"]),
    ("371072010004", "赵磊", "SMLT", None, "2022-09-01", "2028-08-31",
     "law_enforcement", True, ["拍卖", "商业特许经营", "汽车销售"]),
    ("371072010005", "周敏", "SMLT", None, "2024-01-10", "2030-01-09",
     "law_enforcement", False, ["家政服务", "美容美发", "单用途商业预付卡"]),
    ("371072010006", "吴刚", "SCYX", None, "2023-05-20", "2029-05-19",
     "law_enforcement", True, ["成品油流通", "生活必需品应急保供"]),
    ("371072010007", "郑洁", "SCYX", None, "2024-11-01", "2030-10-31",
     "law_enforcement", False, ["餐饮", "零售商促销"]),
    ("371072010008", "冯涛", "SMLT", None, "2020-01-01", "2025-12-31",
     "law_enforcement", False, ["二手车", "旧电器电子产品"]),
    ("371072010009", "曲晓东", "DWMY", None, "2023-08-01", "2029-07-31",
     "law_enforcement", False, ["技术进出口", "对外贸易"]),
    ("371072010010", "丛林", "DWMY", None, "2024-04-01", "2030-03-31",
     "law_enforcement", False, ["对外贸易", "外商投资"]),
    ("371072010011", "于洋", "WZWJ", None, "2023-12-01", "2029-11-30",
     "law_enforcement", False, ["外商投资", "对外劳务合作"]),
    ("371072010012", "毕海燕", "WZWJ", None, "2025-02-01", "2031-01-31",
     "law_enforcement", False, ["外商投资"]),
    ("371072010013", "谷雨", "SMLT", None, "2025-07-01", "2031-06-30",
     "daily_supervision", False, ["再生资源回收", "报废机动车回收拆解"]),
]  # fmt: skip

ONSITE, DOCUMENTARY, ONLINE = "onsite", "documentary", "online"
CONTENT_REQUIREMENTS = "具有行政执法资格的执法人员，每个检查对象不少于2人"


def _item(code, department, name, basis, scope, content, methods, ratio=None, frequency=None):
    return {
        "code": code,
        "department": department,
        "data": {
            "name": name,
            "legal_basis": basis,
            "checking_body": BUREAU,
            "object_scope": scope,
            "content": content,
            "methods": methods,
            "ratio_percent": ratio,
            "frequency_per_year": frequency,
            "inspector_requirements": CONTENT_REQUIREMENTS,
        },
    }


ITEMS = [
    _item(
        "SWJ-001", "SMLT", "单用途商业预付卡发卡企业经营行为检查",
        "《单用途商业预付卡管理办法（试行）》（商务部令2012年第9号）",
        "本区从事零售业、住宿和餐饮业、居民服务业并发行单用途商业预付卡的企业",
        "1. 是否按规定办理发卡备案；2. 购卡章程、购卡协议及实名购卡登记；"
        "3. 单张卡面额限额及记名、不记名卡管理；4. 预收资金余额及资金存管；5. 业务信息报送",
        [ONSITE, DOCUMENTARY, ONLINE], ratio="20",
    ),
    _item(
        "SWJ-002", "SCYX", "成品油零售经营企业检查",
        "《成品油流通管理办法》（商务部令2025年第4号）；"
        "《国务院办公厅关于推动成品油流通高质量发展的意见》（国办发〔2025〕5号）",
        "本区取得成品油零售经营资格的加油站",
        "1. 成品油零售经营资格及相关证照；2. 成品油购进来源及购销台账；"
        "3. 散装汽油销售实名登记；4. 经营信息报送",
        [ONSITE, DOCUMENTARY], ratio="20", frequency=2,
    ),
    _item(
        "SWJ-003", "SMLT", "报废机动车回收拆解企业检查",
        "《报废机动车回收管理办法》（国务院令第715号）；"
        "《报废机动车回收管理办法实施细则》（商务部等7部门令2020年第2号）",
        "本区取得资质认定的报废机动车回收拆解企业",
        "1. 资质认定条件保持情况；2. 报废机动车回收证明出具及信息录入；"
        "3. “五大总成”拆解与去向；4. 回收拆解台账；5. 拆解场地环保与安全管理",
        [ONSITE, DOCUMENTARY], ratio="30",
    ),
    _item(
        "SWJ-004", "SMLT", "二手车交易市场及经营主体检查",
        "《二手车流通管理办法》（商务部 公安部 工商总局 税务总局令2005年第2号，2017年修订）",
        "本区二手车交易市场经营者、二手车经销企业和经纪机构",
        "1. 经营主体备案；2. 车辆来源及信息真实性核查；3. 交易档案保存；4. 二手车销售统一发票开具",
        [ONSITE, DOCUMENTARY], ratio="20",
    ),
    _item(
        "SWJ-005", "SMLT", "拍卖企业经营行为检查",
        "《中华人民共和国拍卖法》；《拍卖管理办法》（商务部令2004年第24号，2019年修订）",
        "本区设立的拍卖企业及其分公司",
        "1. 拍卖经营许可及变更；2. 拍卖师执业；3. 拍卖公告与标的展示；4. 拍卖笔录及业务档案",
        [ONSITE, DOCUMENTARY], ratio="20",
    ),
    _item(
        "SWJ-006", "SMLT", "再生资源回收经营者检查",
        "《再生资源回收管理办法》（商务部等6部门令2007年第8号，2019年修订）",
        "本区从事再生资源回收经营活动的企业和个体工商户",
        "1. 回收经营者备案；2. 生产性废旧金属收购登记；3. 回收站点设置与经营场地管理",
        [ONSITE, DOCUMENTARY],
    ),
    _item(
        "SWJ-007", "SMLT", "洗染经营者服务规范检查",
        "《洗染业管理办法》（商务部 国家工商行政管理总局 国家环境保护总局令2007年第5号）",
        "本区从事洗染服务的企业和个体工商户",
        "1. 服务项目与收费标准明示；2. 洗染服务凭证；3. 洗染事故处理；4. 干洗溶剂管理",
        [ONSITE],
    ),
    _item(
        "SWJ-008", "SMLT", "美容美发经营者服务规范检查",
        "《美容美发业管理暂行办法》（商务部令2004年第19号）",
        "本区从事美容美发服务的企业和个体工商户",
        "1. 服务项目及价格明示；2. 从业人员资质；3. 用品用具消毒；4. 会员卡（预付）管理",
        [ONSITE],
    ),
    _item(
        "SWJ-009", "SMLT", "家庭服务机构经营行为检查",
        "《家庭服务业管理暂行办法》（商务部令2012年第11号）",
        "本区从事家政服务的家庭服务机构",
        "1. 服务合同签订；2. 家政服务员信息登记及培训；3. 服务规范及投诉处理",
        [ONSITE, DOCUMENTARY],
    ),
    _item(
        "SWJ-010", "SMLT", "商业特许经营活动检查",
        "《商业特许经营管理条例》（国务院令第485号）；"
        "《商业特许经营备案管理办法》（商务部令2011年第5号）；"
        "《商业特许经营信息披露管理办法》（商务部令2012年第2号）",
        "本区从事商业特许经营活动的特许人",
        "1. 特许人“两店一年”条件；2. 备案及年度报告；3. 信息披露；4. 特许经营合同",
        [DOCUMENTARY, ONLINE],
    ),
    _item(
        "SWJ-011", "SMLT", "汽车销售企业经营行为检查",
        "《汽车销售管理办法》（商务部令2017年第1号）",
        "本区汽车供应商、经销商",
        "1. 经营信息报送；2. 价格及收费明示；3. 搭售与限制行为；4. 售后服务及配件供应",
        [ONSITE, DOCUMENTARY, ONLINE],
    ),
    _item(
        "SWJ-012", "SCYX", "零售商促销行为检查",
        "《零售商促销行为管理办法》（商务部 发展改革委 公安部 税务总局 工商总局令2006年第18号）",
        "本区商场、超市等零售商",
        "1. 促销内容明示；2. 有奖销售及赠品；3. 积分、优惠券兑现；4. 促销场所安全",
        [ONSITE, ONLINE],
    ),
    _item(
        "SWJ-013", "SCYX", "生活必需品市场供应应急保障检查",
        "《生活必需品市场供应应急管理办法》（商务部令2011年第4号）",
        "本区生活必需品应急投放网点及保供企业",
        "1. 应急投放网点设置；2. 商品储备及调运能力；3. 应急信息报送",
        [ONSITE, DOCUMENTARY],
    ),
    _item(
        "SWJ-014", "SMLT", "旧电器电子产品流通检查",
        "《旧电器电子产品流通管理办法》（商务部令2013年第1号）",
        "本区从事旧电器电子产品收购、销售的经营者",
        "1. 收购及销售台账；2. 旧电器电子产品信息清除与标识；3. 质量及售后承诺明示",
        [ONSITE],
    ),
    _item(
        "SWJ-015", "SCYX", "餐饮经营者反食品浪费检查",
        "《中华人民共和国反食品浪费法》；《餐饮业经营管理办法（试行）》"
        "（商务部 发展改革委令2014年第4号）",
        "本区餐饮服务经营者",
        "1. 反食品浪费提示提醒；2. 菜品分量明示；3. 不设置最低消费；4. 打包服务",
        [ONSITE],
    ),
    _item(
        "SWJ-016", "SCYX", "商品零售场所塑料购物袋有偿使用检查",
        "《商品零售场所塑料购物袋有偿使用管理办法》"
        "（商务部 发展改革委 工商总局令2008年第8号）",
        "本区商场、超市、集贸市场等商品零售场所",
        "1. 塑料购物袋明码标价、有偿提供；2. 购物袋来源及质量；3. 单独列示",
        [ONSITE],
    ),
    _item(
        "SWJ-017", "WZWJ", "外商投资信息报告情况检查",
        "《中华人民共和国外商投资法》；"
        "《外商投资信息报告办法》（商务部 国家市场监督管理总局令2019年第2号）",
        "本区外国投资者及外商投资企业",
        "1. 初始、变更报告报送；2. 年度报告报送；3. 报告信息真实、准确、完整",
        [DOCUMENTARY, ONLINE],
    ),
    _item(
        "SWJ-018", "WZWJ", "对外劳务合作企业检查",
        "《对外劳务合作管理条例》（国务院令第620号）",
        "本区从事对外劳务合作的企业",
        "1. 经营资格；2. 备用金缴存；3. 劳务人员合同签订与培训；4. 境外突发事件应急处置",
        [ONSITE, DOCUMENTARY],
    ),
    _item(
        "SWJ-019", "DWMY", "技术进出口合同登记情况检查",
        "《中华人民共和国技术进出口管理条例》（国务院令第331号）；"
        "《技术进出口合同登记管理办法》（商务部令2009年第3号）",
        "本区办理技术进出口合同登记的经营者",
        "1. 自由进出口技术合同登记；2. 合同变更及终止登记；3. 登记信息与实际履行一致",
        [DOCUMENTARY],
    ),
    # Kept as history of the list ("动态调整"): each was retired when the law changed.
    _item(
        "SWJ-020", "SMLT", "典当行经营行为检查",
        "《典当管理办法》（商务部 公安部令2005年第8号）",
        "本区典当行及其分支机构",
        "1. 典当经营许可；2. 当票及续当、绝当管理；3. 财务与资金来源",
        [ONSITE, DOCUMENTARY],
    ),
    _item(
        "SWJ-021", "DWMY", "对外贸易经营者备案登记情况检查",
        "《中华人民共和国对外贸易法》（2016年修正）第九条；"
        "《对外贸易经营者备案登记办法》（商务部令2004年第14号）",
        "本区从事货物进出口或技术进出口的对外贸易经营者",
        "1. 备案登记；2. 备案事项变更",
        [DOCUMENTARY],
    ),
]  # fmt: skip

RETIRED = {
    "SWJ-020": "2018年起融资租赁、商业保理和典当行的业务经营和监管规则制定职责划转至金融监管部门，"
    "本局不再对典当行开展抽查",
    "SWJ-021": "2022年12月30日全国人大常委会修改《对外贸易法》，"
    "删去第九条对外贸易经营者备案登记规定",
}

# ---- generated subjects --------------------------------------------------------------------


def _words(text: str) -> list[str]:
    return text.split()


BRANDS = _words(
    "鑫源 华泰 恒达 瑞丰 海悦 宏远 盛世 金港 东方 蓝海 福润 永安 嘉禾 德润 佳美 富海 安信 泰和 "
    "新港 锦程 通达 和美 百川 汇丰 荣昌 天成 隆顺 益民 康达 祥瑞 鸿运 海川 海韵 金石 圣海 恒信 "
    "润泽 信诚 宝华 三石 丰源 中汇 新科 万顺 双岛 刘公 成山 赤山 远遥 仙姑 里口 石岛 望岛 凤鸣 "
    "文华 乐天 友联 君安 聚福 广源 兴达 国泰 利群 家家悦 悦海 海之蓝 金海湾 银滩 逍遥 福满 "
    "合众 正阳 长青 一品 好运 同心 宏宇 海大 新潮 齐盛"
)
FOREIGN_BRANDS = _words("韩成 世信 东日 大韩 晨星 三和 宇进 正新 日兴 高丽 新韩 太平")

SURNAMES = _words("王 张 刘 孙 于 丛 曲 毕 谷 林 李 赵 宋 姜 鞠 戚 梁 邹 徐 董 汤 高 田 姚")
GIVEN = _words(
    "伟 芳 娜 敏 静 丽 强 磊 军 洋 勇 艳 杰 涛 明 超 霞 平 刚 桂英 海燕 建华 志刚 晓东 "
    "丽华 秀英 玉兰 春梅 学军 海波 红梅 立新 德胜 成林 文静 婷婷 浩然 子涵 晨曦 雪松"
)

# sector key → (department codes, count, kind weights (enterprise, individual, cooperative),
#               name patterns by kind, tags, business scope)
SECTORS = {
    "prepaid": (
        ["SMLT", "SCYX"], 30, (1, 0, 0),
        {"enterprise": ["威海{b}商贸有限公司", "威海{b}健身服务有限公司",
                        "威海{b}餐饮管理有限公司"]},
        ["单用途商业预付卡", "零售"],
        "日用百货、预包装食品销售；健身服务；单用途商业预付卡发行与受理",
    ),
    "beauty": (
        ["SMLT"], 40, (3, 7, 0),
        {"enterprise": ["威海{b}美容服务有限公司"],
         "individual": ["威海经济技术开发区{b}美发店", "威海经济技术开发区{b}美容美发工作室"]},
        ["美容美发"], "美容服务；理发服务；化妆品零售",
    ),
    "laundry": (
        ["SMLT"], 25, (2, 8, 0),
        {"enterprise": ["威海{b}洗涤服务有限公司"],
         "individual": ["威海经济技术开发区{b}洗衣店", "威海经济技术开发区{b}干洗店"]},
        ["洗染"], "洗染服务；衣物护理",
    ),
    "housekeeping": (
        ["SMLT"], 20, (1, 0, 0),
        {"enterprise": ["威海{b}家政服务有限公司", "威海{b}家庭服务有限公司"]},
        ["家政服务"], "家政服务；养老服务；保洁服务",
    ),
    "recycling": (
        ["SMLT"], 25, (4, 6, 0),
        {"enterprise": ["威海{b}再生资源回收有限公司"],
         "individual": ["威海经济技术开发区{b}废品收购站"]},
        ["再生资源回收"], "再生资源回收（除生产性废旧金属）；生产性废旧金属回收",
    ),
    "scrap_vehicle": (
        ["SMLT"], 3, (1, 0, 0),
        {"enterprise": ["威海{b}报废汽车回收拆解有限公司"]},
        ["报废机动车回收拆解"], "报废机动车回收；报废机动车拆解",
    ),
    "used_car": (
        ["SMLT"], 15, (1, 0, 0),
        {"enterprise": ["威海{b}二手车交易市场有限公司", "威海{b}二手车经纪有限公司"]},
        ["二手车"], "二手车经纪；二手车交易市场经营；二手车鉴定评估",
    ),
    "auction": (
        ["SMLT"], 5, (1, 0, 0),
        {"enterprise": ["威海{b}拍卖有限公司"]},
        ["拍卖"], "拍卖业务；文物拍卖",
    ),
    "franchise": (
        ["SMLT"], 12, (1, 0, 0),
        {"enterprise": ["威海{b}餐饮连锁管理有限公司", "威海{b}连锁经营管理有限公司"]},
        ["商业特许经营"], "餐饮管理；品牌管理；特许经营",
    ),
    "auto_sales": (
        ["SMLT"], 12, (1, 0, 0),
        {"enterprise": ["威海{b}汽车销售服务有限公司"]},
        ["汽车销售"], "汽车新车销售；汽车零配件零售；机动车修理和维护",
    ),
    "fuel": (
        ["SCYX"], 15, (1, 0, 0),
        {"enterprise": ["威海{b}石油销售有限公司", "威海{b}能源有限公司"]},
        ["成品油零售", "加油站"], "成品油零售（限危险化学品）；润滑油销售；便利店",
    ),
    "supermarket": (
        ["SCYX", "SMLT"], 25, (3, 2, 0),
        {"enterprise": ["威海{b}超市有限公司", "威海{b}购物中心有限公司"],
         "individual": ["威海经济技术开发区{b}便利店"]},
        ["零售", "生活必需品保供"], "食品销售；日用百货销售；农副产品销售",
    ),
    "restaurant": (
        ["SCYX"], 30, (4, 6, 0),
        {"enterprise": ["威海{b}餐饮有限公司"],
         "individual": ["威海经济技术开发区{b}饭店", "威海经济技术开发区{b}海鲜酒家"]},
        ["餐饮"], "餐饮服务；食品销售",
    ),
    "used_electronics": (
        ["SMLT"], 8, (3, 5, 0),
        {"enterprise": ["威海{b}家电回收有限公司"],
         "individual": ["威海经济技术开发区{b}旧货店"]},
        ["旧电器电子产品"], "旧货销售；家用电器维修；废旧电器电子产品回收",
    ),
    "coop": (
        ["SCYX"], 8, (0, 0, 1),
        {"cooperative": ["威海经济技术开发区{b}果蔬专业合作社",
                         "威海经济技术开发区{b}海产品专业合作社"]},
        ["生活必需品保供"], "组织收购、销售成员种植的蔬菜、水果；农产品初加工",
    ),
    "trade": (
        ["DWMY"], 25, (1, 0, 0),
        {"enterprise": ["威海{b}进出口有限公司", "威海{b}国际贸易有限公司"]},
        ["进出口", "技术进出口"], "货物进出口；技术进出口；国内贸易代理",
    ),
    "foreign_invested": (
        ["WZWJ", "DWMY"], 20, (1, 0, 0),
        {"enterprise": ["{f}（威海）电子有限公司", "{f}（威海）精密机械有限公司",
                        "{f}（威海）食品有限公司"]},
        ["外商投资企业", "进出口"], "电子元器件制造；通用设备制造；货物进出口",
    ),
    "labour": (
        ["WZWJ"], 3, (1, 0, 0),
        {"enterprise": ["威海{b}国际经济技术合作有限公司"]},
        ["对外劳务合作"], "对外劳务合作；国际经济技术合作",
    ),
}  # fmt: skip

SCALES = {"enterprise": (["micro", "small", "medium", "large"], [45, 35, 15, 5])}

# Risk flags: (subject index in the generated list, flag, note, source)
RISK_FLAGS = [
    (3, "complaints", "近一年接到12345热线投诉9件，主要涉及预付卡退费难", "12345政务服务便民热线"),
    (17, "complaints", "会员卡余额退费投诉集中", "12315消费者投诉"),
    (48, "abnormal", "通过登记的住所无法联系，已列入经营异常名录", "国家企业信用信息公示系统"),
    (96, "abnormal", "未按期公示年度报告", "国家企业信用信息公示系统"),
    (121, "serious_violation", "曾因未按规定处置“五大总成”被行政处罚", "行政处罚决定书"),
    (150, "dishonest", "被人民法院列为失信被执行人", "信用中国"),
    (203, "complaints", "促销活动赠品未兑现投诉", "12345政务服务便民热线"),
    (240, "abnormal", "未按期公示年度报告", "国家企业信用信息公示系统"),
    (275, "dishonest", "被列入拖欠农民工工资失信联合惩戒对象名单", "信用中国（山东威海）"),
]

# Conflicts: (inspector credential no, subject index, kind, note)
CONFLICTS = [
    ("371072010001", 5, "kinship", "配偶在该企业任财务负责人"),
    ("371072010002", 60, "former_employment", "2018年前曾在该企业任职"),
    ("371072010004", 110, "shareholding", "近亲属持有该企业股份"),
    ("371072010006", 190, "other", "与该企业法定代表人系同村近邻，主动申报"),
]

# The reference date of "established on" for generated subjects (fixed: reruns are identical).
LATEST_ESTABLISHED = dt.date(2025, 12, 31)
