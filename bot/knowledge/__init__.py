"""The knowledge base: the entry format, its storage, and search with a confidence."""

from bot.knowledge.engine import Answer, Hit, KnowledgeBase
from bot.knowledge.entry import Entry, EntryError

__all__ = ["Answer", "Entry", "EntryError", "Hit", "KnowledgeBase"]
