"""Completing a historical campaign: `import_results FILE` and the upload page."""

import csv
import io
from io import StringIO

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import Organisation
from reform_cases.models import Case, CaseEvent, CaseOutcome, Correction
from tests.factories import write_csv
from tests.helpers import REFERENCE_CSV, case_2020, city, section, tier_2020

pytestmark = pytest.mark.django_db

HEADER = ["year", "tier", "title", "units", "region", "field", "evidence"]
NEW_EXCELLENT = [
    "2020",
    "excellent",
    "西湖区“城市大脑”停车治理",
    "西湖区",
    "杭州市",
    "营商环境",
    "S9",
]
NEW_EXCELLENT_2 = [
    "2020",
    "优秀实践案例",
    "嘉善县数字乡村建设",
    "嘉善县",
    "嘉兴市",
    "乡村振兴",
    "S9",
]
QUJIANG = "衢江区“县乡一体、条抓块统”"


def run_import(path):
    """Run the command; return (stdout, stderr)."""
    out, err = StringIO(), StringIO()
    call_command("import_results", str(path), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def run_failing_import(path):
    """Run the command expecting CommandError; return (message, stderr)."""
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("import_results", str(path), stdout=out, stderr=err)
    return str(exc.value), err.getvalue()


def counts():
    return (
        Case.objects.count(),
        Correction.objects.count(),
        Organisation.objects.count(),
        CaseEvent.objects.count(),
        list(Case.objects.order_by("pk").values_list("title", "tier_id", "outcome")),
    )


def xlsx_bytes(rows):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- good files -------------------------------------------------------------


def test_good_csv_adds_new_excellent_cases(client, published_fixtures, tmp_path):
    path = write_csv(tmp_path / "2020-more.csv", [NEW_EXCELLENT, NEW_EXCELLENT_2])
    out, _err = run_import(path)

    assert "新增 2" in out
    for row in (NEW_EXCELLENT, NEW_EXCELLENT_2):
        case = case_2020(row[2])
        assert (case.outcome, case.tier) == (CaseOutcome.AWARDED, tier_2020("excellent"))
        assert case.is_historical
        assert case.evidence == "S9"
    new = case_2020(NEW_EXCELLENT[2])
    assert (new.organisation.name, new.organisation.parent.name) == ("西湖区", "杭州市")
    assert new.region == city("杭州市")
    assert new.field.name == "营商环境"
    assert new.events.filter(kind="imported", note__contains="2020-more.csv").exists()
    assert not Correction.objects.exists()

    html = client.get("/results/2020/").content.decode()
    excellent = section(html, "tier-excellent")
    assert NEW_EXCELLENT[2] in excellent
    assert NEW_EXCELLENT_2[2] in excellent
    assert "已公布 5 / 40" in excellent


def test_xlsx_file_works_the_same(client, published_fixtures, tmp_path):
    path = tmp_path / "2020-more.xlsx"
    # Years arrive as numbers from Excel.
    path.write_bytes(xlsx_bytes([[2020, *NEW_EXCELLENT[1:]], [2020, *NEW_EXCELLENT_2[1:]]]))
    out, _err = run_import(path)

    assert "新增 2" in out
    assert case_2020(NEW_EXCELLENT[2]).tier == tier_2020("excellent")
    assert case_2020(NEW_EXCELLENT_2[2]).organisation.name == "嘉善县"
    assert NEW_EXCELLENT_2[2] in section(
        client.get("/results/2020/").content.decode(), "tier-excellent"
    )


def test_dry_run_changes_nothing(published_fixtures, tmp_path):
    path = write_csv(tmp_path / "more.csv", [NEW_EXCELLENT])
    before = counts()
    out = StringIO()
    call_command("import_results", str(path), "--dry-run", stdout=out, stderr=StringIO())
    assert NEW_EXCELLENT[2] in out.getvalue()
    assert counts() == before


def test_reimporting_the_same_file_changes_nothing(published_fixtures, tmp_path):
    path = write_csv(tmp_path / "more.csv", [NEW_EXCELLENT])
    run_import(path)
    before = counts()

    out, _err = run_import(path)

    assert counts() == before
    assert not Correction.objects.exists()
    assert "新增 0,更正 0,未变 1" in out


def test_importing_the_published_reference_file_changes_nothing(published_fixtures):
    # The fixtures are exactly results-2020.csv, so every row is "unchanged".
    before = counts()
    out, _err = run_import(REFERENCE_CSV)
    assert counts() == before
    assert "新增 0,更正 0,未变 12" in out


@pytest.mark.parametrize("tier_text", ["excellent", "优秀实践案例"])
def test_row_for_an_existing_case_goes_through_the_correction_service(
    client, published_fixtures, tmp_path, tier_text
):
    row = [
        "2020",
        tier_text,
        "衢江区“县乡一体、条抓块统”",
        "衢江区",
        "衢州市",
        "基层社会治理",
        "S1",
    ]
    path = write_csv(tmp_path / "2020-tiers.csv", [row])
    before_cases = Case.objects.count()

    out, _err = run_import(path)

    assert "更正 1" in out
    assert Case.objects.count() == before_cases
    case = case_2020(QUJIANG)
    assert (case.outcome, case.tier) == (CaseOutcome.AWARDED, tier_2020("excellent"))
    correction = Correction.objects.get()
    assert (correction.case, correction.field_name) == (case, "award")
    assert correction.old_value == "入选(等次未公布)"
    assert correction.new_value == "优秀实践案例"
    assert "2020-tiers.csv" in correction.reason
    assert case.events.filter(kind="corrected").exists()

    html = client.get("/results/2020/").content.decode()
    corrections = section(html, "corrections")
    assert QUJIANG in corrections
    assert "2020-tiers.csv" in corrections
    assert "优秀实践案例" in corrections
    assert QUJIANG in section(html, "tier-excellent")
    assert QUJIANG not in section(html, "selected")


def test_title_written_with_other_quotation_marks_is_the_same_case(published_fixtures, tmp_path):
    row = ["2020", "best", '车辆检测"一件事"集成改革', "省委改革办;省公安厅", "浙江省", "", "S1"]
    path = write_csv(tmp_path / "quotes.csv", [row])
    run_import(path)
    assert Case.objects.filter(campaign__year=2020).count() == 12
    correction = Correction.objects.get()
    assert correction.field_name == "title"
    assert correction.old_value == "车辆检测“一件事”集成改革"


# --- organisations ----------------------------------------------------------


def test_county_is_matched_by_name_within_the_region_city(published_fixtures, tmp_path):
    chun_an = Organisation.objects.get(name="淳安县", parent__name="杭州市")
    organisations = Organisation.objects.count()
    row = ["2020", "excellent", "淳安县下姜村共富经验", "淳安县", "杭州市", "乡村振兴", "S9"]
    run_import(write_csv(tmp_path / "a.csv", [row]))
    assert Organisation.objects.count() == organisations
    assert case_2020("淳安县下姜村共富经验").organisation == chun_an


def test_new_unit_is_created_once_under_its_city(published_fixtures, tmp_path):
    organisations = Organisation.objects.count()
    first = [
        "2020",
        "excellent",
        "杭州市数据资源局公共数据开放",
        "杭州市数据资源局",
        "杭州市",
        "",
        "",
    ]
    second = ["2020", "excellent", "杭州市数据资源局一网通办", "杭州市数据资源局", "杭州市", "", ""]
    path = write_csv(tmp_path / "a.csv", [first])
    run_import(path)
    run_import(path)
    run_import(write_csv(tmp_path / "b.csv", [second]))

    assert Organisation.objects.count() == organisations + 1
    unit = Organisation.objects.get(name="杭州市数据资源局")
    assert unit.parent == city("杭州市")
    assert set(unit.cases.values_list("title", flat=True)) == {first[2], second[2]}


# --- encodings and file types -----------------------------------------------


@pytest.mark.parametrize("encoding", ["gb18030", "utf-8-sig"])
def test_csv_in_gb18030_or_with_a_bom_is_read(published_fixtures, tmp_path, encoding):
    path = write_csv(tmp_path / "excel.csv", [NEW_EXCELLENT], encoding=encoding)
    if encoding == "gb18030":
        assert path.read_bytes().decode("gb18030")  # really not UTF-8
        with pytest.raises(UnicodeDecodeError):
            path.read_bytes().decode("utf-8")
    else:
        assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    run_import(path)
    case = case_2020(NEW_EXCELLENT[2])
    assert case.organisation.name == "西湖区"
    assert case.field.name == "营商环境"


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
EXE = b"MZ\x90\x00" + b"\x00" * 200


@pytest.mark.parametrize(
    "name,content",
    [
        ("results.xlsx", PNG),
        ("results.xlsx", EXE),
        ("results.csv", EXE),
        ("results.csv", xlsx_bytes([NEW_EXCELLENT])),  # a workbook renamed .csv
        ("results.png", PNG),
        ("results.xlsx", b""),
    ],
)
def test_a_file_that_is_not_csv_or_xlsx_is_a_clear_error(
    published_fixtures, tmp_path, name, content
):
    path = tmp_path / name
    path.write_bytes(content)
    before = counts()
    message, _err = run_failing_import(path)
    assert message.strip()
    assert "Traceback" not in message
    assert counts() == before


def test_missing_file_is_a_clear_error(db, tmp_path):
    message, _err = run_failing_import(tmp_path / "nowhere.csv")
    assert "nowhere.csv" in message


def test_missing_columns_are_named(published_fixtures, tmp_path):
    path = tmp_path / "bad-header.csv"
    path.write_text("year,title\n2020,某案例\n", encoding="utf-8")
    message, _err = run_failing_import(path)
    assert "tier" in message


# --- bad rows: all or nothing -----------------------------------------------

BAD_ROWS = [
    # row, words the error must contain
    (["2020", "gold", "某个新案例甲", "西湖区", "杭州市", "", ""], ["gold"]),
    (["1999", "best", "某个新案例乙", "西湖区", "杭州市", "", ""], ["1999"]),
    (["2020", "excellent", "", "西湖区", "杭州市", "", ""], ["title"]),
    (["2020", "excellent", "某个新案例丙", "西湖区", "上海市", "", ""], ["上海市"]),
    (["2020", "excellent", "某个新案例丁", "西湖区", "杭州市", "航天", ""], ["航天"]),
    (["二〇二〇", "excellent", "某个新案例戊", "西湖区", "杭州市", "", ""], ["二〇二〇"]),
]


@pytest.mark.parametrize("bad,words", BAD_ROWS)
def test_one_bad_row_imports_nothing(published_fixtures, tmp_path, bad, words):
    path = write_csv(tmp_path / "bad.csv", [NEW_EXCELLENT, bad, NEW_EXCELLENT_2])
    before = counts()

    message, err = run_failing_import(path)

    assert counts() == before
    assert "第 3 行" in err
    assert "第 2 行" not in err and "第 4 行" not in err
    for word in words:
        assert word in err
    assert "未导入" in message


def test_every_bad_row_is_named_with_its_line_and_reason(published_fixtures, tmp_path):
    rows = [
        NEW_EXCELLENT,  # line 2: good
        ["2020", "gold", "未知等次的案例", "", "浙江省", "", ""],  # 3
        ["1999", "best", "未知年度的案例", "", "浙江省", "", ""],  # 4
        ["2020", "excellent", "", "", "浙江省", "", ""],  # 5
        ["2020", "excellent", "未知地区的案例", "", "上海市", "", ""],  # 6
        ["2020", "excellent", "未知领域的案例", "", "浙江省", "航天", ""],  # 7
        ["2020", "excellent", '西湖区"城市大脑"停车治理', "西湖区", "杭州市", "", ""],  # 8 = 2
    ]
    path = write_csv(tmp_path / "bad.csv", rows)
    before = counts()

    message, err = run_failing_import(path)

    assert counts() == before
    lines = err.strip().splitlines()
    expected = {
        3: "gold",
        4: "1999",
        5: "title",
        6: "上海市",
        7: "航天",
        8: "第 2 行",  # names the row it repeats
    }
    for line, reason in expected.items():
        matching = [text for text in lines if text.startswith(f"第 {line} 行")]
        assert len(matching) == 1, (line, lines)
        assert reason in matching[0], (line, matching)
    assert not any(text.startswith("第 2 行") for text in lines)
    assert "6 个错误" in message


def test_quota_exceeded_imports_nothing(published_fixtures, tmp_path):
    # 6 of the 10 best cases are published: five more would make 11.
    rows = [["2020", "best", f"新增最佳案例{i}", "西湖区", "杭州市", "", ""] for i in range(1, 6)]
    path = write_csv(tmp_path / "too-many.csv", rows)
    before = counts()

    _message, err = run_failing_import(path)

    assert counts() == before
    assert "第 6 行" in err  # the fifth new row, the eleventh case
    assert "名额为 10" in err and "11" in err
    assert "第 2 行" not in err


def test_quota_exactly_reached_is_accepted(published_fixtures, tmp_path):
    rows = [["2020", "best", f"新增最佳案例{i}", "西湖区", "杭州市", "", ""] for i in range(1, 5)]
    run_import(write_csv(tmp_path / "four.csv", rows))
    assert Case.objects.filter(tier=tier_2020("best")).count() == 10


def test_moving_a_case_out_of_a_full_tier_frees_its_place(published_fixtures, tmp_path):
    rows = [["2020", "best", f"新增最佳案例{i}", "西湖区", "杭州市", "", ""] for i in range(1, 5)]
    run_import(write_csv(tmp_path / "four.csv", rows))
    # The tier is full; moving one best case to excellent makes room for a new one.
    swap = [
        ["2020", "excellent", "温州市为侨服务“全球通”平台", "温州市", "温州市", "公共服务", "S1"],
        ["2020", "best", "新增最佳案例5", "西湖区", "杭州市", "", ""],
    ]
    run_import(write_csv(tmp_path / "swap.csv", swap))
    assert Case.objects.filter(tier=tier_2020("best")).count() == 10
    assert case_2020("温州市为侨服务“全球通”平台").tier == tier_2020("excellent")


# --- the upload page --------------------------------------------------------

IMPORT_URL = "/manage/results/import/"
APPLY_URL = "/manage/results/import/apply/"


def upload(client, name, content):
    return client.post(IMPORT_URL, {"file": SimpleUploadedFile(name, content)})


def csv_bytes(rows, encoding="utf-8"):
    buffer = io.StringIO()
    csv.writer(buffer).writerows([HEADER, *rows])
    return buffer.getvalue().encode(encoding)


@pytest.fixture
def admin_client(client_for, published_fixtures):
    return client_for("administrator")


def test_upload_page_shows_the_form(admin_client):
    r = admin_client.get(IMPORT_URL)
    assert r.status_code == 200
    assert 'type="file"' in r.content.decode()


def test_upload_previews_and_changes_nothing(admin_client):
    qujiang = ["2020", "excellent", QUJIANG, "衢江区", "衢州市", "基层社会治理", "S1"]
    before = counts()

    r = upload(admin_client, "2020-more.csv", csv_bytes([NEW_EXCELLENT, qujiang]))

    assert r.status_code == 200
    html = r.content.decode()
    assert NEW_EXCELLENT[2] in html
    assert QUJIANG in html
    assert "入选(等次未公布)" in html and "优秀实践案例" in html  # old → new of the change
    plan = r.context["plan"]
    assert (plan.count("create"), plan.count("update")) == (1, 1)
    assert APPLY_URL in html
    assert counts() == before


def test_apply_after_preview_imports_the_file(admin_client, django_capture_on_commit_callbacks):
    qujiang = ["2020", "excellent", QUJIANG, "衢江区", "衢州市", "基层社会治理", "S1"]
    public_before = admin_client.get("/results/2020/").content.decode()
    assert NEW_EXCELLENT[2] not in public_before
    r = upload(admin_client, "2020-more.csv", csv_bytes([NEW_EXCELLENT, qujiang]))
    token = r.context["token"]

    with django_capture_on_commit_callbacks(execute=True):
        r = admin_client.post(APPLY_URL, {"token": token})

    assert r.status_code == 302
    assert r["Location"] == IMPORT_URL
    assert case_2020(NEW_EXCELLENT[2]).tier == tier_2020("excellent")
    assert case_2020(QUJIANG).tier == tier_2020("excellent")
    correction = Correction.objects.get()
    assert "2020-more.csv" in correction.reason
    assert correction.actor == admin_client.user
    assert "导入完成" in admin_client.get(IMPORT_URL).content.decode()
    # The cached public page shows the import.
    html = admin_client.get("/results/2020/").content.decode()
    assert NEW_EXCELLENT[2] in section(html, "tier-excellent")

    # The token is used up: applying again changes nothing.
    before = counts()
    r = admin_client.post(APPLY_URL, {"token": token})
    assert r.status_code == 302
    assert counts() == before


@pytest.mark.parametrize("token", ["", "forged-token"])
def test_stale_or_forged_token_is_refused(admin_client, token):
    upload(admin_client, "2020-more.csv", csv_bytes([NEW_EXCELLENT]))
    before = counts()

    r = admin_client.post(APPLY_URL, {"token": token}, follow=True)

    assert r.redirect_chain == [(IMPORT_URL, 302)]
    assert "导入预览已过期" in r.content.decode()
    assert counts() == before


def test_apply_without_any_preview_is_refused(admin_client):
    before = counts()
    r = admin_client.post(APPLY_URL, {"token": "anything"})
    assert (r.status_code, r["Location"]) == (302, IMPORT_URL)
    assert counts() == before


def test_preview_of_a_bad_file_lists_row_errors_and_offers_no_apply(admin_client):
    rows = [NEW_EXCELLENT, ["2020", "gold", "未知等次的案例", "", "浙江省", "", ""]]
    before = counts()

    r = upload(admin_client, "bad.csv", csv_bytes(rows))

    assert r.status_code == 200
    html = r.content.decode()
    assert "第 3 行" in html and "gold" in html
    assert APPLY_URL not in html
    assert 'name="token"' not in html
    assert counts() == before


def test_database_change_between_preview_and_apply_is_caught(admin_client, tmp_path):
    rows = [["2020", "best", f"新增最佳案例{i}", "西湖区", "杭州市", "", ""] for i in range(1, 5)]
    r = upload(admin_client, "four.csv", csv_bytes(rows))
    token = r.context["token"]
    # Meanwhile the command fills the tier.
    run_import(
        write_csv(
            tmp_path / "other.csv", [["2020", "best", "别处导入的案例", "", "浙江省", "", ""]]
        )
    )
    before = counts()

    r = admin_client.post(APPLY_URL, {"token": token})

    assert r.status_code == 200
    assert "名额为 10" in r.content.decode()
    assert counts() == before


@pytest.mark.parametrize(
    "name,content", [("results.xlsx", PNG), ("results.csv", EXE), ("results.exe", EXE)]
)
def test_upload_of_a_file_that_is_not_a_table_is_a_form_error(admin_client, name, content):
    before = counts()
    r = upload(admin_client, name, content)
    assert r.status_code == 200
    assert r.context["form"].errors["file"]
    assert APPLY_URL not in r.content.decode()
    assert counts() == before


def test_uploaded_gb18030_csv_is_read(admin_client):
    r = upload(admin_client, "excel.csv", csv_bytes([NEW_EXCELLENT], encoding="gb18030"))
    assert r.status_code == 200
    assert NEW_EXCELLENT[2] in r.content.decode()
    assert r.context["plan"].ok


@pytest.mark.parametrize(
    "role,status", [("locality", 403), ("other_locality", 403), ("expert", 403)]
)
def test_upload_page_is_for_administrators_only(client_for, published_fixtures, role, status):
    client = client_for(role)
    before = counts()
    assert client.get(IMPORT_URL).status_code == status
    assert upload(client, "a.csv", csv_bytes([NEW_EXCELLENT])).status_code == status
    assert client.post(APPLY_URL, {"token": "x"}).status_code == status
    assert counts() == before


@pytest.mark.parametrize("role", ["anonymous", "deactivated"])
def test_upload_page_sends_anonymous_visitors_to_log_in(client_for, published_fixtures, role):
    client = client_for(role)
    r = client.get(IMPORT_URL)
    assert r.status_code == 302
    assert r["Location"].startswith("/accounts/login/?next=")
    r = upload(client, "a.csv", csv_bytes([NEW_EXCELLENT]))
    assert r.status_code == 302
    assert r["Location"].startswith("/accounts/login/")
    assert not Case.objects.filter(title=NEW_EXCELLENT[2]).exists()
