"""asyncio: pynetdicom's API with awaitable names, on the same engine as the threads.

    from fastdimse import aio, evt
    from fastdimse.sop_class import Verification

    ae = aio.AE("ECHOSCU")
    ae.add_requested_context(Verification)
    async with ae.associate("127.0.0.1", 11112) as assoc:
        status = await assoc.send_c_echo()

    scp = aio.AE("ECHOSCP")
    scp.add_supported_context(Verification)
    server = await scp.start_server(("127.0.0.1", 11112), evt_handlers=[(evt.EVT_C_ECHO, handler)])
    await server.serve_forever()

Handlers may be ``async def`` (awaited on the event loop) or plain functions
(run on a worker thread, never on the loop). It runs on the standard event
loop and on uvloop; TLS as the threaded API has it (``tls_args``,
``ssl_context``).
"""

from fastdimse._io.aio_ae import AE, ApplicationEntity, AssociationServer
from fastdimse._io.aio_association import Association

__all__ = ["AE", "ApplicationEntity", "Association", "AssociationServer"]
