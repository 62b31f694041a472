"""The search index's task: a case's words written by a worker, after the commit that
changed its text (in process on the embedded default, where Celery runs tasks eagerly)."""

from celery import shared_task


@shared_task(ignore_result=True)
def index_case(case_id: int) -> bool:
    from case_text.search import services  # on first run: jieba

    return services.index_case(case_id=case_id)
