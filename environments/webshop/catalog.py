"""Product records and the deterministic catalog generator of the WebShop-style environment.

WebShop (Yao et al., 2022, arXiv 2207.01206) scrapes 1.18 million Amazon products; this module
builds an offline stand-in with the same product fields (title, description, bullet features,
attributes, customization options, price, category path, the search query a product belongs to)
from fixed word lists, so the vocabulary of every page is finite and small. The same seed and
size always give the same catalog, byte for byte; ``generate_catalog(100_000)`` takes seconds.

Design of a generated product: a *category* (fashion, beauty, grocery, electronics, home) holds
*product types* (e.g. "snack bar"); a type has a category path, a price range, a pool of
attributes and one or two option dimensions with their value pools. A product draws a brand, a
title modifier, 2-4 attributes, 2-5 values per option dimension and a price, and is described by
templated sentences that mention its attributes. About half the products carry reviews.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

__all__ = ["CATEGORIES", "Product", "ProductType", "generate_catalog", "make_asin"]


@dataclass(frozen=True)
class Product:
    """One product, with WebShop's fields.

    ``options`` maps an option dimension (``"size"``) to its values in display order; ``query``
    is the search query the product was collected under in WebShop (here: its product type),
    used by the type reward; ``product_category`` is a ``›``-separated path.
    """

    asin: str
    title: str
    category: str
    product_category: str
    query: str
    description: str
    features: tuple[str, ...]
    attributes: tuple[str, ...]
    options: dict[str, tuple[str, ...]]
    price: float
    rating: float | None = None
    reviews: tuple[tuple[int, str], ...] = ()

    @property
    def search_text(self) -> tuple[str, str, str]:
        """The three indexed fields: title, description, features."""
        return self.title, self.description, " ".join(self.features)


@dataclass(frozen=True)
class ProductType:
    """A kind of product: its noun phrase, category path tail, price range, pools."""

    name: str
    path: str
    price: tuple[float, float]
    attributes: tuple[str, ...]
    options: dict[str, tuple[str, ...]] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------
# vocabulary (finite by construction)
# ---------------------------------------------------------------------------------------------

_COLORS = ("black", "white", "navy blue", "grey", "red", "green", "beige", "pink", "brown",
           "olive", "purple", "yellow")
_CLOTH_SIZES = ("x-small", "small", "medium", "large", "x-large", "xx-large")
_SHOE_SIZES = ("size 6", "size 7", "size 8", "size 9", "size 10", "size 11", "size 12")
_FLAVORS = ("mint", "vanilla", "chocolate", "peanut butter", "strawberry", "sea salt",
            "honey", "cinnamon", "lemon", "original")
_COUNTS = ("pack of 1", "pack of 2", "pack of 4", "pack of 6", "pack of 12", "pack of 24")
_WEIGHTS = ("8 ounce", "12 ounce", "16 ounce", "24 ounce", "32 ounce")
_SCENTS = ("lavender", "coconut", "unscented", "citrus", "rose", "eucalyptus", "sandalwood")
_VOLUMES = ("1 fl oz", "2 fl oz", "4 fl oz", "8 fl oz", "16 fl oz")
_SHADES = ("nude", "coral", "berry", "ruby", "mauve", "peach", "plum")
_LENGTHS = ("3 ft", "6 ft", "10 ft", "15 ft")
_STYLES = ("standard", "pro", "mini", "max")
_BED_SIZES = ("twin", "full", "queen", "king")
_PILLOW_SIZES = ("16 x 16 inch", "18 x 18 inch", "20 x 20 inch", "24 x 24 inch")
_RUG_SIZES = ("2 x 3 ft", "3 x 5 ft", "5 x 7 ft", "8 x 10 ft")


def _a(names: str) -> tuple[str, ...]:
    return tuple(n.strip() for n in names.split(","))


#: attributes a product of each type can have (a product draws 2-4 of them)
_TYPE_ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "t-shirt": _a(
        "machine wash, quick drying, moisture wicking, slim fit, relaxed fit, short sleeve, long "
        "sleeve, cotton blend, breathable"
    ),
    "hoodie": _a(
        "machine wash, hand wash, relaxed fit, slim fit, long sleeve, cotton blend, lightweight, "
        "breathable"
    ),
    "running shoes": _a(
        "non slip, breathable, lightweight, water resistant, quick drying, machine wash"
    ),
    "yoga pants": _a(
        "machine wash, quick drying, moisture wicking, slim fit, elastic waist, breathable, "
        "lightweight"
    ),
    "rain jacket": _a(
        "water resistant, lightweight, hand wash, machine wash, relaxed fit, long sleeve, "
        "breathable, quick drying"
    ),
    "wool socks": _a(
        "machine wash, hand wash, moisture wicking, breathable, non slip, lightweight"
    ),
    "denim jeans": _a(
        "machine wash, slim fit, relaxed fit, cotton blend, elastic waist, hand wash"
    ),
    "sun hat": _a(
        "lightweight, breathable, water resistant, quick drying, hand wash, cotton blend"
    ),
    "shampoo": _a(
        "paraben free, cruelty free, sulfate free, natural ingredients, vegan, travel size, "
        "fragrance free"
    ),
    "face moisturizer": _a(
        "paraben free, cruelty free, fragrance free, dermatologist tested, natural ingredients, "
        "sensitive skin, dry skin, oil free, vegan"
    ),
    "lip balm": _a(
        "cruelty free, long lasting, natural ingredients, vegan, travel size, easy to use, dry skin"
    ),
    "body lotion": _a(
        "paraben free, fragrance free, dermatologist tested, natural ingredients, sensitive skin, "
        "dry skin, travel size, vegan"
    ),
    "nail polish": _a("long lasting, cruelty free, vegan, easy to use, travel size, quick drying"),
    "lipstick": _a(
        "long lasting, cruelty free, vegan, paraben free, natural ingredients, easy to use"
    ),
    "deodorant": _a(
        "long lasting, cruelty free, natural ingredients, sensitive skin, fragrance free, vegan, "
        "travel size"
    ),
    "sunscreen": _a(
        "dermatologist tested, oil free, sensitive skin, travel size, paraben free, cruelty free, "
        "fragrance free, long lasting"
    ),
    "snack bar": _a(
        "gluten free, non gmo, low carb, keto friendly, high protein, organic, kosher, dairy free, "
        "plant based, individually wrapped"
    ),
    "dark chocolate": _a(
        "gluten free, non gmo, sugar free, keto friendly, organic, kosher, dairy free, "
        "individually wrapped"
    ),
    "green tea": _a(
        "organic, non gmo, kosher, caffeine free, sugar free, individually wrapped, low calorie"
    ),
    "coffee beans": _a(
        "organic, non gmo, kosher, low calorie, sugar free, gluten free, caffeine free"
    ),
    "trail mix": _a(
        "gluten free, non gmo, organic, kosher, high protein, plant based, individually wrapped"
    ),
    "protein powder": _a(
        "gluten free, non gmo, sugar free, low carb, keto friendly, high protein, dairy free, "
        "plant based"
    ),
    "beef jerky": _a(
        "gluten free, high protein, low carb, keto friendly, sugar free, individually wrapped, low "
        "calorie"
    ),
    "olive oil": _a("organic, non gmo, kosher, gluten free, plant based"),
    "bluetooth headphones": _a(
        "wireless, noise cancelling, long battery life, lightweight, hands free, water resistant, "
        "fast charging"
    ),
    "phone case": _a("shockproof, lightweight, water resistant, compact size, easy to install"),
    "usb cable": _a("fast charging, high speed, aluminum alloy, compact size, braided"),
    "portable charger": _a("fast charging, long battery life, compact size, lightweight, wireless"),
    "wireless mouse": _a("wireless, long battery life, lightweight, compact size, easy to install"),
    "hdmi cable": _a("high speed, aluminum alloy, easy to install, gold plated, braided"),
    "laptop stand": _a("aluminum alloy, lightweight, easy to install, compact size, space saving"),
    "bluetooth speaker": _a(
        "wireless, water resistant, long battery life, hands free, compact size, shockproof"
    ),
    "pillow cover": _a("machine washable, handmade, eco friendly, fade resistant, easy to clean"),
    "bath towel": _a("machine washable, eco friendly, fade resistant, quick drying, heavy duty"),
    "table lamp": _a("easy to clean, solid wood, stainless steel, space saving, eco friendly"),
    "storage basket": _a("handmade, eco friendly, space saving, heavy duty, easy to clean"),
    "wall clock": _a("ready to hang, solid wood, stainless steel, easy to clean, handmade"),
    "area rug": _a(
        "machine washable, easy to clean, fade resistant, non toxic, heavy duty, eco friendly"
    ),
    "bed sheet set": _a("machine washable, eco friendly, fade resistant, non toxic, easy to clean"),
    "coffee mug": _a(
        "dishwasher safe, stainless steel, non toxic, easy to clean, handmade, heavy duty"
    ),
}


def _t(name: str, path: str, price: tuple[float, float],
       **options: tuple[str, ...]) -> ProductType:
    return ProductType(name, path, price, _TYPE_ATTRIBUTES[name], dict(options))


#: category -> (path head, product types)
CATEGORIES: dict[str, tuple[str, tuple[ProductType, ...]]] = {
    "fashion": ("clothing shoes & jewelry", (
        _t("t-shirt", "men › clothing › shirts", (8, 35),
           size=_CLOTH_SIZES, color=_COLORS),
        _t("hoodie", "women › clothing › sweaters", (20, 70),
           size=_CLOTH_SIZES, color=_COLORS),
        _t("running shoes", "men › shoes › athletic", (30, 120),
           size=_SHOE_SIZES, color=_COLORS),
        _t("yoga pants", "women › clothing › active", (15, 60),
           size=_CLOTH_SIZES, color=_COLORS),
        _t("rain jacket", "women › clothing › coats", (35, 140),
           size=_CLOTH_SIZES, color=_COLORS),
        _t("wool socks", "men › clothing › socks", (6, 25),
           size=_CLOTH_SIZES, color=_COLORS),
        _t("denim jeans", "men › clothing › jeans", (25, 90),
           size=_CLOTH_SIZES, color=_COLORS),
        _t("sun hat", "women › accessories › hats", (10, 40), color=_COLORS),
    )),
    "beauty": ("beauty & personal care", (
        _t("shampoo", "hair care › shampoo", (5, 30),
           scent=_SCENTS, size=_VOLUMES),
        _t("face moisturizer", "skin care › face", (8, 45),
           scent=_SCENTS, size=_VOLUMES),
        _t("lip balm", "skin care › lips", (3, 15), flavor=_FLAVORS,
           count=_COUNTS),
        _t("body lotion", "skin care › body", (6, 30),
           scent=_SCENTS, size=_VOLUMES),
        _t("nail polish", "makeup › nails", (4, 20), color=_SHADES),
        _t("lipstick", "makeup › lips", (5, 30), color=_SHADES),
        _t("deodorant", "personal care › deodorants", (4, 18),
           scent=_SCENTS, count=_COUNTS),
        _t("sunscreen", "skin care › sun", (7, 35), size=_VOLUMES),
    )),
    "grocery": ("grocery & gourmet food", (
        _t("snack bar", "snacks › bars", (5, 40), flavor=_FLAVORS,
           count=_COUNTS),
        _t("dark chocolate", "candy › chocolate", (4, 35), flavor=_FLAVORS,
           count=_COUNTS),
        _t("green tea", "beverages › tea", (4, 30), flavor=_FLAVORS,
           count=_COUNTS),
        _t("coffee beans", "beverages › coffee", (8, 45), flavor=_FLAVORS,
           size=_WEIGHTS),
        _t("trail mix", "snacks › nuts", (5, 30), flavor=_FLAVORS,
           size=_WEIGHTS),
        _t("protein powder", "nutrition › protein", (15, 70),
           flavor=_FLAVORS, size=_WEIGHTS),
        _t("beef jerky", "snacks › jerky", (6, 35), flavor=_FLAVORS,
           count=_COUNTS),
        _t("olive oil", "pantry › oils", (7, 40), size=_WEIGHTS),
    )),
    "electronics": ("electronics", (
        _t("bluetooth headphones", "audio › headphones", (15, 150),
           color=_COLORS, style=_STYLES),
        _t("phone case", "cell phones › cases", (6, 35),
           color=_COLORS, style=_STYLES),
        _t("usb cable", "accessories › cables", (5, 25),
           color=_COLORS, length=_LENGTHS),
        _t("portable charger", "cell phones › chargers", (12, 60),
           color=_COLORS, style=_STYLES),
        _t("wireless mouse", "computers › mice", (8, 50),
           color=_COLORS, style=_STYLES),
        _t("hdmi cable", "accessories › cables", (5, 30),
           length=_LENGTHS),
        _t("laptop stand", "computers › stands", (15, 70),
           color=_COLORS),
        _t("bluetooth speaker", "audio › speakers", (18, 130),
           color=_COLORS, style=_STYLES),
    )),
    "home": ("home & kitchen", (
        _t("pillow cover", "decor › pillows", (6, 30),
           color=_COLORS, size=_PILLOW_SIZES),
        _t("bath towel", "bath › towels", (8, 45), color=_COLORS,
           count=_COUNTS),
        _t("table lamp", "lighting › lamps", (18, 90), color=_COLORS),
        _t("storage basket", "storage › baskets", (10, 50),
           color=_COLORS, size=("small", "medium", "large")),
        _t("wall clock", "decor › clocks", (12, 60), color=_COLORS),
        _t("area rug", "decor › rugs", (25, 160), color=_COLORS,
           size=_RUG_SIZES),
        _t("bed sheet set", "bedding › sheets", (20, 90),
           color=_COLORS, size=_BED_SIZES),
        _t("coffee mug", "kitchen › drinkware", (6, 30), color=_COLORS,
           count=_COUNTS),
    )),
}

_BRANDS = ("aldora", "brisk", "corvana", "dunmore", "elkhart", "fennel", "glimmer", "harlow",
           "islay", "juniper", "kestrel", "lumio", "marlow", "nordic", "orchid", "pinnacle",
           "quill", "rowan", "sable", "tamsin", "umber", "velora", "willow", "xenia",
           "yarrow", "zephyr", "amberly", "bexley", "cascade", "delphi")
_MODIFIERS = ("classic", "premium", "essential", "everyday", "deluxe", "original", "ultra",
              "basic", "signature", "sport", "pure", "urban")
_DESC_OPENERS = (
    "this {mod} {type} from {brand} is {a0} and {a1}.",
    "meet the {brand} {type}: {a0}, {a1} and made for every day.",
    "a {mod} {type} that is {a0} and {a1}, designed by {brand}.",
    "the {brand} {mod} {type} is {a0} with a {a1} finish.",
)
_DESC_CLOSERS = (
    "great as a gift.", "backed by a one year warranty.", "loved by thousands of customers.",
    "simple to order in your favorite option.", "ships in recyclable packaging.",
)
_FEATURE_TAILS = (
    "for all day comfort", "tested for quality", "built to last", "for daily use",
    "for home and travel", "at a fair price",
)
_REVIEW_TEXTS = (
    (5, "great {type}, would buy again"),
    (5, "exactly as described, very {a0}"),
    (4, "good quality {type} for the price"),
    (4, "nice {type}, arrived quickly"),
    (3, "okay {type} but not very {a0}"),
    (2, "the {type} broke after a month"),
    (1, "not {a0} at all, returned it"),
)

_ASIN_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_ASIN_SPACE = 36**8
_ASIN_MULT = 2_654_435_761  # coprime with 36, so index -> asin is a bijection on 36**8


def make_asin(index: int, seed: int = 0) -> str:
    """A unique ASIN-like id (``B0`` + 8 base-36 characters) for product ``index``."""
    n = (index * _ASIN_MULT + seed * 7_919 + 12_345) % _ASIN_SPACE
    chars = []
    for _ in range(8):
        n, r = divmod(n, 36)
        chars.append(_ASIN_ALPHABET[r])
    return "B0" + "".join(reversed(chars))


def _all_types() -> list[tuple[str, str, ProductType]]:
    return [(cat, head, pt) for cat, (head, types) in CATEGORIES.items() for pt in types]


def _price(rng: random.Random, low: float, high: float) -> float:
    dollars = rng.randint(int(low), int(high))
    return round(max(dollars, 1) - 0.01, 2)


def _sample_ordered(rng: random.Random, pool: tuple[str, ...], k: int) -> tuple[str, ...]:
    picked = set(rng.sample(pool, min(k, len(pool))))
    return tuple(v for v in pool if v in picked)


def _make_product(index: int, seed: int, rng: random.Random, category: str, head: str,
                  ptype: ProductType) -> Product:
    brand = rng.choice(_BRANDS)
    mod = rng.choice(_MODIFIERS)
    attributes = tuple(rng.sample(ptype.attributes, rng.randint(2, min(4, len(ptype.attributes)))))
    options = {dim: _sample_ordered(rng, pool, rng.randint(2, min(5, len(pool))))
               for dim, pool in ptype.options.items()}
    in_title = attributes[0] if rng.random() < 0.5 else ""
    title = " ".join(w for w in (brand, mod, in_title, ptype.name) if w)
    a0, a1 = attributes[0], attributes[1]
    fill = {"mod": mod, "type": ptype.name, "brand": brand, "a0": a0, "a1": a1}
    description = (rng.choice(_DESC_OPENERS).format(**fill) + " "
                   + rng.choice(_DESC_CLOSERS))
    features = tuple(f"{att} {rng.choice(_FEATURE_TAILS)}" for att in attributes)
    reviews: tuple[tuple[int, str], ...] = ()
    rating = None
    if rng.random() < 0.5:
        picked = rng.sample(_REVIEW_TEXTS, rng.randint(1, 3))
        reviews = tuple((stars, text.format(**fill)) for stars, text in picked)
        rating = round(sum(s for s, _ in reviews) / len(reviews), 1)
    return Product(
        asin=make_asin(index, seed),
        title=title,
        category=category,
        product_category=f"{head} › {ptype.path}",
        query=ptype.name,
        description=description,
        features=features,
        attributes=attributes,
        options=options,
        price=_price(rng, *ptype.price),
        rating=rating,
        reviews=reviews,
    )


def generate_catalog(num_products: int = 1000, seed: int = 0) -> list[Product]:
    """Generate ``num_products`` products, spread evenly over all product types.

    Deterministic in ``(num_products, seed)``; product ``i`` depends only on ``(i, seed)``, so a
    larger catalog extends a smaller one.
    """
    if num_products < 1:
        raise ValueError(f"num_products must be >= 1, got {num_products}")
    types = _all_types()
    products = []
    for i in range(num_products):
        rng = random.Random(f"webshop-product-{seed}-{i}")
        category, head, ptype = types[i % len(types)]
        products.append(_make_product(i, seed, rng, category, head, ptype))
    return products
