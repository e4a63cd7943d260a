"""An in-memory search service for the worked example of docs/lifecycle.md."""

from __future__ import annotations

_INDEX: dict[str, str] = {}


class Client:
    def index(self, title: str) -> dict[str, str]:
        document_id = f"doc-{len(_INDEX) + 1}"
        _INDEX[document_id] = title
        return {"id": document_id}

    def wait_until_searchable(self, ids: list[str]) -> None:
        assert all(document_id in _INDEX for document_id in ids)

    def search(self, text: str) -> list[str]:
        return [document_id for document_id, title in _INDEX.items() if text in title]

    def delete(self, document_id: str) -> None:
        del _INDEX[document_id]


def search_client() -> Client:
    return Client()
