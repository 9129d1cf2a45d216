"""The tagger: from a chat remark to candidate services, trigger events and a lead verdict."""

from nlp.catalog import Catalog, ServiceDef, TriggerDef, WalletLine
from nlp.tagger import Tagger, build_tagger
from nlp.tags import Amount, Modifier, ServiceTag, Tags, TriggerTag

__all__ = [
    "Amount",
    "Catalog",
    "Modifier",
    "ServiceDef",
    "ServiceTag",
    "Tagger",
    "Tags",
    "TriggerDef",
    "TriggerTag",
    "WalletLine",
    "build_tagger",
]
