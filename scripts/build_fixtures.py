"""Write fixtures/*.json from fixtures/reference/*.csv and the texts below.

Run once when the reference data changes: `python scripts/build_fixtures.py`.
The fixtures use natural keys only, so loading them twice leaves the same rows.
Summaries are our own wording of the facts recorded in the reference notes.
"""

import csv
import json
import re
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REF = ROOT / "fixtures" / "reference"
OUT = ROOT / "fixtures"

PROVINCE = "浙江省"
# Provincial departments named in the sources (the list is not complete).
DEPARTMENTS = [
    "省委改革办",
    "省公安厅",
    "省市场监管局",
    "省纪委省监委",
    "省大数据局",
    "省发展改革委",
]

FIELDS = [
    ("营商环境", "Business environment"),
    ("政府数字化转型", "Digital transformation of government"),
    ("公共服务", "Public services"),
    ("企业和个人“一件事”", "Integrated “one matter” services for businesses and individuals"),
    ("基层社会治理", "Grassroots social governance"),
    ("机关内部“最多跑一次”改革", "“Run at most once” reform inside government bodies"),
    ("生态环境", "Ecology and environment"),
    ("乡村振兴", "Rural revitalisation"),
    ("民主法治", "Democracy and rule of law"),
    ("党建纪检", "Party building and discipline inspection"),
]

CAMPAIGNS = [
    {
        "year": 2019,
        "title": "2019年度浙江省改革创新实践案例",
        "title_en": "Zhejiang Reform and Innovation Practice Cases, 2019",
        "announced_on": None,
        "published_at": None,
        "description": (
            "共收到申报案例262个,其中省直部门牵头48个,市、县党委政府牵头214个。"
            "经实地调研、专家评审、公众推荐和综合评分,评出特别贡献案例10个、最佳实践案例10个、"
            "优秀实践案例20个。特别贡献案例主要依据综合得分,并考虑全国影响、浙江特色和省市县联动;"
            "最佳和优秀实践案例严格按综合得分确定。评选在省委改革办指导下,由浙江省委党校、"
            "《今日浙江》杂志社和省改革研究和促进中心组织。"
        ),
        "description_en": (
            "262 cases were submitted (48 led by provincial departments, 214 by city and county "
            "governments). After field research, expert review, public recommendation and a final "
            "score, 10 special contribution, 10 best and 20 excellent practice cases were named."
        ),
        "sources": "2019:《今日浙江》,2020年3月31日,www.jrzj.cn/art/2020/3/31/art_7_6118.html",
        # Source "2019" (《今日浙江》, 2020-03-31): "guided by 省委改革办, organised by
        # 浙江省委党校, 《今日浙江》杂志社 and 省改革研究和促进中心"; the guide is no organiser.
        "organiser_name": "浙江省委党校、《今日浙江》杂志社、省改革研究和促进中心",
        "tiers": [
            ("special", "特别贡献案例", "Special contribution", 1, 10),
            ("best", "最佳实践案例", "Best practice", 2, 10),
            ("excellent", "优秀实践案例", "Excellent practice", 3, 20),
        ],
    },
    {
        "year": 2020,
        "title": "2020年度浙江省改革创新实践案例",
        "title_en": "Zhejiang Reform and Innovation Practice Cases, 2020",
        "announced_on": "2021-01-28",
        "published_at": "2021-01-28T00:00:00+08:00",
        "description": (
            "由省内外各领域专家学者组成的评审委员会评审各地各部门的申报案例,"
            "评出最佳实践案例10个、优秀实践案例40个,于2021年1月28日揭晓。"
        ),
        "description_en": (
            "A committee of experts from inside and outside the province reviewed the cases "
            "submitted by localities and departments and named 10 best and 40 excellent practice "
            "cases, announced on 28 January 2021."
        ),
        "sources": (
            "S1:浙江新闻客户端,2021年浙江省两会报道,z.hangzhou.com.cn/2021/zjslh/content/content_7902503.html\n"
            "S2:《杭州日报》,2021年1月28日,hzyl.hangzhou.com.cn/content/content_7901470.html\n"
            "S3:f.sdnews.com.cn/xczx/qly/202102/t20210220_2866340.htm(2021年2月20日)\n"
            "S5:《检察日报》,2020年11月9日,www.spp.gov.cn/spp/zdgz/202011/t20201109_484305.shtml"
        ),
        "organiser_name": "",  # no source names the organiser of 2020: never invented
        "tiers": [
            ("best", "最佳实践案例", "Best practice", 1, 10),
            ("excellent", "优秀实践案例", "Excellent practice", 2, 40),
        ],
    },
]

