"""IVR flows: ``async def flow(call: Call) -> None`` coroutines run by the voice server."""
