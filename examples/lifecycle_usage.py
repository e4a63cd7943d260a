"""The plan lifecycle: create each resource, wait for indexing once, use, delete at the end.

``prepare_node`` creates one resource and returns its value; ``after_prepare`` runs once after
the whole batch (here: wait until the search index has caught up); ``cleanup_node`` deletes one
resource when the producer's scope ends. Run it with ``pytest examples/lifecycle_usage.py``.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import pytest

from pytest_warmup import WarmupNode, WarmupPlan, warmup_param


class FakeSearchService:
    """A search service where new documents become searchable only after indexing."""

    def __init__(self) -> None:
        self.documents: dict[str, str] = {}
        self.indexed: set[str] = set()
        self.created: list[str] = []
        self.deleted: list[str] = []
        self.index_waits = 0
        self._ids = itertools.count(1)

    def create(self, text: str) -> str:
        doc_id = f"doc-{next(self._ids)}"
        self.documents[doc_id] = text
        self.created.append(doc_id)
        return doc_id

    def wait_until_indexed(self, doc_ids: list[str]) -> None:
        # A real service would be polled here until the documents show up.
        self.index_waits += 1
        self.indexed.update(doc_ids)

    def search(self, word: str) -> list[str]:
        return [
            doc_id
            for doc_id, text in self.documents.items()
            if doc_id in self.indexed and word in text.split()
        ]

    def delete(self, doc_id: str) -> None:
        del self.documents[doc_id]
        self.indexed.discard(doc_id)
        self.deleted.append(doc_id)


service = FakeSearchService()


class DocumentPlan(WarmupPlan):
    def prepare_node(self, node: WarmupNode) -> dict[str, Any]:
        # Called once per node; the return value is what tests receive. If it raised, only the
        # tests needing this node would error; the rest of the batch would go on.
        return {"doc_id": service.create(node.payload["text"]), "text": node.payload["text"]}

    def after_prepare(self, nodes: Sequence[WarmupNode]) -> None:
        # Called once per batch, after every prepare_node: one wait for all documents instead
        # of one per document. node.value is the value prepare_node returned.
        service.wait_until_indexed([node.value["doc_id"] for node in nodes if node.has_value])

    def cleanup_node(self, node: WarmupNode) -> None:
        # Called when the producer's scope ends, for every node this plan created.
        service.delete(node.value["doc_id"])


documents = DocumentPlan("documents")
tea_doc = documents.require(payload={"text": "green tea from japan"}, id="tea_doc")
coffee_doc = documents.require(payload={"text": "coffee from brazil"}, id="coffee_doc")


# A class-scoped producer: used from a test class, its documents live while the tests of that
# class run and are deleted as soon as the last of them has finished.
@pytest.fixture(scope="class")
def indexed_documents(warmup_mgr: Any) -> Any:
    return warmup_mgr.use(documents).prepare()


class TestSearch:
    @warmup_param("doc", tea_doc)
    def test_new_document_is_searchable(
        self, indexed_documents: object, doc: dict[str, str]
    ) -> None:
        # Searchable right away, because after_prepare waited for the index.
        assert service.search("tea") == [doc["doc_id"]]

    @warmup_param("tea", tea_doc)
    @warmup_param("coffee", coffee_doc)
    def test_one_index_wait_for_the_whole_batch(
        self, indexed_documents: object, tea: dict[str, str], coffee: dict[str, str]
    ) -> None:
        assert sorted(service.search("from")) == sorted([tea["doc_id"], coffee["doc_id"]])
        assert service.index_waits == 1


# pytest finishes the class (and so tears down its producer) before it runs the next test of
# the module, so this test sees the state after cleanup.
def test_every_created_document_was_deleted() -> None:
    assert service.documents == {}
    assert sorted(service.deleted) == sorted(service.created)
