"""The text core: segmentation, the TF-IDF model, case vectors and their versions (issue 18)."""

import base64
import json
import logging
import os
import threading

import numpy as np
import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from case_text import services
from case_text.core.documents import CaseText, case_document, case_text
from case_text.core.segmentation import tokenize
from case_text.core.vectors import (
    FittedModel,
    cosine,
    cosines,
    current_model,
    fit,
    shared_terms,
    stack,
    vectorize,
)
from case_text.models import CaseVector, TextModel
from case_text.selectors import case_vectors, current_version
from case_text.signals import model_refitted
from case_text.tasks import vectorize_case as vectorize_case_task
from reform_cases.models import CaseOutcome, CaseStatus
from reform_cases.submission import services as submission_services
from tests.factories import CaseFactory, CountyFactory, UserFactory, open_campaign, submitted_case
from tests.helpers import publishing_to, redis_url_with_db

# Eight cases on unrelated reforms, written like the real ones (title, summary, sections).
TOPICS = {
    "services": (
        "深化“最多跑一次”改革 推进政务服务一网通办",
        "以群众和企业到政府办事“最多跑一次”为目标,推行一窗受理、集成服务。",
        "群众办事多头跑、重复交材料。整合部门审批事项,推行一窗受理和全程网办,"
        "数据共享替代材料提交,行政审批时间平均缩短一半,浙里办掌上办事。",
    ),
    "community": (
        "未来社区建设试点 打造共建共享社区生活",
        "围绕未来社区九大场景,建设邻里中心和社区食堂,打造十五分钟生活圈。",
        "老旧小区改造与未来社区统筹推进,社区居民议事会参与规划,邻里中心提供托育、"
        "养老服务和社区食堂,物业与社区共建,居民满意度提高。",
    ),
    "water": (
        "河长制湖长制全面落实 守护绿水青山",
        "建立省市县乡村五级河长体系,河道保洁和污水治理责任到人。",
        "河长巡河发现问题即时交办,污水零直排区建设,水质监测站点联网,"
        "河道生态修复,断面水质达标率提高,群众参与护河志愿队。",
    ),
    "health": (
        "县域医共体改革 让群众看病不出县",
        "以县级医院为龙头组建医共体,人员、财务、药品统一管理。",
        "县域医共体统一调配医生,专家下沉乡镇卫生院坐诊,远程会诊和检查结果互认,"
        "医保支付方式改革按病种付费,县域就诊率提高。",
    ),
    "school": (
        "落实双减政策 课后服务全覆盖",
        "义务教育学校课后服务全覆盖,减轻学生作业负担和校外培训负担。",
        "学校开设课后托管和兴趣课程,作业总量统筹管理,校外培训机构审批和资金监管,"
        "家长满意度调查,教师弹性上下班。",
    ),
    "farms": (
        "强村富民乡村振兴集成改革",
        "以村集体经济发展带动农民增收,探索共同富裕的乡村路径。",
        "村集体经营性资产股份合作,闲置农房盘活,农产品电商直播带货,"
        "山区26县结对帮扶,农民人均可支配收入增长,乡村振兴示范带建设。",
    ),
    "credit": (
        "信用监管体系建设 守信激励失信惩戒",
        "建设公共信用信息平台,信用评价结果用于分级分类监管。",
        "企业信用档案归集,信用承诺和信用修复,双随机一公开抽查按信用等级确定频次,"
        "失信联合惩戒名单,营商环境评价提高。",
    ),
    "carbon": (
        "碳达峰碳中和 绿色低碳园区改造",
        "工业园区能源消费在线监测,推动企业节能降碳和清洁能源替代。",
        "园区屋顶光伏,能耗双控预警,碳账户核算企业排放,绿色金融贷款贴息,"
        "高耗能企业技术改造,单位产值能耗下降。",
    ),
}


def topic_text(topic: str) -> CaseText:
    title, summary, body = TOPICS[topic]
    return CaseText(title, summary, body)


def topic_fields(topic: str) -> dict:
    title, summary, body = TOPICS[topic]
    return {"title": title, "summary": summary, "measures": body}


@pytest.fixture
def archive(db):
    """The eight topics as accepted cases of one campaign, and a first model fitted on them."""
    campaign = open_campaign()
    cases = {
        topic: CaseFactory(
            campaign=campaign,
            status=CaseStatus.ACCEPTED,
            outcome=CaseOutcome.PENDING,
            **topic_fields(topic),
        )
        for topic in TOPICS
    }
    services.refit_model(by=None)
    return cases


# --- segmentation -----------------------------------------------------------------------------


