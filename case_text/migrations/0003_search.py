import django.db.models.deletion
from django.db import migrations, models

from case_text.search import schema


class Migration(migrations.Migration):
    dependencies = [
        ("case_text", "0002_resubmission"),
        ("reform_cases", "0007_notice_period_events"),
    ]

    operations = [
        migrations.CreateModel(
            name="SearchEntry",
            fields=[
                (
                    "case",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="search_entry",
                        serialize=False,
                        to="reform_cases.case",
                        verbose_name="案例",
                    ),
                ),
                ("title_terms", models.TextField(blank=True, verbose_name="标题词语")),
                ("public_terms", models.TextField(blank=True, verbose_name="公开正文词语")),
                ("private_terms", models.TextField(blank=True, verbose_name="非公开正文词语")),
                ("source_hash", models.CharField(max_length=64)),
                ("indexed_at", models.DateTimeField(auto_now=True, verbose_name="索引时间")),
            ],
            options={
                "verbose_name": "全文检索条目",
                "verbose_name_plural": "全文检索条目",
            },
        ),
        # The full-text index by vendor (case_text/search/schema.py): a GIN-indexed generated
        # tsvector on PostgreSQL, an FTS5 table kept by triggers on SQLite.
        migrations.RunPython(schema.create_index, schema.drop_index),
    ]