SUMMARIES = {
    "浙江省未来社区试点建设": (
        "在全省开展未来社区试点,把智慧互联作为社区的基本特征,将物联网、大数据、云计算和人工智能"
        "用于社区的建设和运营。由城中村改造而来的杭州瓜山社区,2019年进入首批试点名单。"
    ),
    "嘉善县推进示范区政务服务一体化建设": (
        "2019年国务院批复设立长三角生态绿色一体化发展示范区,范围包括上海青浦、江苏吴江和浙江嘉善。"
        "嘉善推动跨区域政务服务“一网通办”,做到“一窗办、一网办、一机办”:办出首张跨区域营业执照,"
        "结婚证等8类电子证照在三地互认,自助服务终端覆盖示范区全域。"
    ),
    "车辆检测“一件事”集成改革": (
        "由省委改革办和省公安厅牵头,会同省市场监管局等部门推进。车主网上预约,交付钥匙和证件即可,"
        "整个检测约30分钟完成,过程在屏幕上实时可见。每年约有860万车主受益。"
    ),
    "温州市为侨服务“全球通”平台": (
        "疫情期间许多海外侨胞无法回国。平台提供线上政务服务、应急协调、远程医疗和物资捐赠四类服务场景,"
        "让侨胞身在海外也能办事、求助。"
    ),
    "“大下姜”联合体模式": (
        "杭州市统筹规划、淳安县组织实施,以下姜村为核心,联合跨乡镇的32个行政村,设立3个功能型党委"
        "和一家发展公司,区域面积约340平方公里。2020年,联合体内22个村的人均可支配收入31078元、"
        "村集体收入2015.66万元、集体经营性收入929.54万元,分别比2017年增长134.65%、162.58%和45.95%;"
        "全年接待游客154.26万人次,旅游收入7084.4万元。"
    ),
    "杭州“非羁码”互动式监管模式": (
        "杭州市人民检察院会同杭州市公安局,对取保候审和监视居住人员实行数字化、互动式监管。"
        "截至2020年10月27日,共监管1607人,无一人脱逃。"
    ),
    "浙江省全面推进乡镇(街道)纪检监察工作规范化建设": (
        "在全省每一个乡镇和街道推进纪检监察工作的规范化建设。"
    ),
    "杭州政商“亲清在线”数字平台": (
        "杭州市建设的政府与企业之间的数字平台,2020年杭州市政府工作报告称其为全国首创。"
    ),
    "临安区农民建房“一件事”全流程“掌上办”": ("农民建房审批从头到尾都可以在手机上办理。"),
    "宁波市镇海区法院“自动履行”": (
        "在全省法院办案平台上增设“自动履行”模块,履行数据自动填报、自动提取,与信用平台和商业银行联通,"
        "自动提醒义务人履行;设立“诚信履行名单”,配套银行信贷支持、行政审批快速通道等十项激励措施。"
    ),
    "衢江区“县乡一体、条抓块统”": (
        "制定乡镇属地管理事项责任清单:清单之外的事项由部门负责,清单之内的事项由部门牵头、乡镇配合。"
    ),
    "金华义乌“义新欧”双平台运营体制": (
        "2020年6月起,“义新欧”由两个平台运营:义乌的民营企业平台,和由省海港集团、金华市交通投资集团"
        "牵头的金华平台。在海运和空运受阻时,两个平台适度竞争、相互补充。"
    ),
    "浙江省深化监察体制改革试点": "2019年度特别贡献案例。",
}

# The one known case of 2019 (source: 《今日浙江》, 2020-03-31).
CASES_2019 = [
    {
        "year": "2019",
        "tier": "special",
        "title": "浙江省深化监察体制改革试点",
        "units": "省纪委省监委",
        "region": PROVINCE,
        "field": "",
        "evidence": "2019",
    }
]


def normalise_title(title):
    text = unicodedata.normalize("NFKC", title or "")
    return re.sub(r"[\s\"'“”‘’「」『』《》〈〉]+", "", text)


