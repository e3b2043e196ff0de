"""kaifaqu-llm: evidence-grounded development-zone profiles from OCR'd Chinese newspaper pages.

Pipeline, one module per stage::

    read page → segment into articles → extract (llm | rules) → ground evidence
    → aggregate per zone → export / report
"""

from .extract.backend import Usage
from .run.batch import BatchConfig, article_rows, extract_rows
from .zones.catalog import Catalog, CatalogEntry, load_catalog
from .extract.llm.config import ModelConfig, RetryPolicy
from .core.document import Article, Page
from .core.errors import (
    CatalogError,
    ConfigError,
    ExtractionError,
    GoldFormatError,
    InputError,
    KaifaquError,
    PageDecodeError,
    QuotaExceededError,
    ResponseError,
    TransportError,
)
from .extract.hybrid import cross_check
from .evaluate.scores import format_table, score_profiles
from .evaluate.segments import score_segmentation
from .evaluate.gold import load_gold
from .outputs.files import read_profiles
from .run.pipeline import ExtractOptions, ExtractResult, extract, extract_async
from .outputs.export import write_csv, write_sqlite
from .zones.linker import ZoneLink, annotate_zones, link_zone
from .pages.reader import iter_page_paths, page_from_text, read_page, read_pages
from .zones.registry import build_registry, read_registry, write_zones
from .outputs.report import render_report, write_report
from .extract.rules.backend import extract_rules
from .pages.segment import segment, segment_paths
from .run.engine import BatchResult, extract_batch
from .run.options import BatchOptions
from .core.schema import (
    ArticleProfile,
    Event,
    Indicator,
    Industry,
    Organization,
    Person,
    Project,
    Zone,
    export_json_schemas,
)
from .core.record import ProfileRecord
from .pages.stitch import stitch

__version__ = "0.1.0"

__all__ = [
    "__version__",
    # documents
    "Page",
    "Article",
    # reading and segmenting pages
    "read_page",
    "read_pages",
    "iter_page_paths",
    "page_from_text",
    "segment",
    "segment_paths",
    "stitch",
    "score_segmentation",
    # extraction
    "extract",
    "extract_async",
    "ExtractOptions",
    "ExtractResult",
    "ModelConfig",
    "RetryPolicy",
    "Usage",
    "read_profiles",
    "extract_rules",
    "cross_check",
    # scale-out: sharded, resumable batches (local or Ray Data)
    "extract_batch",
    "BatchConfig",
    "BatchOptions",
    "BatchResult",
    "article_rows",
    "extract_rows",
    # evaluation
    "load_gold",
    "score_profiles",
    "format_table",
    # profile schema
    "ArticleProfile",
    "Zone",
    "Industry",
    "Indicator",
    "Project",
    "Organization",
    "Person",
    "Event",
    "ProfileRecord",
    "export_json_schemas",
    # zone registry, exports, review page
    "build_registry",
    "read_registry",
    "write_zones",
    "write_csv",
    "write_sqlite",
    "render_report",
    "write_report",
    # zone catalog and linking
    "load_catalog",
    "Catalog",
    "CatalogEntry",
    "link_zone",
    "annotate_zones",
    "ZoneLink",
    # errors
    "KaifaquError",
    "InputError",
    "PageDecodeError",
    "GoldFormatError",
    "ConfigError",
    "CatalogError",
    "ExtractionError",
    "TransportError",
    "QuotaExceededError",
    "ResponseError",
]
