"""Synthetic case texts on a topic, and their rewriting for the next year (重复申报).

Deterministic from a `random.Random`. Each sentence is built from phrase pools (the topic's
own and the shared language of reform cases), so two cases on the same topic share many words
and stock phrases but rarely a whole sentence — the hard negatives of repeated-submission
detection — while a rewritten case keeps most of its sentences.

`rewrite` makes what the issue describes: the title changed, `share` (30%) of the sentences
edited (half a sentence written anew, words replaced or inserted, a clause added) or moved
elsewhere in their section, and the figures of the new year.
"""

import random

from reform_cases.models import CASE_SECTIONS

# Per topic: the title's subject, what it is about, the pains before, and its own measures.
TOPICS = {
    "最多跑一次": {
        "objects": [
            "不动产登记",
            "企业开办",
            "投资项目审批",
            "社保医保办理",
            "户籍迁移",
            "公积金提取",
        ],
        "pains": ["群众办事多头跑、反复跑", "申请材料多、证明多", "审批环节多、时限长"],
        "measures": [
            "推行“一窗受理、集成服务”",
            "实行容缺受理和告知承诺",
            "压减申请材料和办事环节",
            "推动证明事项清单化管理",
            "打造“无差别”综合受理窗口",
        ],
    },
    "数字政府": {
        "objects": [
            "政务数据共享",
            "一体化智能化公共数据平台",
            "政务服务中台",
            "电子证照",
            "协同办公系统",
            "数据资源目录",
        ],
        "pains": ["数据分散在各部门、共享难", "系统重复建设、标准不一", "业务协同效率低"],
        "measures": [
            "建设统一的数据归集和治理体系",
            "推进电子证照跨部门互认",
            "构建业务协同模型",
            "开发多跨场景应用",
            "建立数据安全分级管理制度",
        ],
    },
    "基层治理": {
        "objects": [
            "基层治理“四平台”",
            "网格化管理",
            "村社事务",
            "矛盾纠纷调处",
            "平安创建",
            "社区服务",
        ],
        "pains": ["基层事务繁杂、力量分散", "矛盾纠纷发现晚、化解难", "条块之间衔接不畅"],
        "measures": [
            "整合综治、市场监管、综合执法、便民服务力量",
            "实行网格员专职化管理",
            "建立矛盾纠纷多元化解机制",
            "推行事件分流处置闭环",
            "完善村规民约和积分制",
        ],
    },
    "营商环境": {
        "objects": [
            "工程建设项目审批",
            "企业注销",
            "跨境贸易",
            "惠企政策兑现",
            "涉企执法检查",
            "信用监管",
        ],
        "pains": ["企业获得感不强", "政策兑现周期长", "涉企检查多头重复"],
        "measures": [
            "推行惠企政策“免申即享”",
            "实行“双随机、一公开”联合检查",
            "建立企业诉求闭环办理机制",
            "推进信用承诺和分级分类监管",
            "开展营商环境评价",
        ],
    },
    "共同富裕": {
        "objects": [
            "山区县跨越式发展",
            "低收入农户增收",
            "公共服务均等化",
            "强村富民",
            "山海协作",
            "收入分配制度",
        ],
        "pains": ["城乡区域发展差距较大", "低收入群体增收渠道窄", "公共服务供给不均衡"],
        "measures": [
            "建立低收入农户帮促机制",
            "发展强村公司和飞地经济",
            "推进山海协作产业园建设",
            "完善公共服务优质共享机制",
            "开展共同富裕基本单元建设",
        ],
    },
    "乡村振兴": {
        "objects": [
            "农村集体经济",
            "宅基地制度",
            "农业“双强”",
            "未来乡村",
            "农村人居环境",
            "乡村产业",
        ],
        "pains": ["农村要素活力不足", "集体经济薄弱", "乡村人才流失"],
        "measures": [
            "推进农村承包地“三权分置”",
            "盘活闲置农房和宅基地",
            "培育新型农业经营主体",
            "建设未来乡村示范带",
            "实施乡村人才振兴计划",
        ],
    },
    "生态环境": {
        "objects": [
            "河湖长制",
            "生态环境监测",
            "生态产品价值实现",
            "固体废物治理",
            "碳排放管理",
            "排污权交易",
        ],
        "pains": ["污染源底数不清", "生态价值难以量化", "执法监管手段单一"],
        "measures": [
            "建设生态环境智慧监管平台",
            "开展生态系统生产总值核算",
            "推行排污许可“一证式”管理",
            "建立生态补偿机制",
            "实施环境问题闭环整改",
        ],
    },
    "医保改革": {
        "objects": [
            "医保支付方式",
            "按病组付费",
            "医保基金监管",
            "长期护理保险",
            "药品集中采购",
            "异地就医结算",
        ],
        "pains": ["医保基金支出增长快", "群众看病负担重", "基金监管难度大"],
        "measures": [
            "推行按疾病诊断相关分组付费",
            "建设医保智能监控系统",
            "落实药品耗材集中带量采购",
            "推进异地就医直接结算",
            "建立长期护理保险制度",
        ],
    },
    "养老服务": {
        "objects": [
            "居家养老服务",
            "养老服务综合体",
            "智慧养老",
            "老年助餐",
            "失能老人照护",
            "养老服务补贴",
        ],
        "pains": ["养老服务供给不足", "服务质量参差不齐", "老年人需求难以精准掌握"],
        "measures": [
            "建设镇街养老服务中心",
            "推行养老服务“爱心卡”",
            "发展社区老年食堂",
            "建立失能老人评估和照护体系",
            "开发智慧养老服务平台",
        ],
    },
    "教育改革": {
        "objects": [
            "“双减”工作",
            "集团化办学",
            "义务教育优质均衡",
            "课后服务",
            "教师队伍建设",
            "招生入学",
        ],
        "pains": ["学生课业负担重", "优质教育资源分布不均", "家校协同不够"],
        "measures": [
            "推行城乡教育共同体",
            "规范校外培训机构管理",
            "提供弹性课后服务",
            "推进教师“县管校聘”",
            "实施招生入学“一件事”",
        ],
    },
}

