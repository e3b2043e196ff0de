"""kaifaqu-llm: evidence-grounded development-zone profiles from OCR'd Chinese newspaper pages.

Pipeline, one module per stage::

    read page → segment into articles → extract (llm | rules) → ground evidence
    → aggregate per zone → export / report
"""

from ._backend import Usage
from ._batch import BatchConfig, article_rows, extract_rows
from ._catalog import Catalog, CatalogEntry, load_catalog
from ._config import ModelConfig, RetryPolicy
from ._document import Article, Page
from ._exceptions import (
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
from ._crosscheck import cross_check
from ._evaluate import format_table, score_profiles
from ._evaluate_segments import score_segmentation
from ._gold import load_gold
from ._output import read_profiles
from ._pipeline import ExtractOptions, ExtractResult, extract, extract_async
from ._export import write_csv, write_sqlite
from ._linker import ZoneLink, annotate_zones, link_zone
from ._reader import iter_page_paths, page_from_text, read_page, read_pages
from ._registry import build_registry, read_registry, write_zones
from ._report import render_report, write_report
from ._rules import extract_rules
from ._segmenter import segment, segment_paths
from ._shards import BatchOptions, BatchResult, extract_batch
from ._schema import (
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
from ._stitch import stitch

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
