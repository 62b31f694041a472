import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("case_text", "0001_initial"),
        ("reform_cases", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="CaseSignature",
            fields=[
                (
                    "case",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="resemblance_signature",
                        serialize=False,
                        to="reform_cases.case",
                    ),
                ),
                ("content_hash", models.CharField(max_length=64)),
                ("signature", models.BinaryField()),
                ("computed_at", models.DateTimeField()),
                ("detected_at", models.DateTimeField(blank=True, null=True)),
            ],
            options={
                "verbose_name": "案例文本签名",
                "verbose_name_plural": "案例文本签名",
            },
        ),
        migrations.CreateModel(
            name="SignatureBand",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("key", models.BigIntegerField()),
                (
                    "signature",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="bands",
                        to="case_text.casesignature",
                    ),
                ),
            ],
            options={
                "verbose_name": "签名分段",
                "verbose_name_plural": "签名分段",
                "indexes": [models.Index(fields=["key"], name="signature_band_key")],
            },
        ),
        migrations.CreateModel(
            name="ResemblancePair",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("similarity", models.FloatField(verbose_name="相似度")),
                ("passages", models.JSONField(default=list, verbose_name="相同段落")),
                ("case_hash", models.CharField(max_length=64)),
                ("earlier_hash", models.CharField(max_length=64)),
                ("detected_at", models.DateTimeField(verbose_name="发现时间")),
                (
                    "verdict",
                    models.CharField(
                        choices=[
                            ("pending", "待核实"),
                            ("repeat", "确属重复申报"),
                            ("not_repeat", "不是重复申报"),
                        ],
                        default="pending",
                        max_length=20,
                        verbose_name="核实结果",
                    ),
                ),
                ("decided_at", models.DateTimeField(blank=True, null=True, verbose_name="核实时间")),
                ("note", models.TextField(blank=True, verbose_name="说明")),
                (
                    "case",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="resemblances",
                        to="reform_cases.case",
                    ),
                ),
                (
                    "earlier_case",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="later_resemblances",
                        to="reform_cases.case",
                    ),
                ),
                (
                    "decided_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="核实人",
                    ),
                ),
            ],
            options={
                "verbose_name": "相似案例",
                "verbose_name_plural": "相似案例",
                "ordering": ["-similarity", "pk"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("case", "earlier_case"), name="resemblance_pair_unique"
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("case", models.F("earlier_case")), _negated=True),
                        name="resemblance_pair_two_cases",
                    ),
                ],
            },
        ),
    ]