UNIT_ACTIONS = ["坚持问题导向", "坚持系统集成", "坚持数字赋能", "坚持以人民为中心", "坚持改革创新",
                "聚焦群众关切", "聚焦重点领域", "对标先进地区"]  # fmt: skip
VERBS = [
    "全面推进",
    "深入实施",
    "系统重塑",
    "探索建立",
    "持续深化",
    "率先开展",
    "着力构建",
    "大力推动",
]
HOW = ["以数字化改革为牵引", "以制度创新为突破口", "以流程再造为抓手", "以多跨协同为路径",
       "以群众满意为标准", "以清单管理为基础", "以考核评价为导向"]  # fmt: skip
GAINS = ["办事效率明显提升", "群众获得感显著增强", "部门协同更加顺畅", "治理成本大幅下降",
         "服务质量持续改善", "基层负担有效减轻", "风险隐患及时化解"]  # fmt: skip
PARTNERS = ["发改、财政、人社等部门", "市场监管、税务、公安等部门", "乡镇(街道)和村(社区)",
            "行业协会和社会组织", "高校和科研院所", "金融机构和国有企业"]  # fmt: skip
MECHANISMS = ["联席会议制度", "督查考核机制", "专班推进机制", "清单化管理制度", "定期评估机制",
              "容错纠错机制", "多元投入机制"]  # fmt: skip
METRICS = ["办理时限", "申请材料", "跑动次数", "办件量", "群众满意度", "覆盖率", "受益群众"]
INSERTS = ["进一步", "持续", "全面", "切实", "有效", "积极"]
REPLACEMENTS = {"推进": "推动", "建立": "构建", "实现": "达成", "提升": "提高", "群众": "老百姓",
                "部门": "单位", "机制": "制度", "全面": "全方位", "明显": "显著", "开展": "实施"}  # fmt: skip


