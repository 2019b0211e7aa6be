"""The reference codes of domain.md, loaded by a data migration and by `seed-demo`."""

from __future__ import annotations

RESULT = "result"
METHOD = "method"
FOLLOWUP = "followup"

# (kind, code, name_zh, name_en, is_exclusive)
CODES: list[tuple[str, str, str, str, bool]] = [
    (RESULT, "no_problem", "未发现问题", "No problem found", True),
    (
        RESULT,
        "not_disclosed",
        "未按规定公示应当公示的信息",
        "Required information not disclosed",
        False,
    ),
    (
        RESULT,
        "false_disclosure",
        "公示信息隐瞒真实情况弄虚作假",
        "Disclosed information false",
        False,
    ),
    (
        RESULT,
        "unreachable",
        "通过登记的住所（经营场所）无法联系",
        "Unreachable at registered address",
        False,
    ),
    (RESULT, "corrected", "发现问题已责令改正", "Problem found, ordered to correct", False),
    (RESULT, "pending", "发现问题待后续处理", "Problem found, pending handling", False),
    (
        RESULT,
        "no_activity",
        "未发现开展本次抽查涉及的经营活动",
        "No activity within this check",
        False,
    ),
    (RESULT, "obstructed", "不配合检查情节严重", "Seriously uncooperative", False),
    (RESULT, "closed", "已关闭停业或正在组织清算", "Closed or in liquidation", False),
    (
        RESULT,
        "deregistered",
        "注销 / 被吊销 / 被撤销 / 迁出",
        "Deregistered, revoked or moved",
        False,
    ),
    (METHOD, "onsite", "实地核查", "On-site check", False),
    (METHOD, "documentary", "书面检查", "Documentary check", False),
    (METHOD, "online", "网络监测", "Online monitoring", False),
    (METHOD, "testing", "检验检测", "Testing", False),
    (METHOD, "commissioned", "委托专业机构", "Commissioned body", False),
    (METHOD, "other_dept", "采用其他部门检查结果", "Results of other departments", False),
    (FOLLOWUP, "none", "无须后续处置", "No follow-up needed", True),
    (FOLLOWUP, "rectify", "责令限期整改", "Ordered to rectify by a deadline", False),
    (FOLLOWUP, "to_daily", "移交日常监管部门", "Handed to routine supervision", False),
    (FOLLOWUP, "to_case", "发现案件线索移送办案机构", "Case clue sent to investigators", False),
    (
        FOLLOWUP,
        "notify_other",
        "抄告其他部门 (移交线索)",
        "Clue passed to another department",
        False,
    ),
    (FOLLOWUP, "to_judiciary", "移送司法机关", "Transferred to the judiciary", False),
    (FOLLOWUP, "other", "其他", "Other", False),
]


def code_rows() -> list[dict]:
    """The rows as dicts, with a stable sort order inside each kind."""
    rows, order = [], {}
    for kind, code, zh, en, exclusive in CODES:
        order[kind] = order.get(kind, 0) + 1
        rows.append(
            {
                "kind": kind,
                "code": code,
                "name_zh": zh,
                "name_en": en,
                "gs52_code": None,
                "sort": order[kind],
                "is_exclusive": exclusive,
                "is_active": True,
            }
        )
    return rows
