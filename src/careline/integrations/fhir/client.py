"""A small FHIR R4 REST client (httpx) for a HIS's FHIR server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from types import TracebackType
from typing import Any

import httpx

from careline.integrations.fhir.resources import Resource

FHIR_JSON = "application/fhir+json"


class FhirClientError(Exception):
    """The FHIR server answered with an error or something that is not FHIR JSON."""


class FhirClient:
    """Read, search (following ``next`` links), create and update resources."""

    def __init__(
        self,
        base_url: str,
        *,
        token: str = "",
        timeout: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        headers = {"Accept": FHIR_JSON}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._base = base_url.rstrip("/")
        self._http = httpx.AsyncClient(headers=headers, timeout=timeout, transport=transport)

    async def __aenter__(self) -> FhirClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connections."""
        await self._http.aclose()

    async def _json(self, response: httpx.Response) -> Resource:
        if response.status_code >= 400:
            raise FhirClientError(f"FHIR server answered {response.status_code}")
        try:
            body: Any = response.json()
        except ValueError as exc:
            raise FhirClientError("FHIR server answered with something that is not JSON") from exc
        if not isinstance(body, dict) or "resourceType" not in body:
            raise FhirClientError("FHIR server answered with something that is not a resource")
        return body

    async def read(self, kind: str, resource_id: str) -> Resource:
        """GET one resource."""
        return await self._json(await self._http.get(f"{self._base}/{kind}/{resource_id}"))

    async def search(
        self, kind: str, params: dict[str, str] | None = None
    ) -> AsyncIterator[Resource]:
        """Yield every resource of a search, page after page."""
        url: str | None = f"{self._base}/{kind}"
        query: dict[str, str] | None = params
        seen: set[str] = set()
        while url:
            if url in seen:
                raise FhirClientError("FHIR server sent the same next link twice")
            seen.add(url)
            page = await self._json(await self._http.get(url, params=query))
            for entry in page.get("entry", []):
                resource = entry.get("resource")
                if isinstance(resource, dict) and resource.get("resourceType") == kind:
                    yield resource
            url = next(
                (link["url"] for link in page.get("link", []) if link.get("relation") == "next"),
                None,
            )
            query = None  # the next link carries the whole query

    async def create(self, resource: Resource) -> Resource:
        """POST a new resource; return what the server stored."""
        url = f"{self._base}/{resource['resourceType']}"
        return await self._json(
            await self._http.post(url, json=resource, headers={"Content-Type": FHIR_JSON})
        )

    async def update(self, resource: Resource) -> Resource:
        """PUT a resource by its id."""
        url = f"{self._base}/{resource['resourceType']}/{resource['id']}"
        return await self._json(
            await self._http.put(url, json=resource, headers={"Content-Type": FHIR_JSON})
        )