def _sentence_makers(rng: random.Random, topic: str, unit: str):
    t = TOPICS[topic]

    def obj():
        return rng.choice(t["objects"])

    def measure():
        return rng.choice(t["measures"])

    def pct():
        return f"{rng.randint(12, 95)}%"

    return {
        "summary": [
            lambda: (
                f"{unit}{rng.choice(UNIT_ACTIONS)},{rng.choice(HOW)},{rng.choice(VERBS)}{obj()}改革。"
            ),
            lambda: f"围绕{obj()}和{obj()},{unit}{measure()},{rng.choice(GAINS)}。",
            lambda: f"该做法被列入全省{topic}改革试点,{rng.choice(GAINS)},{obj()}工作走在前列。",
        ],
        "background": [
            lambda: f"过去在{obj()}领域,{rng.choice(t['pains'])},{rng.choice(t['pains'])}。",
            lambda: (
                f"据调查,{rng.randint(40, 90)}%的受访者认为{obj()}存在“{rng.choice(t['pains'])}”的问题。"
            ),
            lambda: f"{unit}{obj()}涉及{rng.choice(PARTNERS)},{rng.choice(t['pains'])}。",
            lambda: f"上级部署{topic}改革后,{unit}把{obj()}作为突破口。",
        ],
        "measures": [
            lambda: f"一是{measure()},{rng.choice(VERBS)}{obj()}标准化建设。",
            lambda: (
                f"二是会同{rng.choice(PARTNERS)}建立{rng.choice(MECHANISMS)},明确责任分工和时间节点。"
            ),
            lambda: f"三是{rng.choice(HOW)},把{obj()}纳入{rng.choice(MECHANISMS)}统一管理。",
            lambda: f"四是{measure()},同步{rng.choice(VERBS)}{obj()}数字化应用场景。",
            lambda: (
                f"五是建立{rng.choice(MECHANISMS)},每{rng.choice(['月', '季度', '半年'])}通报{obj()}进展情况。"
            ),
            lambda: f"{unit}还{measure()},并对{obj()}实行闭环管理。",
            lambda: (
                f"针对{rng.choice(t['pains'])}的问题,{rng.choice(VERBS)}{obj()}与{obj()}联动办理。"
            ),
        ],
        "results": [
            lambda: (
                f"改革以来,{obj()}的{rng.choice(METRICS)}{rng.choice(['压减', '提升', '缩短'])}{pct()}。"
            ),
            lambda: (
                f"全年累计办理{obj()}事项{rng.randint(1000, 99000)}件,{rng.choice(METRICS)}达到{pct()}。"
            ),
            lambda: f"{rng.choice(GAINS)},{obj()}相关投诉同比下降{pct()}。",
            lambda: f"相关做法获得省领导批示肯定,{rng.randint(2, 30)}个地区前来考察交流。",
        ],
        "innovation": [
            lambda: (
                f"首创{obj()}“{rng.choice(['一件事', '一码通', '一网办', '一站式'])}”集成改革模式,{rng.choice(GAINS)}。"
            ),
            lambda: f"在全省率先{measure()},形成可量化的{rng.choice(MECHANISMS)}。",
            lambda: (
                f"突破{rng.choice(t['pains'])}的体制障碍,实现{obj()}{rng.choice(['全流程网办', '数据共享', '跨域通办'])}。"
            ),
        ],
        "replicability": [
            lambda: f"{obj()}的做法已形成{rng.randint(3, 12)}项制度文件,可在同类地区复制推广。",
            lambda: (
                f"该模式成本低、易操作,适合在{rng.choice(['山区县', '海岛县', '城区', '乡镇'])}推广应用。"
            ),
            lambda: (
                f"下一步将{rng.choice(VERBS)}{obj()}改革,{rng.choice(HOW)},形成更多标志性成果。"
            ),
        ],
    }


SECTION_LENGTHS = {
    "summary": (2, 3),
    "background": (2, 4),
    "measures": (5, 8),
    "results": (3, 5),
    "innovation": (2, 3),
    "replicability": (2, 3),
}


