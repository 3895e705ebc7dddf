"""The shop behind the WebShop-style environment: catalog, goals per split, search index file.

Building a shop (generating or reading products, drawing goals, indexing for BM25 search; see
WebShop, Yao et al., 2022, arXiv 2207.01206) happens once per configuration and is cached on
disk under ``<cache root>/<hash of the configuration>/`` (``shop.pickle`` + ``index.sqlite``).
The cache root is the ``cache_dir`` argument, else ``$AGENTRL_WEBSHOP_CACHE``, else
``~/.cache/agentrl/webshop``. Within a process a built shop is kept in memory as well, so fresh
environment instances cost one read-only SQLite connection.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import pickle
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from agentrl.environments.webshop.catalog import Product, generate_catalog
from agentrl.environments.webshop.goals import Goal, generate_goals, split_goals
from agentrl.environments.webshop.original import data_files, load_original
from agentrl.environments.webshop.search import build_index
from agentrl.errors import UserError

__all__ = ["Shop", "ShopConfig", "default_cache_root", "load_shop"]

#: Bump when generated data or the cache layout changes, so stale caches are not reused.
CACHE_VERSION = 3
_memory: dict[str, Shop] = {}
_lock = threading.Lock()


def default_cache_root() -> Path:
    env = os.environ.get("AGENTRL_WEBSHOP_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "agentrl" / "webshop"


@dataclass(frozen=True)
class ShopConfig:
    """What defines a shop: a generated catalog, or WebShop's files in ``data_dir``."""

    num_products: int = 1000
    num_goals: int = 2000
    n_test: int = 200
    n_valid: int = 200
    seed: int = 0
    data_dir: str | None = None

    def fingerprint(self) -> str:
        desc: dict[str, object] = {"version": CACHE_VERSION, "seed": self.seed}
        if self.data_dir is None:
            desc.update(kind="generated", num_products=self.num_products,
                        num_goals=self.num_goals, n_test=self.n_test, n_valid=self.n_valid)
        else:
            files = {}
            for role, path in data_files(self.data_dir).items():
                if path is not None:
                    st = path.stat()
                    files[role] = [str(path.resolve()), st.st_size, st.st_mtime_ns]
            desc.update(kind="original", files=files)
        blob = json.dumps(desc, sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:16]


@dataclass
class Shop:
    """Products (catalog order = search row ids), goals by split, and the index file."""

    products: list[Product]
    splits: dict[str, list[Goal]]
    index_path: Path

    def __post_init__(self) -> None:
        self.position = {p.asin: i for i, p in enumerate(self.products)}
        self.goal_by_id = {g.goal_id: g for goals in self.splits.values() for g in goals}
        self.split_of = {g.goal_id: s for s, goals in self.splits.items() for g in goals}

    def product(self, asin: str) -> Product:
        return self.products[self.position[asin]]


def _split_sizes(n: int, config: ShopConfig) -> tuple[int, int]:
    if config.data_dir is None:
        return config.n_test, config.n_valid
    if n >= 3000:  # WebShop's own split: 500 test, 1000 valid, the rest train
        return 500, 1000
    share = max(1, n // 10)
    return share, share


def _build(config: ShopConfig) -> tuple[list[Product], dict[str, list[Goal]]]:
    if config.data_dir is None:
        if config.n_test < 1 or config.n_valid < 1 or config.num_goals <= config.n_test + \
                config.n_valid:
            raise ValueError("need n_test >= 1, n_valid >= 1 and num_goals > n_test + n_valid")
        products = generate_catalog(config.num_products, config.seed)
        goals = generate_goals(products, config.num_goals, config.seed)
        if len(goals) <= config.n_test + config.n_valid:
            raise UserError(f"webshop: only {len(goals)} distinct goals can be drawn from "
                            f"{config.num_products} products; lower num_goals, n_test or n_valid, "
                            "or raise num_products")
    else:
        products, goals = load_original(config.data_dir, config.seed)
    n_test, n_valid = _split_sizes(len(goals), config)
    return products, split_goals(goals, n_test, n_valid, config.seed)


def load_shop(config: ShopConfig, cache_dir: str | os.PathLike[str] | None = None) -> Shop:
    """The shop of ``config``, from memory, from the disk cache, or built (and cached)."""
    root = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_root()
    folder = root / config.fingerprint()
    key = str(folder.resolve())
    with _lock:
        shop = _memory.get(key)
        if shop is not None and shop.index_path.exists():
            return shop
        shop = _load_cached(folder)
        if shop is None:
            status = Console(stderr=True).status(
                f"webshop: building the catalog and search index once (cache: {folder})")
            with status, _no_gc():
                products, splits = _build(config)
                folder.mkdir(parents=True, exist_ok=True)
                build_index(folder / "index.sqlite", (p.search_text for p in products))
            tmp = folder / f"shop.pickle.{os.getpid()}.tmp"
            with open(tmp, "wb") as fh:
                pickle.dump({"version": CACHE_VERSION, "products": products, "splits": splits},
                            fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, folder / "shop.pickle")
            shop = Shop(products, splits, folder / "index.sqlite")
        _memory[key] = shop
        return shop


@contextmanager
def _no_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while creating many objects that form no cycles
    (products, goals); with it running, loading 100,000 products takes 2.5x as long."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _load_cached(folder: Path) -> Shop | None:
    data_path, index_path = folder / "shop.pickle", folder / "index.sqlite"
    if not (data_path.exists() and index_path.exists()):
        return None
    try:
        with open(data_path, "rb") as fh, _no_gc():
            data = pickle.load(fh)  # our own cache file, written by load_shop
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError):
        return None
    if not isinstance(data, dict) or data.get("version") != CACHE_VERSION:
        return None
    return Shop(data["products"], data["splits"], index_path)
