"""Write the full-text search entry of every case (after loading fixtures or a database
restored without its index, or after changing the user dictionary or the stop words)."""

import time

from django.core.management.base import BaseCommand

from case_text.search.schema import tidy_after_rebuild
from case_text.search.services import CHUNK_SIZE, rebuild_index


class Command(BaseCommand):
    help = (
        "Segment every case but drafts (title, public sections, background) and write its "
        "full-text search entry, in chunks of --chunk-size cases per transaction. A case whose "
        "text and dictionaries are unchanged since it was indexed is skipped unless --force. "
        "Safe to run while the site is up; run it again after an interruption."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="Segment every case again, changed or not."
        )
        parser.add_argument(
            "--chunk-size",
            type=int,
            default=CHUNK_SIZE,
            help=f"Cases per transaction (default {CHUNK_SIZE}).",
        )

    def handle(self, *args, force=False, chunk_size=CHUNK_SIZE, verbosity=1, **options):
        started = time.monotonic()

        def progress(done):
            if verbosity > 1:
                self.stdout.write(f"  {done}")

        counts = rebuild_index(force=force, chunk_size=max(1, chunk_size), progress=progress)
        if counts["written"]:
            tidy_after_rebuild()
        if verbosity == 0:
            return
        self.stdout.write(
            f"全文检索索引:写入 {counts['written']} 个,未变 {counts['unchanged']} 个,"
            f"删除 {counts['removed']} 个,用时 {time.monotonic() - started:.1f} 秒。"
        )