def main():
    divisions = list(csv.DictReader((REF / "zhejiang-divisions.csv").open(encoding="utf-8")))
    results = list(csv.DictReader((REF / "results-2020.csv").open(encoding="utf-8")))
    cities = list(dict.fromkeys(row["city"] for row in divisions))
    county_city = {}
    for row in divisions:
        county_city.setdefault(row["unit"], set()).add(row["city"])

    orgs = [
        {
            "model": "accounts.organisation",
            "fields": {"name": PROVINCE, "kind": "province", "parent": None},
        }
    ]
    orgs += [
        {"model": "accounts.organisation", "fields": {"name": c, "kind": "city", "parent": None}}
        for c in cities
    ]
    orgs += [
        {
            "model": "accounts.organisation",
            "fields": {"name": d, "kind": "department", "parent": None},
        }
        for d in DEPARTMENTS
    ]
    orgs += [
        {
            "model": "accounts.organisation",
            "fields": {"name": r["unit"], "kind": "county", "parent": [r["city"]]},
        }
        for r in divisions
    ]
    known = {(o["fields"]["name"], tuple(o["fields"]["parent"] or ())) for o in orgs}

    def unit_key(name, region):
        """Natural key of a unit, created under the region's city when unknown."""
        city = region if region in cities else None
        if city and (name, (city,)) in known:
            return [name, city]
        if (name, ()) in known:
            return [name]
        parent = [city] if city else None
        kind = "department" if name.startswith("省") else "other"
        orgs.append(
            {
                "model": "accounts.organisation",
                "fields": {"name": name, "kind": kind, "parent": parent},
            }
        )
        known.add((name, tuple(parent or ())))
        return [name, *parent] if parent else [name]

    fields = [
        {"model": "reform_cases.field", "fields": {"name": n, "name_en": e, "order": i}}
        for i, (n, e) in enumerate(FIELDS, start=1)
    ]
    campaigns, tiers = [], []
    for c in CAMPAIGNS:
        campaigns.append(
            {
                "model": "reform_cases.campaign",
                "fields": {
                    "year": c["year"],
                    "is_demo": False,
                    "title": c["title"],
                    "title_en": c["title_en"],
                    "status": "published",
                    "announced_on": c["announced_on"],
                    "published_at": c["published_at"],
                    "description": c["description"],
                    "description_en": c["description_en"],
                    "sources": c["sources"],
                    "organiser_name": c["organiser_name"],
                    "created_at": "2021-01-28T00:00:00+08:00",
                    "updated_at": "2021-01-28T00:00:00+08:00",
                },
            }
        )
        for code, name, name_en, order, quota in c["tiers"]:
            tiers.append(
                {
                    "model": "reform_cases.tier",
                    "fields": {
                        "campaign": [c["year"], False],
                        "code": code,
                        "name": name,
                        "name_en": name_en,
                        "order": order,
                        "quota": quota,
                    },
                }
            )

    cases = []
    for row in CASES_2019 + results:
        year = int(row["year"])
        units = [u for u in row["units"].split(";") if u.strip()]
        keys = [unit_key(u.strip(), row["region"]) for u in units]
        selected = row["tier"] == "selected"
        cases.append(
            {
                "model": "reform_cases.case",
                "fields": {
                    "campaign": [year, False],
                    "title": row["title"],
                    "title_key": normalise_title(row["title"]),
                    "organisation": keys[0] if keys else None,
                    "co_organisations": keys[1:],
                    "region": [row["region"]],
                    "field": [row["field"]] if row["field"] else None,
                    "summary": SUMMARIES[row["title"]],
                    "status": "accepted",
                    "outcome": "selected" if selected else "awarded",
                    "tier": None if selected else [row["tier"], year, False],
                    "evidence": row["evidence"],
                    "is_historical": True,
                    "created_at": "2021-01-28T00:00:00+08:00",
                    "updated_at": "2021-01-28T00:00:00+08:00",
                },
            }
        )

    def write(name, rows):
        (OUT / name).write_text(
            json.dumps(rows, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
        )

    write("01_organisations.json", orgs)
    write("02_fields.json", fields)
    write("03_campaigns.json", campaigns + tiers)
    write("04_cases.json", cases)
    print(
        f"{len(orgs)} organisations, {len(fields)} fields, {len(campaigns)} campaigns, "
        f"{len(tiers)} tiers, {len(cases)} cases"
    )


if __name__ == "__main__":
    main()