def write_case(rng: random.Random, topic: str, unit: str) -> dict[str, str]:
    """The sections of a new case by `unit` on `topic`, each a paragraph of sentences."""
    makers = _sentence_makers(rng, topic, unit)
    sections = {}
    for name in CASE_SECTIONS:
        low, high = SECTION_LENGTHS[name]
        pool = makers[name]
        count = rng.randint(low, high)
        picks = [pool[i % len(pool)] for i in rng.sample(range(max(count, len(pool))), count)]
        sections[name] = "".join(make() for make in picks)
    return sections


def title_for(rng: random.Random, topic: str, unit: str) -> str:
    objects = TOPICS[topic]["objects"]
    pattern = rng.choice(
        ["{unit}{obj}改革", "{unit}深化{obj}改革的实践", "{unit}推进{topic}:{obj}新模式"]
    )
    return pattern.format(unit=unit, obj=rng.choice(objects), topic=topic)


def _split(paragraph: str) -> list[str]:
    parts, start = [], 0
    for i, char in enumerate(paragraph):
        if char == "。":
            parts.append(paragraph[start : i + 1])
            start = i + 1
    if start < len(paragraph):
        parts.append(paragraph[start:])
    return parts


def _edit(rng: random.Random, sentence: str, fresh: str) -> str:
    """A sentence reworded: its second half written anew (from `fresh`, another sentence of the
    same section), two words replaced by synonyms and one inserted, or a clause added."""
    choice = rng.random()
    if choice < 0.4 and "," in sentence and "," in fresh:
        head = sentence[: sentence.index(",") + 1]
        return head + fresh[fresh.index(",") + 1 :]
    if choice < 0.8:
        for word in [w for w in REPLACEMENTS if w in sentence][:2]:
            sentence = sentence.replace(word, REPLACEMENTS[word], 1)
        cut = sentence.find(",")
        cut = cut + 1 if cut > 0 else 0
        return sentence[:cut] + rng.choice(INSERTS) + sentence[cut:]
    body = sentence.rstrip("。")
    return f"{body},{rng.choice(GAINS)}。"


def rewrite(
    rng: random.Random, sections: dict[str, str], topic: str, unit: str, *, share: float = 0.3
) -> dict[str, str]:
    """The same case written again for the next year: `share` of its sentences edited or moved."""
    makers = _sentence_makers(rng, topic, unit)
    located = [(name, s) for name in CASE_SECTIONS for s in _split(sections[name])]
    touched = set(rng.sample(range(len(located)), round(len(located) * share)))
    by_section = {name: [] for name in CASE_SECTIONS}
    moved = []
    for i, (name, sentence) in enumerate(located):
        if i in touched and rng.random() < 0.35:
            moved.append((name, sentence))  # reordered: put back at another place below
            continue
        if i in touched:
            sentence = _edit(rng, sentence, rng.choice(makers[name])())
        by_section[name].append(sentence)
    for name, sentence in moved:
        place = by_section[name]
        place.insert(rng.randint(0, len(place)), sentence)
    # The figures of the new year.
    out = {}
    for name, parts in by_section.items():
        text = "".join(parts)
        out[name] = _new_figures(rng, text)
    return out


def _new_figures(rng: random.Random, text: str) -> str:
    result, digits = [], []
    for char in text + "\0":
        if char.isdigit():
            digits.append(char)
            continue
        if digits:
            value = int("".join(digits))
            result.append(str(max(1, value + rng.randint(-value // 5 - 1, value // 5 + 1))))
            digits = []
        result.append(char)
    return "".join(result[:-1])


def retitle(rng: random.Random, title: str, topic: str, unit: str) -> str:
    """A new title for the same case: what a repeated submission changes first."""
    objects = TOPICS[topic]["objects"]
    pattern = rng.choice(
        ["{unit}{obj}集成改革2.0", "{unit}以{topic}撬动{obj}变革", "打造{obj}新样板的{unit}探索"]
    )
    new = pattern.format(unit=unit, obj=rng.choice(objects), topic=topic)
    return new if new != title else new + "(升级版)"
