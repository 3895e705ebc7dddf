"""The household vocabulary: receptacle types, object types, rooms and task types.

Everything the world generator may put into a room is declared here, as data. The names follow
ALFWorld (Shridhar et al., "ALFWorld: Aligning Text and Embodied Environments for Interactive
Learning", ICLR 2021, arXiv 2010.03768), which inherits them from ALFRED's AI2-THOR scenes:
lower-case type names without spaces (``sinkbasin``, ``stoveburner``, ``remotecontrol``), and
instances numbered per type (``cabinet 3``, ``apple 2``).

Object properties follow ALFWorld's task definitions: which objects can be cleaned in a sink,
heated in a microwave, cooled in a fridge, and examined under a lamp. ``sliceable`` is recorded
for completeness (ALFRED slices food), but, as in ALFWorld's six task types, no command slices.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "LAMP_TYPES",
    "OBJECTS",
    "RECEPTACLES",
    "ROOMS",
    "TASK_TYPES",
    "ObjectType",
    "ReceptacleType",
    "RoomType",
]


@dataclass(frozen=True)
class ReceptacleType:
    """A kind of furniture or appliance the agent can go to.

    ``openable`` receptacles (cabinets, drawers, fridge, ...) must be opened before the agent can
    see, take or put anything inside. A receptacle without ``capacity`` (a floor lamp) holds
    nothing; it is a place to go to and, when it is a ``light``, something to switch on.
    """

    name: str
    openable: bool = False
    capacity: bool = True
    light: bool = False


@dataclass(frozen=True)
class ObjectType:
    """A kind of object: where it may start (and be placed as a goal) and what can be done to it."""

    name: str
    rooms: tuple[str, ...]
    receptacles: tuple[str, ...]
    pickupable: bool = True
    cleanable: bool = False
    heatable: bool = False
    coolable: bool = False
    sliceable: bool = False
    lookable: bool = False
    light: bool = False

    @property
    def usual_place(self) -> str:
        """The receptacle kind listed first: where such an object usually is (the household's
        ``usual_place`` option puts it there with that probability)."""
        return self.receptacles[0]


@dataclass(frozen=True)
class RoomType:
    """A room kind: receptacle counts as ``(type, min, max)`` and which lamps it may have."""

    name: str
    receptacles: tuple[tuple[str, int, int], ...]
    lamps: tuple[str, ...] = ()


#: ALFWorld's six task types, in a fixed order (task ``index % 6`` picks the type).
TASK_TYPES: tuple[str, ...] = (
    "pick_and_place",
    "look_at_obj_in_light",
    "pick_clean_then_place",
    "pick_heat_then_place",
    "pick_cool_then_place",
    "pick_two_obj_and_place",
)

#: Light sources: a desk lamp is an object standing on a table; a floor lamp is a place.
LAMP_TYPES: tuple[str, ...] = ("desklamp", "floorlamp")

RECEPTACLES: dict[str, ReceptacleType] = {r.name: r for r in (
    ReceptacleType("armchair"),
    ReceptacleType("bathtubbasin"),
    ReceptacleType("bed"),
    ReceptacleType("cabinet", openable=True),
    ReceptacleType("cart"),
    ReceptacleType("coffeemachine"),
    ReceptacleType("coffeetable"),
    ReceptacleType("countertop"),
    ReceptacleType("desk"),
    ReceptacleType("diningtable"),
    ReceptacleType("drawer", openable=True),
    ReceptacleType("dresser"),
    ReceptacleType("floorlamp", capacity=False, light=True),
    ReceptacleType("fridge", openable=True),
    ReceptacleType("garbagecan"),
    ReceptacleType("handtowelholder"),
    ReceptacleType("laundryhamper"),
    ReceptacleType("microwave", openable=True),
    ReceptacleType("ottoman"),
    ReceptacleType("safe", openable=True),
    ReceptacleType("shelf"),
    ReceptacleType("sidetable"),
    ReceptacleType("sinkbasin"),
    ReceptacleType("sofa"),
    ReceptacleType("stoveburner"),
    ReceptacleType("toaster"),
    ReceptacleType("toilet"),
    ReceptacleType("toiletpaperhanger"),
    ReceptacleType("towelholder"),
    ReceptacleType("tvstand"),
)}

ROOMS: dict[str, RoomType] = {r.name: r for r in (
    RoomType("kitchen", (
        ("cabinet", 2, 6), ("countertop", 1, 2), ("drawer", 1, 4), ("fridge", 1, 1),
        ("microwave", 1, 1), ("sinkbasin", 1, 2), ("stoveburner", 2, 4), ("garbagecan", 1, 1),
        ("coffeemachine", 0, 1), ("toaster", 0, 1), ("diningtable", 0, 1), ("shelf", 0, 2),
        ("sidetable", 0, 1),
    )),
    RoomType("bathroom", (
        ("cabinet", 1, 4), ("countertop", 1, 1), ("drawer", 0, 3), ("sinkbasin", 1, 2),
        ("bathtubbasin", 0, 1), ("toilet", 1, 1), ("toiletpaperhanger", 0, 1),
        ("towelholder", 0, 2), ("handtowelholder", 0, 1), ("garbagecan", 1, 1), ("shelf", 0, 2),
        ("dresser", 0, 1), ("cart", 0, 1),
    )),
    RoomType("bedroom", (
        ("bed", 1, 1), ("desk", 0, 1), ("drawer", 1, 5), ("dresser", 0, 1), ("shelf", 0, 4),
        ("sidetable", 0, 2), ("garbagecan", 1, 1), ("laundryhamper", 0, 1), ("safe", 0, 1),
        ("armchair", 0, 1), ("cabinet", 0, 2),
    ), lamps=("desklamp", "floorlamp")),
    RoomType("livingroom", (
        ("sofa", 1, 2), ("armchair", 0, 2), ("coffeetable", 1, 2), ("sidetable", 0, 2),
        ("tvstand", 0, 1), ("shelf", 0, 3), ("drawer", 0, 4), ("cabinet", 0, 3),
        ("garbagecan", 1, 1), ("dresser", 0, 1), ("ottoman", 0, 1), ("diningtable", 0, 1),
        ("safe", 0, 1),
    ), lamps=("desklamp", "floorlamp")),
    RoomType("office", (
        ("desk", 1, 2), ("drawer", 1, 5), ("shelf", 1, 4), ("sidetable", 0, 2),
        ("cabinet", 0, 3), ("garbagecan", 1, 1), ("armchair", 0, 1), ("safe", 0, 1),
        ("dresser", 0, 1), ("coffeetable", 0, 1),
    ), lamps=("desklamp", "floorlamp")),
)}

_K = ("kitchen",)
_B = ("bathroom",)
_HOME = ("bedroom", "livingroom", "office")
_FOOD_AT = ("countertop", "diningtable", "sidetable", "fridge", "microwave", "garbagecan")
_DISH_AT = ("countertop", "diningtable", "sidetable", "shelf", "cabinet", "fridge", "microwave",
            "sinkbasin")
_UTENSIL_AT = ("countertop", "diningtable", "sidetable", "drawer", "sinkbasin")
_SMALL_AT = ("desk", "sidetable", "dresser", "shelf", "drawer", "coffeetable")
_SEAT_AT = ("bed", "sofa", "armchair", "ottoman")

OBJECTS: dict[str, ObjectType] = {o.name: o for o in (
    # kitchen food
    ObjectType("apple", _K, _FOOD_AT, cleanable=True, heatable=True, coolable=True,
               sliceable=True),
    ObjectType("bread", _K, (*_FOOD_AT[:5], "cabinet"), heatable=True, coolable=True,
               sliceable=True),
    ObjectType("egg", _K, _FOOD_AT, cleanable=True, heatable=True, coolable=True),
    ObjectType("lettuce", _K, _FOOD_AT, cleanable=True, coolable=True, sliceable=True),
    ObjectType("potato", _K, _FOOD_AT, cleanable=True, heatable=True, coolable=True,
               sliceable=True),
    ObjectType("tomato", _K, _FOOD_AT, cleanable=True, heatable=True, coolable=True,
               sliceable=True),
    # dishes and cookware
    ObjectType("bowl", (*_K, "livingroom"), (*_DISH_AT, "coffeetable"), cleanable=True,
               coolable=True, lookable=True),
    ObjectType("cup", _K, _DISH_AT, cleanable=True, heatable=True, coolable=True,
               lookable=True),
    ObjectType("mug", (*_K, "office", "bedroom"), (*_DISH_AT, "coffeemachine", "desk"),
               cleanable=True, heatable=True, coolable=True, lookable=True),
    ObjectType("plate", (*_K, "livingroom"), (*_DISH_AT, "coffeetable"), cleanable=True,
               heatable=True, coolable=True, lookable=True),
    ObjectType("pan", _K, ("countertop", "diningtable", "stoveburner", "cabinet", "fridge",
                           "sinkbasin"), cleanable=True, coolable=True),
    ObjectType("pot", _K, ("countertop", "diningtable", "stoveburner", "cabinet", "fridge",
                           "sinkbasin", "shelf"), cleanable=True, coolable=True),
    ObjectType("kettle", _K, ("countertop", "diningtable", "stoveburner", "cabinet", "shelf",
                              "sinkbasin"), cleanable=True),
    # utensils
    ObjectType("butterknife", _K, _UTENSIL_AT, cleanable=True),
    ObjectType("fork", _K, _UTENSIL_AT, cleanable=True),
    ObjectType("knife", _K, _UTENSIL_AT, cleanable=True),
    ObjectType("ladle", _K, _UTENSIL_AT, cleanable=True),
    ObjectType("spatula", _K, _UTENSIL_AT, cleanable=True),
    ObjectType("spoon", _K, _UTENSIL_AT, cleanable=True),
    # kitchen other
    ObjectType("peppershaker", _K, ("countertop", "diningtable", "sidetable", "cabinet",
                                    "shelf", "drawer")),
    ObjectType("saltshaker", _K, ("countertop", "diningtable", "sidetable", "cabinet", "shelf",
                                  "drawer")),
    ObjectType("winebottle", _K, ("countertop", "diningtable", "fridge", "cabinet", "shelf",
                                  "garbagecan"), coolable=True),
    ObjectType("dishsponge", (*_K, *_B), ("countertop", "sinkbasin", "cabinet", "drawer",
                                          "shelf", "garbagecan", "cart"), cleanable=True),
    ObjectType("soapbottle", (*_K, *_B), ("countertop", "cabinet", "shelf", "garbagecan",
                                          "toilet", "cart", "dresser", "sinkbasin")),
    # bathroom
    ObjectType("soapbar", _B, ("countertop", "sinkbasin", "bathtubbasin", "toilet", "cabinet",
                               "shelf", "garbagecan", "cart", "dresser"), cleanable=True),
    ObjectType("cloth", _B, ("countertop", "sinkbasin", "bathtubbasin", "cabinet", "drawer",
                             "shelf", "garbagecan", "toilet", "cart", "dresser"),
               cleanable=True),
    ObjectType("handtowel", _B, ("handtowelholder", "countertop", "cabinet", "shelf")),
    ObjectType("towel", _B, ("towelholder", "countertop", "cabinet", "shelf", "cart")),
    ObjectType("toiletpaper", _B, ("toiletpaperhanger", "toilet", "cabinet", "countertop",
                                   "shelf", "garbagecan", "cart", "drawer")),
    ObjectType("spraybottle", _B, ("countertop", "cabinet", "toilet", "shelf", "garbagecan",
                                   "cart", "dresser")),
    ObjectType("candle", (*_B, "livingroom"), ("countertop", "toilet", "shelf", "cabinet",
                                               "dresser", "cart", "sidetable", "coffeetable")),
    ObjectType("tissuebox", (*_B, *_HOME), ("countertop", "shelf", "dresser", "sidetable",
                                            "coffeetable", "desk", "toilet", "cabinet"),
               lookable=True),
    # bedroom, living room, office
    ObjectType("alarmclock", ("bedroom", "office"), ("desk", "sidetable", "dresser", "shelf"),
               lookable=True),
    ObjectType("book", _HOME, (*_SMALL_AT, *_SEAT_AT[:3], "diningtable"), lookable=True),
    ObjectType("cd", _HOME, (*_SMALL_AT, "safe", "garbagecan"), lookable=True),
    ObjectType("cellphone", _HOME, (*_SMALL_AT, *_SEAT_AT[:3], "safe"), lookable=True),
    ObjectType("creditcard", _HOME, (*_SMALL_AT, "sofa", "armchair"), lookable=True),
    ObjectType("keychain", _HOME, (*_SMALL_AT, "safe", "sofa", "armchair"), lookable=True),
    ObjectType("laptop", _HOME, ("bed", "desk", "sofa", "armchair", "coffeetable",
                                 "sidetable", "dresser", "diningtable", "ottoman"),
               lookable=True),
    ObjectType("pen", ("bedroom", "office"), (*_SMALL_AT, "garbagecan"), lookable=True),
    ObjectType("pencil", ("bedroom", "office"), (*_SMALL_AT, "garbagecan"), lookable=True),
    ObjectType("pillow", ("bedroom", "livingroom"), _SEAT_AT, lookable=True),
    ObjectType("remotecontrol", ("livingroom", "bedroom"), ("sofa", "armchair", "coffeetable",
                                                            "sidetable", "tvstand", "dresser",
                                                            "drawer", "ottoman"),
               lookable=True),
    ObjectType("statue", _HOME, ("shelf", "coffeetable", "sidetable", "dresser", "desk",
                                 "tvstand", "diningtable", "cabinet"), lookable=True),
    ObjectType("vase", _HOME, ("shelf", "coffeetable", "sidetable", "dresser", "desk",
                               "diningtable", "cabinet", "tvstand"), lookable=True),
    ObjectType("watch", _HOME, (*_SMALL_AT, "safe"), lookable=True),
    ObjectType("box", _HOME, ("desk", "sidetable", "dresser", "shelf", "coffeetable", "sofa",
                              "armchair", "diningtable", "cabinet", "ottoman"), lookable=True),
    ObjectType("newspaper", ("livingroom", "office"), ("sofa", "armchair", "coffeetable",
                                                       "sidetable", "diningtable", "dresser",
                                                       "ottoman", "garbagecan", "desk"),
               lookable=True),
    ObjectType("baseballbat", ("bedroom",), ("bed", "desk", "shelf")),
    ObjectType("basketball", ("bedroom",), ("bed", "armchair", "shelf")),
    ObjectType("tennisracket", ("bedroom",), ("bed", "desk", "shelf")),
    ObjectType("teddybear", ("bedroom",), ("bed", "armchair", "shelf", "dresser")),
    # light sources (not pickupable; switched on with "use")
    ObjectType("desklamp", _HOME, ("desk", "sidetable", "dresser"), pickupable=False,
               light=True),
)}

#: Appliance used by each processing task type, and the property the object needs.
PROCESSING: dict[str, tuple[str, str, str]] = {
    # task type: (receptacle type, object property, object state it sets)
    "pick_clean_then_place": ("sinkbasin", "cleanable", "clean"),
    "pick_heat_then_place": ("microwave", "heatable", "hot"),
    "pick_cool_then_place": ("fridge", "coolable", "cool"),
}