def test_tokenize_keeps_reform_vocabulary_whole():
    tokens = tokenize("深化“最多跑一次”改革,推进数字化改革和互联网+政务服务,支持山区26县共同富裕。")
    for word in ("最多跑一次", "数字化改革", "互联网+政务服务", "山区26县", "共同富裕"):
        assert word in tokens
    # … and not in pieces
    assert "跑" not in tokens and "最多" not in tokens and "互联网" not in tokens


def test_tokenize_drops_stop_words_punctuation_numbers_and_single_characters():
    tokens = tokenize("我们进一步开展了基层治理工作,“一件事”办理时间缩短50%,2021年。")
    assert tokens == ["基层治理", "一件事", "办理", "时间", "缩短"]


def test_tokenize_lower_cases_ascii_and_folds_full_width_letters():
    assert tokenize("上线ＡＰＰ和App,接入API") == ["上线", "app", "app", "接入", "api"]


def test_tokenize_of_nothing_is_nothing():
    assert tokenize("") == []
    assert tokenize(" ,。!…… 123 ") == []


def test_tokenize_is_the_same_from_several_threads_at_once():
    text = TOPICS["services"][2]
    expected = tokenize(text)
    results = []
    threads = [threading.Thread(target=lambda: results.append(tokenize(text))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [expected] * 4


# --- vectors (no database) ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def fitted():
    texts = [topic_text(topic) for topic in TOPICS]
    result = fit(iter(texts), n_documents=len(texts))
    return texts, result


def test_vectors_are_normalised_and_a_case_is_identical_to_itself(fitted):
    texts, result = fitted
    vectors = vectorize(texts, result.model)
    for vector in vectors:
        assert vector.norm() == pytest.approx(1.0, abs=1e-6)
        assert cosine(vector, vector) == pytest.approx(1.0, abs=1e-6)
        assert vector.indices.dtype == np.int32 and vector.weights.dtype == np.float32
        assert list(vector.indices) == sorted(vector.indices)


def test_unrelated_cases_are_far_apart_and_a_rewording_is_close(fitted):
    _texts, result = fitted
    model = result.model
    services_case, water, school = vectorize(
        [topic_text("services"), topic_text("water"), topic_text("school")], model
    )
    assert cosine(services_case, water) < 0.05
    assert cosine(water, school) < 0.05
    reworded = CaseText(
        "政务服务“最多跑一次”改革",
        "推行一窗受理,群众办事最多跑一次。",
        "审批事项整合,全程网办,数据共享,浙里办掌上办事。",
    )
    (near,) = vectorize([reworded], model)
    assert cosine(near, services_case) > 0.5
    assert shared_terms(near, services_case, model, k=3)[0] in {
        "最多跑一次",
        "一窗受理",
        "政务服务",
    }


def test_cosines_of_many_vectors_at_once_equal_the_cosines_one_by_one(fitted):
    texts, result = fitted
    vectors = vectorize(texts, result.model)
    (empty,) = vectorize(["完全不相干的新词汇"], result.model)
    everything = [*vectors, empty]
    matrix = stack(everything, len(result.model.terms))
    for query in vectors:
        expected = [cosine(query, v) for v in everything]
        assert np.allclose(cosines(query, matrix), expected, atol=1e-6)
    assert list(cosines(empty, matrix)) == [0.0] * len(everything)
    assert len(cosines(vectors[0], stack([], len(result.model.terms)))) == 0


def test_the_fit_and_the_stored_model_give_the_same_vectors(fitted):
    texts, result = fitted
    stored = FittedModel.unpack(*result.model.pack())
    assert stored.terms == result.model.terms
    again = vectorize(texts, stored)
    for i, vector in enumerate(again):
        from_fit = result.vector(i)
        assert np.array_equal(vector.indices, from_fit.indices)
        assert np.allclose(vector.weights, from_fit.weights, atol=1e-6)


def test_title_words_weigh_more_than_body_words(fitted):
    _texts, result = fitted
    model = result.model
    (in_title,) = vectorize([CaseText("河长制", "", "医共体")], model)
    weights = dict(zip(in_title.indices, in_title.weights, strict=True))
    # Same idf (each in one document of eight); tf 3 against 1: (1 + ln 3) / 1 ≈ 2.1.
    ratio = weights[model.index["河长制"]] / weights[model.index["医共体"]]
    assert ratio == pytest.approx(1 + np.log(3), rel=1e-4)


def test_unknown_words_give_an_empty_vector_that_matches_nothing(fitted):
    _texts, result = fitted
    (empty,) = vectorize(["完全不相干的新词汇"], result.model)
    (services_case,) = vectorize([topic_text("services")], result.model)
    assert len(empty) == 0
    assert cosine(empty, services_case) == 0.0
    assert shared_terms(empty, services_case, result.model) == []


# --- the database: submission, idempotence, refit ----------------------------------------------


def test_a_submission_gets_a_vector_under_the_current_model(
    archive, django_capture_on_commit_callbacks
):
    campaign = open_campaign()
    county = CountyFactory()
    user = UserFactory(locality=True, organisation=county)
    with django_capture_on_commit_callbacks(execute=True):
        case = submitted_case(
            campaign, county, user, **{**topic_fields("water"), "title": "河长制新案例"}
        )
    vector = CaseVector.objects.get(case=case)
    assert vector.version == current_version() == 1
    assert vector.content_hash == case_text(case).content_hash()
    found = case_vectors([case.pk, archive["water"].pk, archive["school"].pk])
    assert cosine(found[case.pk], found[archive["water"].pk]) > 0.6
    assert cosine(found[case.pk], found[archive["school"].pk]) < 0.05


def test_the_first_submission_fits_the_first_model(db, django_capture_on_commit_callbacks):
    campaign = open_campaign()
    county = CountyFactory()
    user = UserFactory(locality=True, organisation=county)
    assert current_version() is None
    with django_capture_on_commit_callbacks(execute=True):
        case = submitted_case(campaign, county, user, **topic_fields("health"))
    model = TextModel.objects.get(is_current=True)
    assert (model.version, model.n_documents) == (1, 1)
    assert "医共体" in current_model().terms
    assert set(case_vectors([case.pk])) == {case.pk}


def test_vectorizing_an_unchanged_case_again_writes_nothing(archive):
    case = archive["credit"]
    before = CaseVector.objects.get(case=case)
    services.vectorize_case(case_id=case.pk)  # the process now holds the model
    with CaptureQueriesContext(connection) as queries:
        services.vectorize_case(case_id=case.pk)
    writes = [q["sql"] for q in queries if not q["sql"].lstrip().upper().startswith("SELECT")]
    assert writes == []
    # The case's text, the current version, the corpus size (young model), the stored hash.
    assert len(queries) == 4
    assert CaseVector.objects.get(case=case).computed_at == before.computed_at


def test_a_returned_case_resubmitted_with_new_text_gets_a_new_vector(
    archive, django_capture_on_commit_callbacks
):
    campaign = open_campaign()
    county = CountyFactory()
    user = UserFactory(locality=True, organisation=county)
    office = UserFactory(administrator=True)
    with django_capture_on_commit_callbacks(execute=True):
        case = submitted_case(
            campaign, county, user, **{**topic_fields("school"), "title": "双减试点"}
        )
    first = CaseVector.objects.get(case=case)
    submission_services.return_case(case=case, by=office, reason="请补充成效。")
    case.refresh_from_db()
    case.measures = TOPICS["carbon"][2]
    case.save()
    with django_capture_on_commit_callbacks(execute=True):
        submission_services.submit_case(case=case, by=user)
    second = CaseVector.objects.get(case=case)  # still one vector for the version
    assert second.content_hash != first.content_hash
    assert second.computed_at > first.computed_at
    carbon = case_vectors([archive["carbon"].pk])[archive["carbon"].pk]
    assert cosine(second.as_vector(), carbon) > cosine(first.as_vector(), carbon)


def test_a_failing_text_core_does_not_fail_the_submission(
    db, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    def broken(*, case_id):
        raise RuntimeError("jieba is gone")

    monkeypatch.setattr(services, "vectorize_case", broken)
    campaign = open_campaign()
    county = CountyFactory()
    user = UserFactory(locality=True, organisation=county)
    with (
        caplog.at_level(logging.WARNING, logger="case_text.receivers"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        case = submitted_case(campaign, county, user)
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED
    assert not CaseVector.objects.filter(case=case).exists()
    assert f"Could not compute the text vector of case {case.pk}" in caplog.text


def test_refit_bumps_the_version_and_recomputes_every_vector_without_mixing_versions(
    archive, monkeypatch
):
    ids = [case.pk for case in archive.values()]
    # One case is rewritten after version 1: its vectors of versions 1 and 2 differ.
    changed = archive["school"]
    changed.measures = TOPICS["carbon"][2]
    changed.save()
    old = case_vectors([changed.pk])[changed.pk]
    seen = {}
    real_make_current = services._make_current

    def spy(new):
        # Version 2's vectors are all written, and readers still get version 1's.
        seen["written"] = CaseVector.objects.filter(model_id=new.version).count()
        seen["current"] = current_version()
        seen["read"] = case_vectors(ids)
        return real_make_current(new)

    monkeypatch.setattr(services, "_make_current", spy)
    versions = []

    def receiver(sender, version, **kwargs):
        versions.append(version)

    model_refitted.connect(receiver)
    try:
        report = services.refit_model(by=None)
    finally:
        model_refitted.disconnect(receiver)
    assert seen["written"] == len(ids)
    assert seen["current"] == 1
    assert set(seen["read"]) == set(ids)
    assert np.array_equal(seen["read"][changed.pk].weights, old.weights)
    assert (report.version, report.n_documents, report.current) == (2, len(ids), True)
    assert versions == [2]
    assert current_version() == 2
    assert set(CaseVector.objects.values_list("model_id", flat=True)) == {2}
    new = case_vectors(ids)
    assert set(new) == set(ids)
    assert not np.array_equal(new[changed.pk].indices, old.indices)
    assert CaseVector.objects.get(case=changed).content_hash == case_text(changed).content_hash()
    assert case_vectors(ids, version=1) == {}


def test_a_refit_finishing_after_a_later_one_is_dropped(archive):
    stale = TextModel.objects.create(
        version=5, n_documents=0, n_terms=0, min_df=1, terms=b"", idf=b"", is_current=False
    )
    TextModel.objects.filter(is_current=True).update(is_current=False)
    TextModel.objects.filter(version=5).update(is_current=True)
    loser = TextModel.objects.create(
        version=4, n_documents=0, n_terms=0, min_df=1, terms=b"", idf=b"", is_current=False
    )
    assert services._make_current(loser) is False
    assert current_version() == stale.version


def test_a_young_model_is_refitted_when_the_archive_has_doubled(
    archive, django_capture_on_commit_callbacks
):
    assert TextModel.objects.get(is_current=True).n_documents == len(TOPICS)
    campaign = open_campaign()
    for i in range(len(TOPICS) + 1):
        CaseFactory(
            campaign=campaign,
            status=CaseStatus.ACCEPTED,
            outcome=CaseOutcome.PENDING,
            **{**topic_fields("farms"), "title": f"强村富民{i}"},
        )
    services.vectorize_case(case_id=archive["farms"].pk)
    model = TextModel.objects.get(is_current=True)
    assert (model.version, model.n_documents) == (2, 2 * len(TOPICS) + 1)


def test_the_command_refits_and_says_what_it_did(archive, capsys):
    call_command("refit_text_model")
    out = capsys.readouterr().out
    assert f"文本模型版本 2:{len(TOPICS)} 个案例" in out
    assert current_version() == 2


def test_case_document_joins_title_summary_and_sections(db):
    case = CaseFactory.build(
        title="标题", summary="简介", background="背景", measures="", results="成效"
    )
    assert case_document(case) == "标题\n简介\n背景\n成效"


# --- with a real broker ------------------------------------------------------------------------

BROKER_DB = 11  # a Redis database of its own: flushing it touches nothing else


def _queued_tasks(url: str) -> list[tuple[str, list]]:
    """(task name, args) of every message waiting in the broker's default queue."""
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
    queued = []
    for raw in client.lrange("celery", 0, -1):
        message = json.loads(raw)
        args, _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
        queued.append((message["headers"]["task"], args))
    return queued


@pytest.mark.skipif(
    not os.environ.get("REDIS_URL") and os.environ.get("REQUIRE_WORKER") != "1",
    reason="REDIS_URL is not set: no broker to enqueue to",
)
def test_with_a_broker_the_submission_enqueues_one_vectorize_task_on_commit(
    archive, django_capture_on_commit_callbacks
):
    import redis

    url = redis_url_with_db(BROKER_DB)
    assert url is not None, "REQUIRE_WORKER=1 but REDIS_URL is not set"
    redis.Redis.from_url(url).flushdb()
    campaign = open_campaign()
    county = CountyFactory()
    user = UserFactory(locality=True, organisation=county)
    try:
        with publishing_to(url):
            with django_capture_on_commit_callbacks(execute=False) as callbacks:
                case = submitted_case(campaign, county, user, **topic_fields("carbon"))
            assert _queued_tasks(url) == []  # nothing leaves before the commit
            for callback in callbacks:
                callback()
        # (other packages enqueue their own tasks for the same submission)
        mine = [args for name, args in _queued_tasks(url) if name == vectorize_case_task.name]
        assert mine == [[case.pk]]
        assert not CaseVector.objects.filter(case=case).exists()
        # What the worker runs, twice (a redelivery): one vector, unchanged by the second run.
        vectorize_case_task(case.pk)
        first = CaseVector.objects.get(case=case)
        vectorize_case_task(case.pk)
        assert CaseVector.objects.get(case=case).computed_at == first.computed_at
    finally:
        redis.Redis.from_url(url).flushdb()


def test_a_refit_of_an_empty_archive_stores_an_empty_model(db):
    report = services.refit_model(by=None)
    assert (report.version, report.n_documents, report.n_terms) == (1, 0, 0)
    assert current_model().terms == []
    assert vectorize([topic_text("water")], current_model())[0].norm() == 0.0
