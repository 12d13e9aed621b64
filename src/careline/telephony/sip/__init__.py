"""SIP signalling without I/O (``endpoint``) and its asyncio shell (``stack``).

The only package that imports aiosipua: messages are parsed by it and validated here.
"""
